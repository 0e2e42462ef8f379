"""Time the place pages against a place with many roles, and count their queries.

    python manage.py benchmark --roles 500 --repeat 5

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

from roles.models import ICS, Budget, Function, Place, Role, RoleStatus, RoleType, SpatialLevel

PAGES = [
    ("dashboard", "roles:dashboard", "?year=2022"),
    ("role list", "roles:role_list", ""),
    ("role list, filtered and sorted", "roles:role_list", "?status=in_post&sort=-sessions"),
    ("board", "roles:board", ""),
    ("template comparison", "roles:template_comparison", ""),
]


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
        place = Place.objects.create(ics=ics, name="Benchmark place", slug="benchmark-place")
        Budget.objects.create(place=place, financial_year=2022, amount=Decimal("10000000"))
        level = SpatialLevel.objects.get(slug="place")
        functions = list(Function.objects.all()[:3])
        statuses = list(RoleStatus)
        made = Role.objects.bulk_create(
            Role(
                place=place,
                title=f"Role {n:04d}",
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
