"""WCAG 2.2 AA: axe-core in Chromium over every page of the app, as each demo user.

Each demo user signs in through the login form and walks the site from the home page, following
every link on the site (and the admin's, for the users with admin access) to every page not yet
seen; a page is one URL pattern (`resolve(path).view_name`), so the Bexley and Greenwich dashboards
or a list sorted two ways count once. axe-core (bundled by axe-playwright-python) runs its WCAG 2.0,
2.1 and 2.2 A and AA rules, and the best-practice rules a person notices at once (headings in order,
one main landmark, a page heading), on each page: no finding may be serious or critical. The
report names the page, the rule and the elements, and the whole result goes to test-artifacts/.

The pages' own promises are checked too: a skip link comes first and takes the keyboard to the
content, and the element the keyboard is on shows a visible outline.
"""

from __future__ import annotations

import json
from io import StringIO
from urllib.parse import urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from governance.models import Board
from recruitment.demo import PANEL_USERNAME
from roles.demo import DEMO_USERS
from tests.browser import ARTIFACTS
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USERS = [username for username, *_ in DEMO_USERS] + [PANEL_USERNAME]
# WCAG 2.0-2.2 A and AA, and beside them the best-practice rules for the page's structure: headings
# in order, one main landmark, a level-one heading, content inside landmarks, a skip link that works,
# no table header without words.
STRUCTURE = [
    "empty-table-header",
    "heading-order",
    "landmark-one-main",
    "page-has-heading-one",
    "region",
    "skip-link",
]
RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "rules": {rule: {"enabled": True} for rule in STRUCTURE},
    "resultTypes": ["violations"],
}
SERIOUS = {"serious", "critical"}
# Files, not pages (downloads), and pages a walk must not open.
NOT_PAGES = ("export", "download", ".csv", ".xlsx", ".pdf", ".zip", ".ics", "logout", "/jsi18n/")
MOST_PAGES = 400  # a walk that finds more than this is following a loop


# Django's tabular inlines leave the header of their first column (the row's own name) empty.
NOT_IN_THE_ADMIN = {"empty-table-header"}


def findings(page: Page, axe: Axe, admin: bool = False) -> list[dict]:
    """Serious and critical findings of the WCAG rules, and any of the structure rules, on this page."""
    structure = set(STRUCTURE) - (NOT_IN_THE_ADMIN if admin else set())
    violations = axe.run(page, options=RULES).response["violations"]
    return [v for v in violations if v["impact"] in SERIOUS or v["id"] in structure]


