"""The engagement log (Table 2 of the Bexley proposals, 27 Jan 2022): its services, its pages and who
may use them, the feedback it adds to the role page and to the template comparison, and fuzzing of
its forms.

The world is the roles demo (Bexley with its 22 roles of Table 3 and the SEL template; the users
bexley-team, secretariat, hr-recruiter and ics-admin), with some of Table 2 entered through the
services as Bexley's place team would enter it, and a Greenwich role and event as another place's.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from governance import engagement
from governance.models import EngagementEvent, FeedbackPoint
from roles.extensions import comparison_notes_for
from roles.models import AccessKind, Place, Role, TemplateRole
from roles.services import ChangeRefused, MoveNotAllowed
from tests.factories import ICSFactory, PlaceFactory, RoleFactory, TemplateRoleFactory, member
from tests.helpers import form_body
from tests.test_fuzz import Form, Fuzzer, app_form, changes, fingerprint, fuzz, fuzzed, weighted

pytestmark = pytest.mark.django_db

A = FeedbackPoint.Action
FRAILTY = "Frailty including Care Homes"
END_OF_LIFE = "End of Life"
LTC_RESPIRATORY = "LTCs including Respiratory and Cardiovascular"
RESIDENT = "Resident Participation and engagement"
SEXUAL_HEALTH = "Sexual and Reproductive Health"


# --- The world -----------------------------------------------------------------------------------


def user(username: str):
    return get_user_model().objects.get(username=username)


def role(title: str, place: str = "bexley") -> Role:
    return Role.objects.get(place__slug=place, title=title)


def template(title: str) -> TemplateRole:
    return TemplateRole.objects.get(ics__slug="sel", title=title)


def signed_in(username_or_user) -> Client:
    client = Client()
    client.force_login(user(username_or_user) if isinstance(username_or_user, str) else username_or_user)
    return client


@pytest.fixture
def bexley(demo) -> Place:
    return Place.objects.select_related("ics").get(slug="bexley")


@pytest.fixture
def team(demo):
    return user("bexley-team")


@pytest.fixture
def greenwich(demo):
    """Greenwich (SEL) with a role, an event and a point of its own, and a member of its team."""
    place = Place.objects.get(slug="greenwich")
    own_role = RoleFactory(place=place, title="Greenwich Frailty Lead")
    event = EngagementEvent.objects.create(place=place, held_on=dt.date(2021, 12, 14), group="Greenwich LCP Forum")
    point = FeedbackPoint.objects.create(event=event, text="Frailty role wanted", action=A.ADDED)
    point.roles.set([own_role])
    return type(
        "Greenwich",
        (),
        {
            "place": place,
            "role": own_role,
            "event": event,
            "point": point,
            "team": member(AccessKind.PLACE_TEAM, place=place),
        },
    )


def table2(place: Place, by) -> dict[str, EngagementEvent]:
    """Four of Table 2's nine entries, entered as the place team would enter them."""
    events = {}
    rows = [
        (
            dt.date(2021, 12, 9),
            "Governing Body Bexley Lead GPs",
            [
                ("Addition of Frailty role and aligning with care homes", A.ADDED, [FRAILTY], []),
                ("Addition of LTC Respiratory and cardiovascular", A.ADDED, [LTC_RESPIRATORY], []),
                ("Addition of local digital role", A.NOTED, [], []),
            ],
        ),
        (
            dt.date(2021, 12, 10),
            "Local Care Partnership Forum",
            [
                ("Support for Frailty role", A.NOTED, [FRAILTY], []),
                ("End of life role proposed", A.ADDED, [END_OF_LIFE], []),
            ],
        ),
        (
            dt.date(2022, 1, 10),
            "Bexley Care Senior Leadership Team",
            [
                ("Could some roles just be care?", A.NOTED, [], []),
                (
                    "Resident participation better name than patient and public engagement",
                    A.RENAMED,
                    [RESIDENT],
                    ["Patient and Public Engagement"],
                ),
            ],
        ),
        (
            dt.date(2022, 1, 13),
            "Sexual Health Commissioner",
            [
                (
                    "Given prevalence of HIV in Bexley preference was to have a broader sexual and reproductive "
                    "health role",
                    A.ADDED,
                    [SEXUAL_HEALTH],
                    [],
                )
            ],
        ),
    ]
    for held_on, group, points in rows:
        event = engagement.event_save(place=place, values={"held_on": held_on, "group": group}, by=by)
        for text, action, roles, templates in points:
            engagement.point_save(
                event=event,
                values={
                    "text": text,
                    "action": action,
                    "roles": [role(t) for t in roles],
                    "template_roles": [template(t) for t in templates],
                },
                by=by,
            )
        events[group] = event
    return events


@pytest.fixture
def logged(bexley, team):
    return table2(bexley, team)


def engagement_url(name: str, place: str = "bexley", *args) -> str:
    return reverse(f"governance:{name}", args=[place, *args])


