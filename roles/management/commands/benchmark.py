"""Time the place pages against a place with many roles, and count their queries.

    python manage.py benchmark --roles 1000 --repeat 5

Then the board and the template comparison side by side with their bare SQL: the same queries the
page made, run again straight on the database cursor in the same process, the page's time over the
SQL's (the ratio), and the page's query count for 20 roles beside the count for `--roles` roles
(the pages read a constant number of rows: each board column's first cards, each comparison
section's first rows).

Everything it creates is rolled back: the database is left as it was.
"""

import datetime as dt
import statistics
import time
import tracemalloc
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roles.models import (
    ICS,
    Budget,
    Function,
    Place,
    Role,
    RoleMove,
    RoleStatus,
    RoleType,
    SpatialLevel,
    TemplateRole,
)

PAGES = [
    ("dashboard", "roles:dashboard", "?year=2022"),
    ("role list", "roles:role_list", ""),
    ("role list, filtered and sorted", "roles:role_list", "?status=in_post&sort=-sessions"),
    ("board", "roles:board", ""),
    ("template comparison", "roles:template_comparison", ""),
]


# Pages compared with their bare SQL, and the goal: within 3x of the SQL or under 50 ms.
SIDE_BY_SIDE = [("board", "roles:board"), ("template comparison", "roles:template_comparison")]
GOAL_RATIO, GOAL_MS = 3, 50
SMALL = 20


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the dashboard, role list, board and template comparison for a place with many roles."

    def add_arguments(self, parser):
        parser.add_argument("--roles", type=int, default=500)
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, roles, repeat, **options):
        try:
            with transaction.atomic():
                self.run(roles, repeat)
                raise Rollback
        except Rollback:
            pass

    def run(self, count, repeat):
        ics = ICS.objects.create(name="Benchmark ICS", slug="benchmark-ics")
        templates = TemplateRole.objects.bulk_create(
            TemplateRole(ics=ics, title=f"Template lead {n:02d}", role_type=RoleType.CLINICAL_CARE, order=n)
            for n in range(22)
        )
        place = self.place_with_roles(ics, "benchmark-place", count, templates)
        small = self.place_with_roles(ics, "benchmark-small", SMALL, templates)
        user = get_user_model().objects.create_superuser("benchmark", password="benchmark-pass")
        client = Client()
        client.force_login(user)
        self.stdout.write(f"{count} roles, {repeat} runs each (median, slowest; queries; peak Python memory)")
        for label, name, query in PAGES:
            url = reverse(name, args=[place.slug]) + query
            client.get(url)  # warm up
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200, (url, response.status_code)
            with CaptureQueriesContext(connection) as queries:
                tracemalloc.start()
                client.get(url)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            self.stdout.write(
                f"  {label:<32} {statistics.median(timings) * 1000:7.1f} ms  {max(timings) * 1000:7.1f} ms  "
                f"{len(queries):3d} queries  {peak / 1_000_000:6.1f} MB"
            )
        self.stdout.write(
            f"\nPage beside its bare SQL at {count} roles (medians of {repeat}); queries at {SMALL} and {count} roles"
        )
        for label, name in SIDE_BY_SIDE:
            page_ms, sql_ms, queries = self.side_by_side(client, reverse(name, args=[place.slug]), repeat)
            _, _, small_queries = self.side_by_side(client, reverse(name, args=[small.slug]), 1)
            ratio = page_ms / sql_ms if sql_ms else float("inf")
            met = "meets" if ratio <= GOAL_RATIO or page_ms < GOAL_MS else "MISSES"
            same = "same" if small_queries == queries else "DIFFERENT"
            self.stdout.write(
                f"  {label:<22} page {page_ms:7.1f} ms  bare SQL {sql_ms:6.1f} ms  ratio {ratio:5.1f}x  "
                f"({met} {GOAL_RATIO}x or {GOAL_MS} ms)  "
                f"queries {small_queries} at {SMALL}, {queries} at {count} ({same})"
            )

    def side_by_side(self, client, url, repeat) -> tuple[float, float, int]:
        """The page's median time, the median time of its queries run bare on the cursor, and its query count."""
        client.get(url)  # warm up
        page_times, sql_times = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                page_times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
            statements = [
                q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
            ]
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description:
                        cursor.fetchall()
            sql_times.append(time.perf_counter() - started)
        return statistics.median(page_times) * 1000, statistics.median(sql_times) * 1000, len(statements)

    def place_with_roles(self, ics, slug, count, templates):
        """A place with `count` roles across every state, a third of them adopted from a template role
        (some renamed) and the rest added locally, each with a created row in its audit trail."""
        place = Place.objects.create(ics=ics, name=f"Benchmark place {slug}", slug=slug)
        Budget.objects.create(place=place, financial_year=2022, amount=Decimal("10000000"))
        level = SpatialLevel.objects.get(slug="place")
        functions = list(Function.objects.all()[:3])
        statuses = list(RoleStatus)
        made = Role.objects.bulk_create(
            Role(
                place=place,
                template_role=templates[n % len(templates)] if n % 3 == 0 else None,
                title=(
                    f"{templates[n % len(templates)].title}{' (renamed)' if n % 2 else ''}"
                    if n % 3 == 0
                    else f"Role {n:04d}"
                ),
                role_type=RoleType.CLINICAL_CARE,
                spatial_level=level,
                sessions_per_week=Decimal(1 + n % 3),
                rate_per_session=Decimal("16400"),
                start_date=dt.date(2022, 4, 4),
                end_date=dt.date(2024, 3, 31),
                status=statuses[n % len(statuses)],
            )
            for n in range(count)
        )
        Role.functions.through.objects.bulk_create(
            Role.functions.through(role_id=role.pk, function_id=functions[n % 3].pk) for n, role in enumerate(made)
        )
        RoleMove.objects.bulk_create(
            RoleMove(
                role=role, place=place, role_title=role.title, action=RoleMove.Action.CREATED, to_status=role.status
            )
            for role in made
        )
        return place
