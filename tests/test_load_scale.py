"""`manage.py load_scale`: national-scale data written in bulk through the real models, loaded here at
its `tiny` scale. The rows must be what the services would have written (legal audit trails ending in
each role's state, a history row per version, rounds, applications, offers and contracts that agree
with the roles, plans and reminders, boards and the decisions that approved the roles), so every page
and the admin show them; the same seed gives the same data; a second load refuses; and the demo's
rows are never touched."""

from __future__ import annotations

import shlex
from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse

from governance import scale
from governance.models import Board, Decision, EngagementEvent, FeedbackPoint, Meeting
from recruitment.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Contract,
    Milestone,
    Offer,
    Reminder,
    Score,
    Tranche,
    When,
)
from roles.models import ICS, MOVES, RESUME, AdvertRound, Budget, Person, Place, Role, RoleMove, RoleStatus

pytestmark = pytest.mark.django_db
S, A = RoleStatus, ApplicationStatus
TINY = scale.SCALES["tiny"]


def load_scale(*args) -> str:
    out = StringIO()
    call_command("load_scale", "--scale", "tiny", *args, stdout=out)
    return out.getvalue()


def scale_roles():
    return Role.objects.filter(place__ics__slug__startswith=scale.PREFIX)


def fingerprint() -> dict:
    """What a load wrote, without its primary keys: every role's story, and the number of rows per table."""
    roles = sorted(
        (
            role.place.slug,
            role.title,
            role.status,
            role.held_from,
            str(role.start_date),
            str(role.end_date),
            role.version,
        )
        for role in scale_roles().select_related("place")
    )
    moves = sorted(
        (move.place.slug, move.role_title, move.version, move.to_status, move.at.isoformat(), move.reason)
        for move in RoleMove.objects.filter(place__slug__startswith=scale.PREFIX).select_related("place")
    )
    applications = sorted(
        Application.objects.filter(round__role__place__slug__startswith=scale.PREFIX).values_list(
            "round__role__title", "candidate_number", "person__name", "received_on", "status"
        )
    )
    milestones = sorted(
        Milestone.objects.filter(place__slug__startswith=scale.PREFIX).values_list(
            "title", "when_kind", "starts_on", "ends_on", "done_on", "owner__username"
        ),
        key=str,
    )
    reminders = sorted(Reminder.objects.values_list("kind", "due_on", "email", "subject", "status"))
    counts = {
        model.__name__: model.objects.count()
        for model in (Role, RoleMove, AdvertRound, Application, Score, Milestone, Reminder, Meeting, Decision, Person)
    }
    return {
        "roles": roles,
        "moves": moves,
        "applications": applications,
        "milestones": milestones,
        "reminders": reminders,
        "counts": counts,
    }


def demo_snapshot() -> dict:
    """The demo's rows as they stand: its places' roles, trails, rounds, plans and boards, and its people."""
    demo_places = Place.objects.exclude(slug__startswith=scale.PREFIX)
    return {
        "icss": sorted(ICS.objects.exclude(slug__startswith=scale.PREFIX).values_list("slug", "name")),
        "roles": sorted(
            Role.objects.filter(place__in=demo_places).values_list("pk", "title", "status", "version", "board_decision")
        ),
        "moves": RoleMove.objects.filter(place__in=demo_places).count(),
        "rounds": sorted(AdvertRound.objects.filter(role__place__in=demo_places).values_list("pk", "outcome")),
        "applications": sorted(
            Application.objects.filter(round__role__place__in=demo_places).values_list("pk", "status")
        ),
        "milestones": sorted(Milestone.objects.filter(place__in=demo_places).values_list("pk", "done_on")),
        "boards": Board.objects.filter(place__in=demo_places).count(),
        "decisions": sorted(
            Decision.objects.filter(item__meeting__board__place__in=demo_places)
            .annotate(n=Count("roles"))
            .values_list("pk", "n")
        ),
        "people": sorted(Person.objects.exclude(email__endswith=scale.EMAIL_DOMAIN).values_list("pk", "name")),
        "users": sorted(get_user_model().objects.exclude(username__startswith=scale.PREFIX).values_list("username")),
        "history": Role.history.filter(place__in=demo_places).count(),
    }