def plain(html: str) -> str:
    """Text without its tags, as a reader sees it."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


# --- Services: events ----------------------------------------------------------------------------


def test_an_event_is_added_with_history_naming_who_added_it(bexley, team):
    event = engagement.event_save(
        place=bexley, values={"held_on": dt.date(2022, 1, 4), "group": " Bexley Training Hub "}, by=team
    )
    assert (event.place, event.held_on, event.group) == (bexley, dt.date(2022, 1, 4), "Bexley Training Hub")
    assert event.history.get().history_user == team


def test_an_event_edit_writes_only_the_fields_it_was_given(bexley, team, logged):
    event = logged["Local Care Partnership Forum"]
    stale = EngagementEvent.objects.get(pk=event.pk)
    engagement.event_save(place=bexley, values={"notes": "Chaired by the LCP lead."}, by=team, event=event)
    engagement.event_save(place=bexley, values={"group": "LCP Forum"}, by=team, event=stale)
    event.refresh_from_db()
    assert (event.group, event.notes) == ("LCP Forum", "Chaired by the LCP lead.")
    assert event.history.count() == 3 and event.history.first().history_user == team


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"held_on": dt.date(1850, 1, 1), "group": "Bexley Training Hub"}, "Held on"),
        ({"held_on": dt.date(2022, 1, 4), "group": "   "}, "Group or organisation"),
        ({"held_on": dt.date(2022, 1, 4), "group": "x" * 201}, "Group or organisation"),
    ],
)
def test_an_event_with_a_bad_value_is_refused_naming_the_field_and_nothing_is_written(bexley, team, values, names):
    before = fingerprint()
    with pytest.raises(ChangeRefused, match=names):
        engagement.event_save(place=bexley, values=values, by=team)
    assert not changes(before, fingerprint())


@pytest.mark.parametrize("username", ["secretariat", "hr-recruiter"])
def test_readers_of_the_log_may_not_add_to_it(bexley, username):
    before = fingerprint()
    with pytest.raises(MoveNotAllowed, match="place team and ICS administrators") as refused:
        engagement.event_save(
            place=bexley, values={"held_on": dt.date(2022, 1, 4), "group": "Bexley Training Hub"}, by=user(username)
        )
    assert refused.value.status == 403
    assert not changes(before, fingerprint())


def test_an_ics_administrator_keeps_the_log_too(bexley):
    event = engagement.event_save(
        place=bexley, values={"held_on": dt.date(2022, 1, 4), "group": "Bexley Training Hub"}, by=user("ics-admin")
    )
    assert event.pk


def test_another_places_event_cannot_be_edited_as_this_places(bexley, team, greenwich):
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="not in Bexley's log"):
        engagement.event_save(place=bexley, values={"group": "Renamed"}, by=team, event=greenwich.event)
    assert not changes(before, fingerprint())


def test_an_event_with_points_is_not_deleted(team, logged):
    event = logged["Local Care Partnership Forum"]
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="still has 2 feedback points: delete them first"):
        engagement.event_delete(event=event, by=team)
    assert not changes(before, fingerprint())


def test_an_event_without_points_is_deleted_and_its_history_says_who(bexley, team):
    event = engagement.event_save(place=bexley, values={"held_on": dt.date(2022, 1, 4), "group": "Hub"}, by=team)
    engagement.event_delete(event=event, by=team)
    assert not EngagementEvent.objects.filter(pk=event.pk).exists()
    deleted = EngagementEvent.history.filter(id=event.pk, history_type="-").get()
    assert deleted.history_user == team


# --- Services: feedback points -------------------------------------------------------------------


def test_a_point_links_the_roles_it_shaped_and_the_template_role_with_history(logged, team):
    event = logged["Bexley Care Senior Leadership Team"]
    point = event.points.get(action=A.RENAMED)
    assert list(point.roles.all()) == [role(RESIDENT)]
    assert list(point.template_roles.all()) == [template("Patient and Public Engagement")]
    assert {row.history_user for row in point.history.all()} == {team}


def test_a_new_point_goes_last_unless_placed(logged, team):
    event = logged["Governing Body Bexley Lead GPs"]
    assert list(event.points.values_list("order", flat=True)) == [1, 2, 3]
    point = engagement.point_save(event=event, values={"text": "Fourth", "action": A.NOTED}, by=team)
    assert point.order == 4
    first = engagement.point_save(event=event, values={"text": "First", "action": A.NOTED, "order": 0}, by=team)
    assert event.points.first() == first


@pytest.mark.parametrize("action", [A.ADDED, A.RENAMED, A.RETYPED])
def test_a_point_that_changed_a_role_must_link_it(logged, team, action):
    event = logged["Sexual Health Commissioner"]
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="choose it under “Roles it shaped”"):
        engagement.point_save(event=event, values={"text": "Something", "action": action, "roles": []}, by=team)
    assert not changes(before, fingerprint())


def test_a_noted_point_needs_no_role(logged, team):
    event = logged["Sexual Health Commissioner"]
    point = engagement.point_save(
        event=event, values={"text": "Specific ask: an HIV champion", "action": A.NOTED}, by=team
    )
    assert not point.roles.exists()


def test_a_forged_role_of_another_place_does_not_link(logged, team, greenwich):
    event = logged["Sexual Health Commissioner"]
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="Link roles of Bexley only: Greenwich Frailty Lead is not one of them"):
        engagement.point_save(
            event=event, values={"text": "Forged", "action": A.ADDED, "roles": [greenwich.role]}, by=team
        )
    point = event.points.get()
    with pytest.raises(ChangeRefused, match="Link roles of Bexley only"):
        engagement.point_save(
            event=event, values={"roles": [role(SEXUAL_HEALTH), greenwich.role]}, by=team, point=point
        )
    assert not changes(before, fingerprint())
    assert list(point.roles.all()) == [role(SEXUAL_HEALTH)]


def test_a_template_role_of_another_ics_does_not_link(logged, team):
    other = TemplateRoleFactory(ics=ICSFactory(name="Joined Up Care Derbyshire", slug="jucd"), title="Derby Frailty")
    event = logged["Sexual Health Commissioner"]
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="Link template roles of Our Healthier South East London only"):
        engagement.point_save(event=event, values={"text": "x", "action": A.NOTED, "template_roles": [other]}, by=team)
    assert not changes(before, fingerprint())


def test_a_point_cannot_be_moved_to_another_event_through_the_service(logged, team):
    point = logged["Sexual Health Commissioner"].points.get()
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="not one of"):
        engagement.point_save(event=logged["Local Care Partnership Forum"], values={"text": "x"}, by=team, point=point)
    assert not changes(before, fingerprint())


def test_a_point_edit_changes_only_the_fields_edited(logged, team):
    point = logged["Governing Body Bexley Lead GPs"].points.get(action=A.ADDED, roles=role(FRAILTY))
    engagement.point_save(
        event=point.event, values={"action_note": "Frailty including Care Homes added"}, by=team, point=point
    )
    point.refresh_from_db()
    assert point.action_note == "Frailty including Care Homes added"
    assert point.text == "Addition of Frailty role and aligning with care homes" and point.action == A.ADDED
    assert list(point.roles.all()) == [role(FRAILTY)]


def test_changing_a_noted_point_to_added_needs_a_role(logged, team):
    point = logged["Governing Body Bexley Lead GPs"].points.get(action=A.NOTED)
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="links the role it added"):
        engagement.point_save(event=point.event, values={"action": A.ADDED}, by=team, point=point)
    assert not changes(before, fingerprint())


def test_taking_the_role_off_an_added_point_is_refused(logged, team):
    point = logged["Local Care Partnership Forum"].points.get(action=A.ADDED)
    with pytest.raises(ChangeRefused, match="links the role it added"):
        engagement.point_save(event=point.event, values={"roles": []}, by=team, point=point)
    assert list(point.roles.all()) == [role(END_OF_LIFE)]


def test_a_point_is_deleted_with_history_saying_who(logged, team):
    point = logged["Local Care Partnership Forum"].points.get(action=A.NOTED)
    engagement.point_delete(point=point, by=team)
    assert not FeedbackPoint.objects.filter(pk=point.pk).exists()
    assert FeedbackPoint.history.get(id=point.pk, history_type="-").history_user == team


def test_readers_may_not_delete_a_point(logged):
    point = logged["Local Care Partnership Forum"].points.get(action=A.NOTED)
    with pytest.raises(MoveNotAllowed):
        engagement.point_delete(point=point, by=user("secretariat"))
    assert FeedbackPoint.objects.filter(pk=point.pk).exists()


# --- The log page --------------------------------------------------------------------------------


def test_the_log_is_table_2_oldest_first_with_actions_and_linked_roles(logged, team):
    response = signed_in(team).get(engagement_url("engagement"))
    assert response.status_code == 200
    page = text_of(response)
    dates = ["9 Dec 2021", "10 Dec 2021", "10 Jan 2022", "13 Jan 2022"]
    assert [page.index(d) for d in dates] == sorted(page.index(d) for d in dates)
    assert "Governing Body Bexley Lead GPs" in page
    assert "Addition of Frailty role and aligning with care homes Role added" in page
    html = response.content.decode()
    frailty_url = reverse("roles:role_detail", args=["bexley", role(FRAILTY).pk])
    assert html.count(f'href="{frailty_url}"') == 2  # added on 9 Dec, supported on 10 Dec
    assert "template: Patient and Public Engagement" in page
    assert "Role added: 4" in page and "Role renamed: 1" in page and "Noted: 3" in page
    assert "Role&#x27;s type changed: 0" in html


def test_the_log_can_be_read_newest_first(logged, team):
    page = text_of(signed_in(team).get(engagement_url("engagement") + "?order=newest"))
    assert page.index("13 Jan 2022") < page.index("9 Dec 2021")


def test_an_unknown_order_is_a_bad_request(logged, team):
    response = signed_in(team).get(engagement_url("engagement") + "?order=sideways")
    assert response.status_code == 400
    assert "oldest" in response.content.decode()


def test_the_place_navigation_has_an_engagement_tab(bexley, team):
    response = signed_in(team).get(reverse("roles:dashboard", args=["bexley"]))
    assert f'href="{engagement_url("engagement")}">Engagement</a>' in response.content.decode()


def _events(place, count: int, roles, templates) -> None:
    for n in range(count):
        event = EngagementEvent.objects.create(
            place=place, held_on=dt.date(2022, 1, 1) + dt.timedelta(days=n), group=f"G{n}"
        )
        for k in range(3):
            point = FeedbackPoint.objects.create(event=event, text=f"Point {k}", action=A.ADDED, order=k)
            point.roles.set(roles[k : k + 2])
            point.template_roles.set(templates[:1])


def test_the_log_reads_the_same_number_of_queries_for_2_or_40_events(bexley, team, django_assert_max_num_queries):
    client = signed_in(team)
    roles, templates = list(bexley.roles.all()), list(TemplateRole.objects.filter(ics=bexley.ics))
    _events(bexley, 2, roles, templates)
    with CaptureQueriesContext(connection) as small:
        assert client.get(engagement_url("engagement")).status_code == 200
    _events(bexley, 38, roles, templates)
    with CaptureQueriesContext(connection) as large:
        response = client.get(engagement_url("engagement"))
    assert response.content.decode().count('id="event-') == engagement.EVENTS_PER_PAGE
    assert len(small) == len(large)
    with django_assert_max_num_queries(len(small)):
        client.get(engagement_url("engagement") + "?order=newest&page=2")


def test_the_log_shows_25_events_a_page_and_counts_the_whole_log(bexley, team):
    client = signed_in(team)
    roles, templates = list(bexley.roles.all()), list(TemplateRole.objects.filter(ics=bexley.ics))
    _events(bexley, 40, roles, templates)
    first = client.get(engagement_url("engagement")).content.decode()
    second = client.get(engagement_url("engagement") + "?order=oldest&page=2").content.decode()
    assert groups_shown(first) == [f"G{n}" for n in range(25)]
    assert groups_shown(second) == [f"G{n}" for n in range(25, 40)]
    assert "events 1 to 25 of 40" in first and "events 26 to 40 of 40" in second
    assert 'href="?order=oldest&amp;page=2"' in first and "Page 1 of 2" in first
    for page in (first, second):  # every point of the log counted, on every page
        assert 'data-action="added">Role added: 120<' in page
    newest = client.get(engagement_url("engagement") + "?order=newest").content.decode()
    assert groups_shown(newest) == [f"G{n}" for n in range(39, 14, -1)]


def groups_shown(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="fw-normal">([^<\n]+)', html)


def test_a_link_to_an_event_opens_the_page_that_shows_it(bexley, team):
    client = signed_in(team)
    roles, templates = list(bexley.roles.all()), list(TemplateRole.objects.filter(ics=bexley.ics))
    _events(bexley, 40, roles, templates)
    late = EngagementEvent.objects.get(place=bexley, group="G30")
    response = client.get(engagement.log_path(bexley, late.pk))
    assert f'id="event-{late.pk}"' in response.content.decode() and "events 26 to 40 of 40" in response.content.decode()
    newest = client.get(engagement.log_path(bexley, late.pk).replace("?", "?order=newest&"))
    assert f'id="event-{late.pk}"' in newest.content.decode()
    url = engagement_url("engagement_point_edit", "bexley", late.points.first().pk)
    saved = client.post(url, {**form_body(client.get(url).context["form"]), "text": "Point 0, reworded"})
    assert saved.status_code == 302 and saved["Location"] == engagement.log_path(bexley, late.pk)
    other = EngagementEvent.objects.create(place=PlaceFactory(ics=bexley.ics), held_on=dt.date(2022, 1, 1), group="X")
    for wrong in (str(other.pk), "x", "99999999999999999999", ""):
        assert client.get(engagement_url("engagement") + f"?event={wrong}").status_code == 404


# --- Forms ---------------------------------------------------------------------------------------


def test_the_place_team_adds_an_event_then_its_points(bexley, team):
    client = signed_in(team)
    response = client.post(
        engagement_url("engagement_event_new"), {"held_on": "2022-01-04", "group": "Bexley Training Hub", "notes": ""}
    )
    event = EngagementEvent.objects.get(place=bexley, group="Bexley Training Hub")
    assert response.status_code == 302 and response.url == engagement_url("engagement_point_new", "bexley", event.pk)
    response = client.post(
        response.url,
        {"text": "Nurse leadership needs to be developed", "action": "noted", "roles": [], "order": ""},
    )
    assert response.status_code == 302
    point = event.points.get()
    assert (point.text, point.action, point.order) == ("Nurse leadership needs to be developed", A.NOTED, 1)
    assert point.history.get().history_user == team


def test_an_added_point_without_a_role_shows_the_form_again_naming_the_fix(logged, team):
    event = logged["Sexual Health Commissioner"]
    client = signed_in(team)
    before = fingerprint()
    response = client.post(
        engagement_url("engagement_point_new", "bexley", event.pk), {"text": "An HIV champion", "action": "added"}
    )
    assert response.status_code == 400
    assert "choose it under “Roles it shaped”" in response.content.decode()
    assert not changes(before, fingerprint())


def test_a_forged_role_id_in_the_form_is_no_choice(logged, team, greenwich):
    event = logged["Sexual Health Commissioner"]
    client = signed_in(team)
    before = fingerprint()
    response = client.post(
        engagement_url("engagement_point_new", "bexley", event.pk),
        {"text": "Forged", "action": "added", "roles": [str(greenwich.role.pk)]},
    )
    assert response.status_code == 400
    assert "Choose roles of Bexley only" in response.content.decode()
    assert not changes(before, fingerprint())


def test_the_point_form_offers_the_places_roles_and_the_ics_template(logged, team, greenwich):
    event = logged["Sexual Health Commissioner"]
    form = signed_in(team).get(engagement_url("engagement_point_new", "bexley", event.pk)).context["form"]
    assert set(form.fields["roles"].queryset) == set(Role.objects.filter(place__slug="bexley"))
    assert greenwich.role not in form.fields["roles"].queryset
    assert set(form.fields["template_roles"].queryset) == set(TemplateRole.objects.filter(ics__slug="sel"))


def test_editing_a_point_sends_only_what_changed(logged, team):
    point = logged["Governing Body Bexley Lead GPs"].points.get(action=A.ADDED, roles=role(FRAILTY))
    client = signed_in(team)
    url = engagement_url("engagement_point_edit", "bexley", point.pk)
    body = form_body(client.get(url).context["form"])
    response = client.post(url, {**body, "action_note": "Added to Table 3"})
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.action_note == "Added to Table 3"
    last = point.history.first()
    assert [change.field for change in last.diff_against(last.prev_record).changes] == ["action_note"]
    assert list(point.roles.all()) == [role(FRAILTY)]


def test_an_edit_on_a_form_loaded_before_someone_elses_change_is_refused(logged, team):
    point = logged["Governing Body Bexley Lead GPs"].points.get(action=A.ADDED, roles=role(FRAILTY))
    client = signed_in(team)
    url = engagement_url("engagement_point_edit", "bexley", point.pk)
    body = form_body(client.get(url).context["form"])
    engagement.point_save(event=point.event, values={"text": "Addition of a Frailty role"}, by=team, point=point)
    before = fingerprint()
    response = client.post(url, {**body, "action_note": "Added to Table 3"})
    assert response.status_code == 409
    assert "changed by someone else after you opened this form" in response.content.decode()
    assert not changes(before, fingerprint())


def test_a_stale_event_edit_is_refused_by_the_service(bexley, team, logged):
    event = logged["Local Care Partnership Forum"]
    loaded = engagement.version_of(event)
    engagement.event_save(place=bexley, values={"notes": "Chaired by the LCP lead."}, by=team, event=event)
    with pytest.raises(engagement.StaleEngagement) as refused:
        engagement.event_save(place=bexley, values={"group": "LCP Forum"}, by=team, event=event, version=loaded)
    assert refused.value.status == 409
    event.refresh_from_db()
    assert event.group == "Local Care Partnership Forum"
    engagement.event_save(
        place=bexley, values={"group": "LCP Forum"}, by=team, event=event, version=engagement.version_of(event)
    )


def test_the_event_form_deletes_an_event_without_points(bexley, team):
    event = engagement.event_save(place=bexley, values={"held_on": dt.date(2022, 1, 4), "group": "Hub"}, by=team)
    client = signed_in(team)
    assert (
        "Delete this event" in client.get(engagement_url("engagement_event_edit", "bexley", event.pk)).content.decode()
    )
    response = client.post(engagement_url("engagement_event_delete", "bexley", event.pk))
    assert response.status_code == 302 and not EngagementEvent.objects.filter(pk=event.pk).exists()


def test_deleting_an_event_with_points_is_refused_on_the_page(logged, team):
    event = logged["Local Care Partnership Forum"]
    client = signed_in(team)
    before = fingerprint()
    response = client.post(engagement_url("engagement_event_delete", "bexley", event.pk))
    assert response.status_code == 400
    assert "delete them first" in response.content.decode()
    assert not changes(before, fingerprint())


def test_a_point_is_deleted_from_its_page(logged, team):
    point = logged["Local Care Partnership Forum"].points.get(action=A.NOTED)
    response = signed_in(team).post(engagement_url("engagement_point_delete", "bexley", point.pk))
    assert response.status_code == 302 and not FeedbackPoint.objects.filter(pk=point.pk).exists()


# --- Who may do what -----------------------------------------------------------------------------


def _urls(logged) -> dict[str, tuple[str, str, dict]]:
    """Every engagement URL of Bexley: (method, url, a body that would succeed)."""
    event = logged["Local Care Partnership Forum"]
    empty = logged["Sexual Health Commissioner"]
    point = event.points.get(action=A.NOTED)
    return {
        "log": ("GET", engagement_url("engagement"), {}),
        "event_new": ("GET", engagement_url("engagement_event_new"), {}),
        "event_new_post": ("POST", engagement_url("engagement_event_new"), {"held_on": "2022-01-04", "group": "Hub"}),
        "event_edit": ("GET", engagement_url("engagement_event_edit", "bexley", event.pk), {}),
        "event_edit_post": (
            "POST",
            engagement_url("engagement_event_edit", "bexley", event.pk),
            {"held_on": "2021-12-10", "group": "LCP Forum", "version": engagement.version_of(event)},
        ),
        "point_new": ("GET", engagement_url("engagement_point_new", "bexley", event.pk), {}),
        "point_new_post": (
            "POST",
            engagement_url("engagement_point_new", "bexley", event.pk),
            {"text": "VSC sector has a lot to offer", "action": "noted"},
        ),
        "point_edit": ("GET", engagement_url("engagement_point_edit", "bexley", point.pk), {}),
        "point_edit_post": (
            "POST",
            engagement_url("engagement_point_edit", "bexley", point.pk),
            {
                "text": "Support for the Frailty role",
                "action": "noted",
                "roles": [str(role(FRAILTY).pk)],
                "version": engagement.version_of(point),
            },
        ),
        "point_delete": ("POST", engagement_url("engagement_point_delete", "bexley", point.pk), {}),
        "event_delete": ("POST", engagement_url("engagement_event_delete", "bexley", empty.pk), {}),
    }


READS = {"log"}


@pytest.mark.parametrize("who", ["bexley-team", "ics-admin", "secretariat", "hr-recruiter", "greenwich-team", "nobody"])
def test_who_may_read_and_keep_the_log(logged, greenwich, who):
    empty = logged["Sexual Health Commissioner"]
    engagement.point_delete(point=empty.points.get(), by=user("bexley-team"))  # so that it may be deleted
    client = {"greenwich-team": signed_in(greenwich.team), "nobody": Client()}.get(who) or signed_in(who)
    for name, (method, url, body) in _urls(logged).items():
        before = fingerprint()
        with transaction.atomic():
            response = client.post(url, body) if method == "POST" else client.get(url)
            written = changes(before, fingerprint())
            transaction.set_rollback(True)
        if who == "nobody":
            expected = 302
        elif who == "greenwich-team":
            expected = 404
        elif name in READS:
            expected = 200
        elif who in ("secretariat", "hr-recruiter"):
            expected = 403
        else:
            expected = 302 if method == "POST" else 200
        assert response.status_code == expected, (who, name, response.status_code)
        if who == "nobody":
            assert "/login" in response.url or "login" in response.url
        assert bool(written) == (method == "POST" and expected == 302 and who != "nobody"), (who, name, written)


@pytest.mark.parametrize("name", ["engagement_event_edit", "engagement_point_new", "engagement_event_delete"])
def test_another_places_event_is_not_found_through_this_place(logged, team, greenwich, name):
    client = signed_in(team)
    assert client.get(engagement_url(name, "bexley", greenwich.event.pk)).status_code in (404, 405)
    assert client.post(engagement_url(name, "bexley", greenwich.event.pk), {"group": "x"}).status_code == 404
    assert client.get(engagement_url("engagement", "greenwich")).status_code == 404  # not a place the team sees
    assert EngagementEvent.objects.get(pk=greenwich.event.pk).group == "Greenwich LCP Forum"


@pytest.mark.parametrize("name", ["engagement_point_edit", "engagement_point_delete"])
def test_another_places_point_is_not_found_through_this_place(logged, team, greenwich, name):
    response = signed_in(team).post(engagement_url(name, "bexley", greenwich.point.pk), {"text": "x"})
    assert response.status_code == 404
    assert FeedbackPoint.objects.filter(pk=greenwich.point.pk, text="Frailty role wanted").exists()


# --- What the log adds to the role page and the template comparison -----------------------------


def test_the_role_page_shows_the_engagement_behind_the_role(logged, team):
    page = text_of(signed_in(team).get(role(FRAILTY).get_absolute_url()))
    assert "Engagement behind this role" in page
    assert (
        "9 Dec 2021 Governing Body Bexley Lead GPs Addition of Frailty role and aligning with care homes Role added"
        in page
    )
    assert "10 Dec 2021 Local Care Partnership Forum Support for Frailty role Noted" in page


def test_a_role_with_no_feedback_shows_no_engagement_section(logged, team):
    page = signed_in(team).get(role("Diagnostics").get_absolute_url()).content.decode()
    assert "Engagement behind this role" not in page


def test_comparison_notes_key_the_feedback_by_role_and_template_role_in_one_query(logged, bexley):
    with CaptureQueriesContext(connection) as queries:
        notes = comparison_notes_for(bexley)
    assert len(queries) == 1
    frailty = [re.sub(r"<[^>]+>", "", note) for note in notes[("role", role(FRAILTY).pk)]]
    assert frailty == [
        "Feedback: 9 Dec 2021, Governing Body Bexley Lead GPs: Addition of Frailty role and aligning with care homes",
        "Feedback: 10 Dec 2021, Local Care Partnership Forum: Support for Frailty role",
    ]
    renamed = notes[("template", template("Patient and Public Engagement").pk)]
    assert renamed == notes[("role", role(RESIDENT).pk)]
    assert ("role", role("Diagnostics").pk) not in notes


def test_comparison_notes_are_the_places_own(logged, bexley, greenwich):
    notes = comparison_notes_for(greenwich.place)
    assert list(notes) == [("role", greenwich.role.pk)]


def test_the_template_comparison_shows_the_feedback_beside_the_reason(logged, team):
    response = signed_in(team).get(reverse("roles:template_comparison", args=["bexley"]))
    page = plain(response.content.decode())
    assert (
        "Feedback: 9 Dec 2021, Governing Body Bexley Lead GPs: Addition of Frailty role and aligning with care homes"
        in page
    )
    # The renamed row shows its feedback once, though the point links both the role and its template role.
    assert page.count("Feedback: 10 Jan 2022, Bexley Care Senior Leadership Team: Resident participation") == 1
    gps = logged["Governing Body Bexley Lead GPs"]
    assert f'href="{engagement_url("engagement")}?event={gps.pk}#event-{gps.pk}"' in response.content.decode()


def test_the_template_comparison_reads_the_same_number_of_queries_however_much_feedback(bexley, team):
    client = signed_in(team)
    url = reverse("roles:template_comparison", args=["bexley"])
    roles, templates = list(bexley.roles.all()), list(TemplateRole.objects.filter(ics=bexley.ics))
    _events(bexley, 1, roles, templates)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _events(bexley, 20, roles, templates)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large)


# --- Fuzzing -------------------------------------------------------------------------------------


class EngagementFuzzer(Fuzzer):
    """tests/test_fuzz.py's `Fuzzer` on the demo's Bexley log (part of Table 2) with these users:
    Bexley's place team, SEL's ICS administrator and a superuser (who keep it), Bexley's board
    secretariat and HR recruiter (who read it: 403) and Greenwich's place team (404)."""

    def __init__(self):
        bexley = Place.objects.get(slug="bexley")
        greenwich = Place.objects.get(slug="greenwich")
        team = user("bexley-team")
        self.events = list(table2(bexley, team).values())
        self.points = list(FeedbackPoint.objects.filter(event__place=bexley))
        other_role = RoleFactory(place=greenwich, title="Greenwich Frailty Lead")
        other = EngagementEvent.objects.create(place=greenwich, held_on=dt.date(2021, 12, 14), group="Greenwich LCP")
        other_point = FeedbackPoint.objects.create(event=other, text="Frailty", action=A.ADDED)
        other_point.roles.set([other_role])
        self.events.append(other)
        self.points.append(other_point)
        users = {
            "team": team,
            "ics_admin": user("ics-admin"),
            "root": get_user_model().objects.create(username="root", is_staff=True, is_superuser=True),
            "secretariat": user("secretariat"),
            "hr": user("hr-recruiter"),
            "other_team": member(AccessKind.PLACE_TEAM, place=greenwich, username="gina"),
        }
        self.clients = {name: Client() for name in users}
        for name, who in users.items():
            self.clients[name].force_login(who)
        self.place_slugs = ["bexley"] * 6 + ["greenwich", "nowhere"]
        self.baseline = fingerprint()
        self.ids = [str(other_role.pk), str(other.pk), str(other_point.pk), "999999"]
        self.ids += [str(pk) for pk in TemplateRole.objects.exclude(ics__slug="sel").values_list("pk", flat=True)]
        self._memo: dict = {}


