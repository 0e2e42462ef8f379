"""The production layout without Docker: the very commands of `Procfile.production` (gunicorn, a
Celery worker and beat) started as real processes with the environment a deployment gives them
(DEBUG off, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL), on PostgreSQL and Redis; and the
settings that production switches on by the environment (JSON logs, Sentry, S3 storage).

The processes share the test's database: the test is transactional (what it writes is committed)
and hands them the test database's name (test_test, or test_test_gw0 under xdist). They get a Redis
database of their own, so another test's worker never takes their tasks nor they its.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

PROCFILE = Path(settings.BASE_DIR) / "Procfile.production"
HOST = "leadership.example.nhs.uk"
# What the environment of this machine may hold that a deployment's would not.
NOT_FROM_HERE = (
    "CI",
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "LOG_FORMAT",
    "SENTRY_DSN",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "DJANGO_SETTINGS_MODULE",
)
# Celery prints this to the terminal itself when it stops, not through logging.
CELERY_SHUTDOWN_NOTICE = "worker: Warm shutdown (MainProcess)"


def deployment_environment(**values) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in NOT_FROM_HERE}
    environment.update(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS=HOST, **values)
    return environment


def procfile_commands() -> dict[str, list[str]]:
    """Procfile.production's processes, each program run from this virtualenv (`python -m program`)."""
    commands = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            program, *arguments = shlex.split(command)
            commands[name.strip()] = [sys.executable, "-m", program, *arguments]
    return commands


def test_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def own_redis_url() -> str:
    """The suite's Redis, in a database of this xdist worker's own (10 to 15)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = 10 + int(worker.removeprefix("gw") or 0) % 6
    return settings.REDIS_URL.rsplit("/", 1)[0] + f"/{number}"


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


class Processes:
    """The processes started, each one's output (stdout and stderr) in a file of its own."""

    def __init__(self, folder: Path, environment: dict[str, str]):
        self.folder, self.environment, self.running = folder, environment, {}

    def start(self, name: str, command: list[str]) -> None:
        with (self.folder / f"{name}.log").open("w") as log:
            self.running[name] = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def lines(self, name: str) -> list[str]:
        return (self.folder / f"{name}.log").read_text().splitlines()

    def output(self) -> str:
        return "\n".join(f"--- {name} ---\n" + "\n".join(self.lines(name)[-40:]) for name in self.running)

    def stop(self, name: str) -> int:
        """SIGTERM, as a container stop or systemd sends it; the process's exit code."""
        process = self.running[name]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return -9

    def stop_all(self) -> dict[str, int]:
        return {name: self.stop(name) for name in self.running}


def health(port: int) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health/", headers={"Host": HOST})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for_health(port: int, processes: Processes, seconds: float = 40) -> tuple[int, dict]:
    deadline, answer = time.monotonic() + seconds, (None, {})
    while time.monotonic() < deadline:
        for name, process in processes.running.items():
            assert process.poll() is None, f"{name} stopped with {process.returncode}\n{processes.output()}"
        try:
            answer = health(port)
        except (OSError, ValueError):  # not listening yet
            answer = (None, {})
        if answer[0] == 200:
            return answer
        time.sleep(0.25)
    return answer


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_gunicorn_worker_and_beat_from_the_procfile_answer_healthy_then_name_a_stale_beat(tmp_path):
    port = free_port()
    processes = Processes(
        tmp_path,
        deployment_environment(
            DATABASE_URL=test_database_url(),
            REDIS_URL=own_redis_url(),
            GUNICORN_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS="2",
            CELERY_WORKER_CONCURRENCY="1",
            # A heartbeat a second, so beat is on record within seconds, not within a minute.
            BEAT_HEARTBEAT_SECONDS="1",
        ),
    )
    commands = procfile_commands()
    assert set(commands) == {"web", "worker", "beat"}
    started = time.monotonic()
    try:
        for name, command in commands.items():
            processes.start(name, command)

        status, body = wait_for_health(port, processes)

        print(f"/health/ answered 200 {time.monotonic() - started:.1f} s after the start: {body}")
        assert status == 200, f"{status} {body}\n{processes.output()}"
        assert body["failing"] == []
        assert body["checks"]["database"]["detail"] == "postgresql answered"
        assert body["checks"]["broker"]["detail"] == "Redis answered"
        assert body["checks"]["beat"]["ok"] is True

        # Beat stops, and its last heartbeat is an hour old: the same page now names beat.
        assert processes.stop("beat") == 0, processes.output()
        PeriodicTask.objects.filter(name=settings.BEAT_HEARTBEAT_TASK).update(
            last_run_at=timezone.now() - dt.timedelta(hours=1)
        )
        status, body = health(port)
        assert status == 503
        assert body["status"] == "failing" and body["failing"] == ["beat"]
        assert body["checks"]["beat"]["detail"].startswith("last heartbeat 3600 s ago, more than the 300 s allowed")
    finally:
        exits = processes.stop_all()
    assert exits == {"web": 0, "worker": 0, "beat": 0}, processes.output()

    # Every line each process wrote is one JSON object (but the worker's own goodbye, printed by Celery).
    records = {}
    for name in commands:
        lines = [line for line in processes.lines(name) if line.strip() and line.strip() != CELERY_SHUTDOWN_NOTICE]
        records[name] = [json.loads(line) for line in lines]
        assert records[name], f"{name} logged nothing"
        assert all({"time", "level", "logger", "message"} <= record.keys() for record in records[name])
    access = [record for record in records["web"] if record["logger"] == "gunicorn.access"]
    assert {"method": "GET", "path": "/health/", "status": 200} in [
        {key: record[key] for key in ("method", "path", "status")} for record in access
    ]
    assert all(isinstance(record["duration_ms"], float) for record in access)
    assert any(
        record["logger"] == "celery.app.trace" and "roles.beat_heartbeat" in record["message"]
        for record in records["worker"]
    ), "the worker ran no heartbeat"
    assert any("Sending due task beat-heartbeat" in record["message"] for record in records["beat"])


