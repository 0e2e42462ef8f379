"""Production settings: login throttling, HTTPS, the Content-Security-Policy, caching of signed-in
pages, NUL characters, `check --deploy`, and where the filesystem broker writes.

The login tests post to the real login page (Django's LoginView behind django-axes) from addresses
set with REMOTE_ADDR; the settings tests start Python in a subprocess with the environment that
production would have.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from playwright.sync_api import Page, expect

from leadership.celery import app
from roles.models import AccessKind, Role
from tests.browser import log_in
from tests.factories import PASSWORD, ICSFactory, RoleFactory, UserFactory, member

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
HOME_ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.20"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def log_in_with(client, username, password, address=HOME_ADDRESS):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, address=HOME_ADDRESS):
    for _ in range(times):
        response = log_in_with(client, username, "not-the-password", address)
    return response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


# Login throttling (django-axes): 5 failures lock a username for the address they came from.


def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, alice):
    fail(client, "alice", 50)

    response = log_in_with(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_the_fifth_wrong_password_locks_the_account_for_that_address(client, alice):
    assert fail(client, "alice", 4).status_code == 200  # the form again, with its error

    response = fail(client, "alice", 1)

    assert response.status_code == 429
    assert "locked for logins from this address" in response.content.decode()


def test_the_locked_out_page_says_when_to_try_again_and_that_an_administrator_can_unlock(client, alice):
    response = fail(client, "alice", 5)

    page = response.content.decode().replace("\xa0", " ")  # timeuntil keeps "1 hour" on one line
    assert "Too many failed logins" in page
    assert "Try again after" in page and "(in 1 hour)" in page
    assert "an administrator can unlock the account" in page
    assert "registration/locked_out.html" in [template.name for template in response.templates]


def test_under_the_limit_the_right_password_still_signs_in(client, alice):
    fail(client, "alice", 4)

    response = log_in_with(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_a_successful_login_clears_the_earlier_failures(client, alice):
    fail(client, "alice", 4)
    log_in_with(client, "alice", PASSWORD)
    client.logout()

    fail(client, "alice", 4)

    assert log_in_with(client, "alice", PASSWORD).status_code == 302


def test_another_address_is_not_locked_by_this_addresss_failures(client, alice):
    fail(client, "alice", 5, address=HOME_ADDRESS)

    response = log_in_with(client, "alice", PASSWORD, address=OTHER_ADDRESS)

    assert response.status_code == 302
    assert signed_in(client)


def test_another_username_from_the_same_address_is_not_locked(client, alice):
    UserFactory(username="bob")
    fail(client, "alice", 5)

    assert log_in_with(client, "bob", PASSWORD).status_code == 302


PROXY = "10.0.0.2"


def log_in_through_proxy(client, username, password, forwarded_for):
    """A login that reached us through one reverse proxy, which sent X-Forwarded-For."""
    data = {"username": username, "password": password}
    return client.post(LOGIN, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_a_proxy_clients_are_told_apart_by_the_address_the_proxy_forwards(client, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        log_in_through_proxy(client, "alice", "not-the-password", forwarded_for=HOME_ADDRESS)

    response = log_in_through_proxy(client, "alice", PASSWORD, forwarded_for=OTHER_ADDRESS)

    assert response.status_code == 302


def test_behind_a_proxy_an_address_the_client_made_up_does_not_escape_the_lock(client, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        log_in_through_proxy(client, "alice", "not-the-password", forwarded_for=HOME_ADDRESS)

    # The client sent an X-Forwarded-For of its own; the proxy appended the address it came from.
    response = log_in_through_proxy(client, "alice", PASSWORD, forwarded_for=f"{OTHER_ADDRESS}, {HOME_ADDRESS}")

    assert response.status_code == 429


def test_a_superuser_deleting_the_login_attempts_in_the_admin_unlocks_the_account(client, alice, superuser):
    fail(client, "alice", 5)
    attempt = AccessAttempt.objects.get(username="alice")
    client.force_login(superuser)
    assert client.get("/admin/axes/accessattempt/").status_code == 200

    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    client.logout()

    assert response.status_code == 302
    assert log_in_with(client, "alice", PASSWORD).status_code == 302


def test_axes_reset_username_unlocks_the_account(client, alice):
    fail(client, "alice", 5)

    call_command("axes_reset_username", "alice", stdout=StringIO())

    assert log_in_with(client, "alice", PASSWORD).status_code == 302


def test_an_ics_administrator_cannot_see_the_login_attempts_in_the_admin(client):
    client.force_login(member(AccessKind.ICS_ADMIN, ics=ICSFactory()))

    assert client.get("/admin/axes/accessattempt/").status_code == 403


# HTTPS, HSTS and `check --deploy`, under the environment production has.

NOT_IN_PRODUCTION = (
    "CI",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by tests/conftest.py for Playwright
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)


def production_environment(**overrides) -> dict[str, str]:
    """DEBUG off, a real secret key and host; no CI or DATABASE_URL, so the database is SQLite."""
    environment = {name: value for name, value in os.environ.items() if name not in NOT_IN_PRODUCTION}
    environment.update(
        DJANGO_SETTINGS_MODULE="leadership.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="leadership.example.nhs.uk",
    )
    environment.update(overrides)
    return environment


def production_settings(*names, **overrides) -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {list(names)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_environment(**overrides),
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_passes_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_environment(),
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_with_debug_off_https_redirect_and_a_year_of_hsts_are_on_by_default():
    values = production_settings(
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    )

    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_secure_ssl_redirect_false_in_the_environment_turns_the_redirect_off():
    values = production_settings("SECURE_SSL_REDIRECT", SECURE_SSL_REDIRECT="false")

    assert values == {"SECURE_SSL_REDIRECT": False}


def test_secure_proxy_ssl_header_names_the_header_a_tls_terminating_proxy_sets():
    values = production_settings("SECURE_PROXY_SSL_HEADER", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")

    assert values == {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}


def test_a_proxy_ssl_header_written_as_the_raw_header_name_stops_the_start_and_says_how_to_write_it():
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.SECURE_PROXY_SSL_HEADER"],
        env=production_environment(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"),
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )

    assert result.returncode != 0
    assert "X-Forwarded-Proto is HTTP_X_FORWARDED_PROTO" in result.stderr


# Content-Security-Policy: no inline script or style on the app's pages.


@pytest.fixture
def bexley_pages(client, demo):
    """The dashboard, a role with a description, the board and the template comparison, signed in."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="bexley-team"))
    role = Role.objects.filter(place__slug="bexley").order_by("pk").first()
    Role.objects.filter(pk=role.pk).update(description="First line\nSecond line")
    return {
        "dashboard": "/places/bexley/",
        "role": role.get_absolute_url(),
        "board": "/places/bexley/board/",
        "template comparison": "/places/bexley/template/",
    }


