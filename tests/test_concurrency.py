"""Two people at once, on PostgreSQL's real row locks: an edit racing a move, and two approvals
racing for headroom that holds one of them. (SQLite has no row locks: these skip without PostgreSQL.)"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from roles import services
from roles.costs import FinancialYear
from roles.models import AccessKind, Role, RoleStatus
from roles.selectors import place_dashboard
from tests.factories import BudgetFactory, PlaceFactory, RoleFactory, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
S = RoleStatus
YEAR = FinancialYear(2022)


def year_role(place, title: str) -> Role:
    return RoleFactory(
        place=place,
        title=title,
        start_date=YEAR.start,
        end_date=YEAR.end,
        description="Leads the work for the Local Care Partnership.",
        description_signed_off_on=dt.date(2022, 2, 18),
    )


def at_once(*calls) -> list[str]:
    """Run each call in its own thread (its own database connection), released together; return
    each one's outcome: "ok" or the name of the refusal it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[index] = "ok"
        except services.ChangeRefused as refused:
            outcomes[index] = type(refused).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_an_edit_racing_a_move_fifty_times_never_leaves_status_and_audit_trail_disagreeing():
    place = PlaceFactory(slug="bexley", name="Bexley")
    BudgetFactory(place=place, financial_year=YEAR.start_year, amount=Decimal("1000000"))
    editor = member(AccessKind.PLACE_TEAM, place=place)
    mover = member(AccessKind.PLACE_TEAM, place=place)
    seen = Counter()
    for attempt in range(50):
        role = year_role(place, f"Frailty Lead {attempt}")

        def edit(pk=role.pk, n=attempt):
            # The form was loaded at version 1, before either change.
            services.role_edit(role=Role(pk=pk), values={"title": f"Frailty and Care Homes {n}"}, version=1, by=editor)

        def move(pk=role.pk):
            services.role_move(role=Role.objects.get(pk=pk), to=S.APPROVED, by=mover, expected_status=S.PROPOSED)

        edit_outcome, move_outcome = at_once(edit, move)
        seen[edit_outcome] += 1

        role.refresh_from_db()
        trail = list(role.moves.order_by("version"))
        assert move_outcome == "ok"
        assert role.status == S.APPROVED == trail[-1].to_status
        assert [row.version for row in trail] == list(range(2, role.version + 1))
        if edit_outcome == "ok":
            assert role.title == f"Frailty and Care Homes {attempt}"
            assert [row.action for row in trail] == ["edited", "moved"]
        else:
            assert edit_outcome == "StaleEdit"
            assert role.title == f"Frailty Lead {attempt}"
            assert [row.action for row in trail] == ["moved"]
    print("edit outcomes over 50 races:", dict(seen))
    assert sum(seen.values()) == 50


def test_two_approvals_racing_for_headroom_that_holds_one_give_one_approval(monkeypatch):
    """The place's row lock makes the second approval wait and then see the first. A pause after the
    guard reads the figures makes the race certain rather than lucky: without the lock both guards
    read the same headroom during the pause and both approvals pass (the test then fails)."""
    place = PlaceFactory(slug="greenwich", name="Greenwich")
    BudgetFactory(place=place, financial_year=YEAR.start_year, amount=Decimal("16400.00"))  # one role's year
    team = [member(AccessKind.PLACE_TEAM, place=place) for _ in range(2)]
    first, second = year_role(place, "Urgent Care"), year_role(place, "Maternity")
    pause = threading.Barrier(2)
    read_figures = services.budget_check

    def budget_check_then_pause(**kwargs):
        check = read_figures(**kwargs)
        try:
            pause.wait(timeout=1.5)  # the other approval, if it is not held by the lock, reads now too
        except threading.BrokenBarrierError:
            pass
        return check

    monkeypatch.setattr(services, "budget_check", budget_check_then_pause)

    outcomes = at_once(
        lambda: services.role_move(role=Role.objects.get(pk=first.pk), to=S.APPROVED, by=team[0]),
        lambda: services.role_move(role=Role.objects.get(pk=second.pk), to=S.APPROVED, by=team[1]),
    )

    assert sorted(outcomes) == ["BudgetRefused", "ok"]
    assert Role.objects.filter(place=place, status=S.APPROVED).count() == 1
    assert place_dashboard(place=place, year=YEAR).headroom == Decimal("0.00")


def test_two_recruiters_answering_one_offer_at_once_record_one_answer():
    """Accepted and declined at the same moment (two recruiters, two tabs): one answer wins, the
    other is refused, and the round never holds an accepted offer and a next offer together."""
    from recruitment import services as recruitment
    from recruitment.models import Offer
    from tests.recruiting import RoundSetup

    place = PlaceFactory(slug="bexley", name="Bexley")
    seen = Counter()
    for attempt in range(10):
        setup = RoundSetup(place) if attempt == 0 else RoundSetup.again(place, attempt)
        first, second = setup.add(2, start=attempt * 10 + 1)
        recruitment.applications_shortlist(applications=[first, second], shortlisted=True, by=setup.recruiter)
        recruitment.shortlist_close(round=setup.round, by=setup.recruiter)
        for application in (first, second):
            recruitment.interview_held(application=application, by=setup.recruiter)
        offer = recruitment.offer_make(application=first, by=setup.recruiter)

        outcomes = at_once(
            lambda o=offer, by=setup.recruiter: recruitment.offer_accept(offer=Offer(pk=o.pk, round=o.round), by=by),
            lambda o=offer, by=setup.recruiter: recruitment.offer_decline(offer=Offer(pk=o.pk, round=o.round), by=by),
        )
        assert sorted(outcomes) == ["ChangeRefused", "ok"], outcomes
        statuses = sorted(Offer.objects.filter(round=setup.round).values_list("status", flat=True))
        if outcomes[0] == "ok":
            assert statuses == [Offer.Status.ACCEPTED]
        else:
            assert statuses == [Offer.Status.DECLINED, Offer.Status.MADE]  # the next ranked was offered
        seen[outcomes.index("ok")] += 1
    assert sum(seen.values()) == 10
