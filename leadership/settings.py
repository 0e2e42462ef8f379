"""Settings for the leadership project.

Everything that differs between a laptop, CI and production comes from the environment.
With nothing set, the embedded development defaults apply: DEBUG on, a SQLite file, and a
Celery broker on the local filesystem, so `make run` works with no services at all.

    SECRET_KEY      required when DEBUG is off
    DEBUG           "true"/"false" (default true)
    ALLOWED_HOSTS   comma separated (default localhost names when DEBUG is on)
    DATABASE_URL    e.g. postgres://postgres@127.0.0.1:5432/test (default: sqlite file db.sqlite3)
    REDIS_URL       e.g. redis://127.0.0.1:6379/0 (default: no Redis, filesystem broker)
    CI              "true" under continuous integration: PostgreSQL and Redis become the defaults
    LOG_FORMAT      "json" (one JSON object a line) or "text" (default json when DEBUG is off, else text)
    LOG_LEVEL       the root logger's level (default INFO)

Production processes (Procfile.production, the Dockerfile, compose.yaml; see the README's "Deploying"):

    CELERY_WORKER_CONCURRENCY   worker child processes (default: one a CPU)
    BEAT_HEARTBEAT_SECONDS      how often beat sends its heartbeat task (default 60)
    HEALTH_BEAT_MAX_AGE         /health/ fails when beat's last heartbeat is older than this many
                                seconds (default 300; at least twice BEAT_HEARTBEAT_SECONDS)
    SENTRY_DSN                  report errors to Sentry (default: unset, nothing is sent anywhere);
                                SENTRY_ENVIRONMENT (default "production"), SENTRY_RELEASE,
                                SENTRY_TRACES_SAMPLE_RATE (default 0: errors only)
    AWS_STORAGE_BUCKET_NAME     keep uploaded documents in this S3 bucket (default: unset, files in
                                MEDIA_ROOT); AWS_S3_ENDPOINT_URL for an S3-compatible store,
                                AWS_S3_REGION_NAME, AWS_LOCATION (a prefix), AWS_S3_ADDRESSING_STYLE
                                ("path" for most S3-compatible stores); the keys AWS_ACCESS_KEY_ID and
                                AWS_SECRET_ACCESS_KEY are read by boto3 itself (or it uses the
                                machine's role). Static files stay with WhiteNoise either way.

Production (the secure defaults apply when DEBUG is off; each can be switched by the environment):

    SECURE_SSL_REDIRECT             redirect http:// to https:// (default true when DEBUG is off)
    SECURE_PROXY_SSL_HEADER         behind a proxy that terminates TLS, the header it sets, e.g.
                                    HTTP_X_FORWARDED_PROTO (then a request counts as secure when that
                                    header says "https"; set it only if the proxy always overwrites it)
    SECURE_HSTS_SECONDS             Strict-Transport-Security max-age (default 31536000, a year, when
                                    DEBUG is off; 0 sends no header)
    SECURE_HSTS_INCLUDE_SUBDOMAINS  HSTS for the host's subdomains too (default true)
    SECURE_HSTS_PRELOAD             add "preload" to the HSTS header (default false: see the
                                    note at SILENCED_SYSTEM_CHECKS below)
    SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE   cookies only over https (default true when DEBUG is off)
    LOGIN_FAILURE_LIMIT             failed logins for one username from one address before that
                                    username is locked for that address (default 5)
    LOGIN_COOLOFF_MINUTES           how long the lock lasts after the last attempt (default 60)
    TRUSTED_PROXY_COUNT             how many reverse proxies in front of the app append the client's
                                    address to X-Forwarded-For (default 0: the connection's address).
                                    Behind a proxy, set it, or every login seems to come from the proxy

A locked username is unlocked by the time passing, by a superuser deleting its rows under
"Axes › Access attempts" in the admin, or by `python manage.py axes_reset_username <username>`.
"""

import logging
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

CI = env.bool("CI", default=False)
DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. With DEBUG off, set SECRET_KEY in the environment "
        "(for example: export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))'))."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is empty. With DEBUG off, set ALLOWED_HOSTS to the host names this site "
        "answers on, comma separated."
    )