def test_an_app_page_sends_a_content_security_policy_without_unsafe_inline(client, bexley_pages):
    response = client.get(bexley_pages["dashboard"])

    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


INLINE = {
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE),
}


# (Not named `page`: pytest-playwright would take a test with a `page` argument for a browser test.)
@pytest.mark.parametrize("name", ["dashboard", "role", "board", "template comparison"])
def test_app_pages_have_no_inline_script_style_or_event_handler(client, bexley_pages, name):
    response = client.get(bexley_pages[name])

    assert response.status_code == 200
    html = response.content.decode()
    found = {kind: pattern.findall(html) for kind, pattern in INLINE.items() if pattern.search(html)}
    assert not found, f"the {name} page has inline {found}, which the Content-Security-Policy blocks"


def test_the_periodic_task_forms_inline_script_is_the_one_the_policy_allows_by_hash(client, superuser):
    client.force_login(superuser)

    response = client.get("/admin/django_celery_beat/periodictask/add/")

    script = re.search(r'<script id="periodic-task-overrides">(.*?)</script>', response.content.decode(), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy(response)["script-src"], (
        "django-celery-beat's inline script changed: put its new hash in CONTENT_SECURITY_POLICY_ADDITIONS_BY_PATH"
    )


def test_other_admin_pages_allow_no_inline_script(client, superuser):
    client.force_login(superuser)

    response = client.get("/admin/roles/role/")

    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["style-src"] == ["'self'"]


# Signed-in pages are never cached; anonymous responses are left alone.


def test_a_signed_in_users_page_is_private_and_not_stored(team_client):
    response = team_client.get("/places/bexley/")

    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_an_anonymous_response_is_left_alone(client, place):
    response = client.get("/places/bexley/")

    assert response.status_code == 302  # to the login page
    assert "Cache-Control" not in response


# After the login check the request holds the user itself, not Django's lazy wrapper.


def test_a_signed_in_request_holds_the_user_itself_once_the_login_check_has_read_it(team_client):
    response = team_client.get("/places/bexley/")

    assert response.status_code == 200
    user = response.wsgi_request.user
    assert type(user) is get_user_model()
    assert user.memberships.filter(place__slug="bexley").exists()


def test_the_same_holds_on_an_admin_page(client, superuser):
    client.force_login(superuser)
    response = client.get("/admin/roles/role/")

    assert response.status_code == 200
    assert type(response.wsgi_request.user) is get_user_model()


def test_an_anonymous_request_for_a_page_is_still_sent_to_the_login_page(client, place):
    response = client.get("/places/bexley/roles/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert response.wsgi_request.user.is_anonymous


# NUL characters are refused with 400 before they reach a view or the database.


def test_a_nul_character_in_an_admin_search_answers_400_naming_the_field(client, superuser):
    client.force_login(superuser)

    response = client.get("/admin/roles/role/?q=a%00b")

    assert response.status_code == 400
    assert (
        "Remove the NUL character (\\0) from the search or form field “q” and try again." in response.content.decode()
    )


def test_a_nul_character_in_the_role_form_answers_400_and_saves_nothing(team_client, place):
    RoleFactory(place=place, title="Urgent Care Lead")
    before = list(Role.objects.values_list("pk", "title"))

    response = team_client.post(
        f"/places/{place.slug}/roles/new/",
        {"title": "Frailty\x00 Lead", "sessions_per_week": "1", "start_date": "01/04/2022"},
    )

    assert response.status_code == 400
    assert "field “title”" in response.content.decode()
    assert list(Role.objects.values_list("pk", "title")) == before


def test_a_nul_character_in_a_field_name_is_refused_too(team_client):
    response = team_client.get("/places/bexley/", {"ye\x00ar": "2022"})

    assert response.status_code == 400
    assert "field “ye\\0ar”" in response.content.decode()


def test_an_uploaded_file_with_nul_bytes_is_not_refused(client):
    upload = SimpleUploadedFile("description.pdf", b"%PDF-1.4\x00\x01\x02", content_type="application/pdf")

    response = client.post(LOGIN, {"username": "nobody", "password": "x", "document": upload})

    assert response.status_code == 200  # the login form again, not a 400


# Chromium: nothing on the app or admin pages is blocked by the policy.

ADMIN_PAGES = [
    "/admin/",
    "/admin/roles/role/",
    "/admin/roles/role/add/",
    "/admin/roles/budget/",
    "/admin/axes/accessattempt/",
    "/admin/django_celery_beat/periodictask/add/",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chromium_reports_no_content_security_policy_violation(page: Page, live_server, demo):
    violations = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    log_in(page, live_server, "bexley-team")
    role = Role.objects.filter(place__slug="bexley").exclude(description="").first() or Role.objects.first()
    for path in ("/places/bexley/", role.get_absolute_url(), "/places/bexley/board/", "/places/bexley/template/"):
        page.goto(live_server.url + path)
    page.goto(f"{live_server.url}/places/bexley/roles/{role.pk}/edit/")
    page.context.clear_cookies()
    UserFactory(username="root", is_staff=True, is_superuser=True, password="demo-root-pass")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("demo-root-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
    for path in ADMIN_PAGES:
        page.goto(live_server.url + path)
    page.goto(f"{live_server.url}/admin/roles/role/{role.pk}/change/")
    page.locator(".select2-selection").first.click()  # the autocomplete widget opens
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/roles/role/{role.pk}/delete/")
    page.goto(f"{live_server.url}/admin/roles/role/")
    page.locator("input.action-select").first.check()
    move = page.locator("select[name=action] option[value^=move_to_]").first.get_attribute("value")
    page.locator("select[name=action]").select_option(move)
    page.locator("button[name=index]").click()
    expect(page.locator("form input[name=apply]")).to_have_count(1)  # the move action's own page

    assert violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_choosing_a_financial_year_shows_it_without_an_inline_handler(page: Page, live_server, demo):
    log_in(page, live_server, "bexley-team")
    page.wait_for_load_state()  # leadership.js has run

    page.get_by_label("Financial year").select_option(label="2021/22")

    expect(page).to_have_url(re.compile(r"\?year=2021$"))
    expect(page.locator("#year option:checked")).to_have_text("2021/22")


# The filesystem broker writes only under var/.


def test_the_filesystem_broker_keeps_its_control_folder_under_var():
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the broker is Redis")
    queue_name = f"leadership-test-{uuid.uuid4().hex}"
    with app.connection_for_write() as conn:
        queue = conn.SimpleQueue(queue_name)
        try:
            queue.put({"milestone": 7})
            queue.get(timeout=5).ack()
        finally:
            queue.clear()
            queue.close()

    assert (settings.CELERY_FILESYSTEM_BROKER_DIR / "control" / f"{queue_name}.exchange").exists()
    assert not (settings.BASE_DIR / "control").exists()
