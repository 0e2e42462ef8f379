"""The Celery app, configured from Django settings (keys prefixed CELERY_)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadership.settings")

app = Celery("leadership")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def ensure_filesystem_broker_folders(**kwargs):
    """The filesystem transport (used when REDIS_URL is unset) needs its folders before a task is sent."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@setup_logging.connect
def log_as_django_does(**kwargs):
    """The worker and beat log through the settings' LOGGING, as the web does: JSON lines when
    LOG_FORMAT=json (the default with DEBUG off), plain text otherwise; the level is LOG_LEVEL."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
