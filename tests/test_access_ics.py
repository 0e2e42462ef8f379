"""Every ICS page (governance.ics_urls) for every kind of user: allowed, or 302 / 404 / 405 as fitting.

The world is the seed demo (`governance_demo`: South East London with its six places, Derbyshire with
its ICS-wide unit holding the CPLG Chair) and its users, with the kinds the demo has no user for:

- anonymous: sent to log in (302);
- a superuser: every ICS (200);
- `ics-admin`, South East London's administrator, and Derbyshire's administrator: their own ICS (200),
  the other one does not exist for them (404);
- the secretariat of an ICS-level board: one scoped to the whole of South East London, and one
  scoped to Derbyshire's ICS-wide unit (where its ICB, ICP and CPLG sit): their own ICS (200);
- the demo's place users (`bexley-team`, `hr-recruiter`, `secretariat` of Bexley's board,
  `panel-member`) and a place team member scoped to a whole ICS: no ICS page exists for them (404).

The ICS list (`ics_home`) sends someone who looks after one ICS to its overview (302) and lists them
for someone with several; the export takes a POST (a GET is 405) and writes its log row only when a
file is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from governance.ics_urls import urlpatterns
from governance.models import ExportLog
from roles.models import ICS, AccessKind, Membership, Place
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS = [
    "anonymous",
    "superuser",
    "ics_admin",
    "other_ics_admin",
    "ics_secretariat",
    "unit_secretariat",
    "team",
    "ics_team",
    "secretariat",
    "hr",
    "panel",
]
DEMO = {"ics_admin": "ics-admin", "team": "bexley-team", "secretariat": "secretariat", "hr": "hr-recruiter"}


@pytest.fixture(autouse=True)
def _demo(governance_demo):
    """Every test here asks for the demo, so that it is loaded once for the module (tests/conftest.py)."""


@pytest.fixture
def users(governance_demo) -> dict:
    User = get_user_model()
    sel, jucd = ICS.objects.get(slug="sel"), ICS.objects.get(slug="jucd")
    made = {name: User.objects.get(username=username) for name, username in DEMO.items()}
    made["panel"] = User.objects.get(username="panel-member")
    made["anonymous"] = None
    made["superuser"] = UserFactory(username="root", is_superuser=True, is_staff=True)
    scopes = {
        "other_ics_admin": (AccessKind.ICS_ADMIN, {"ics": jucd}),
        "ics_secretariat": (AccessKind.SECRETARIAT, {"ics": sel}),
        "unit_secretariat": (AccessKind.SECRETARIAT, {"place": Place.objects.get(slug="jucd-system")}),
        "ics_team": (AccessKind.PLACE_TEAM, {"ics": sel}),
    }
    for name, (kind, scope) in scopes.items():
        made[name] = UserFactory(username=name.replace("_", "-"))
        Membership.objects.create(user=made[name], kind=kind, **scope)
    return made


# --- The table ---------------------------------------------------------------------------------------------

NOBODY = {**{user: 404 for user in USERS}, "anonymous": 302}
SEL = {**NOBODY, "superuser": 200, "ics_admin": 200, "ics_secretariat": 200}
JUCD = {**NOBODY, "superuser": 200, "other_ics_admin": 200, "unit_secretariat": 200}
HOME = {**NOBODY, "superuser": 200, "ics_admin": 302, "other_ics_admin": 302, "ics_secretariat": 302}
HOME["unit_secretariat"] = 302
POST_ONLY = {**{user: 405 for user in USERS}, "anonymous": 302}


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the URL's name in governance.ics_urls
    args: list
    expected: dict[str, int]
    query: str = ""
    method: str = "GET"


CASES = [
    Case("ics_home", "ics_home", [], HOME),
    Case("ics_overview-sel", "ics_overview", ["sel"], SEL, "?year=2022"),
    Case("ics_overview-jucd", "ics_overview", ["jucd"], JUCD, "?year=2023"),
    Case("ics_adoption-sel", "ics_adoption", ["sel"], SEL),
    Case("ics_adoption-jucd", "ics_adoption", ["jucd"], JUCD),
    Case("ics_functions-sel", "ics_functions", ["sel"], SEL, "?year=2022"),
    Case("ics_functions-jucd", "ics_functions", ["jucd"], JUCD),
    Case("ics_search-sel", "ics_search", ["sel"], SEL, "?q=care&status=in_post"),
    Case("ics_search-jucd", "ics_search", ["jucd"], JUCD, "?q=chair"),
    Case("ics_compare-sel", "ics_compare", ["sel"], SEL, "?places=bexley&places=greenwich"),
    Case("ics_compare-jucd", "ics_compare", ["jucd"], JUCD),
    Case("ics_adoption_export-sel", "ics_adoption_export", ["sel", "xlsx"], SEL, method="POST"),
    Case("ics_adoption_export-jucd", "ics_adoption_export", ["jucd", "csv"], JUCD, method="POST"),
    Case("ics_adoption_export-get", "ics_adoption_export", ["sel", "xlsx"], POST_ONLY),
]


def test_every_ics_url_is_in_the_table():
    """A URL added to governance.ics_urls must be added to the table too."""
    missing = {pattern.name for pattern in urlpatterns} - {case.name for case in CASES}
    assert not missing, f"add rows for: {sorted(missing)}"


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_user_gets_what_the_table_says(users, case, user):
    client = Client()
    if users[user] is not None:
        client.force_login(users[user])
    address = reverse(f"governance:{case.name}", args=case.args) + case.query
    before = ExportLog.objects.count()

    response = client.post(address) if case.method == "POST" else client.get(address)

    expected = case.expected[user]
    assert response.status_code == expected, f"{user}: {case.method} {address}"
    if expected == 302:
        signing_in = response["Location"].startswith(reverse("login"))
        assert signing_in == (user == "anonymous"), response["Location"]
    if expected == 404:
        html = response.content.decode()
        assert "Our Healthier South East London" not in html and "Joined Up Care Derbyshire" not in html
    made = ExportLog.objects.count() - before
    assert made == (1 if case.method == "POST" and expected == 200 else 0), f"{user}: {address} logged {made}"


def test_the_secretariat_of_an_ics_wide_unit_sees_that_unit_only(users):
    client = Client()
    client.force_login(users["unit_secretariat"])

    overview = client.get(reverse("governance:ics_overview", args=["jucd"]), {"year": "2023"}).context["overview"]
    found = client.get(reverse("governance:ics_search", args=["jucd"])).context["page"]

    assert [row.place.slug for row in overview.rows] == ["jucd-system"]
    assert {role.place.slug for role in found} == {"jucd-system"}


def test_someone_who_looks_after_several_icss_chooses_one(users):
    client = Client()
    client.force_login(users["superuser"])

    html = client.get(reverse("governance:ics_home")).content.decode()

    assert reverse("governance:ics_overview", args=["sel"]) in html
    assert reverse("governance:ics_overview", args=["jucd"]) in html


PAGES: list[tuple[str, Callable[[], str]]] = [
    ("overview", lambda: reverse("governance:ics_overview", args=["sel"])),
    ("search", lambda: reverse("governance:ics_search", args=["sel"])),
]


@pytest.mark.parametrize(("page", "address"), PAGES, ids=[page for page, _ in PAGES])
def test_the_ics_tab_is_in_the_navigation_on_the_ics_pages(users, page, address):
    client = Client()
    client.force_login(users["ics_admin"])

    html = client.get(address()).content.decode()

    assert f'href="{reverse("governance:ics_home")}">ICS</a>' in html
