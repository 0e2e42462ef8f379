"""Reminders on the real services: two sweeps racing on PostgreSQL's locks, and a real Celery worker
and beat sending a reminder through Redis. (They skip without PostgreSQL and Redis; under CI they run.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from recruitment import reminders
from recruitment.models import Milestone, Reminder, When
from roles.models import AccessKind, AdvertRound, RoleStatus
from tests.factories import PlaceFactory, RoleFactory, member
from tests.test_concurrency import at_once

D = dt.date
St = Reminder.Status


def bexley_with_a_busy_day():
    """Bexley with two place team members, and on 1 Mar 2022: 20 milestones coming up, due or late
    (half owned), 5 adverts closing and 5 contracts ending: 55 reminders."""
    place = PlaceFactory(name="Bexley", slug="bexley")
    team = [
        member(AccessKind.PLACE_TEAM, place=place, username=f"team{n}", email=f"team{n}@bexley.example.nhs.uk")
        for n in (1, 2)
    ]
    hr = member(AccessKind.HR_RECRUITER, place=place, username="hr", email="hr@sel.example.nhs.uk")
    for n in range(20):
        Milestone.objects.create(
            place=place,
            title=f"Step {n}",
            when_kind=When.DATE,
            starts_on=D(2022, 3, 1) + dt.timedelta(days=(0, 1, 7, -3)[n % 4]),
            owner=team[0] if n % 2 else None,
        )
    for n in range(5):
        role = RoleFactory(place=place, title=f"Advertised {n}", status=RoleStatus.ADVERTISED)
        AdvertRound.objects.create(role=role, number=1, opens_on=D(2022, 2, 21), closes_on=D(2022, 3, 4))
        RoleFactory(
            place=place,
            title=f"Interim {n}",
            status=RoleStatus.IN_POST,
            start_date=D(2021, 7, 1),
            end_date=D(2022, 3, 31),
        )
    return place, team, hr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_make_and_send_each_reminder_once(monkeypatch):
    """Both sweeps work out the day's reminders before either claims one (a barrier holds the first
    until the second has read too), so both try to make every row: PostgreSQL's unique index lets
    one make each, and only the one that made a row sends it."""
    bexley_with_a_busy_day()
    mail.outbox = []
    read = reminders.reminders_due
    both_read = threading.Barrier(2)

    def read_then_wait(today):
        wanted = read(today)
        both_read.wait(timeout=10)
        return wanted

    monkeypatch.setattr(reminders, "reminders_due", read_then_wait)
    results = []

    def sweep():
        results.append(reminders.sweep(today=D(2022, 3, 1), in_process=True, batch_size=7))

    assert at_once(sweep, sweep) == ["ok", "ok"]

    print("rows made by each sweep:", [r.new for r in results])
    rows = Reminder.objects.all()
    assert [r.wanted for r in results] == [55, 55]
    assert sum(r.new for r in results) == rows.count() == 55
    assert sum(r.handed_over for r in results) == 55
    assert set(rows.values_list("status", "attempts")) == {(St.SENT, 1)}
    sent = Counter((m.subject, m.to[0]) for m in mail.outbox)
    assert len(sent) == 55 and set(sent.values()) == {1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_reminder_at_once_send_it_once():
    """A task delivered twice (a worker lost, acks_late redelivers it) or queued by two sweeps: both
    copies run at the same moment, 20 times; the conditional update lets one of them send."""
    place, team, _hr = bexley_with_a_busy_day()
    mail.outbox = []
    outcomes = Counter()
    for n in range(20):
        row = Reminder.objects.create(
            place=place,
            kind=Reminder.Kind.MILESTONE_DUE,
            subject_key=f"milestone:{n}",
            due_on=D(2022, 3, 1),
            recipient=team[0],
            email=team[0].email,
            subject=f"Due today: Step {n} (Bexley)",
        )
        sent = []

        def send(pk=row.pk, sent=sent):
            sent.append(reminders.reminder_send(pk=pk))

        assert at_once(send, send) == ["ok", "ok"]
        outcomes[tuple(sorted(r.status if r else "not ours" for r in sent))] += 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == (St.SENT, 1)
    assert outcomes == {("not ours", St.SENT): 20}
    assert len(mail.outbox) == 20


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    """Celery processes started for a test, their output kept in files, stopped as Ctrl-C would."""

    def __init__(self, folder: Path, env: dict):
        self.folder, self.env, self.running = folder, env, []

    def start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "leadership", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append((name, process))

    def output(self) -> str:
        return "\n".join(f"--- {name} ---\n{(self.folder / f'{name}.log').read_text()}" for name, _p in self.running)

    def stop(self) -> None:
        for _name, process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _name, process in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_deliver_a_reminder_through_redis(tmp_path):
    """Beat runs the sweep (a one-off periodic task every second, as the 06:00 one would), the sweep
    queues the reminder in Redis, the worker sends it by mail (to files here) and marks it sent."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    place = PlaceFactory(name="Bexley", slug="bexley")
    owner = member(AccessKind.PLACE_TEAM, place=place, username="bea", email="bea@bexley.example.nhs.uk")
    Milestone.objects.create(
        place=place, title="Role Descriptions agreed and signed off", starts_on=D(2022, 2, 18), owner=owner
    )
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name=f"reminder test {uuid.uuid4().hex}",
        task="recruitment.sweep_reminders",
        interval=every_second,
        kwargs=json.dumps({"today": "2022-02-17"}),
        one_off=True,
    )
    outbox = tmp_path / "mail"
    env = {
        **os.environ,
        "CI": "true",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": f"filemail:///{outbox}",  # an absolute path: filemail:////tmp/...
        "LOG_LEVEL": "INFO",
    }
    celery = Processes(tmp_path, env)
    name = f"reminders-test-{uuid.uuid4().hex[:8]}@%h"
    try:
        celery.start("worker", "worker", "--pool=solo", "--without-gossip", "--without-mingle", "-n", name)
        celery.start("beat", "beat", "--max-interval=1", "-s", str(tmp_path / "beat-schedule"))
        reminder = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            reminder = Reminder.objects.filter(subject_key__startswith="milestone:", due_on=D(2022, 2, 17)).first()
            if reminder and reminder.status == St.SENT:
                break
            time.sleep(0.5)
        assert reminder is not None and reminder.status == St.SENT, celery.output()
        written = "".join(path.read_text() for path in outbox.glob("*.log"))
        assert "Subject: Due tomorrow: Role Descriptions agreed and signed off (Bexley)" in written
        assert "To: bea@bexley.example.nhs.uk" in written
        morning = PeriodicTask.objects.select_related("crontab").get(name="sweep-reminders")
        assert (morning.crontab.hour, morning.crontab.minute, str(morning.crontab.timezone)) == (
            "6",
            "0",
            "Europe/London",
        )
    finally:
        celery.stop()