USERS = weighted(
    (5, st.just("team")),
    (2, st.just("ics_admin")),
    (1, st.just("root")),
    (1, st.just("secretariat")),
    (1, st.just("hr")),
    (1, st.just("other_team")),
)


@pytest.fixture
def fuzzer(demo, caplog):
    caplog.set_level(logging.CRITICAL, logger="django.request")
    return EngagementFuzzer()


@fuzz
@given(data=st.data())
def test_no_generated_engagement_form_makes_a_500_or_writes_on_refusal(fuzzer, data):
    who = data.draw(USERS, label="user")
    slug = data.draw(st.sampled_from(fuzzer.place_slugs), label="place")
    kind = data.draw(st.sampled_from(["event_new", "event_edit", "point_new", "point_edit", "delete"]), label="door")
    event = data.draw(st.sampled_from(fuzzer.events), label="event")
    point = data.draw(st.sampled_from(fuzzer.points), label="point")
    # The forms as the place team sees them on Bexley's first event and point: the body a person sends.
    event_form = fuzzer.form_on("team", engagement_url("engagement_event_edit", "bexley", fuzzer.events[0].pk))
    point_form = fuzzer.form_on("team", engagement_url("engagement_point_edit", "bexley", fuzzer.points[0].pk))
    if kind == "event_new":
        url, form = engagement_url("engagement_event_new", slug), event_form
    elif kind == "event_edit":
        url, form = engagement_url("engagement_event_edit", slug, event.pk), event_form
    elif kind == "point_new":
        url, form = engagement_url("engagement_point_new", slug, event.pk), point_form
    elif kind == "point_edit":
        url, form = engagement_url("engagement_point_edit", slug, point.pk), point_form
    else:
        name = data.draw(st.sampled_from(["engagement_event_delete", "engagement_point_delete"]), label="delete")
        target = event if name == "engagement_event_delete" else point
        url, form = engagement_url(name, slug, target.pk), Form({}, {})
    fuzzer.send(who, "POST", url, fuzzed(data, form))


