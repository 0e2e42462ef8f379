"""Test set-up shared by the whole suite.

Outside CI the suite runs on SQLite with no services; tests that need PostgreSQL, Redis or
Chromium skip and say why. Under CI (CI=true) PostgreSQL and Redis must be there and Chromium
must run: if one is missing the run stops at once with a message, never falls back.
"""

from __future__ import annotations

import importlib
import os
import shutil
import threading
import warnings
import weakref

import pytest
from hypothesis import settings

# Playwright runs an event loop in the test thread; the ORM calls around it are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"

# Property-based tests (hypothesis): 100 or more examples per test under CI (Hypothesis's own
# default), derandomized so a failure reproduces and with no example database; 60 otherwise, failures
# kept in `.hypothesis/` and tried first next time. FUZZ_EXAMPLES=n sets the number (under CI it can
# only raise it: FUZZ_EXAMPLES=1000 for a longer hunt); FUZZ_PROFILE=ci runs the CI profile outside CI.
_asked = int(os.environ.get("FUZZ_EXAMPLES") or 0)
settings.register_profile(
    "ci", max_examples=max(100, _asked), derandomize=True, database=None, deadline=None, print_blob=True
)
settings.register_profile("dev", max_examples=_asked or 60, deadline=None)
settings.load_profile(os.environ.get("FUZZ_PROFILE") or ("ci" if IN_CI else "dev"))


def _postgres_problem(settings) -> str | None:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return f"the database is {db['ENGINE']}, not PostgreSQL (set DATABASE_URL)"
    try:
        import psycopg2

        psycopg2.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"] or 5432,
            connect_timeout=3,
        ).close()
    except Exception as error:  # noqa: BLE001 - any failure to connect is the message
        return f"PostgreSQL at {db['HOST']}:{db['PORT']} is not reachable: {error}".strip()
    return None


def _redis_problem(settings) -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001
        return f"Redis at {settings.REDIS_URL} is not reachable: {error}"
    return None


def _chromium_problem() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"Chromium is not installed at {CHROMIUM} (make test installs it from Debian when it can)"
    return None


def pytest_configure(config):
    from django.conf import settings

    # Hashing demo passwords with PBKDF2 costs a second per test; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    config._service_problems = {
        "postgres": _postgres_problem(settings),
        "redis": _redis_problem(settings),
        "browser": _chromium_problem(),
    }
    if IN_CI:
        missing = {name: problem for name, problem in config._service_problems.items() if problem}
        if missing:
            lines = "\n".join(f"  - {name}: {problem}" for name, problem in missing.items())
            raise pytest.UsageError(f"CI=true but a service the suite needs is missing:\n{lines}")


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    lines = [f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}", f"CI: {IN_CI}"]
    for name, problem in config._service_problems.items():
        lines.append(f"{name}: {'available' if not problem else 'SKIPPED – ' + problem}")
    return lines


def pytest_collection_modifyitems(config, items):
    _demo_sharers_together(items)
    for item in items:
        for name in ("postgres", "redis", "browser"):
            problem = config._service_problems[name]
            if problem and item.get_closest_marker(name):
                item.add_marker(pytest.mark.skip(reason=f"needs {name}: {problem}"))


def _demo_sharers_together(items) -> None:
    """Within each run of one module's tests (pytest-django has already put the transactional tests
    last), the tests sharing the larger demo first, then those sharing the smaller, then the rest, each
    in the order written: so a module loads each demo once (`ModuleDemo`)."""
    rank = {name: position for position, name in enumerate(DEMOS)}
    start = 0
    for end in range(1, len(items) + 1):
        if end == len(items) or items[end].module is not items[start].module:
            items[start:end] = sorted(items[start:end], key=lambda item: rank.get(_demo_wanted(item), len(rank)))
            start = end


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=en-GB",
        ],
    }


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request):
    """Put back the functions, spatial levels and professions that migration 0002 makes.

    A transactional test (the live server's, or one with threads) ends with a flush that deletes
    them, and `serialized_rollback` cannot restore them once Playwright runs its event loop in the
    test thread (Django hands that thread a new connection without the saved contents). Re-running
    the migration's idempotent function does not depend on that.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        from django.apps import apps

        importlib.import_module("roles.migrations.0002_reference_data").create(apps, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, put the reference data back at once, so that whatever
    runs next on this worker (a module's world built before any test fixture, say) finds it, in
    whatever order the tests are dealt out. After the worker's last test nothing runs next, and the
    session's database (SQLite in memory, with the live server) may already be gone."""
    yield
    if _is_transactional(item) and nextitem is not None:
        from django.apps import apps
        from django.db import connections
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            importlib.import_module("roles.migrations.0002_reference_data").create(apps, None)
            # Left open, the connection this opens after a browser test stayed open to the end of the
            # run, out of reach of Django's own closing (it keeps connections per context), and the
            # test database could not be dropped ("being accessed by other users"). The next test
            # opens its own.
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:
                    connection.close()


@pytest.fixture
def place(db):
    """Bexley, in an ICS of its own; tests add what they need."""
    from tests.factories import PlaceFactory

    return PlaceFactory(name="Bexley", slug="bexley")


@pytest.fixture
def team_client(client, place):
    """A client signed in as a member of the place's team."""
    from roles.models import AccessKind
    from tests.factories import member

    client.force_login(member(AccessKind.PLACE_TEAM, place=place))
    return client


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A UK user's browser: language and clock."""
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "Europe/London"}


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    return transactional or "transactional_db" in item.fixturenames or "live_server" in item.fixturenames


def _load_demo() -> None:
    from roles.demo import Loader

    Loader(password=DEMO_PASSWORD).load()