# The settings production switches on by the environment, read in a fresh process as a deployment's.

SETTINGS_REPORT = """
import json, logging, django
django.setup()
import sentry_sdk
from django.conf import settings
from django.core.files.storage import storages
default_storage = storages["default"]
client = sentry_sdk.get_client()
logging.getLogger("roles").warning("a line", extra={"place": "bexley"})
print(json.dumps({
    "sentry": client.is_active() and {k: client.options[k] for k in ("environment", "release", "send_default_pii")},
    "storage": type(default_storage).__module__ + "." + type(default_storage).__name__,
    "document_url": default_storage.url("role-descriptions/2022/lead.pdf"),
    "static": settings.STORAGES["staticfiles"]["BACKEND"],
    "log_format": settings.LOG_FORMAT,
}))
"""


def settings_report(**values) -> tuple[dict, list[str]]:
    """The report above, from a process with the production environment plus `values`; and its log lines."""
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_REPORT],
        env=deployment_environment(DJANGO_SETTINGS_MODULE="leadership.settings", **values),
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr.splitlines()


def test_with_no_sentry_dsn_and_no_bucket_nothing_is_reported_and_documents_stay_on_disk():
    report, _log = settings_report()

    assert report["sentry"] is False
    assert report["storage"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert report["document_url"] == "/media/role-descriptions/2022/lead.pdf"


def test_with_debug_off_logs_are_one_json_object_a_line_with_the_extra_fields():
    report, log = settings_report()

    assert report["log_format"] == "json"
    records = [json.loads(line) for line in log]
    assert {"level": "WARNING", "logger": "roles", "message": "a line", "place": "bexley"}.items() <= records[
        -1
    ].items()
    assert dt.datetime.fromisoformat(records[-1]["time"]).tzinfo is not None


def test_log_format_text_gives_plain_lines_even_with_debug_off():
    report, log = settings_report(LOG_FORMAT="text")

    assert report["log_format"] == "text"
    assert log[-1].endswith("WARNING roles: a line")


def test_a_sentry_dsn_switches_error_reporting_on_with_its_environment_and_release_and_no_personal_data():
    report, _log = settings_report(
        SENTRY_DSN="https://public@sentry.example.invalid/1", SENTRY_ENVIRONMENT="staging", SENTRY_RELEASE="2026.11.1"
    )

    assert report["sentry"] == {"environment": "staging", "release": "2026.11.1", "send_default_pii": False}


def test_a_bucket_keeps_documents_in_s3_compatible_storage_behind_signed_urls_and_static_files_stay():
    report, _log = settings_report(
        AWS_STORAGE_BUCKET_NAME="leadership-documents",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",  # a closed port: a signed URL is made without a call
        AWS_S3_REGION_NAME="eu-west-2",
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="example-secret",
    )

    assert report["storage"] == "storages.backends.s3.S3Storage"
    assert report["document_url"].startswith("http://127.0.0.1:9/leadership-documents/role-descriptions/2022/lead.pdf?")
    assert "Signature=" in report["document_url"]
    assert report["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT=xml is not a log format"),
        ({"BEAT_HEARTBEAT_SECONDS": "60", "HEALTH_BEAT_MAX_AGE": "90"}, "HEALTH_BEAT_MAX_AGE=90 with BEAT_HEARTBEAT"),
    ],
)
def test_a_setting_that_cannot_work_stops_the_start_and_says_what_to_set(values, message):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=deployment_environment(DJANGO_SETTINGS_MODULE="leadership.settings", **values),
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )

    assert result.returncode != 0
    assert message in result.stderr