@fuzz
@given(
    order=st.one_of(st.sampled_from(["oldest", "newest", "", "NEWEST"]), st.text(max_size=20)),
    extra=st.dictionaries(
        st.sampled_from(["page", "event"]),
        st.one_of(st.sampled_from(["1", "2", "last", "0", "-1", "99999999999999999999"]), st.text(max_size=20)),
    ),
    event=st.none() | st.integers(min_value=0, max_value=3),
)
def test_no_order_page_or_event_of_the_log_makes_a_500(fuzzer, order, extra, event):
    """The log's order, page and the event to open it at (Bexley's, Greenwich's, or no such event)."""
    if event is not None:
        extra = {**extra, "event": str(fuzzer.events[-1 if event == 3 else event].pk)}
    fuzzer.send("secretariat", "GET", engagement_url("engagement"), {"order": order, **extra})


def test_the_fuzzer_reads_the_forms_it_fuzzes(fuzzer):
    form = fuzzer.form_on("team", engagement_url("engagement_point_edit", "bexley", fuzzer.points[0].pk))
    assert {"text", "action", "roles", "template_roles", "order"} <= set(form.strategies)
    assert app_form(fuzzer.clients["secretariat"].get(engagement_url("engagement_event_new"))) is None


def test_readers_see_the_log_without_the_keepers_links(logged):
    html = signed_in("secretariat").get(engagement_url("engagement")).content.decode()
    assert "Governing Body Bexley Lead GPs" in html
    assert "Add an event" not in html and "/edit/" not in html


