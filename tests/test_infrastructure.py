"""Settings, the database CI uses, and the Celery app's broker."""

import os
import uuid

import pytest
from django.conf import settings
from django.db import connection

from leadership.celery import app


def test_under_ci_the_suite_runs_on_postgresql():
    if os.environ.get("CI", "").lower() != "true":
        pytest.skip("not under CI: the default database is SQLite")
    assert connection.vendor == "postgresql"


def test_celery_reads_its_configuration_from_django_settings():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.timezone == "Europe/London"
    expected = settings.REDIS_URL or "filesystem://"
    assert settings.CELERY_BROKER_URL == expected


def test_uk_formats_and_london_time():
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.LANGUAGE_CODE == "en-gb"
    assert settings.DATE_INPUT_FORMATS[0] == "%d/%m/%Y"


@pytest.mark.redis
def test_a_message_goes_through_the_redis_broker_and_back():
    queue_name = f"leadership-test-{uuid.uuid4().hex}"
    with app.connection_for_write() as conn:
        assert conn.transport_cls == "redis" or conn.transport.driver_type == "redis"
        queue = conn.SimpleQueue(queue_name)
        try:
            queue.put({"milestone": 42})
            message = queue.get(timeout=5)
            message.ack()
            assert message.payload == {"milestone": 42}
        finally:
            queue.clear()
            queue.close()


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "", "DJANGO_SETTINGS_MODULE": "leadership.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_without_redis_a_message_goes_through_the_filesystem_broker_and_back():
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the broker is Redis (tested above)")
    queue_name = f"leadership-test-{uuid.uuid4().hex}"
    with app.connection_for_write() as conn:
        assert conn.transport.driver_type == "filesystem"
        queue = conn.SimpleQueue(queue_name)
        try:
            queue.put({"milestone": 7})
            message = queue.get(timeout=5)
            message.ack()
            assert message.payload == {"milestone": 7}
        finally:
            queue.clear()
            queue.close()
