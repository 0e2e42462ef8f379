"""Time the ICS-wide board pack and count its queries per table.

    python manage.py bench_board_pack --places 6 --roles 50 --repeat 3

Builds, inside a transaction that is rolled back, an ICS of `--places` places with `--roles` roles each
(with audit rows, budgets, advert rounds, applications, milestones, engagement and decisions); prints
for each format the median time of `--repeat` runs and, for each table, the queries it makes; then
checks that the same counts hold for the same ICS with 10 roles a place and fewer places (a constant
number of queries per table). The target: an ICS-wide export under 2 seconds.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance import packs, reports
from governance.models import AgendaItem, Board, Decision, EngagementEvent, FeedbackPoint, Meeting, Organisation, Vote
from recruitment.models import Application, Milestone, Tranche, When
from roles.models import (
    ICS,
    AdvertRound,
    Budget,
    Function,
    Person,
    Place,
    Profession,
    Role,
    RoleMove,
    RoleStatus,
    RoleType,
    SpatialLevel,
    TemplateRole,
)

AS_OF = dt.date(2022, 9, 30)
TARGET_SECONDS = 2.0


class Rollback(Exception):
    pass


def build_ics(*, places: int, roles: int, slug: str = "bench-ics") -> ICS:
    """An ICS of `places` places (the last its ICS-wide unit) with `roles` roles each and what a board
    pack reads about them. Bulk inserts: a few hundred queries whatever the size."""
    ics = ICS.objects.create(name=f"Bench ICS {slug}", slug=slug, short_name="BENCH")
    level = SpatialLevel.objects.get(slug="place")
    functions = list(Function.objects.order_by("order")[:4])
    professions = list(Profession.objects.order_by("order"))
    templates = TemplateRole.objects.bulk_create(
        TemplateRole(ics=ics, title=f"Template role {n}", role_type=RoleType.CLINICAL_CARE, order=n) for n in range(12)
    )
    statuses = [s for s in RoleStatus if s != RoleStatus.ON_HOLD]
    made_at = timezone.make_aware(dt.datetime(2022, 4, 4, 9))
    for p in range(places):
        place = Place.objects.create(
            ics=ics, name=f"Bench place {slug} {p}", slug=f"{slug}-{p}", is_system_wide=p == places - 1
        )
        Budget.objects.bulk_create(
            Budget(place=place, financial_year=year, amount=Decimal("400000"), on_cost_percent=Decimal("13.8"))
            for year in (2021, 2022, 2023)
        )
        people = Person.objects.bulk_create(
            Person(name=f"Bench person {p}-{n}", profession=professions[n % len(professions)]) for n in range(roles)
        )
        made = Role.objects.bulk_create(
            Role(
                place=place,
                title=f"Role {n}" if n % 5 else f'=HYPERLINK("x") {n}',
                role_type=list(RoleType)[n % 3],
                spatial_level=level,
                sessions_per_week=Decimal(1 + n % 4),
                rate_per_session=Decimal("16400"),
                start_date=dt.date(2022, 4, 1) + dt.timedelta(days=n % 90),
                end_date=dt.date(2024, 3, 31),
                status=statuses[n % len(statuses)],
                template_role=templates[n % len(templates)] if n % 3 else None,
                appointee=people[n] if statuses[n % len(statuses)] == RoleStatus.IN_POST else None,
            )
            for n in range(roles)
        )
        for role in made:
            role.functions.add(functions[role.pk % len(functions)])
        RoleMove.objects.bulk_create(
            [
                *(
                    RoleMove(
                        role=r, place=place, role_title=r.title, action="created", to_status="proposed", at=made_at
                    )
                    for r in made
                ),
                *(
                    RoleMove(
                        role=r,
                        place=place,
                        role_title=r.title,
                        from_status="proposed",
                        to_status=r.status,
                        at=made_at + dt.timedelta(days=30),
                    )
                    for r in made
                    if r.status != RoleStatus.PROPOSED
                ),
            ]
        )
        rounds = AdvertRound.objects.bulk_create(
            AdvertRound(role=r, number=1, opens_on=dt.date(2022, 5, 3), closes_on=dt.date(2022, 5, 20))
            for r in made[: max(1, roles // 2)]
        )
        Application.objects.bulk_create(
            Application(round=r, person=people[(i + k) % len(people)], candidate_number=k + 1, received_on=r.opens_on)
            for i, r in enumerate(rounds)
            for k in range(3)
        )
        tranche = Tranche.objects.create(place=place, name="Tranche 1")
        Milestone.objects.bulk_create(
            Milestone(
                place=place,
                tranche=tranche,
                title=f"Step {n}",
                when_kind=When.DATE,
                starts_on=dt.date(2022, 2, 1) + dt.timedelta(days=10 * n),
                done_on=dt.date(2022, 2, 1) + dt.timedelta(days=10 * n) if n % 2 else None,
                order=n,
            )
            for n in range(13)
        )
        events = EngagementEvent.objects.bulk_create(
            EngagementEvent(place=place, held_on=dt.date(2021, 12, 1) + dt.timedelta(days=n), group=f"Group {n}")
            for n in range(9)
        )
        points = FeedbackPoint.objects.bulk_create(
            FeedbackPoint(event=e, order=k, text=f"Point {k}", action=FeedbackPoint.Action.ADDED)
            for e in events
            for k in range(2)
        )
        for point, role in zip(points, made, strict=False):
            point.roles.add(role)
        board = Board.objects.create(place=place, name="Board", kind=Board.Kind.BOROUGH_STRATEGIC_BOARD)
        orgs = Organisation.objects.bulk_create(Organisation(board=board, name=f"Org {n}", order=n) for n in range(4))
        for m in range(3):
            meeting = Meeting.objects.create(board=board, held_on=dt.date(2022, 1, 27) + dt.timedelta(days=30 * m))
            item = AgendaItem.objects.create(meeting=meeting, number=1, title="Roles")
            decision = Decision.objects.create(item=item, text="Endorse the roles", by_vote=True, inquorate=m == 2)
            decision.roles.set(made[:5])
            Vote.objects.bulk_create(Vote(decision=decision, organisation=o, choice=Vote.Choice.FOR) for o in orgs)
    return ics


def queries_per_table(scope: reports.Scope, as_of: dt.date) -> dict[str, int]:
    places = scope.places()
    counts = {}
    for report in reports.REPORTS:
        with CaptureQueriesContext(connection) as captured:
            report.rows(scope, as_of, None, places)
        counts[report.key] = len(captured.captured_queries)
    return counts


class Command(BaseCommand):
    help = "Time the ICS-wide board pack (6 places x 50 roles by default) and count its queries per table."

    def add_arguments(self, parser):
        parser.add_argument("--places", type=int, default=6)
        parser.add_argument("--roles", type=int, default=50)
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args, places, roles, repeat, **options):
        if places < 2 or roles < 1 or repeat < 1:
            raise CommandError("Give at least 2 places, 1 role and 1 run.")
        try:
            with transaction.atomic():
                self.run(places, roles, repeat)
                raise Rollback
        except Rollback:
            pass

    def run(self, places, roles, repeat):
        big = reports.Scope.of_ics(build_ics(places=places, roles=roles, slug="bench-big"))
        small = reports.Scope.of_ics(build_ics(places=places, roles=10, slug="bench-small"))
        self.stdout.write(f"Board pack, ICS-wide: {places} places x {roles} roles, as of {AS_OF:%d/%m/%Y}")
        operator = packs.Operator("bench")
        worst = 0.0
        for fmt in packs.FORMATS:
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                _name, file = packs.board_pack(scope=big, as_of=AS_OF, fmt=fmt, by=operator, via="command")
                size = file.seek(0, 2)
                file.close()
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            worst = max(worst, median)
            self.stdout.write(f"  {fmt:<5} {median:6.3f} s (median of {repeat}), {size / 1024:8.1f} KB")
        big_counts = queries_per_table(big, AS_OF)
        small_counts = queries_per_table(small, AS_OF)
        self.stdout.write(f"  Queries per table ({places} x {roles} | {places} x 10):")
        for key, count in big_counts.items():
            self.stdout.write(f"    {key:<18} {count:3d} | {small_counts[key]:3d}")
        same = big_counts == small_counts
        self.stdout.write(
            ("  Query counts are the same at both sizes." if same else "  QUERY COUNTS DIFFER between sizes.")
            + f" Slowest format {worst:.3f} s against a target of {TARGET_SECONDS:.0f} s: "
            + ("met." if worst < TARGET_SECONDS else "MISSED.")
        )