def test_feedback_text_is_escaped_wherever_it_is_shown(bexley, team):
    event = engagement.event_save(place=bexley, values={"held_on": dt.date(2022, 1, 4), "group": "<b>Hub</b>"}, by=team)
    engagement.point_save(
        event=event, values={"text": "<script>alert(1)</script>", "action": A.ADDED, "roles": [role(FRAILTY)]}, by=team
    )
    client = signed_in(team)
    for url in (
        engagement_url("engagement"),
        role(FRAILTY).get_absolute_url(),
        reverse("roles:template_comparison", args=["bexley"]),
    ):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html, url
        assert "<b>Hub</b>" not in html, url


def test_every_part_of_a_feedback_point_is_escaped_in_the_log():
    from types import SimpleNamespace as Row

    from governance.templatetags.engagement_tags import action_badge, feedback_points

    hostile = '<img src=x onerror="alert(1)">'
    point = Row(
        pk=7,
        text=hostile,
        action="added",
        get_action_display=lambda: hostile,
        action_note=hostile,
        role_list=[Row(path='/roles/1/"><script>', title=hostile)],
        template_list=[Row(title=hostile)],
        edit_path="/edit/7/",
    )
    html = feedback_points(Row(point_list=[point]), True)
    assert "<img" not in html and "<script>" not in html and html.count("&lt;img src=x") == 5
    assert '<li class="mb-1" id="point-7">' in html and 'href="/edit/7/"' in html
    assert 'href="/roles/1/&quot;&gt;&lt;script&gt;"' in html
    assert feedback_points(Row(point_list=[]), False) == '<li class="text-muted">No feedback points recorded.</li>'
    assert action_badge("renamed", "Renamed", tally=3, extra="fs-6", data=True) == (
        '<span class="badge text-bg-primary fs-6 action-renamed" data-action="renamed">Renamed: 3</span>'
    )