# --- Loading, refusing, replacing ---------------------------------------------------------------------------


def test_a_second_load_without_replace_refuses_naming_replace_and_changes_nothing():
    load_scale()
    before = fingerprint()
    with pytest.raises(CommandError, match="--replace"):
        load_scale()
    assert fingerprint() == before


def test_if_missing_loads_when_nothing_is_loaded_and_afterwards_changes_nothing():
    assert "loaded in" in load_scale("--if-missing")
    before = fingerprint()
    assert "nothing to do" in load_scale("--if-missing")
    assert fingerprint() == before


def test_the_same_seed_gives_the_same_data_after_replace_and_another_seed_does_not():
    load_scale("--seed", "7")
    first = fingerprint()
    out = load_scale("--seed", "7", "--replace")
    assert "Removed the scale set" in out
    assert fingerprint() == first
    load_scale("--seed", "8", "--replace")
    assert fingerprint()["roles"] != first["roles"]


def test_loading_and_replacing_the_scale_set_leaves_the_demo_as_it_was(governance_demo):
    before = demo_snapshot()
    load_scale()
    load_scale("--replace")
    assert demo_snapshot() == before
    assert ICS.objects.filter(slug="sel").get().places.count() == 6
    assert Place.objects.filter(slug__startswith=scale.PREFIX, name="Bexley").get().ics.slug == "scale-sel"


def test_removing_the_scale_set_leaves_no_row_of_it_behind_nor_its_history():
    load_scale()
    places = list(Place.objects.filter(slug__startswith=scale.PREFIX).values_list("pk", flat=True))
    with transaction.atomic():
        removed = scale.scale_remove()
    assert sum(removed.values()) > 10_000
    assert not any(scale.scale_present().values())
    for model in (Role, Milestone, Budget, Tranche, Board, EngagementEvent):
        if hasattr(model, "history"):
            assert not model.history.filter(place_id__in=places).exists(), model
    assert not Person.history.filter(email__endswith=scale.EMAIL_DOMAIN).exists()
    assert not RoleMove.objects.filter(place_id__in=places).exists()


# --- The shape of the tiny set (loaded once for the class) --------------------------------------------------


