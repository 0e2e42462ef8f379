"""`GET /health/` (roles/health.py): 200 when the database, the broker and beat are well, 503 naming
what is not, never a 500, no login, never cached. On the suite's own database (SQLite or
PostgreSQL); a Redis that does not answer is a closed port, a database that does not answer is a
subprocess given one that cannot be opened. The same page served by gunicorn beside a real worker
and beat: tests/test_production.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db

HEALTH = "/health/"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def beat_last_ran(seconds_ago: float | None) -> None:
    """Beat's heartbeat as beat records it: its periodic task's last run, `seconds_ago` (None: never)."""
    every, _ = IntervalSchedule.objects.get_or_create(
        every=settings.BEAT_HEARTBEAT_SECONDS, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update_or_create(
        name=settings.BEAT_HEARTBEAT_TASK,
        defaults={
            "task": "roles.beat_heartbeat",
            "interval": every,
            "last_run_at": None if seconds_ago is None else timezone.now() - dt.timedelta(seconds=seconds_ago),
        },
    )


@pytest.fixture
def embedded_broker(settings):
    """The development broker: nothing to reach, so the broker check passes and says why."""
    settings.REDIS_URL = ""


def test_all_well_answers_200_with_each_check_to_anyone_and_is_never_cached(client, embedded_broker):
    beat_last_ran(seconds_ago=20)

    response = client.get(HEALTH)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "beat": True,
    }
    assert body["checks"]["broker"]["detail"].startswith("embedded filesystem broker (development only")
    assert body["checks"]["beat"]["detail"] == f"last heartbeat 20 s ago ({settings.HEALTH_BEAT_MAX_AGE} s allowed)"


def test_redis_not_answering_is_a_503_naming_the_broker_without_saying_where_it_is(client, settings):
    beat_last_ran(seconds_ago=5)
    settings.REDIS_URL = CLOSED_PORT_REDIS

    response = client.get(HEALTH)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["failing"] == ["broker"]
    assert body["checks"]["broker"] == {
        "ok": False,
        "detail": "ConnectionError (details in the log)",
        "ms": body["checks"]["broker"]["ms"],
    }
    assert "127.0.0.1" not in response.content.decode()


def test_a_heartbeat_older_than_allowed_is_a_503_naming_beat(client, embedded_broker, settings):
    settings.HEALTH_BEAT_MAX_AGE = 300
    beat_last_ran(seconds_ago=301)

    response = client.get(HEALTH)

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["beat"]
    assert body["checks"]["beat"]["detail"] == (
        "last heartbeat 301 s ago, more than the 300 s allowed: is `celery -A leadership beat` running?"
    )


def test_a_heartbeat_just_inside_the_allowed_age_passes(client, embedded_broker, settings):
    settings.HEALTH_BEAT_MAX_AGE = 300
    beat_last_ran(seconds_ago=295)

    assert client.get(HEALTH).status_code == 200


def test_beat_that_has_never_run_is_a_503_naming_beat(client, embedded_broker):
    beat_last_ran(seconds_ago=None)

    response = client.get(HEALTH)

    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]
    assert response.json()["checks"]["beat"]["detail"].startswith("no heartbeat from beat on record")


def test_no_heartbeat_task_at_all_is_a_503_naming_beat(client, embedded_broker):
    assert not PeriodicTask.objects.filter(name=settings.BEAT_HEARTBEAT_TASK).exists()

    response = client.get(HEALTH)

    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]


def test_a_post_is_refused_with_405_not_a_500(client, embedded_broker):
    assert client.post(HEALTH).status_code == 405


def test_a_health_check_takes_a_few_milliseconds(client, embedded_broker):
    beat_last_ran(seconds_ago=1)
    client.get(HEALTH)  # the first call imports what the checks use
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        assert client.get(HEALTH).status_code == 200
        timings.append((time.perf_counter() - started) * 1000)

    print(f"/health/ median {statistics.median(timings):.1f} ms, slowest {max(timings):.1f} ms")
    assert statistics.median(timings) < 100


def test_a_database_that_cannot_be_opened_is_a_503_naming_it_never_a_500(tmp_path):
    """A real failure, not a stand-in: the settings' database is a file in a folder that does not exist."""
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "response = Client().get('/health/'); "
        "print(json.dumps({'status': response.status_code, 'body': response.json()}))"
    )
    environment = {name: value for name, value in os.environ.items() if name not in ("CI", "REDIS_URL")}
    environment.update(
        DJANGO_SETTINGS_MODULE="leadership.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["failing"] == ["database", "beat"]
    assert answer["body"]["checks"]["database"]["detail"] == "OperationalError (details in the log)"
    assert "health check database failed: OperationalError: unable to open database file" in result.stderr