INSTALLED_APPS = [
    "roles.admin_site.LeadershipAdminConfig",  # django.contrib.admin, with our AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "roles",
    "recruitment",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below): django-csp's
    # middleware, plus the few additions CONTENT_SECURITY_POLICY_ADDITIONS_BY_PATH makes.
    "leadership.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view says otherwise (the login page); Django's,
    # leaving the user itself on the request rather than its lazy wrapper.
    "leadership.middleware.LoginRequiredMiddleware",
    # A NUL character in a query or form field is refused with 400 before any view reads it.
    "leadership.middleware.RefuseNulCharactersMiddleware",
    # Pages for a signed-in user are never stored by the browser or a proxy.
    "leadership.middleware.PrivateCacheForSignedInUsersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Field history records who made each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadership.urls"
# Django's form renderer with its commonest widget templates written in Python (leadership/form_renderer.py).
FORM_RENDERER = "leadership.form_renderer.FastWidgets"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "roles.context_processors.navigation",
                "recruitment.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "leadership.wsgi.application"

_default_database_url = "postgres://postgres@127.0.0.1:5432/test" if CI else f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASE_URL = env("DATABASE_URL", default=_default_database_url)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has the site, a worker and beat writing to one SQLite file at once. A transaction
    # that reads first and writes later cannot wait for another writer ("database is locked" at
    # once: beat failed to record its heartbeat's schedule that way, and /health/ never came up),
    # so each transaction takes the write lock as it begins and waits up to 20 s for it; WAL lets
    # the pages read while another process writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: a page's queries are short, and PostgreSQL's JIT spent 350 ms compiling a
    # 20 ms query whose estimate passed `jit_above_cost` (measured on the national data, issue 12).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): AxesStandaloneBackend refuses a locked-out username before
# ModelBackend checks the password. A lock is per username *and* address together, so an attacker
# guessing one account's password is stopped, while the same person signing in from another
# address (or another person sharing the address) is not. See docs/decisions.md.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=60))
# A successful login clears that username and address's failures: a few typing mistakes spread
# over weeks never add up to a lock.
AXES_RESET_ON_SUCCESS = True
# 429 Too Many Requests, not 403: the person may be allowed in, they have tried too often. The page
# says when to try again and who can unlock the account.
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "leadership.middleware.locked_out"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "leadership.middleware.client_address"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# UK English, London time, dates written 27 Jan 2022 and typed 27/01/2022.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j M Y, H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"]

# Content-Security-Policy (django-csp): scripts and styles only from our own files, no inline
# script, style attribute or event handler anywhere in the app's pages. Bootstrap's CSS draws its
# select arrows and toggler icon as data: SVG images, hence img-src data:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Sources added on some paths only. The admin pages need no inline script or style (checked in
# Chromium: Django 5.2's admin, its autocomplete and filter widgets, and our move action page), with
# one exception: django-celery-beat 2.9's periodic task form has one inline script (it writes what
# a crontab means under the field). That script alone is allowed, by its hash, on that form only;
# tests/test_security.py fails if an upgrade changes the script, so the hash is renewed knowingly.
CONTENT_SECURITY_POLICY_ADDITIONS_BY_PATH = {
    "/admin/django_celery_beat/periodictask/": {
        "script-src": ["'sha256-QE3U2xYF7B4J2ro1/9oxiKhaWCGW39gB7ocQ/xlD0bE='"],
    },
}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded documents in an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set, so that every web
# and worker process sees the same files. They stay private (the bucket's own ACL) and are served
# through the views that check access, never by a public URL. Without it, nothing here changes.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            "location": env("AWS_LOCATION", default=""),
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            # Two uploads with one name keep both (Django adds a suffix), as on the file system.
            "file_overwrite": False,
        },
    }

# Mail: EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.nhs.uk:587) in production; the
# console in development, so notices can be read in the terminal `make run` serves from.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="leadership-roles@example.nhs.uk")
# The domain in calendar invitations' unique ids.
CALENDAR_DOMAIN = env("CALENDAR_DOMAIN", default="leadership.example.nhs.uk")

