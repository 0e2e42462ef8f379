"""The workflow through the browser's pages and the admin: move page, board, bulk move, edits under
the budget guard, history, and the admin move actions (see `RoleStatus` for the table of moves).

The service rules themselves are tested in tests/test_workflow.py; here each test drives a page as a
user would (or as a forged request would) and checks the answer, the database and what the user is
told. Dates are relative to today, so the "current" financial year is the one the guard checks.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roles import selectors
from roles.costs import FinancialYear
from roles.models import AccessKind, AdvertRound, Membership, Role, RoleMove, RoleStatus
from tests.factories import BudgetFactory, ICSFactory, PlaceFactory, RoleFactory, RoleMoveFactory, member
from tests.helpers import form_body

pytestmark = pytest.mark.django_db

S = RoleStatus
TODAY = timezone.localdate()
YEAR = FinancialYear.containing(TODAY)
SIGNED_OFF = TODAY - dt.timedelta(days=30)
ROLE_CHANGELIST = "/admin/roles/role/"
BOARD_MAX_QUERIES = 10


# --- Helpers --------------------------------------------------------------------------------------


def move_url(role: Role, to: str, place_slug: str | None = None) -> str:
    return reverse("roles:role_move", args=[place_slug or role.place.slug, role.pk, to])


def board_url(place) -> str:
    return reverse("roles:board", args=[place.slug])


def bulk_url(place) -> str:
    return reverse("roles:bulk_move", args=[place.slug])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text_of(response) -> str:
    """The page as a person reads it: entities decoded, tags and runs of white space collapsed."""
    page = html.unescape(response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def element(response, element_id: str) -> str:
    """The HTML of the element with `id` (a table or section), up to its closing tag."""
    page = response.content.decode()
    match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"', page)
    assert match, f"no element with id {element_id!r} on the page"
    tag = match.group(1)
    end = page.index(f"</{tag}>", match.end())
    return page[match.start() : end + len(tag) + 3]


def plain(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(fragment))).strip()


def signed_off_role(place, **fields) -> Role:
    """A proposed role running the whole current financial year, with a signed-off description."""
    values = {
        "place": place,
        "start_date": YEAR.start,
        "end_date": YEAR.end,
        "description": "Leads the work, two sessions a week.",
        "description_signed_off_on": SIGNED_OFF,
    }
    values.update(fields)
    return RoleFactory(**values)


def snapshot(place) -> dict:
    """Everything a move could change for a place: its roles, audit rows, advert rounds, field
    history and dashboard figures for the current year."""
    board = selectors.place_dashboard(place=place, year=YEAR)
    return {
        "roles": list(
            Role.objects.filter(place=place)
            .order_by("pk")
            .values_list("pk", "status", "held_from", "sessions_per_week", "appointee_name", "start_date", "end_date")
        ),
        "moves": RoleMove.objects.count(),
        "move_rows": list(RoleMove.objects.order_by("pk").values_list("pk", "role_id", "from_status", "to_status")),
        "rounds": list(AdvertRound.objects.order_by("pk").values_list("pk", "role_id", "number", "outcome")),
        "history": Role.history.count(),
        "figures": (
            board.committed,
            board.pipeline,
            board.proposed,
            board.headroom,
            board.sessions_used,
            board.sessions_with_proposals,
        ),
    }


def post_move(client, role, to, *, expected=None, place_slug=None, **data):
    body = {"expected_status": expected or role.status, **data}
    return client.post(move_url(role, to, place_slug), body)


@pytest.fixture
def world(db):
    ics = ICSFactory(name="South East London", short_name="SEL", slug="sel")
    bexley = PlaceFactory(ics=ics, name="Bexley", slug="bexley")
    greenwich = PlaceFactory(ics=ics, name="Greenwich", slug="greenwich")
    return SimpleNamespace(ics=ics, bexley=bexley, greenwich=greenwich)


@pytest.fixture
def team(world):
    return member(AccessKind.PLACE_TEAM, place=world.bexley, username="bea", first_name="Bea", last_name="Bexley")


@pytest.fixture
def ics_admin(world):
    return member(AccessKind.ICS_ADMIN, ics=world.ics, username="ida", first_name="Ida", last_name="Admin")


@pytest.fixture
def recruiter(world):
    return member(AccessKind.HR_RECRUITER, place=world.bexley, username="hari", first_name="Hari", last_name="Hr")


@pytest.fixture
def secretariat(world):
    return member(AccessKind.SECRETARIAT, place=world.bexley, username="sam")


# --- The move page ---------------------------------------------------------------------------------


def test_place_team_member_approves_a_role_through_the_move_page(client, world, team):
    role = signed_off_role(world.bexley, title="Frailty Lead")
    client.force_login(team)

    page = client.get(move_url(role, S.APPROVED))

    assert page.status_code == 200
    form = element(page, "move-form")
    assert 'name="expected_status" value="proposed"' in form
    assert 'name="reason"' in form and 'name="board_decision"' in form
    assert 'name="override_reason"' not in form  # the override is for ICS administrators only

    response = post_move(client, role, S.APPROVED, reason="Endorsed by the LCP board")

    assert response.status_code == 302
    assert response.url == role.get_absolute_url()
    role.refresh_from_db()
    assert role.status == S.APPROVED
    move = RoleMove.objects.get(role=role)
    assert (move.by, move.from_status, move.to_status, move.reason) == (
        team,
        S.PROPOSED,
        S.APPROVED,
        "Endorsed by the LCP board",
    )
    detail = client.get(response.url)
    assert "“Frailty Lead” is now approved." in messages_of(detail)
    trail = plain(element(detail, "audit-trail"))
    assert "Bea Bexley" in trail and "Proposed → Approved" in trail and "Endorsed by the LCP board" in trail


@pytest.mark.parametrize(
    ("to", "status", "reason"),
    [
        (S.IN_POST, 400, "cannot move from Proposed to In post"),
        (S.CONTRACTED, 400, "cannot move from Proposed to Contracted"),
        (S.ENDED, 400, "cannot move from Proposed to Ended"),
        ("promoted", 404, None),
    ],
)
def test_a_forged_illegal_move_is_refused_and_changes_nothing(client, world, team, to, status, reason):
    role = signed_off_role(world.bexley, title="Frailty Lead")
    BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("100000"))
    client.force_login(team)
    before = snapshot(world.bexley)

    response = post_move(
        client,
        role,
        to,
        reason="Forged",
        appointee_name="Dr Forged",
        contract_start=YEAR.start.isoformat(),
        contract_end=YEAR.end.isoformat(),
    )

    assert response.status_code == status
    if reason:
        assert any(reason in m for m in messages_of(response))
        assert reason in text_of(response)
    assert snapshot(world.bexley) == before


def test_a_stale_move_form_answers_409_saying_the_role_has_moved(client, world, team):
    role = signed_off_role(world.bexley, title="Frailty Lead", status=S.APPROVED)
    client.force_login(team)
    before = snapshot(world.bexley)

    # The user loaded "Withdraw" while the role was proposed; someone else has approved it since.
    response = post_move(client, role, S.WITHDRAWN, expected=S.PROPOSED, reason="No longer needed")

    assert response.status_code == 409
    (message,) = messages_of(response)
    assert "“Frailty Lead” has moved since you loaded the page: it is now Approved, not Proposed." in message
    assert "has moved since you loaded the page" in text_of(response)
    assert snapshot(world.bexley) == before


@pytest.mark.parametrize("url_place", ["mine", "theirs"])
def test_a_move_on_another_places_role_is_404_and_changes_nothing(client, world, team, url_place):
    theirs = signed_off_role(world.greenwich, title="Greenwich Cancer Lead")
    client.force_login(team)
    slug = world.bexley.slug if url_place == "mine" else world.greenwich.slug
    before = snapshot(world.greenwich)

    got = client.get(move_url(theirs, S.APPROVED, slug))
    posted = post_move(client, theirs, S.APPROVED, place_slug=slug, reason="Forged")

    assert (got.status_code, posted.status_code) == (404, 404)
    assert "Greenwich Cancer Lead" not in posted.content.decode()
    assert snapshot(world.greenwich) == before


@pytest.mark.parametrize(
    ("status", "to"),
    [(S.PROPOSED, S.ON_HOLD), (S.APPROVED, S.WITHDRAWN), (S.SHORTLISTING, S.NOT_APPOINTED)],
)
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_move_that_needs_a_reason_is_refused_without_one(client, world, team, status, to, reason):
    role = signed_off_role(world.bexley, title="Frailty Lead", status=status)
    client.force_login(team)
    before = snapshot(world.bexley)

    response = post_move(client, role, to, reason=reason)

    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert "This field is required." in text_of(response)
    assert snapshot(world.bexley) == before


# --- The budget guard on the move page ------------------------------------------------------------


@pytest.fixture
def tight(world):
    """Bexley with £10,000 this year and a proposed one-session role costing £16,400 this year."""
    BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("10000"))
    return signed_off_role(world.bexley, title="Digital Lead", sessions_per_week=Decimal("1"))


def test_a_move_refused_by_the_budget_guard_answers_409_with_the_figures(client, world, team, tight):
    client.force_login(team)
    before = snapshot(world.bexley)

    response = post_move(client, tight, S.APPROVED, reason="Agreed at the LCP")

    assert response.status_code == 409
    (message,) = messages_of(response)
    assert "Moving “Digital Lead” to Approved would take Bexley over budget." in message
    assert f"{YEAR}: needs £16,400.00, £10,000.00 available" in message
    assert "needs £16,400.00, £10,000.00 available" in text_of(response)
    assert snapshot(world.bexley) == before


def test_only_an_ics_administrator_is_offered_the_budget_override(client, world, team, ics_admin, tight):
    client.force_login(ics_admin)
    admin_page = client.get(move_url(tight, S.APPROVED))
    client.force_login(team)
    team_page = client.get(move_url(tight, S.APPROVED))

    assert 'name="override_reason"' in element(admin_page, "move-form")
    assert "Override the budget guard because" in text_of(admin_page)
    assert 'name="override_reason"' not in element(team_page, "move-form")
    assert "Override the budget guard" not in text_of(team_page)


def test_an_ics_administrator_overrides_the_budget_guard_with_a_reason(client, world, ics_admin, tight):
    client.force_login(ics_admin)

    response = post_move(
        client, tight, S.APPROVED, reason="Agreed at the LCP", override_reason="ICB agreed extra funding in year"
    )

    assert response.status_code == 302
    tight.refresh_from_db()
    assert tight.status == S.APPROVED
    move = RoleMove.objects.get(role=tight)
    assert (move.by, move.budget_override) == (ics_admin, "ICB agreed extra funding in year")
    trail = plain(element(client.get(tight.get_absolute_url()), "audit-trail"))
    assert "Budget guard overridden: ICB agreed extra funding in year" in trail


def test_an_override_reason_forged_by_a_place_team_member_is_ignored(client, world, team, tight):
    client.force_login(team)
    before = snapshot(world.bexley)

    response = post_move(client, tight, S.APPROVED, reason="Agreed", override_reason="I say so")

    assert response.status_code == 409
    assert any("would take Bexley over budget" in m for m in messages_of(response))
    assert snapshot(world.bexley) == before
    assert not RoleMove.objects.exclude(budget_override="").exists()


# --- Who may move ---------------------------------------------------------------------------------


@pytest.mark.parametrize("to", S.values)
def test_secretariat_gets_403_for_every_move(client, world, secretariat, to):
    role = signed_off_role(world.bexley, title="Frailty Lead", status=S.SHORTLISTING)
    client.force_login(secretariat)
    before = snapshot(world.bexley)

    response = post_move(client, role, to, reason="Forged")

    assert response.status_code == 403
    assert snapshot(world.bexley) == before


def test_secretariat_gets_403_for_a_bulk_move(client, world, secretariat):
    roles = [signed_off_role(world.bexley, title=f"Lead {n}") for n in range(2)]
    client.force_login(secretariat)
    before = snapshot(world.bexley)

    response = client.post(bulk_url(world.bexley), {"roles": [r.pk for r in roles], "to": S.APPROVED, "reason": "x"})

    assert response.status_code == 403
    assert snapshot(world.bexley) == before


def test_hr_recruiter_starts_shortlisting_after_the_closing_date(client, world, recruiter):
    role = signed_off_role(world.bexley, title="Frailty Lead", status=S.ADVERTISED)
    AdvertRound.objects.create(
        role=role, number=1, opens_on=TODAY - dt.timedelta(days=29), closes_on=TODAY - dt.timedelta(days=1)
    )
    client.force_login(recruiter)

    response = post_move(client, role, S.SHORTLISTING)

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.status == S.SHORTLISTING
    move = RoleMove.objects.get(role=role)
    assert (move.by, move.from_status, move.to_status) == (recruiter, S.ADVERTISED, S.SHORTLISTING)


@pytest.mark.parametrize(("status", "to"), [(S.PROPOSED, S.APPROVED), (S.ADVERTISED, S.WITHDRAWN)])
def test_hr_recruiter_may_not_approve_or_withdraw(client, world, recruiter, status, to):
    role = signed_off_role(world.bexley, title="Frailty Lead", status=status)
    client.force_login(recruiter)
    before = snapshot(world.bexley)

    response = post_move(client, role, to, reason="Not for HR to decide")

    assert response.status_code == 403
    assert snapshot(world.bexley) == before


# --- The board ------------------------------------------------------------------------------------


def column(response, status) -> str:
    return element(response, f"column-{status}")


def test_the_board_shows_a_column_per_state_with_counts_and_sessions(client, world, team):
    signed_off_role(world.bexley, title="Proposed A", sessions_per_week=Decimal("1"))
    signed_off_role(world.bexley, title="Proposed B", sessions_per_week=Decimal("1.5"))
    signed_off_role(world.bexley, title="Interviews C", sessions_per_week=Decimal("2"), status=S.INTERVIEWING)
    signed_off_role(world.greenwich, title="Not on Bexley's board")
    client.force_login(team)

    response = client.get(board_url(world.bexley))

    assert response.status_code == 200
    page = response.content.decode()
    assert re.findall(r'id="column-(\w+)"', page) == [c.value for c in selectors.BOARD_COLUMNS]
    assert "Not on Bexley" not in page
    proposed = plain(column(response, S.PROPOSED))
    assert proposed.startswith("Proposed 2 · 2.5 sess.")
    assert "Proposed A" in proposed and "Proposed B" in proposed
    assert plain(column(response, S.INTERVIEWING)).startswith("Interviewing 1 · 2 sess.")
    assert plain(column(response, S.APPROVED)) == "Approved 0 · 0 sess. None"


def test_a_board_card_shows_type_sessions_next_date_and_days_in_state(client, world, team):
    closes = TODAY + dt.timedelta(days=10)
    role = signed_off_role(world.bexley, title="Frailty Lead", sessions_per_week=Decimal("2"), status=S.ADVERTISED)
    AdvertRound.objects.create(role=role, number=1, opens_on=TODAY - dt.timedelta(days=5), closes_on=closes)
    RoleMoveFactory(role=role, from_status=S.APPROVED, to_status=S.ADVERTISED, at=timezone.now() - dt.timedelta(days=5))
    client.force_login(team)

    card = plain(column(client.get(board_url(world.bexley)), S.ADVERTISED))

    assert "Frailty Lead" in card
    assert "Clinical / Care · 2 sessions" in card
    assert f"Applications close {closes.day} {closes:%b %Y}" in card
    assert "5 days in this state" in card


def test_quick_moves_on_the_board_are_plain_post_forms(client, world, team):
    role = signed_off_role(world.bexley, title="Frailty Lead", status=S.SHORTLISTING)
    client.force_login(team)

    response = client.get(board_url(world.bexley))

    # One button per quick move submits the page's one POST form (its CSRF token and where to come
    # back to) to the move's address, sending the state the user saw.
    card = column(response, S.SHORTLISTING)
    interview_url = move_url(role, S.INTERVIEWING)
    button = re.search(
        rf'<button type="submit" form="quick-move" formaction="{re.escape(interview_url)}"[^>]*>([^<]*)<', card
    )
    assert button, "the quick move is not a submit button of the quick-move form"
    assert 'name="expected_status" value="shortlisting"' in button.group(0) and button.group(1) == "Start interviews"
    form = re.search(r'<form method="post" id="quick-move">(.*?)</form>', response.content.decode(), re.S)
    assert form, "the board has no quick-move form"
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert f'name="next" value="{board_url(world.bexley)}"' in form.group(1)
    # Moves that need a reason are links to the move page, not one-click forms.
    assert f'href="{move_url(role, S.WITHDRAWN)}"' in card
    assert "onclick" not in card and "<script" not in card

    moved = client.post(interview_url, {"expected_status": S.SHORTLISTING, "next": board_url(world.bexley)})

    assert moved.status_code == 302
    assert moved.url == board_url(world.bexley)
    role.refresh_from_db()
    assert role.status == S.INTERVIEWING


def make_board_place(slug: str, count: int):
    place = PlaceFactory(slug=slug, ics=ICSFactory(slug="sel"))
    BudgetFactory(place=place, financial_year=YEAR.start_year)
    statuses = [S.PROPOSED, S.APPROVED, S.ADVERTISED, S.SHORTLISTING, S.IN_POST, S.ON_HOLD]
    for n in range(count):
        status = statuses[n % len(statuses)]
        role = signed_off_role(
            place, status=status, held_from=S.APPROVED if status == S.ON_HOLD else "", title=f"{slug} role {n}"
        )
        RoleMoveFactory(role=role, from_status="", to_status=status)
        if status == S.ADVERTISED:
            AdvertRound.objects.create(role=role, number=1, opens_on=TODAY, closes_on=TODAY + dt.timedelta(days=9))
    return place


def test_the_board_makes_as_many_queries_for_300_roles_as_for_10(client, world, django_assert_max_num_queries):
    small, large = make_board_place("small", 10), make_board_place("large", 300)
    user = member(AccessKind.PLACE_TEAM, place=small)
    Membership.objects.create(user=user, kind=AccessKind.PLACE_TEAM, place=large)
    client.force_login(user)

    counts = []
    for place in (small, large):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(board_url(place))
        assert response.status_code == 200
        assert response.context["may_move"]  # the move buttons and checkboxes are drawn
        counts.append(len(captured))

    assert counts[0] == counts[1]
    with django_assert_max_num_queries(BOARD_MAX_QUERIES):
        client.get(board_url(large))


# --- Bulk moves -----------------------------------------------------------------------------------


def test_a_bulk_move_approves_three_roles_with_one_reason(client, world, team):
    roles = [signed_off_role(world.bexley, title=f"Tranche lead {n}") for n in range(3)]
    client.force_login(team)

    response = client.post(
        bulk_url(world.bexley),
        {"roles": [r.pk for r in roles], "to": S.APPROVED, "reason": "Tranche 1, Borough Strategic Board"},
    )

    assert response.status_code == 302
    assert response.url == board_url(world.bexley)
    assert set(Role.objects.filter(pk__in=[r.pk for r in roles]).values_list("status", flat=True)) == {S.APPROVED}
    moves = RoleMove.objects.filter(role__in=roles)
    assert moves.count() == 3
    assert {(m.role_id, m.from_status, m.to_status, m.reason, m.by_id) for m in moves} == {
        (r.pk, S.PROPOSED, S.APPROVED, "Tranche 1, Borough Strategic Board", team.pk) for r in roles
    }


def test_a_bulk_move_with_one_blocked_role_moves_none_and_names_it(client, world, team):
    ready = [signed_off_role(world.bexley, title=f"Tranche lead {n}") for n in range(2)]
    blocked = RoleFactory(place=world.bexley, title="Unwritten Lead", start_date=YEAR.start, end_date=YEAR.end)
    client.force_login(team)
    before = snapshot(world.bexley)

    response = client.post(
        bulk_url(world.bexley), {"roles": [r.pk for r in [*ready, blocked]], "to": S.APPROVED, "reason": "Tranche 1"}
    )

    assert response.status_code == 409
    told = " ".join(messages_of(response))
    assert "No role was moved: 1 could not be." in told
    assert "Unwritten Lead: “Unwritten Lead” needs a signed-off role description before it is approved" in told
    assert "Tranche lead" not in told
    assert "“Unwritten Lead” needs a signed-off role description" in text_of(response)
    assert snapshot(world.bexley) == before


def test_a_bulk_move_to_contracted_is_refused_with_a_message(client, world, team):
    roles = [signed_off_role(world.bexley, title=f"Offered lead {n}", status=S.OFFERED) for n in range(2)]
    client.force_login(team)
    before = snapshot(world.bexley)

    response = client.post(
        bulk_url(world.bexley), {"roles": [r.pk for r in roles], "to": S.CONTRACTED, "reason": "Signed"}
    )

    assert response.status_code == 400
    (message,) = messages_of(response)
    assert message == "Record contracts one role at a time: each needs its own appointee and dates."
    assert snapshot(world.bexley) == before


def test_a_bulk_move_with_another_places_role_is_400_and_moves_nothing(client, world, team):
    mine = signed_off_role(world.bexley, title="Bexley lead")
    theirs = signed_off_role(world.greenwich, title="Greenwich lead")
    client.force_login(team)
    before = (snapshot(world.bexley), snapshot(world.greenwich))

    response = client.post(
        bulk_url(world.bexley), {"roles": [mine.pk, theirs.pk], "to": S.APPROVED, "reason": "Tranche 1"}
    )

    assert response.status_code == 400
    assert messages_of(response) == [
        "No role was moved: A ticked role is not one of this place's roles: reload the page and tick again."
    ]
    assert "Greenwich lead" not in response.content.decode()
    assert (snapshot(world.bexley), snapshot(world.greenwich)) == before


# --- Editing: field history and the budget guard ---------------------------------------------------


def edit(client, role, **changes):
    url = reverse("roles:role_edit", args=[role.place.slug, role.pk])
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {**form_body(page.context["form"]), **changes})


def test_the_role_page_shows_who_changed_the_sessions_from_2_to_3(client, world, team):
    role = signed_off_role(world.bexley, title="Frailty Lead", sessions_per_week=Decimal("2"))
    client.force_login(team)

    response = edit(client, role, sessions_per_week="3")

    assert response.status_code == 302, response.context["form"].errors
    role.refresh_from_db()
    assert role.sessions_per_week == Decimal("3")
    history = plain(element(client.get(role.get_absolute_url()), "audit-trail"))
    assert "Bea Bexley Edited Sessions per week : 2 → 3" in history


def test_editing_an_approved_role_over_the_budget_is_refused_with_the_figures(client, world, team):
    BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("32800"))
    role = signed_off_role(world.bexley, title="Frailty Lead", sessions_per_week=Decimal("2"), status=S.APPROVED)
    client.force_login(team)
    before = snapshot(world.bexley)

    response = edit(client, role, sessions_per_week="3")

    assert response.status_code == 409
    (message,) = messages_of(response)
    assert "Saving “Frailty Lead” would take Bexley over budget." in message
    assert f"{YEAR}: needs £49,200.00, £32,800.00 available" in message
    assert "needs £49,200.00, £32,800.00 available" in text_of(response)
    role.refresh_from_db()
    assert role.sessions_per_week == Decimal("2")
    assert snapshot(world.bexley) == before


# --- Admin move actions ---------------------------------------------------------------------------


@pytest.fixture
def staff_admin(world):
    user = member(AccessKind.ICS_ADMIN, ics=world.ics, username="sel_admin", first_name="Ida", last_name="Admin")
    assert user.is_staff
    return user


def test_an_ics_administrator_approves_roles_with_an_admin_action(client, world, staff_admin):
    roles = [signed_off_role(world.bexley, title="Admin tranche A"), signed_off_role(world.greenwich, title="B")]
    client.force_login(staff_admin)
    selected = {"action": "move_to_approved", "_selected_action": [r.pk for r in roles]}

    confirm = client.post(ROLE_CHANGELIST, selected)

    assert confirm.status_code == 200
    assert confirm.templates[0].name == "admin/roles/role/move_action.html"
    page = text_of(confirm)
    assert "Admin tranche A (Bexley)" in page and "B (Greenwich)" in page
    assert not RoleMove.objects.exists()

    response = client.post(ROLE_CHANGELIST, {**selected, "apply": "1", "reason": "ICB approved the tranche"})

    assert response.status_code == 302
    assert messages_of(response) == ["2 roles moved to Approved."]
    assert set(Role.objects.values_list("status", flat=True)) == {S.APPROVED}
    assert {(m.role_id, m.to_status, m.reason, m.by_id) for m in RoleMove.objects.all()} == {
        (r.pk, S.APPROVED, "ICB approved the tranche", staff_admin.pk) for r in roles
    }


def test_an_illegal_admin_move_shows_an_error_and_changes_nothing(client, world, staff_admin):
    role = signed_off_role(world.bexley, title="Frailty Lead")
    client.force_login(staff_admin)
    before = snapshot(world.bexley)

    response = client.post(
        ROLE_CHANGELIST,
        {"action": "move_to_in_post", "_selected_action": [role.pk], "apply": "1", "reason": "Forged"},
    )

    assert response.status_code == 302
    (message,) = messages_of(response)
    assert message.startswith("No role was moved")
    assert "“Frailty Lead” cannot move from Proposed to In post" in message
    assert snapshot(world.bexley) == before


def test_the_status_is_not_editable_in_the_admin_change_form(client, world, staff_admin):
    role = signed_off_role(world.bexley, title="Frailty Lead")
    client.force_login(staff_admin)
    url = f"/admin/roles/role/{role.pk}/change/"

    page = client.get(url)

    form = page.context["adminform"].form
    assert "status" not in form.fields
    assert 'name="status"' not in page.content.decode()
    data = form_body(form)
    for inline in page.context["inline_admin_formsets"]:
        for name, value in inline.formset.management_form.initial.items():
            data[f"{inline.formset.prefix}-{name}"] = str(value)
    data.update(status=S.IN_POST, title="Frailty Lead (renamed)", _save="Save")
    response = client.post(url, data)

    assert response.status_code == 302
    role.refresh_from_db()
    assert (role.title, role.status) == ("Frailty Lead (renamed)", S.PROPOSED)
    (row,) = RoleMove.objects.filter(role=role)
    assert (row.action, row.from_status, row.to_status) == ("edited", S.PROPOSED, S.PROPOSED)
    assert row.changes == [{"field": "title", "name": "title", "old": "Frailty Lead", "new": "Frailty Lead (renamed)"}]


def test_a_move_whose_next_is_not_a_path_goes_back_to_the_role(team_client, place):
    from roles.models import RoleStatus
    from tests.factories import RoleFactory

    role = RoleFactory(place=place, description="Leads.", description_signed_off_on=dt.date(2022, 2, 18))
    for target in ("id", "https://elsewhere.example/", "//elsewhere.example/"):
        role.refresh_from_db()
        response = team_client.post(
            reverse(
                "roles:role_move",
                args=[place.slug, role.pk, RoleStatus.ON_HOLD if role.status == RoleStatus.PROPOSED else "proposed"],
            ),
            {"expected_status": role.status, "reason": "Paused", "next": target},
        )
        assert response.status_code == 302 and response.url == role.get_absolute_url()
