"""gunicorn's settings, from the environment (gunicorn reads this file from the working directory).

    PORT              the port to listen on, on every interface (default 8000)
    GUNICORN_BIND     or the whole address, e.g. 127.0.0.1:8000 or unix:/run/leadership.sock
    WEB_CONCURRENCY   worker processes (default 2)
    GUNICORN_THREADS  threads in each worker (default 4): requests served at once = processes x threads
    GUNICORN_TIMEOUT  seconds a request may take before its worker is restarted (default 30)
    GUNICORN_MAX_REQUESTS  restart a worker after this many requests, +/- 10% (default 1000; 0 never)

Logs go where the settings' LOGGING sends them, in its format (LOG_FORMAT): with json, each access
line is a JSON object with method, path, query, status, duration_ms, bytes, remote_addr,
user_agent and request_id (the X-Request-ID header a proxy set, else null).
"""

import os
import sys
from pathlib import Path

# The settings hold the one logging configuration; this file is read before the app is loaded.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from leadership.settings import LOG_FORMAT, LOGGING  # noqa: E402

wsgi_app = "leadership.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10
# The workers' heartbeat files in memory, not on the container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn 25+ opens a control socket in $HOME by default: one path shared by every gunicorn of the
# user (two would fight over it), and a home directory the container's user may not have.
control_socket_disable = True

accesslog = "-"


class AccessFields:
    """Copies the access line's figures from gunicorn's atoms onto the log record, as JSON fields."""

    def filter(self, record):
        atoms = record.args if isinstance(record.args, dict) else {}
        if atoms:

            def atom(key):
                value = atoms[key]
                return None if value in ("-", None) else str(value).replace('\\"', '"')

            record.method = atom("m")
            record.path = atom("U")
            record.query = atom("q")
            record.status = int(atoms["s"]) if str(atoms["s"]).isdigit() else atom("s")
            record.duration_ms = round(atoms["D"] / 1000, 1)
            record.bytes = atoms["B"]
            record.remote_addr = atom("h")
            record.user_agent = atom("a")
            record.request_id = atom("{x-request-id}i")
        return True


if LOG_FORMAT == "json":
    access_log_format = "%(m)s %(U)s %(s)s %(M)sms"
    logconfig_dict = {
        **LOGGING,
        "filters": {"access_fields": {"()": AccessFields}},
        "loggers": {
            **LOGGING["loggers"],
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO",
                "handlers": ["console"],
                "propagate": False,
                "filters": ["access_fields"],
            },
        },
    }
else:
    access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}i)s'
