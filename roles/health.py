"""`GET /health/`: can this deployment do its work? For load balancers, containers and people.

Three checks, each a few milliseconds, each answering for itself:

    database  the database answers `SELECT 1`
    broker    with REDIS_URL, Redis answers a PING within a second; with the embedded development
              broker (no REDIS_URL) there is nothing to reach, and the check says so and passes
    beat      beat's heartbeat (`roles.beat_heartbeat`, sent every BEAT_HEARTBEAT_SECONDS) was sent
              less than HEALTH_BEAT_MAX_AGE seconds ago, as its periodic task's last run records

200 when all pass; 503 naming the ones that failed. A check that raises counts as failed, so the
page never answers 500. The page needs no login, is never cached, and says no more than each
check's outcome: the error behind a failure (which may name hosts) goes to the log, not the page.
Why beat is judged by its periodic task's last run: docs/decisions.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_celery_beat.models import PeriodicTask

log = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.0
IS_BEAT_RUNNING = "is `celery -A leadership beat` running?"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str


@dataclass(frozen=True)
class Result:
    ok: bool
    detail: str
    ms: float


def database_check() -> Outcome:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Outcome(True, f"{connection.vendor} answered")


def broker_check() -> Outcome:
    if not settings.REDIS_URL:
        return Outcome(True, "embedded filesystem broker (development only: set REDIS_URL in production)")
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()
    return Outcome(True, "Redis answered")


def beat_check() -> Outcome:
    allowed = settings.HEALTH_BEAT_MAX_AGE
    last_run = (
        PeriodicTask.objects.filter(name=settings.BEAT_HEARTBEAT_TASK).values_list("last_run_at", flat=True).first()
    )
    if last_run is None:
        return Outcome(False, f"no heartbeat from beat on record: {IS_BEAT_RUNNING}")
    age = (timezone.now() - last_run).total_seconds()
    if age > allowed:
        return Outcome(False, f"last heartbeat {age:.0f} s ago, more than the {allowed} s allowed: {IS_BEAT_RUNNING}")
    return Outcome(True, f"last heartbeat {max(age, 0):.0f} s ago ({allowed} s allowed)")


CHECKS: dict[str, Callable[[], Outcome]] = {"database": database_check, "broker": broker_check, "beat": beat_check}


def health_checks_run() -> dict[str, Result]:
    """Run every check; one that raises is a failure named by the error's kind (the error is logged)."""
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            outcome = check()
        except Exception as error:  # noqa: BLE001 - any failure of a check is that check failing
            log.warning("health check %s failed: %s: %s", name, type(error).__name__, error)
            outcome = Outcome(False, f"{type(error).__name__} (details in the log)")
        else:
            if not outcome.ok:
                log.warning("health check %s failed: %s", name, outcome.detail)
        results[name] = Result(outcome.ok, outcome.detail, round((time.perf_counter() - started) * 1000, 1))
    return results


@login_not_required
@never_cache
@require_safe
def health(request):
    """200 with every check's outcome when all pass; 503 naming those that failed."""
    results = health_checks_run()
    failing = [name for name, result in results.items() if not result.ok]
    body = {
        "status": "failing" if failing else "ok",
        "failing": failing,
        "checks": {name: asdict(result) for name, result in results.items()},
    }
    return JsonResponse(body, status=503 if failing else 200)
