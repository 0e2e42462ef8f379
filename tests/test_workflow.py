"""The workflow service: every allowed move, every forbidden one, the guards, the budget at its
exact boundary, the audit trail, and two people moving one role at once."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from roles import services
from roles.costs import FinancialYear
from roles.models import MOVES, RESUME, AccessKind, AdvertRound, Role, RoleMove, RoleStatus, stage_of
from roles.selectors import place_dashboard
from roles.services import MoveDetails
from tests.factories import BudgetFactory, PlaceFactory, RoleFactory, member

pytestmark = pytest.mark.django_db
S = RoleStatus
TODAY = timezone.localdate()
YEAR = FinancialYear.containing(TODAY)


@pytest.fixture
def place():
    place = PlaceFactory(name="Bexley", slug="bexley")
    BudgetFactory(place=place, financial_year=YEAR.start_year, amount=Decimal("1000000"))
    BudgetFactory(place=place, financial_year=YEAR.start_year + 1, amount=Decimal("1000000"))
    return place


@pytest.fixture
def team(place):
    return member(AccessKind.PLACE_TEAM, place=place, first_name="Bea", last_name="Bexley")


def ready_role(place, status, held_from=""):
    """A role in `status` that meets what every move out of it needs."""
    role = RoleFactory(
        place=place,
        status=status,
        held_from=held_from,
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=300),
        description="Leads frailty work",
        description_signed_off_on=TODAY - dt.timedelta(days=60),
    )
    AdvertRound.objects.create(
        role=role, number=1, opens_on=TODAY - dt.timedelta(days=40), closes_on=TODAY - dt.timedelta(days=1)
    )
    return role


FULL_DETAILS = MoveDetails(
    opens_on=TODAY,
    closes_on=TODAY + dt.timedelta(days=14),
    appointee_name="Dr Ada Lovelace",
    contract_start=TODAY - dt.timedelta(days=1),
    contract_end=TODAY + dt.timedelta(days=300),
)


def allowed_pairs():
    for source, targets in MOVES.items():
        for target in sorted(targets):
            if target == RESUME:
                for held in (S.PROPOSED, S.APPROVED, S.INTERVIEWING, S.NOT_APPOINTED):
                    yield source, held, held
            else:
                yield source, target, ""


def forbidden_pairs():
    for source in S.values:
        allowed = {t for t in MOVES[source] if t != RESUME}
        for target in S.values:
            if target not in allowed and not (source == S.ON_HOLD and target == S.APPROVED):
                yield source, target


@pytest.mark.parametrize(("source", "target", "held_from"), list(allowed_pairs()))
def test_every_allowed_move_is_made_and_audited(place, team, source, target, held_from):
    role = ready_role(place, source, held_from)
    move = services.role_move(role=role, to=target, by=team, reason="Agreed at the T&F group", details=FULL_DETAILS)
    role.refresh_from_db()
    assert role.status == target
    assert (move.from_status, move.to_status, move.by, move.reason) == (source, target, team, "Agreed at the T&F group")
    assert RoleMove.objects.filter(role=role).count() == 1


@pytest.mark.parametrize(("source", "target"), list(forbidden_pairs()))
def test_every_forbidden_move_is_refused_and_changes_nothing(place, team, source, target):
    role = ready_role(place, source, held_from=S.APPROVED if source == S.ON_HOLD else "")
    with pytest.raises(services.IllegalMove) as refused:
        services.role_move(role=role, to=target, by=team, reason="x", details=FULL_DETAILS)
    assert "cannot move from" in refused.value.message
    role.refresh_from_db()
    assert role.status == source
    assert not RoleMove.objects.exists()
    assert AdvertRound.objects.filter(role=role).count() == 1


# --- What each move needs ----------------------------------------------------------------------


def test_approval_needs_a_signed_off_role_description(place, team):
    role = ready_role(place, S.PROPOSED)
    Role.objects.filter(pk=role.pk).update(description_signed_off_on=None)
    role.refresh_from_db()
    with pytest.raises(services.MoveError, match="needs a signed-off role description"):
        services.role_move(role=role, to=S.APPROVED, by=team)
    role.refresh_from_db()
    assert role.status == S.PROPOSED


def test_a_place_that_requires_a_board_decision_gets_one_before_approval(place, team):
    place.requires_board_decision = True
    place.save()
    role = ready_role(place, S.PROPOSED)
    with pytest.raises(services.MoveError, match="needs a board decision"):
        services.role_move(role=role, to=S.APPROVED, by=team)
    decision = "Bexley Strategic Board, 31 Mar 2022: endorse the Bexley role set"
    services.role_move(role=role, to=S.APPROVED, by=team, details=MoveDetails(board_decision=decision))
    role.refresh_from_db()
    assert (role.status, role.board_decision) == (S.APPROVED, decision)


def test_advertising_needs_dates_in_order_and_opens_a_new_round(place, team):
    role = ready_role(place, S.APPROVED)
    with pytest.raises(services.MoveError, match="needs the opening and closing dates"):
        services.role_move(role=role, to=S.ADVERTISED, by=team)
    backwards = MoveDetails(opens_on=dt.date(2022, 3, 4), closes_on=dt.date(2022, 2, 21))
    with pytest.raises(services.MoveError, match="closing date .* is before the opening date"):
        services.role_move(role=role, to=S.ADVERTISED, by=team, details=backwards)
    assert role.advert_rounds.count() == 1
    services.role_move(
        role=role,
        to=S.ADVERTISED,
        by=team,
        details=MoveDetails(opens_on=dt.date(2022, 2, 21), closes_on=dt.date(2022, 3, 4)),
    )
    assert list(role.advert_rounds.values_list("number", "opens_on", "closes_on")) == [
        (1, TODAY - dt.timedelta(days=40), TODAY - dt.timedelta(days=1)),
        (2, dt.date(2022, 2, 21), dt.date(2022, 3, 4)),
    ]


@pytest.mark.parametrize(("closes_in_days", "allowed"), [(1, False), (0, False), (-1, True)])
def test_shortlisting_starts_after_the_closing_date(place, team, closes_in_days, allowed):
    role = ready_role(place, S.ADVERTISED)
    role.advert_rounds.update(closes_on=TODAY + dt.timedelta(days=closes_in_days))
    if allowed:
        services.role_move(role=role, to=S.SHORTLISTING, by=team)
        assert Role.objects.get(pk=role.pk).status == S.SHORTLISTING
    else:
        with pytest.raises(services.MoveError, match="shortlisting can start on"):
            services.role_move(role=role, to=S.SHORTLISTING, by=team)
        assert Role.objects.get(pk=role.pk).status == S.ADVERTISED


def test_a_contract_needs_an_appointee_and_dates_and_sets_the_role_dates(place, team):
    role = ready_role(place, S.OFFERED)
    with pytest.raises(services.MoveError, match="appointee's name and the contract's start and end dates"):
        services.role_move(role=role, to=S.CONTRACTED, by=team, details=MoveDetails(appointee_name="Dr A"))
    start, end = dt.date(2022, 4, 4), dt.date(2024, 3, 31)
    move = services.role_move(
        role=role,
        to=S.CONTRACTED,
        by=team,
        details=MoveDetails(appointee_name="Dr Ada Lovelace", contract_start=start, contract_end=end),
    )
    role.refresh_from_db()
    assert (role.appointee_name, role.start_date, role.end_date) == ("Dr Ada Lovelace", start, end)
    assert move.details == {
        "appointee_name": "Dr Ada Lovelace",
        "contract_start": "2022-04-04",
        "contract_end": "2024-03-31",
    }
    assert role.advert_rounds.get().outcome == AdvertRound.Outcome.APPOINTED


def test_in_post_only_from_the_start_date(place, team):
    role = ready_role(place, S.CONTRACTED)
    Role.objects.filter(pk=role.pk).update(start_date=TODAY + dt.timedelta(days=1))
    with pytest.raises(services.MoveError, match="it can be in post from then"):
        services.role_move(role=role, to=S.IN_POST, by=team)
    Role.objects.filter(pk=role.pk).update(start_date=TODAY)
    services.role_move(role=role, to=S.IN_POST, by=team)
    assert Role.objects.get(pk=role.pk).status == S.IN_POST


def test_ending_early_needs_a_reason_and_stops_the_cost_today(place, team):
    role = ready_role(place, S.IN_POST)
    with pytest.raises(services.MoveError, match="a reason is required"):
        services.role_move(role=role, to=S.ENDED, by=team)
    services.role_move(role=role, to=S.ENDED, by=team, reason="Appointee moved away")
    assert Role.objects.get(pk=role.pk).end_date == TODAY


@pytest.mark.parametrize("target", [S.ON_HOLD, S.WITHDRAWN, S.NOT_APPOINTED])
def test_moves_that_must_say_why(place, team, target):
    role = ready_role(place, S.INTERVIEWING)
    with pytest.raises(services.MoveError, match="a reason is required"):
        services.role_move(role=role, to=target, by=team, reason="   ")
    assert Role.objects.get(pk=role.pk).status == S.INTERVIEWING


def test_not_appointed_then_readvertised_keeps_the_first_round(place, team):
    role = ready_role(place, S.INTERVIEWING)
    services.role_move(role=role, to=S.NOT_APPOINTED, by=team, reason="No appointable candidate")
    services.role_move(
        role=role,
        to=S.ADVERTISED,
        by=team,
        details=MoveDetails(opens_on=TODAY, closes_on=TODAY + dt.timedelta(days=21)),
    )
    rounds = list(role.advert_rounds.values_list("number", "outcome"))
    assert rounds == [(1, AdvertRound.Outcome.NOT_APPOINTED), (2, AdvertRound.Outcome.OPEN)]
    assert list(role.moves.order_by("at", "pk").values_list("to_status", flat=True)) == [S.NOT_APPOINTED, S.ADVERTISED]


def test_on_hold_remembers_where_it_was_and_goes_back(place, team):
    role = ready_role(place, S.SHORTLISTING)
    services.role_move(role=role, to=S.ON_HOLD, by=team, reason="Awaiting ICB establishment")
    role.refresh_from_db()
    assert (role.status, role.held_from) == (S.ON_HOLD, S.SHORTLISTING)
    assert role.allowed_moves() == [S.SHORTLISTING, S.WITHDRAWN]
    with pytest.raises(services.IllegalMove):
        services.role_move(role=role, to=S.INTERVIEWING, by=team)
    services.role_move(role=role, to=S.SHORTLISTING, by=team)
    role.refresh_from_db()
    assert (role.status, role.held_from) == (S.SHORTLISTING, "")


def test_a_role_held_while_proposed_still_counts_as_proposed():
    assert stage_of(S.ON_HOLD, S.PROPOSED) == "proposed"
    assert stage_of(S.ON_HOLD, S.ADVERTISED) == "pipeline"


def test_a_stale_move_is_refused(place, team):
    role = ready_role(place, S.PROPOSED)
    services.role_move(role=role, to=S.APPROVED, by=team)
    with pytest.raises(services.StaleMove, match="has moved since you loaded the page: it is now Approved"):
        services.role_move(role=role, to=S.APPROVED, by=team, expected_status=S.PROPOSED)
    assert RoleMove.objects.count() == 1


def test_someone_who_may_only_read_the_place_cannot_move(place):
    reader = member(AccessKind.SECRETARIAT, place=place)
    role = ready_role(place, S.PROPOSED)
    with pytest.raises(services.MoveNotAllowed):
        services.role_move(role=role, to=S.APPROVED, by=reader)
    assert Role.objects.get(pk=role.pk).status == S.PROPOSED


def test_hr_recruiters_make_the_recruitment_moves_only(place):
    recruiter = member(AccessKind.HR_RECRUITER, place=place)
    role = ready_role(place, S.ADVERTISED)
    services.role_move(role=role, to=S.SHORTLISTING, by=recruiter)
    with pytest.raises(services.MoveNotAllowed):
        services.role_move(role=role, to=S.WITHDRAWN, by=recruiter, reason="x")


# --- The budget guard ------------------------------------------------------------------------


@pytest.fixture
def tight_place():
    """A place whose 2022/23 budget is exactly what one 1-session role costs for the year."""
    place = PlaceFactory(name="Greenwich", slug="greenwich")
    BudgetFactory(place=place, financial_year=2022, amount=Decimal("16400.00"))
    return place


def year_role(place, **fields):
    defaults = {
        "start_date": dt.date(2022, 4, 1),
        "end_date": dt.date(2023, 3, 31),
        "sessions_per_week": 1,
        "description": "d",
        "description_signed_off_on": dt.date(2022, 2, 18),
        "status": S.PROPOSED,
    }
    return RoleFactory(place=place, **{**defaults, **fields})


def test_a_move_that_lands_exactly_on_the_budget_passes(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    role = year_role(tight_place)
    services.role_move(role=role, to=S.APPROVED, by=team)
    board = place_dashboard(place=tight_place, year=FinancialYear(2022))
    assert board.headroom == Decimal("0.00")


def test_a_move_a_penny_over_the_budget_is_refused_with_the_figures(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    tight_place.budgets.update(amount=Decimal("16399.99"))
    role = year_role(tight_place)
    with pytest.raises(services.BudgetRefused) as refused:
        services.role_move(role=role, to=S.APPROVED, by=team)
    assert refused.value.status == 409
    assert refused.value.problems == [
        "2022/23: needs £16,400.00, £16,399.99 available (budget £16,399.99, other roles £0.00)."
    ]
    role.refresh_from_db()
    assert role.status == S.PROPOSED
    assert not RoleMove.objects.exists()
    assert place_dashboard(place=tight_place, year=FinancialYear(2022)).pipeline.total == Decimal("0.00")


def test_the_guard_counts_the_other_roles(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    tight_place.budgets.update(amount=Decimal("32800.00"))
    year_role(tight_place, status=S.IN_POST)
    services.role_move(role=year_role(tight_place), to=S.APPROVED, by=team)
    with pytest.raises(services.BudgetRefused, match="over budget"):
        services.role_move(role=year_role(tight_place, sessions_per_week=Decimal("0.01")), to=S.APPROVED, by=team)


def test_the_session_cap_is_guarded(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    tight_place.budgets.update(amount=Decimal("1000000"), session_cap=Decimal("2"))
    year_role(tight_place, status=S.IN_POST, sessions_per_week=1)
    services.role_move(role=year_role(tight_place, sessions_per_week=1), to=S.APPROVED, by=team)  # lands on 2
    with pytest.raises(services.BudgetRefused) as refused:
        services.role_move(role=year_role(tight_place, sessions_per_week=Decimal("0.5")), to=S.APPROVED, by=team)
    assert refused.value.problems == ["2022/23: up to 2.5 sessions a week against a cap of 2."]


def test_an_ics_administrator_may_override_with_a_reason_which_is_audited(tight_place):
    admin = member(AccessKind.ICS_ADMIN, ics=tight_place.ics)
    tight_place.budgets.update(amount=Decimal("100"))
    role = year_role(tight_place)
    move = services.role_move(role=role, to=S.APPROVED, by=admin, override_reason="Top-up agreed by the ICB, 3 Mar")
    assert move.budget_override == "Top-up agreed by the ICB, 3 Mar"
    assert Role.objects.get(pk=role.pk).status == S.APPROVED


def test_only_an_ics_administrator_may_override(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    tight_place.budgets.update(amount=Decimal("100"))
    role = year_role(tight_place)
    with pytest.raises(services.MoveNotAllowed, match="Only an ICS administrator"):
        services.role_move(role=role, to=S.APPROVED, by=team, override_reason="We need it")
    assert Role.objects.get(pk=role.pk).status == S.PROPOSED


def test_a_year_without_a_budget_is_a_warning_not_a_refusal(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    role = year_role(tight_place, start_date=dt.date(2023, 4, 1), end_date=dt.date(2024, 3, 31))
    move = services.role_move(role=role, to=S.APPROVED, by=team)
    assert Role.objects.get(pk=role.pk).status == S.APPROVED
    assert move.warnings == ["Greenwich has no budget for 2023/24, so that year was not checked."]


def test_a_place_already_over_budget_can_still_move_its_roles_on(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    role = year_role(tight_place, status=S.ADVERTISED)
    AdvertRound.objects.create(role=role, number=1, opens_on=dt.date(2022, 2, 21), closes_on=dt.date(2022, 3, 4))
    tight_place.budgets.update(amount=Decimal("1.00"))  # the budget was cut after approval
    services.role_move(role=role, to=S.SHORTLISTING, by=team)
    assert Role.objects.get(pk=role.pk).status == S.SHORTLISTING


def test_a_longer_contract_is_guarded(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    role = year_role(tight_place, status=S.OFFERED, start_date=dt.date(2022, 10, 1))
    details = MoveDetails(appointee_name="Dr B", contract_start=dt.date(2022, 4, 1), contract_end=dt.date(2023, 3, 31))
    tight_place.budgets.update(amount=Decimal("10000"))
    with pytest.raises(services.BudgetRefused):
        services.role_move(role=role, to=S.CONTRACTED, by=team, details=details)
    role.refresh_from_db()
    assert (role.status, role.start_date, role.appointee_name) == (S.OFFERED, dt.date(2022, 10, 1), "")


# --- Bulk ----------------------------------------------------------------------------------------


def test_a_bulk_move_is_all_or_nothing_and_names_what_blocked(place, team):
    ready = [ready_role(place, S.PROPOSED) for _ in range(2)]
    blocked = ready_role(place, S.PROPOSED)
    Role.objects.filter(pk=blocked.pk).update(description_signed_off_on=None, title="Zeta lead")
    with pytest.raises(services.BulkMoveRefused) as refused:
        services.roles_move(roles=[*ready, Role.objects.get(pk=blocked.pk)], to=S.APPROVED, by=team, reason="T1")
    assert len(refused.value.blocked) == 1
    assert refused.value.problems[0].startswith("Zeta lead: “Zeta lead” needs a signed-off role description")
    assert set(Role.objects.values_list("status", flat=True)) == {S.PROPOSED}
    assert not RoleMove.objects.exists()
    moves = services.roles_move(roles=ready, to=S.APPROVED, by=team, reason="Tranche 1")
    assert [m.reason for m in moves] == ["Tranche 1", "Tranche 1"]


def test_a_bulk_move_adds_up_the_budget_across_the_tranche(tight_place):
    team = member(AccessKind.PLACE_TEAM, place=tight_place)
    tight_place.budgets.update(amount=Decimal("24600.00"))  # room for 1.5 sessions, not 2
    first, second = year_role(tight_place, title="A"), year_role(tight_place, title="B")
    with pytest.raises(services.BulkMoveRefused) as refused:
        services.roles_move(roles=[first, second], to=S.APPROVED, by=team)
    assert [role.title for role, _ in refused.value.blocked] == ["B"]
    assert set(Role.objects.values_list("status", flat=True)) == {S.PROPOSED}


# --- Field history -------------------------------------------------------------------------------


def test_field_changes_are_kept_with_who_made_them(place, team):
    role = ready_role(place, S.PROPOSED)
    saved = services.role_edit(role=role, values={"sessions_per_week": Decimal("3")}, version=1, by=team)
    assert (saved.audit.action, saved.audit.by) == ("edited", team)
    assert saved.audit.changes == [{"field": "sessions per week", "name": "sessions_per_week", "old": "1", "new": "3"}]


# --- Two people at once --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_moving_one_role_at_once_cannot_both_succeed():
    place = PlaceFactory(slug="concurrent")
    BudgetFactory(place=place, financial_year=YEAR.start_year, amount=Decimal("1000000"))
    BudgetFactory(place=place, financial_year=YEAR.start_year + 1, amount=Decimal("1000000"))
    role = ready_role(place, S.PROPOSED)
    people = [member(AccessKind.PLACE_TEAM, place=place) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(person, target):
        try:
            barrier.wait()
            services.role_move(
                role=Role.objects.get(pk=role.pk), to=target, by=person, reason="at once", expected_status=S.PROPOSED
            )
            outcomes.append("moved")
        except services.MoveError as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(people[0], S.APPROVED)),
        threading.Thread(target=attempt, args=(people[1], S.WITHDRAWN)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["StaleMove", "moved"]
    assert RoleMove.objects.filter(role=role).count() == 1
    assert Role.objects.get(pk=role.pk).status in (S.APPROVED, S.WITHDRAWN)


def test_advert_dates_past_the_roles_end_are_refused(place, team):
    role = ready_role(place, S.APPROVED)
    late = MoveDetails(opens_on=role.end_date, closes_on=role.end_date + dt.timedelta(days=1))
    with pytest.raises(services.MoveError, match="after .* ends on"):
        services.role_move(role=role, to=S.ADVERTISED, by=team, details=late)
    assert role.advert_rounds.count() == 1


def test_field_history_is_written_as_people_read_it(place, team):
    from roles.models import SpatialLevel

    role = ready_role(place, S.PROPOSED)
    saved = services.role_edit(
        role=role,
        values={
            "spatial_level": SpatialLevel.objects.get(slug="ics"),
            "rate_per_session": Decimal("20000"),
            "is_critical": True,
            "end_date": dt.date(TODAY.year + 2, 3, 31),
        },
        version=role.version,
        by=team,
    )
    rows = {row["field"]: (row["old"], row["new"]) for row in saved.audit.changes}
    assert rows["spatial level"] == ("Place (LCP)", "ICS body")
    assert rows["rate per session per year (£)"] == ("£16,400.00", "£20,000.00")
    assert rows["critical role that continues"] == ("No", "Yes")
    assert rows["end date"][1] == f"31 Mar {TODAY.year + 2}"
