"""Celery tasks of the catalogue app.

`beat_heartbeat` is beat's heartbeat (`CELERY_BEAT_SCHEDULE` in the settings): beat sends it every
`BEAT_HEARTBEAT_SECONDS` and records the send as the periodic task's last run, which `/health/`
reads (`roles.health`). The task itself has nothing to do.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="roles.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> str:
    """Nothing to do: that beat sent it is the heartbeat."""
    return "ok"