@pytest.fixture(scope="class")
def tiny(django_db_setup, django_db_blocker):
    """The tiny scale set, loaded once for the class in a transaction rolled back afterwards."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_scale", "--scale", "tiny", stdout=StringIO())
        except BaseException:
            # Leave no transaction open behind a failed load: the next tests would run inside it.
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.mark.usefixtures("tiny")
class TestTheTinySet:
    def test_it_has_the_numbers_the_scale_promises(self):
        assert ICS.objects.filter(slug__startswith=scale.PREFIX).count() == TINY.icss
        places = Place.objects.filter(ics__slug__startswith=scale.PREFIX)
        assert places.filter(is_system_wide=False).count() == TINY.places
        assert places.filter(is_system_wide=True).count() == TINY.icss
        assert scale_roles().count() == TINY.roles
        assert Role.objects.filter(place__slug=scale.BIG_PLACE_SLUG).count() == TINY.big_place_roles
        assert Role.objects.filter(place__ics__slug=scale.BIG_ICS_SLUG).count() == TINY.big_ics_roles
        assert Application.objects.filter(round__role__in=scale_roles()).count() == TINY.applications
        assert Milestone.objects.filter(place__in=places).count() == TINY.milestones

    def test_every_state_of_the_workflow_is_present(self):
        assert set(scale_roles().values_list("status", flat=True)) == set(S.values)

    def test_each_roles_audit_trail_is_a_legal_path_of_the_move_table_ending_in_its_state(self):
        trails = defaultdict(list)
        for move in RoleMove.objects.filter(role__in=scale_roles()).order_by("role_id", "version"):
            trails[move.role_id].append(move)
        for role in scale_roles():
            trail = trails[role.pk]
            assert [m.version for m in trail] == list(range(1, role.version + 1)), role.title
            assert trail[0].action == RoleMove.Action.CREATED and trail[0].to_status == S.PROPOSED
            assert trail[-1].to_status == role.status, role.title
            status, held = S.PROPOSED, ""
            for move in trail[1:]:
                assert move.at > trail[0].at
                if move.action == RoleMove.Action.EDITED:
                    assert move.to_status == status and move.changes, role.title
                    continue
                assert move.from_status == status, role.title
                allowed = {held if target == RESUME else target for target in MOVES[status]}
                assert move.to_status in allowed, (role.title, status, move.to_status)
                held = status if move.to_status == S.ON_HOLD else ("" if status == S.ON_HOLD else held)
                status = move.to_status
            assert role.held_from == (held if status == S.ON_HOLD else "")

    def test_each_role_has_one_history_row_per_version_the_last_as_it_stands(self):
        for role in scale_roles():
            history = list(role.history.order_by("history_date", "history_id"))
            assert len(history) == role.version, role.title
            assert history[0].history_type == "+" and history[0].status == S.PROPOSED
            assert (history[-1].status, history[-1].appointee_id) == (role.status, role.appointee_id)

    def test_rounds_agree_with_their_roles(self):
        for role in scale_roles().prefetch_related("advert_rounds"):
            rounds = sorted(role.advert_rounds.all(), key=lambda r: r.number)
            moves = role.moves.filter(to_status=S.ADVERTISED).exclude(from_status=S.ON_HOLD)
            assert len(rounds) == moves.count(), role.title
            if role.status in (S.ADVERTISED, S.SHORTLISTING, S.INTERVIEWING, S.OFFERED):
                assert rounds[-1].outcome == AdvertRound.Outcome.OPEN, role.title
            if role.status in (S.CONTRACTED, S.IN_POST, S.ENDED):
                assert rounds[-1].outcome == AdvertRound.Outcome.APPOINTED, role.title
            if role.status == S.NOT_APPOINTED:
                assert rounds[-1].outcome == AdvertRound.Outcome.NOT_APPOINTED, role.title

    def test_applications_decided_at_shortlisting_were_scored_and_appointments_have_contracts(self):
        decided = Application.objects.filter(round__role__in=scale_roles(), round__shortlist_closed_at__isnull=False)
        scored = decided.exclude(status=A.WITHDRAWN).exclude(received_on__gt=F("round__closes_on"))
        assert scored.exists()
        assert not scored.annotate(n=Count("scores")).filter(n=0).exists()
        interviewed = Application.objects.filter(events__to_status=A.INTERVIEWED, round__role__in=scale_roles())
        assert interviewed.exists()
        assert not interviewed.filter(scores__criterion__stage="interview").distinct().count() < interviewed.count()
        for role in scale_roles().filter(status__in=[S.CONTRACTED, S.IN_POST, S.ENDED]):
            contract = Contract.objects.select_related("offer__application").get(offer__round__role=role)
            assert contract.offer.status == Offer.Status.ACCEPTED
            assert contract.offer.application.status == A.APPOINTED
            assert contract.offer.application.person_id == role.appointee_id
            assert contract.starts_on == role.start_date
        applications = Application.objects.filter(round__role__in=scale_roles())
        last = {}
        for application_id, to_status in (
            ApplicationEvent.objects.filter(application__in=applications, kind=ApplicationEvent.Kind.MOVED)
            .order_by("at", "pk")
            .values_list("application_id", "to_status")
        ):
            last[application_id] = to_status
        for pk, status in applications.values_list("pk", "status"):
            assert last.get(pk, A.RECEIVED) == status, pk

    def test_milestones_use_every_kind_of_time_and_some_reminders_were_sent(self):
        milestones = Milestone.objects.filter(place__ics__slug__startswith=scale.PREFIX)
        assert set(milestones.values_list("when_kind", flat=True)) == set(When.values)
        assert milestones.filter(done_on__isnull=False).exists()
        assert milestones.filter(done_on__isnull=True, starts_on__lt=scale.AS_OF).exists()  # late ones
        assert Tranche.objects.filter(place__ics__slug__startswith=scale.PREFIX).exists()
        assert Milestone.history.filter(id__in=milestones.values("pk")).count() == milestones.count()
        sent = Reminder.objects.filter(place__ics__slug__startswith=scale.PREFIX, status=Reminder.Status.SENT)
        assert sent.exists()
        assert sent.filter(due_on__lt=scale.AS_OF).count() == sent.count()

    def test_every_place_has_boards_meetings_and_decisions_citing_its_approved_roles(self):
        for place in Place.objects.filter(ics__slug__startswith=scale.PREFIX):
            assert place.boards.exists(), place
            assert Meeting.objects.filter(board__place=place).exists(), place
        approved = scale_roles().filter(moves__to_status=S.APPROVED).distinct()
        for role in approved:
            assert role.board_decision
            decision = role.decisions.get()
            assert decision.outcome == Decision.Outcome.AGREED
            assert decision.item.meeting.held_on < role.moves.filter(to_status=S.APPROVED).first().at.date()
            assert role.moves.filter(to_status=S.APPROVED).first().details == {"decision_id": decision.pk}
        assert EngagementEvent.objects.filter(place__ics__slug__startswith=scale.PREFIX).exists()
        assert FeedbackPoint.objects.filter(
            event__place__ics__slug__startswith=scale.PREFIX, roles__isnull=False
        ).exists()

    def test_every_place_has_budgets_for_three_financial_years(self):
        for place in Place.objects.filter(ics__slug__startswith=scale.PREFIX):
            years = set(Budget.objects.filter(place=place).values_list("financial_year", flat=True))
            assert years == set(scale.BUDGET_YEARS), place

    def test_the_load_test_reads_the_big_place_as_scale_users_who_exist(self):
        env = dict(pair.split("=", 1) for pair in shlex.split(scale.load_test_env())[1:])
        assert env["LOAD_PLACE"] == scale.BIG_PLACE_SLUG
        users = env["LOAD_USERS"].split(",")
        assert get_user_model().objects.filter(username__in=users).count() == len(users) >= 2
        assert get_user_model().objects.filter(username__in=scale.BENCH_USERS).count() == len(scale.BENCH_USERS)

    def test_the_users_have_the_scopes_the_benchmark_expects(self):
        assert set(
            get_user_model().objects.filter(username__in=scale.USERNAMES.values()).values_list("username", flat=True)
        ) == set(scale.USERNAMES.values())
        assert user(scale.USERNAMES["superuser"]).is_superuser
        assert user(scale.USERNAMES["ics_admin"]).memberships.get().ics.slug == scale.BIG_ICS_SLUG
        assert user(scale.USERNAMES["place_team"]).memberships.get().place.slug == scale.BIG_PLACE_SLUG

    @pytest.mark.parametrize(
        "who, page",
        [
            ("place_team", "dashboard"),
            ("place_team", "role_list"),
            ("place_team", "board"),
            ("place_team", "template_comparison"),
            ("place_team", "every_role"),
            ("place_team", "boards"),
            ("place_team", "engagement"),
            ("place_team", "plans"),
            ("place_team", "rounds"),
            ("place_team", "my_due"),
            ("ics_admin", "admin_role_change"),
            ("ics_admin", "admin_role_changelist"),
            ("ics_admin", "ics_wide_dashboard"),
            ("hr_recruiter", "every_round"),
            ("secretariat", "board_page"),
            ("secretariat", "every_meeting"),
            ("superuser", "admin_round_change"),
            ("panel_member", "panels"),
        ],
    )
    def test_the_pages_show_the_set_to_the_scale_users(self, client, who, page):
        client.force_login(user(scale.USERNAMES[who]))
        big = Place.objects.get(slug=scale.BIG_PLACE_SLUG)
        roles = Role.objects.filter(place=big).order_by("pk")
        role = roles.filter(status=S.IN_POST).first()
        if page in ("dashboard", "role_list", "board", "template_comparison"):
            urls = [reverse(f"roles:{page}", args=[big.slug])]
        elif page == "every_role":
            urls = [reverse("roles:role_detail", args=[big.slug, r.pk]) for r in roles]
        elif page == "boards":
            urls = [reverse("governance:place_boards", args=[big.slug])]
        elif page == "engagement":
            urls = [reverse("governance:engagement", args=[big.slug])]
        elif page == "plans":
            urls = [reverse("recruitment:place_plans", args=[big.slug])]
            urls += [reverse("recruitment:plan_detail", args=[big.slug, t.pk]) for t in big.tranches.all()[:3]]
        elif page == "rounds":
            urls = [reverse("recruitment:place_rounds", args=[big.slug])]
        elif page == "my_due":
            urls = [reverse("recruitment:my_due"), reverse("recruitment:my_reminders")]
        elif page == "admin_role_change":
            urls = [reverse("admin:roles_role_change", args=[r.pk]) for r in roles[:6]]
            urls += [reverse("admin:roles_role_history", args=[r.pk]) for r in roles[:6]]
        elif page == "admin_role_changelist":
            urls = [
                reverse("admin:roles_role_changelist"),
                reverse("admin:recruitment_application_changelist"),
                reverse("admin:recruitment_reminder_changelist"),
            ]
        elif page == "ics_wide_dashboard":
            unit = Place.objects.get(ics__slug=scale.BIG_ICS_SLUG, is_system_wide=True)
            urls = [reverse("roles:dashboard", args=[unit.slug]), reverse("roles:board", args=[unit.slug])]
        elif page == "every_round":
            urls = [
                reverse("recruitment:round_detail", args=[r.pk]) for r in AdvertRound.objects.filter(role__place=big)
            ]
        elif page == "board_page":
            urls = [
                reverse("governance:board_detail", args=[b.pk])
                for b in Board.objects.filter(place__ics__slug=scale.BIG_ICS_SLUG)
            ]
        elif page == "every_meeting":
            meetings = Meeting.objects.filter(board__place=big, items__decisions__isnull=False).distinct()
            urls = [reverse("governance:meeting_detail", args=[m.pk]) for m in meetings]
            urls += [reverse("governance:decision_detail", args=[d.pk]) for d in role.decisions.all()]
        elif page == "admin_round_change":
            urls = [
                reverse("admin:roles_advertround_change", args=[r.pk])
                for r in AdvertRound.objects.filter(role__place=big)[:4]
            ]
            urls.append(reverse("admin:index"))
        else:
            urls = [reverse("recruitment:my_panels")]
        assert urls
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

    @pytest.mark.parametrize(
        "name",
        [
            "roles:dashboard",
            "roles:role_list",
            "roles:board",
            "roles:template_comparison",
            "recruitment:place_rounds",
            "recruitment:place_plans",
            "recruitment:place_due",
            "governance:place_boards",
            "governance:engagement",
        ],
    )
    def test_a_small_place_and_the_big_place_read_the_same_number_of_queries(self, client, name):
        """Query counts at the national set's shape: the big place's page and a smaller place's, as the
        ICS administrator of both."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(user(scale.USERNAMES["ics_admin"]))
        big = Place.objects.get(slug=scale.BIG_PLACE_SLUG)
        small = (
            Place.objects.filter(ics=big.ics, is_system_wide=False)
            .exclude(pk=big.pk)
            .annotate(n=Count("roles"))
            .filter(n__gt=0)
            .order_by("n")
            .first()
        )
        assert small is not None and small.roles.count() < big.roles.count()
        counts = []
        for place in (small, big):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse(name, args=[place.slug]))
            assert response.status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1], counts