def _load_governance_demo() -> None:
    from governance.demo import GovernanceLoader
    from recruitment import demo as recruitment_demo

    _load_demo()
    recruitment_demo.panel_user(DEMO_PASSWORD)
    recruitment_demo.RecruitmentLoader().load()
    GovernanceLoader().load()


class ModuleDemo:
    """A demo loaded once for a module's tests, in a transaction rolled back when the module ends or
    when one of its tests needs another demo or none.

    Each test's own transaction nests inside it (a savepoint), so what a test changes is undone after
    it and the next test sees the demo as loaded. The module's tests are ordered so that those sharing a
    demo come together (`pytest_collection_modifyitems`), so a module loads each demo once per worker.
    """

    def __init__(self, blocker):
        self.blocker = blocker
        self.loaded: str | None = None
        self._outer = None

    def switch(self, wanted: str | None) -> None:
        if wanted == self.loaded:
            return
        from django.db import transaction

        with self.blocker.unblock():
            if self._outer is not None:
                self.loaded, outer, self._outer = None, self._outer, None
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
            if wanted is None:
                return
            outer = transaction.atomic()
            outer.__enter__()
            try:
                DEMOS[wanted]()
            except BaseException as error:
                transaction.set_rollback(True)
                outer.__exit__(type(error), error, error.__traceback__)
                raise
            self.loaded, self._outer = wanted, outer


_module_demos: dict[object, ModuleDemo] = {}  # by module, while the module's tests run
_setting_up: list = [None]  # the test whose fixtures are being set up


def _demo_wanted(item) -> str | None:
    """The demo this test may read as loaded for its module: none for a transactional test, whose
    flush (and the live server's thread) cannot work inside a transaction."""
    if _is_transactional(item):
        return None
    return next((name for name in DEMOS if name in item.fixturenames), None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """Before a test's fixtures: load the demo it shares with the tests before it, or put the module's
    loaded demo away when it needs another or none."""
    state = _module_demos.get(item.module)
    if state is not None:
        state.switch(_demo_wanted(item))
    _setting_up[0] = item
    yield


@pytest.fixture(scope="module")
def _module_demo(request, django_db_setup, django_db_blocker):
    """Set up by a module's first test that asks for a demo (the demo it wants loaded at once, before
    that test's own transaction); later tests switch it in `pytest_runtest_setup`."""
    state = ModuleDemo(django_db_blocker)
    state.switch(_demo_wanted(_setting_up[0]))
    _module_demos[request.module] = state
    try:
        yield state
    finally:
        del _module_demos[request.module]
        state.switch(None)


@pytest.fixture
def demo(_module_demo, db):
    """The seed demo data, loaded as `make run` loads it (once per module and worker where it can be)."""
    if _module_demo.loaded != "demo":
        _load_demo()


@pytest.fixture
def governance_demo(_module_demo, db):
    """The whole seed demo as `load_demo` loads it: the catalogue, the recruitment and the governance
    (boards, meetings, decisions, Table 2's engagement); once per module and worker where it can be."""
    if _module_demo.loaded != "governance_demo":
        _load_governance_demo()


# The demos a module may share, the larger first (a module's tests run in this order).
DEMOS = {"governance_demo": _load_governance_demo, "demo": _load_demo}


DEMO_PASSWORD = "test-pass-2022"


# Every database connection this worker opened (the wrappers, weakly), so that the end of the run closes
# each, including one opened in another context, which `connections.close_all()` does not see.
_OPENED: weakref.WeakSet = weakref.WeakSet()


def _name_the_connection(sender, connection, **kwargs):
    """Each PostgreSQL connection the tests open says which test and thread opened it (its
    `application_name`), so that one left open is named by the warning below. Set on the driver's own
    cursor: no query a test counts."""
    if connection.vendor != "postgresql":
        return
    _OPENED.add(connection)
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" (")[0].rsplit("/", 1)[-1]
    name = f"{threading.current_thread().name} {test}"[:63]
    with connection.connection.cursor() as cursor:
        cursor.execute("SET application_name = %s", [name])


@pytest.fixture(scope="session", autouse=True)
def _connections_named():
    from django.db.backends.signals import connection_created

    connection_created.connect(_name_the_connection)
    yield
    connection_created.disconnect(_name_the_connection)


@pytest.fixture(scope="session", autouse=True)
def _test_database_left_to_no_one(django_db_setup, django_db_blocker):
    """At the end of the run, before pytest-django drops the test database (PostgreSQL): close every
    connection this worker's main thread opened, and end any other session still connected to the
    database (a thread's or a process's a test left behind), saying which.

    Django keeps connections per context: one opened in another context of the main thread is not in
    `connections` at the end, and was left idle after its test's ROLLBACK in three runs of the suite
    on 30 Nov 2026, each time the one opened by `test_plans_bounded.py::test_moving_a_milestone_moves`;
    the database then could not be dropped ("being accessed by other users") or was dropped only by
    ending that session. So the wrappers are tracked as they connect (`_OPENED`) and each is closed
    here (in the next run this closed one connection `close_all` had not seen, and no session was
    left). The warning names a session's test and thread (`_name_the_connection`) and its last query."""
    yield
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        connections.close_all()
        here = threading.get_ident()
        unseen = [w for w in _OPENED if w.connection is not None and w._thread_ident == here]
        for wrapper in unseen:
            wrapper.close()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, application_name, state, left(query, 300) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            others = cursor.fetchall()
            for pid, *_rest in others:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        connection.close()
    if others:
        warnings.warn(f"Ended {len(others)} session(s) left connected to the test database: {others}", stacklevel=1)