def describe(path: str, violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        targets = "; ".join(", ".join(map(str, n["target"])) for n in v["nodes"][:5])
        summary = v["nodes"][0].get("failureSummary", "").replace("\n", " ") if v["nodes"] else ""
        lines.append(f"{path}: {v['id']} ({v['impact']}) – {v['help']} – {targets} – {summary[:300]}")
    return lines


def page_kind(url: str, origin: str, admin: bool) -> str | None:
    """The URL pattern a link leads to, or None when the walk does not follow it: the admin's walk
    stays in the admin, the site's walk outside it."""
    url = urldefrag(url)[0]
    if not url.startswith(origin):
        return None
    path = urlsplit(url).path
    if path.startswith("/admin/") != admin:
        return None
    if any(part in url.lower() for part in NOT_PAGES) or path.startswith("/static/") or path.startswith("/media/"):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if admin:
        # Every model's delete page, version page and history list is drawn by the same template: one
        # of each is checked (a history list of each kind: versions, or the admin's own log).
        for suffix in ("_delete", "_simple_history", "_history"):
            if match.view_name.endswith(suffix):
                versions = getattr(getattr(match.func, "model_admin", None), "keeps_versions", True)
                return f"admin:*{suffix}" + ("" if versions or suffix != "_history" else " (log)")
    return match.view_name


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(f"{base}/accounts/login/")


def walk(page: Page, base: str, start: str, axe: Axe, results: dict, seen: set[str]) -> list[str]:
    """Visit every page kind reachable from `start` by links and not in `seen`; return the problems found."""
    problems: list[str] = []
    queue = [f"{base}{start}"]
    admin = start.startswith("/admin/")
    while queue and len(seen) < MOST_PAGES:
        url = queue.pop(0)
        kind = page_kind(url, base, admin)
        if kind is None or kind in seen:
            continue
        seen.add(kind)
        try:
            response = page.goto(url)
        except PlaywrightError as error:  # a file the browser downloads instead of showing
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        path = urlsplit(page.url).path
        violations = findings(page, axe, admin)
        results[path] = violations
        problems += describe(path, violations)
        links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        queue += [link for link in links if page_kind(link, base, admin) not in seen]
    assert len(seen) < MOST_PAGES, "the walk followed more links than the site has pages"
    return problems


# Each walk is its own test, so the walks share out across the suite's workers: the site as every demo
# user, and the admin as the users who have it.
WALKS = [
    ("anonymous", ""),
    *((username, "/") for username in USERS),
    ("ics-admin", "/admin/"),
    ("hr-recruiter", "/admin/"),
]


@pytest.mark.parametrize(("username", "start"), WALKS, ids=[f"{u}{s.rstrip('/')}" for u, s in WALKS])
def test_every_page_passes_axe_as_every_demo_user(page: Page, live_server, username, start):
    """Every page kind reachable from `start` by links, as `username`; the findings are written to
    test-artifacts/accessibility-<user>[-admin].json."""
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    axe = Axe()
    base = live_server.url
    problems: list[str] = []
    results: dict[str, dict] = {}

    if username == "anonymous":  # before signing in: the login page and a page that does not exist
        for path in ("/accounts/login/", "/places/no-such-place/"):
            page.goto(f"{base}{path}")
            violations = findings(page, axe)
            results[path] = violations
            problems += describe(path, violations)
    else:
        log_in(page, base, username)
        problems += [f"{username} {line}" for line in walk(page, base, start, axe, results, set())]
        assert len(results) >= 3, f"{username} reached only {sorted(results)} from {start}"

    ARTIFACTS.mkdir(exist_ok=True)
    name = f"accessibility-{username}{'-admin' if start == '/admin/' else ''}.json"
    (ARTIFACTS / name).write_text(json.dumps(results, indent=1, default=str))
    assert problems == [], "\n".join(problems)


def test_a_skip_link_comes_first_and_leads_to_the_content(page: Page, live_server):
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    log_in(page, live_server.url, "bexley-team")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/places/bexley/#content")
    expect(page.get_by_role("link", name="Dashboard", exact=True)).to_have_attribute("aria-current", "page")
    # The next Tab goes to the first link of the content (the place's tabs), not back to the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_what_the_keyboard_is_on_shows_an_outline(page: Page, live_server):
    """A 3-pixel outline with a halo (static/css/a11y.css), not the browser's thin default or
    Bootstrap's faint glow: visible on the blue navigation bar and on the white page alike."""
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    log_in(page, live_server.url, "bexley-team")
    visible = """el => {
        const s = getComputedStyle(el);
        return s.outlineStyle === 'solid' && parseFloat(s.outlineWidth) >= 3 && s.boxShadow !== 'none';
    }"""
    for _ in range(8):  # the skip link, the navigation's links and the place's tabs
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        assert focused.evaluate(visible), focused.evaluate("el => el.outerHTML")


def test_forms_sent_back_with_errors_pass_axe(page: Page, live_server):
    """A form sent empty comes back with its errors: each field still labelled, each error readable."""
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    board = Board.objects.filter(place__slug="bexley").order_by("pk").first()
    forms = {
        "bexley-team": [
            reverse("roles:role_create", args=["bexley"]),
            reverse("governance:engagement_event_new", args=["bexley"]),
        ],
        "secretariat": [reverse("governance:meeting_new", args=[board.pk])],
    }
    axe = Axe()
    problems = []
    for username, paths in forms.items():
        page.context.clear_cookies()
        log_in(page, live_server.url, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.locator("main form[method=post][novalidate] [type=submit]").first.click()
            page.wait_for_load_state()
            expect(page.locator("main .invalid-feedback, main .alert-danger").first).to_be_visible()
            problems += describe(path, findings(page, axe))
    assert problems == [], "\n".join(problems)
