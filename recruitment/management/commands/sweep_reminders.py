"""Run the morning reminder sweep by hand: `manage.py sweep_reminders [--today YYYY-MM-DD]`.

The same sweep as the 06:00 task (`recruitment.reminders.sweep`): it makes the reminders the day
wants that are not made yet, never one twice, and hands them over to be sent. With a worker running
they are queued for it; with none (or `--in-process`) they are sent here, with the task's retries.

    python manage.py sweep_reminders                     # today, queued or sent here
    python manage.py sweep_reminders --today 2022-02-17  # as on another day
    python manage.py sweep_reminders --bench 100000      # time it for 100,000 milestones (rolled back)
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from recruitment.models import Milestone, Reminder, ReminderSettings, When
from recruitment.reminders import CATCH_UP_DAYS, reminders_due, sweep
from roles.costs import EARLIEST_DATE, LATEST_DATE
from roles.formatting import day
from roles.models import ICS, AccessKind, Membership, Place


class Rollback(Exception):
    pass


class QueryCounter:
    """Counts the queries run while it is installed (`connection.execute_wrapper`), but for the
    savepoints the benchmark's own transaction turns each batch's transaction into."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            self.count += 1
        return execute(sql, params, many, context)


def parse_day(text: str) -> dt.date:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or len(text) != 10:
        raise CommandError(
            f"--today “{text}” is not a date: give it as YYYY-MM-DD, e.g. 2022-02-17. Nothing was changed."
        )
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise CommandError(
            f"--today {text} is outside the years this service plans for: give a date from {EARLIEST_DATE} to "
            f"{LATEST_DATE} (YYYY-MM-DD). Nothing was changed."
        )
    return value


def workers_running() -> bool:
    from leadership.celery import app

    try:
        return bool(app.control.ping(timeout=1.0))
    except Exception:  # noqa: BLE001 - no broker is no worker
        return False


class Command(BaseCommand):
    help = (
        "Make the reminders a day wants (milestones, adverts closing, interviews, contracts ending, reviews), "
        "each once, and send them: queued for the worker if one runs, else here."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Sweep as on this day, YYYY-MM-DD (default: today in London).")
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--in-process", action="store_true", help="Send here, even if a worker runs.")
        how.add_argument("--queue", action="store_true", help="Queue for the worker, even if none answers now.")
        parser.add_argument(
            "--bench",
            type=int,
            metavar="N",
            help="Instead: make N milestones, time the sweep and count its queries, and roll everything back.",
        )

    def handle(self, *args, today, in_process, queue, bench, **options):
        on = parse_day(today) if today else timezone.localdate()
        if bench is not None:
            if bench < 1:
                raise CommandError(f"--bench {bench}: give the number of milestones to time, e.g. --bench 100000.")
            return self.bench(bench, on)
        if not (in_process or queue):
            in_process = not workers_running()
            if in_process:
                self.stdout.write("No worker answered: sending here.")
        result = sweep(today=on, in_process=in_process)
        made = ", ".join(f"{count} {Reminder.Kind(kind).label.lower()}" for kind, count in sorted(result.kinds.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Reminders for {day(on)}: {result.wanted} due, {result.new} new" + (f" ({made})" if made else "") + "."
            )
        )
        verb = "sent here" if result.in_process else "queued for the worker"
        self.stdout.write(f"{result.handed_over} {verb}; {result.failed_at_once} could not be sent (see the admin).")
        if result.stale:
            self.stdout.write(f"{result.stale} left waiting by an earlier run were {verb} again.")
        if result.in_process:
            since = on - dt.timedelta(days=CATCH_UP_DAYS)
            counts = dict(
                Reminder.objects.filter(due_on__gte=since, due_on__lte=on)
                .values_list("status")
                .order_by()
                .annotate(n=Count("pk"))
            )
            self.stdout.write(
                f"Reminders for {day(since)} to {day(on)}: {counts.get('sent', 0)} sent, "
                f"{counts.get('failed', 0)} failed."
            )

    def bench(self, count: int, on: dt.date) -> None:
        # Timed as in production: with DEBUG on, Django would also format and keep every query.
        try:
            with override_settings(DEBUG=False), transaction.atomic():
                self.run_bench(count, on)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write("Everything the benchmark made was rolled back.")

    def run_bench(self, count: int, on: dt.date) -> None:
        """N milestones over 100 places, due from a year ago to a month ahead (a tenth done, some TBC,
        weeks and ranges), half with an owner; two team members per place, some places with their own
        days before."""
        started = time.perf_counter()
        ics = ICS.objects.create(name="Benchmark ICS", slug="benchmark-ics-reminders")
        places = Place.objects.bulk_create(
            Place(ics=ics, name=f"Benchmark place {n:03d}", slug=f"benchmark-reminders-{n:03d}") for n in range(100)
        )
        User = get_user_model()
        users = User.objects.bulk_create(
            User(
                username=f"bench-reminders-{n}", email=f"bench{n}@example.nhs.uk", first_name="Bench", last_name=str(n)
            )
            for n in range(200)
        )
        Membership.objects.bulk_create(
            Membership(user=user, kind=AccessKind.PLACE_TEAM, place=places[n // 2]) for n, user in enumerate(users)
        )
        ReminderSettings.objects.bulk_create(
            ReminderSettings(place=place, days_before="14,7,1") for place in places[::10]
        )
        rng = random.Random(2022)
        kinds = [When.DATE] * 6 + [When.WEEK, When.RANGE, When.TBC]
        rows = []
        for n in range(count):
            place_index = n % len(places)
            when = kinds[rng.randrange(len(kinds))]
            starts = on + dt.timedelta(days=rng.randint(-365, 30))
            if when == When.WEEK:
                starts -= dt.timedelta(days=starts.weekday())
            due = starts + dt.timedelta(days=4) if when == When.WEEK else starts
            rows.append(
                Milestone(
                    place=places[place_index],
                    title=f"Milestone {n}",
                    when_kind=when,
                    starts_on=None if when == When.TBC else starts,
                    ends_on=starts + dt.timedelta(days=rng.randint(1, 10)) if when == When.RANGE else None,
                    owner=users[place_index * 2] if n % 2 else None,
                    done_on=due if rng.random() < 0.1 and when != When.TBC else None,
                    order=n % 30,
                )
            )
        Milestone.objects.bulk_create(rows, batch_size=5000)
        late = sum(1 for m in rows if m.is_late(on))
        self.stdout.write(
            f"Made {count:,} milestones in {time.perf_counter() - started:.1f} s ({late:,} of them late and never "
            f"reminded); sweeping {day(on)}."
        )

        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            wanted = reminders_due(on)
            finding = time.perf_counter() - started
        finding_queries = counter.count
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = sweep(today=on, in_process=False)
            took = time.perf_counter() - started
        claim = counter.count - finding_queries
        self.stdout.write(
            f"Finding what is due: {len(wanted):,} reminders in {finding:.2f} s, {finding_queries} queries.\n"
            f"The whole sweep of {count:,} milestones: {took:.2f} s, {counter.count} queries "
            f"({finding_queries} to find, {claim} to claim {result.new:,} new rows in {result.batches} batches "
            f"of up to 1,000 on {connection.vendor})."
        )
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            again = sweep(today=on, in_process=False)
            took = time.perf_counter() - started
        self.stdout.write(
            f"The same day again: {again.wanted:,} wanted, {again.new} new, {took:.2f} s, {counter.count} queries."
        )