# History is read in the admin, never reverted from there: a revert would write around the services.
SIMPLE_HISTORY_REVERT_DISABLED = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: Redis when REDIS_URL is set (and always under CI); otherwise a broker on the local
# filesystem, so that tasks can be queued with no server running.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0" if CI else "")
CELERY_FILESYSTEM_BROKER_DIR = BASE_DIR / "var" / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_FILESYSTEM_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "processed"),
        # The exchange tables; kombu's default is "control" in the working directory.
        "control_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# A worker started before Redis answers keeps trying (said outright, as Celery asks, rather than by default).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Worker child processes; unset, one a CPU.
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=None)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat writes each periodic task's last run to the database after every task it sends (instead of
# every 3 minutes), so the heartbeat below is on record within a second for /health/ to read.
CELERY_BEAT_SYNC_EVERY = 1
# Beat's heartbeat: a task that does nothing, sent every BEAT_HEARTBEAT_SECONDS; its periodic task's
# "last run" is the proof /health/ reads that beat is running (roles/health.py, docs/decisions.md).
# A heartbeat no worker took within one interval is dropped rather than piling up.
BEAT_HEARTBEAT_SECONDS = env.int("BEAT_HEARTBEAT_SECONDS", default=60)
HEALTH_BEAT_MAX_AGE = env.int("HEALTH_BEAT_MAX_AGE", default=300)
if BEAT_HEARTBEAT_SECONDS < 1 or HEALTH_BEAT_MAX_AGE < 2 * BEAT_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        f"HEALTH_BEAT_MAX_AGE={HEALTH_BEAT_MAX_AGE} with BEAT_HEARTBEAT_SECONDS={BEAT_HEARTBEAT_SECONDS}: the "
        "heartbeat must be at least 1 second apart and the allowed age at least twice that, or /health/ "
        "fails between two heartbeats (e.g. BEAT_HEARTBEAT_SECONDS=60, HEALTH_BEAT_MAX_AGE=300)."
    )
BEAT_HEARTBEAT_TASK = "beat-heartbeat"
# The morning reminder sweep (recruitment.tasks) at 06:00 London time (CELERY_TIMEZONE). Beat writes
# it into its periodic tasks each time it starts (shown in the admin under Periodic tasks).
CELERY_BEAT_SCHEDULE = {
    "sweep-reminders": {"task": "recruitment.sweep_reminders", "schedule": crontab(hour=6, minute=0)},
    BEAT_HEARTBEAT_TASK: {
        "task": "roles.beat_heartbeat",
        "schedule": timedelta(seconds=BEAT_HEARTBEAT_SECONDS),
        "options": {"expire_seconds": BEAT_HEARTBEAT_SECONDS},
    },
}

# The figure the ICS pays for one session a week for a year, unless a role says otherwise.
DEFAULT_SESSION_RATE = env.int("DEFAULT_SESSION_RATE", default=16400)

# Logs go to stderr, one line each: a JSON object (time, level, logger, message and any extra fields)
# when LOG_FORMAT=json, the default once DEBUG is off; plain text otherwise. The Celery worker and
# beat log through this too (leadership/celery.py), and gunicorn's own lines, access lines included,
# through gunicorn.conf.py.
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(
        f"LOG_FORMAT={LOG_FORMAT} is not a log format: set LOG_FORMAT=json (one JSON object a line) or text."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # django-axes logs every login at INFO; its warnings (failures, lockouts) are the ones to keep.
        "axes": {"level": "WARNING"},
        # Python's warnings, when captured (below), in the same format as every other line.
        "py.warnings": {"handlers": ["console"], "propagate": False},
    },
}
if LOG_FORMAT == "json":
    # A library's warning would otherwise be printed as bare text between the JSON lines.
    logging.captureWarnings(True)

# Errors to Sentry only when SENTRY_DSN is set (with it, sentry-sdk's Django, Celery and Redis
# integrations switch on by themselves). No personal data is sent: no user, cookie or form field.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default="") or None,
        send_default_pii=False,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

if not DEBUG:
    # Without DEBUG, WhiteNoise serves the collected static files (run `manage.py collectstatic`).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# HTTPS: on by default once DEBUG is off. Behind a proxy that terminates TLS and redirects itself,
# set SECURE_SSL_REDIRECT=false, or set SECURE_PROXY_SSL_HEADER so Django sees which requests
# arrived over https.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The health check answers over plain http too: container and load-balancer probes call it inside
# the network, where there is no TLS to redirect to.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
_proxy_ssl_header = env("SECURE_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header and not _proxy_ssl_header.startswith("HTTP_"):
    raise ImproperlyConfigured(
        f"SECURE_PROXY_SSL_HEADER={_proxy_ssl_header} is not a header name as Django sees it: write "
        "the header upper case, - as _, after HTTP_ (X-Forwarded-Proto is HTTP_X_FORWARDED_PROTO)."
    )
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # security.W021 asks for HSTS preloading. Preloading is decided for a whole registrable domain
    # by whoever owns it (the preload list takes the domain, not this host), and is slow to undo:
    # it is not this service's decision to make by default. Set SECURE_HSTS_PRELOAD=true once the
    # domain's owner has decided; the check then has nothing to say.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
