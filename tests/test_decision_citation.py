"""Approving a role cites a recorded board decision: the role and the decision link to each other,
the audit row keeps the decision's id, and a decision that cannot authorise the role is refused
with nothing changed. The free-text reference stays for decisions made before they were recorded.

On the seed demo: the Bexley Strategic Board's 27 Jan 2022 (Part 2) decision endorsing the role set,
and the Derbyshire ICB Board's decision approving the CPLG Chair (another ICS's)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from governance import engagement
from governance import services as board_services
from governance.models import Decision, FeedbackPoint
from recruitment import plans
from recruitment.models import Milestone
from roles import services
from roles.models import Place, Role, RoleMove, RoleStatus
from roles.services import MoveDetails
from tests.factories import RoleFactory

pytestmark = pytest.mark.django_db
S = RoleStatus


def user(username: str):
    return get_user_model().objects.get(username=username)


def endorsement() -> Decision:
    return Decision.objects.get(item__meeting__board__name="Bexley Strategic Board", item__number=14)


def cplg_approval() -> Decision:
    return Decision.objects.get(roles__title="CPLG Chair")


def new_role(title: str = "Community Pharmacy Lead") -> Role:
    """A proposed Bexley role ready to approve (signed off; dated where no budget is set, so the
    budget guard only warns)."""
    return RoleFactory(
        place=Place.objects.get(slug="bexley"),
        title=title,
        status=S.PROPOSED,
        description_signed_off_on=dt.date(2022, 2, 18),
        start_date=dt.date(2030, 4, 1),
        end_date=dt.date(2031, 3, 31),
    )


def move_url(role: Role) -> str:
    return reverse("roles:role_move", args=[role.place.slug, role.pk, S.APPROVED])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_approving_with_a_decision_links_the_role_and_the_decision_both_ways(client, governance_demo):
    role, decision = new_role(), endorsement()
    client.force_login(user("bexley-team"))
    response = client.post(
        move_url(role), {"expected_status": S.PROPOSED, "decision_id": decision.pk, "board_decision": ""}
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.status == S.APPROVED
    assert decision.roles.filter(pk=role.pk).exists()
    audit = RoleMove.objects.filter(role=role, to_status=S.APPROVED).get()
    assert audit.details["decision_id"] == decision.pk
    # No free text was given: the decision's reference is kept, without a Part 2 decision's words.
    assert role.board_decision.startswith("Bexley Strategic Board, 27 Jan 2022 (Part 2), item 14")
    assert "Endorse" not in role.board_decision
    # The decision's history has a row for the link, saying who made it.
    assert decision.history.latest().history_user == user("bexley-team")


def test_the_role_page_shows_the_decision_with_its_words_and_link_to_those_who_may_read_it(client, governance_demo):
    role, decision = new_role(), endorsement()
    services.role_move(role=role, to=S.APPROVED, by=user("bexley-team"), details=MoveDetails(decision_id=decision.pk))
    link = reverse("governance:decision_detail", args=[decision.pk])

    client.force_login(user("bexley-team"))  # not a board member: Part 2 words are not theirs
    page = client.get(role.get_absolute_url())
    assert "Authorised by" in text_of(page)
    assert "Bexley Strategic Board, 27 Jan 2022 (Part 2), item 14" in text_of(page)
    assert "Endorse the Bexley role set" not in text_of(page)
    assert link not in page.content.decode()

    client.force_login(user("secretariat"))
    page = client.get(role.get_absolute_url())
    assert "Endorse the Bexley role set" in text_of(page)
    assert f'href="{link}"' in page.content.decode()


def test_the_move_page_offers_the_places_agreed_decisions_and_not_another_icss(client, governance_demo):
    role = new_role()
    client.force_login(user("bexley-team"))
    page = client.get(move_url(role))
    choices = page.context["form"].fields["decision_id"].choices
    assert [pk for pk, _ in choices] == ["", endorsement().pk]
    assert "Derbyshire" not in text_of(page)


def test_another_places_decision_is_refused_and_nothing_changes(governance_demo):
    role, foreign = new_role(), cplg_approval()
    with pytest.raises(services.ChangeRefused, match="cannot authorise Bexley's"):
        services.role_move(
            role=role, to=S.APPROVED, by=user("bexley-team"), details=MoveDetails(decision_id=foreign.pk)
        )
    role.refresh_from_db()
    assert role.status == S.PROPOSED and role.board_decision == ""
    assert not foreign.roles.filter(pk=role.pk).exists()
    assert not RoleMove.objects.filter(role=role, to_status=S.APPROVED).exists()


def test_a_forged_decision_id_on_the_page_is_a_form_error_and_nothing_changes(client, governance_demo):
    role, foreign = new_role(), cplg_approval()
    client.force_login(user("bexley-team"))
    for forged in (foreign.pk, 99999999, "99999999999999999999999", "x"):
        response = client.post(move_url(role), {"expected_status": S.PROPOSED, "decision_id": forged})
        assert response.status_code == 400
        assert "not one this role may cite" in text_of(response)
    role.refresh_from_db()
    assert role.status == S.PROPOSED
    assert not Decision.roles.through.objects.filter(role=role).exists()


def test_an_unknown_decision_is_refused(governance_demo):
    role = new_role()
    with pytest.raises(services.ChangeRefused, match="No board decision is recorded with the id 99999"):
        services.role_move(role=role, to=S.APPROVED, by=user("bexley-team"), details=MoveDetails(decision_id=99999))
    role.refresh_from_db()
    assert role.status == S.PROPOSED


def test_a_decision_not_agreed_is_refused(governance_demo):
    role, agreed = new_role(), endorsement()
    refused = board_services.decision_record(
        item=agreed.item, text="Approve a second tranche now", by=None, outcome=Decision.Outcome.NOT_AGREED
    )
    with pytest.raises(services.ChangeRefused, match="was not agreed, so it cannot authorise"):
        services.role_move(
            role=role, to=S.APPROVED, by=user("bexley-team"), details=MoveDetails(decision_id=refused.pk)
        )
    role.refresh_from_db()
    assert role.status == S.PROPOSED
    assert not refused.roles.exists()


def test_the_free_text_reference_still_works_alone_and_beside_a_decision(client, governance_demo):
    place = Place.objects.get(slug="bexley")
    place.requires_board_decision = True
    place.save()
    words, cited = new_role("Role approved in words"), new_role("Role approved with both")
    client.force_login(user("bexley-team"))
    reference = "Borough Based Board, 27 May 2021: extend the interim arrangements"
    response = client.post(move_url(words), {"expected_status": S.PROPOSED, "board_decision": reference})
    assert response.status_code == 302
    words.refresh_from_db()
    assert (words.status, words.board_decision) == (S.APPROVED, reference)
    assert not words.decisions.exists()

    decision = endorsement()
    response = client.post(
        move_url(cited), {"expected_status": S.PROPOSED, "board_decision": reference, "decision_id": decision.pk}
    )
    assert response.status_code == 302
    cited.refresh_from_db()
    assert cited.board_decision == reference  # the words given are kept
    assert list(cited.decisions.all()) == [decision]


def test_a_place_that_requires_a_decision_accepts_a_recorded_one_alone(governance_demo):
    place = Place.objects.get(slug="bexley")
    place.requires_board_decision = True
    place.save()
    role = new_role()
    with pytest.raises(services.ChangeRefused, match="needs a board decision"):
        services.role_move(role=role, to=S.APPROVED, by=user("bexley-team"))
    services.role_move(
        role=role, to=S.APPROVED, by=user("bexley-team"), details=MoveDetails(decision_id=endorsement().pk)
    )
    assert role.status == S.APPROVED and role.board_decision


def test_a_bulk_approval_cites_the_decision_for_every_role(client, governance_demo):
    first, second, decision = new_role("First tranche role"), new_role("Second tranche role"), endorsement()
    client.force_login(user("bexley-team"))
    response = client.post(
        reverse("roles:bulk_move", args=["bexley"]),
        {"roles": [first.pk, second.pk], "to": S.APPROVED, "decision_id": decision.pk},
    )
    assert response.status_code == 302
    assert set(decision.roles.filter(pk__in=[first.pk, second.pk])) == {first, second}
    audits = RoleMove.objects.filter(role__in=[first, second], to_status=S.APPROVED)
    assert [row.details["decision_id"] for row in audits] == [decision.pk, decision.pk]


def test_a_bulk_approval_with_another_places_decision_moves_nothing(client, governance_demo):
    first, second = new_role("First tranche role"), new_role("Second tranche role")
    client.force_login(user("bexley-team"))
    response = client.post(
        reverse("roles:bulk_move", args=["bexley"]),
        {"roles": [first.pk, second.pk], "to": S.APPROVED, "decision_id": cplg_approval().pk},
    )
    assert response.status_code == 400
    assert Role.objects.filter(pk__in=[first.pk, second.pk], status=S.PROPOSED).count() == 2


def test_the_admin_approve_action_cites_a_decision(client, governance_demo):
    role, decision = new_role(), endorsement()
    client.force_login(user("ics-admin"))
    response = client.post(
        "/admin/roles/role/",
        {
            "action": "move_to_approved",
            "_selected_action": [role.pk],
            "apply": "1",
            "reason": "",
            "decision_id": decision.pk,
        },
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.status == S.APPROVED
    assert decision.roles.filter(pk=role.pk).exists()
    assert RoleMove.objects.get(role=role, to_status=S.APPROVED).details["decision_id"] == decision.pk


def test_a_proposed_role_a_decision_names_is_kept_and_its_delete_page_says_why(client, governance_demo):
    """Deleting “Estates/ IT Infrastructure” (still proposed; the board endorsed it in Table 3) would take
    it out of the board's decision: the delete page says so, a forced post is refused, and so is the
    service; a proposed role no decision names is still deleted."""
    role, decision = Role.objects.get(place__slug="bexley", title="Estates/ IT Infrastructure"), endorsement()
    assert role.status == S.PROPOSED and decision.roles.filter(pk=role.pk).exists()
    history_rows = decision.history.count()
    admin = user("ics-admin")
    client.force_login(admin)
    url = reverse("admin:roles_role_delete", args=[role.pk])

    page = client.get(url)
    forced = client.post(url, {"post": "yes"})

    why = (
        "“Estates/ IT Infrastructure” is named by a board's decision (Bexley Strategic Board, 27 Jan 2022 (Part 2), "
        "item 14): the decision keeps the roles it names, so withdraw the role instead of deleting it."
    )
    assert page.status_code == 200 and why in text_of(page)
    assert "Are you sure" not in text_of(page)
    assert forced.status_code == 200 and why in text_of(forced)  # the page again, with why; nothing deleted
    with pytest.raises(services.DeleteRefused) as refused:
        services.roles_delete(roles=[role, new_role("Digital Lead")], by=admin)
    assert refused.value.problems == [why]
    assert Role.objects.filter(title__in=["Estates/ IT Infrastructure", "Digital Lead"]).count() == 2
    assert decision.roles.filter(pk=role.pk).exists() and decision.history.count() == history_rows
    assert not RoleMove.objects.filter(role_id=role.pk, action="deleted").exists()

    services.role_delete(role=Role.objects.get(title="Digital Lead"), by=admin)
    assert not Role.objects.filter(title="Digital Lead").exists()


def test_deleting_a_proposed_role_leaves_a_history_row_on_each_milestone_and_feedback_point_it_was_on(
    governance_demo,
):
    """The links go with the role; each milestone's and feedback point's history says so, and who did it."""
    team, admin = user("bexley-team"), user("ics-admin")
    role, kept = new_role("Digital Lead"), Role.objects.get(place__slug="bexley", title="Estates/ IT Infrastructure")
    milestone = Milestone.objects.filter(roles=kept).order_by("pk").first()
    point = FeedbackPoint.objects.filter(roles=kept).order_by("pk").first()
    plans.milestone_save(place=role.place, values={"roles": [kept, role]}, by=team, milestone=milestone)
    engagement.point_save(event=point.event, values={"roles": [kept, role]}, by=team, point=point)
    rows = (milestone.history.count(), point.history.count())

    services.role_delete(role=role, by=admin)

    for row, before in zip((milestone, point), rows, strict=True):
        latest = row.history.latest()
        assert row.history.count() == before + 1 and latest.history_user == admin
        assert [link.role_id for link in latest.roles.all()] == [kept.pk]
        assert [link.role_id for link in latest.prev_record.roles.all()] == sorted([kept.pk, role.pk])
        assert list(row.roles.all()) == [kept]
