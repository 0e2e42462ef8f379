"""Celery tasks: thin, they take ids (or a day) and call `recruitment.reminders`.

`sweep_reminders_task` runs every morning at 06:00 London time (`CELERY_BEAT_SCHEDULE` in the
settings) and hands each new reminder to `send_reminder`. A send that fails (the mail server) is
retried with a growing delay; after the last retry the reminder stays failed, with the reason.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import reminders

SEND_RETRIES = 3


@shared_task(name="recruitment.sweep_reminders")
def sweep_reminders_task(today: str | None = None) -> dict:
    """The morning sweep; `today` ("YYYY-MM-DD") for another day than the real one."""
    result = reminders.sweep(today=dt.date.fromisoformat(today) if today else None)
    return result.as_dict()


@shared_task(
    bind=True,
    name="recruitment.send_reminder",
    autoretry_for=(reminders.SendFailed,),
    max_retries=SEND_RETRIES,
    retry_backoff=60,  # about 1, 2 and 4 minutes (jittered)
    retry_backoff_max=3600,
    retry_jitter=True,
)
def send_reminder(self, reminder_id: int) -> str:
    """Send one reminder (claimed first, so never twice); returns its status."""
    reminder = reminders.reminder_send(pk=reminder_id)
    return reminder.status if reminder else "not ours to send"
