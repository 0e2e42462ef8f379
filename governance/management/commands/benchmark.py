"""Time the pages against their own SQL: `make bench` runs this.

    python manage.py benchmark --roles 1000 --repeat 5 --json bench.json

First, a synthetic place of `--roles` roles: the place pages' times, and the board and the template
comparison side by side with their bare SQL (the same queries the page made, run again straight on
the database cursor in the same process), with their query count for 20 roles beside the count for
`--roles` (the pages read a constant number of rows).

Then, on the data loaded (the national set of `load_scale`, else the demo's), every page of the app
and the admin that links reach, as each user, each board-pack export and the reminder sweep
(`governance.bench`): rows in scope, queries, median time, the median time of the same SQL run bare,
their ratio, and peak Python memory. `--json FILE` writes those figures as a list of objects with
keys page, rows, queries, median_ms, bare_ms, ratio, peak_kb (and url, meets).

Everything it creates is rolled back: the database is left as it was.
"""

import datetime as dt
import logging
import statistics
import time
import tracemalloc
from contextlib import contextmanager
from decimal import Decimal
from importlib import import_module
from importlib.util import find_spec
from json import dumps
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance import bench
from roles import permissions
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


DEMO_USERS = ("bexley-team", "ics-admin", "hr-recruiter", "secretariat")


def _has_scale() -> bool:
    return find_spec("governance.scale") is not None


class Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """A transaction whatever happens inside is rolled back at the end of."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


class Command(BaseCommand):
    help = "Time the dashboard, role list, board and template comparison for a place with many roles."

    def add_arguments(self, parser):
        parser.add_argument("--roles", type=int, default=500, help="Roles of the synthetic place (0: none).")
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--json", metavar="FILE", help="Also write every page's figures to FILE as JSON.")
        parser.add_argument(
            "--pages",
            choices=["auto", "yes", "no"],
            default="auto",
            help="Time every page on the data loaded (auto: when there is a place with roles to time).",
        )
        parser.add_argument("--place", help="The place whose pages are timed (default: the largest).")
        parser.add_argument(
            "--users", help="Comma-separated usernames to walk the site as (default: the scale or demo users)."
        )

    def handle(self, *args, roles, repeat, json, pages, place, users, **options):
        figures: list[bench.Figure] = []
        # Each part in its own transaction, rolled back: the pages are timed on the data loaded only.
        if roles:
            with rolled_back():
                self.run(roles, repeat)
        if pages != "no":
            # The walk meets links a user may not follow (403s, which Django logs with a traceback each).
            request_log = logging.getLogger("django.request")
            level = request_log.level
            request_log.setLevel(logging.ERROR)
            try:
                with rolled_back():
                    figures = self.every_page(repeat, place_slug=place, usernames=users, required=pages == "yes")
            finally:
                request_log.setLevel(level)
        if json:
            Path(json).write_text(dumps([f.as_dict() for f in figures], indent=1))
            self.stdout.write(f"\nWrote {len(figures)} figures to {json}.")

    def every_page(self, repeat, *, place_slug, usernames, required) -> list[bench.Figure]:
        place = (
            Place.objects.filter(slug=place_slug).first()
            if place_slug
            else Place.objects.annotate(n=Count("roles")).order_by("-n", "pk").first()
        )
        if place is None or (place_slug is None and not place.roles.exists()):
            if required or place_slug:
                raise CommandError(
                    f"There is no place “{place_slug}” to time: load data first (`python manage.py load_scale`)."
                    if place_slug
                    else "There is no place with roles to time: load data first (`python manage.py load_scale`)."
                )
            self.stdout.write("\nNo data loaded to time every page on: run `python manage.py load_scale` first.")
            return []
        users = self.users(place, usernames)
        # The national set stands as on its own day: the sweep and the packs are timed as on it.
        scale = import_module("governance.scale") if _has_scale() else None
        today = scale.AS_OF if scale and place.slug.startswith(scale.PREFIX) else timezone.localdate()
        self.stdout.write(
            f"\nEvery page, as {', '.join(u.username for u in users)}; {place.name} ({place.roles.count()} roles) "
            f"first; medians of {repeat}; goal: within {bench.GOAL_RATIO}x of the bare SQL or under "
            f"{bench.GOAL_MS} ms, and under {bench.CEILING_MS} ms"
        )
        self.stdout.write(f"CPU reference before: {bench.cpu_reference_ms()} ms (a fixed Python loop; lower is faster)")
        admins = [u for u in users if permissions.may_use_admin(u)]
        self.stdout.write(
            f"  {'page':<62} {'rows':>6} {'queries':>7} {'median':>9} {'bare SQL':>9} {'ratio':>6} {'peak':>9}"
        )
        self.stdout.write(f"  (every page is found first, then timed once in each of {repeat} rounds)")
        self.stdout.flush()
        figures = bench.pages(users, place_slug=place.slug, repeat=repeat, admin_users=admins, report=self.line)
        exporter = next((u for u in users if permissions.may_export_ics_pack(u, place.ics)), None)
        if exporter is not None:
            for figure in bench.exports(exporter, place=place, ics=place.ics, as_of=today, repeat=min(repeat, 3)):
                figures.append(figure)
                self.line(figure)
        figures.append(bench.reminder_sweep(today, repeat=min(repeat, 3)))
        self.line(figures[-1])
        missed = [f for f in figures if not f.meets]
        self.stdout.write(f"  {len(figures) - len(missed)} of {len(figures)} meet the goal.")
        self.stdout.write(f"CPU reference after: {bench.cpu_reference_ms()} ms")
        return figures

    def line(self, f: bench.Figure) -> None:
        self.stdout.write(
            f"  {f.page[:62]:<62} {f.rows:>6} {f.queries:>7} {f.median_ms:>6.1f} ms {f.bare_ms:>6.1f} ms "
            f"{f.ratio:>5.1f}x {f.peak_kb:>6} KB{'' if f.meets else '  MISSES'}"
        )
        self.stdout.flush()

    def users(self, place, usernames):
        User = get_user_model()
        if usernames:
            names = [n.strip() for n in usernames.split(",") if n.strip()]
            found = {u.username: u for u in User.objects.filter(username__in=names)}
            missing = [n for n in names if n not in found]
            if missing:
                raise CommandError(f"No user {', '.join(missing)}: give existing usernames to --users.")
            return [found[n] for n in names]
        names = getattr(import_module("governance.scale"), "BENCH_USERS", ()) if _has_scale() else ()
        # In the order named (the place team first), not the order the database happens to return them.
        users = sorted(User.objects.filter(username__in=names), key=lambda user: names.index(user.username))
        users = users or list(User.objects.filter(username__in=DEMO_USERS).order_by("username"))
        if not users:
            raise CommandError("No users to walk the site as: give --users, or load the demo or scale data.")
        return users

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
