"""Property-based tests: no generated input makes a 500, and a refused request writes nothing.

Hypothesis sends generated input through every door of the catalogue:

- the role form (adding a role, editing one in any state);
- the move page for every target state (legal and illegal moves of roles in every state, and
  states that do not exist), the bulk move on the board and the reason forms of the template
  comparison;
- the admin add and change forms of roles, budgets, places, template roles, template omissions
  and memberships (with their inline formsets);
- the query strings of the role list, the dashboard, the board and the template comparison, of
  the admin changelists (search, ordering, page, date hierarchy, every list filter) and of the
  admin's autocomplete endpoint.

Each form's fields are read at run time from the page a browser would load (the form in the
response's context), so a field added or retyped later is fuzzed without changing this file. The
body starts as a form a person would send: the unchanged form (`tests.helpers.form_body`); for an
add form, the values of an existing object's change form; empty choices (the roles to move, the
state to move them to) filled with offered values. A drawn subset of the fields, hidden ones
included, then gets a hostile value: mostly of the field's own kind but at or past an edge
(dates from 0001-01-01 to 9999-12-31, numbers from -1 to 10**20, ids of another place's objects,
unknown choices), otherwise any other kind (text with NUL bytes, unicode and 100,000 characters,
numbers, dates in many shapes), several values where one is expected, or no value at all.

How a refusal is told apart from a success: the app and the admin answer a change they made with a
redirect. Any other answer to a POST (a 4xx, or the form shown again with its errors) is a refusal,
and then every row of the project's tables (the catalogue, its field history, audit rows and
advert rounds, users and the admin log) must be as it was. A GET never writes. After a success,
the pages that show what changed (the redirect's target, each changed role's page and its place's
dashboard) are loaded and must not fail either. Every answer must be below 500; the test client
re-raises a view's exception, which fails the test too, and Hypothesis shrinks the input to a
minimal one and prints the request (`note`).

The world (places, a role in every state, budgets, users with signed-in clients) and the forms
read from its pages are built once per test. Each example, and each reading of a page, runs in a
savepoint that is rolled back, so every example starts from the same rows: those are fingerprinted
once, and compared with the rows after each request.

Examples per test: 100 or more under CI (`CI=true`: the "ci" profile, derandomized so a failure
reproduces, no example database), 60 otherwise (the "dev" profile; failures are kept in
`.hypothesis/` and tried first next time). `FUZZ_EXAMPLES=n` sets the number (under CI it can only
raise it) and `FUZZ_PROFILE=ci` runs the CI profile outside CI, e.g. to time it on SQLite.
"""

from __future__ import annotations

import datetime as dt
import logging
import operator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, note
from hypothesis import strategies as st

from roles.costs import FinancialYear
from roles.models import (
    AccessKind,
    AdvertRound,
    Budget,
    Membership,
    Place,
    Role,
    RoleStatus,
    TemplateOmission,
    TemplateRole,
)
from tests.factories import (
    BudgetFactory,
    ICSFactory,
    PlaceFactory,
    RoleFactory,
    TemplateRoleFactory,
    UserFactory,
    member,
)
from tests.helpers import form_body, fuzz

# --- How many examples ---------------------------------------------------------------------------

# The profiles ("ci": 100 or more, derandomized; "dev": 60) are registered in tests/conftest.py.
# The world is a function-scoped fixture shared by a test's examples: each example rolls back.

pytestmark = pytest.mark.django_db

S = RoleStatus
TODAY = timezone.localdate()
YEAR = FinancialYear.containing(TODAY)
FINGERPRINTED_APPS = ("roles", "recruitment", "governance", "auth", "admin")
APP_USERS = ["team", "ics_admin", "root"]
ADMIN_USERS = ["ics_admin", "root"]


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()  # a field left out of the body altogether


# --- Hostile values --------------------------------------------------------------------------------
# Each kind comes as extremes (values that parse but sit far past an edge: they get past the form to
# the code behind it), edges (just inside and just outside a limit) and junk (values that do not
# parse), weighted so that 100 examples reach the extremes of every field often.


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, each drawn in proportion to its weight (shrinking towards the first)."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy
    )


NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\n\r ",
    "\u200b",
    "\u202eevil",
    "\ufeff",
    "Ünïcødé 🚑 ﷺ",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "{{ 7|add:7 }}",
    '=HYPERLINK("http://x")',
    "../../etc/passwd",
    "None",
]
TEXT = weighted(
    (2, st.sampled_from(NASTY_TEXT)),
    (1, st.text(max_size=40)),
    # Past every max_length, and long enough to find a missing one.
    (1, st.builds(operator.mul, st.sampled_from(["x", "é", "\x00", " ", "🚑", "9"]), st.integers(201, 100_000))),
)
NUMBER_EXTREMES = ["-1", "0", "0.001", "100000000000000000000", "9223372036854775808", "1" + "0" * 40]
NUMBER_EDGES = [
    "0.01",
    "1",
    "10",
    "10.01",
    "10.5",
    "100",
    "100.01",
    "1999",
    "2000",
    "2100",
    "2101",
    "32768",
    "65536",
    "99999999.99",
    "9999999999.99",
    "2147483648",
]
NUMBER_JUNK = [
    "1e309",
    "-1e309",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e-7",
    "1E+2",
    "-0",
    "0x10",
    "1_000",
    "1,000",
    "£16,400",
    "٣",
    "１２",
    " 5 ",
    "5.",
    ".5",
    "+5",
]
NUMBERS = weighted(
    (3, st.sampled_from(NUMBER_EXTREMES)),
    (2, st.sampled_from(NUMBER_EDGES)),
    (1, st.sampled_from(NUMBER_JUNK)),
    (1, st.integers().map(str)),
    (1, st.decimals(allow_nan=True, allow_infinity=True).map(str)),
)
DATE_EXTREMES = [dt.date(1, 1, 1), dt.date(9999, 12, 31)]
DATE_EDGES = [
    dt.date(1900, 1, 1),
    dt.date(1999, 3, 31),
    dt.date(2000, 3, 31),
    dt.date(2000, 4, 1),
    dt.date(2100, 3, 31),
    dt.date(2100, 4, 1),
    dt.date(2024, 2, 29),
    TODAY - dt.timedelta(days=1),
    TODAY,
    TODAY + dt.timedelta(days=1),
    YEAR.start,
    YEAR.end,
]
DATE_JUNK = [
    "",
    "31/02/2022",
    "2022-13-01",
    "99999-01-01",
    "01/10/2025",
    "2022-02-29",
    "0000-00-00",
    "today",
    "2022-4-1",
    "2022-04-01T00:00:00",
    "-2022-04-01",
]
DATES = weighted(
    (2, st.sampled_from(DATE_EXTREMES).map(dt.date.isoformat)),
    (2, st.sampled_from(DATE_EDGES).map(dt.date.isoformat)),
    (1, st.sampled_from(DATE_JUNK)),
    (1, st.dates().map(dt.date.isoformat)),
    (1, st.dates().map(lambda day: f"{day.day:02}/{day.month:02}/{day.year}")),
)
BOOLEANS = st.sampled_from(["on", "", "off", "false", "False", "0", "1", "true", "\x00"])
NOT_IDS = st.sampled_from(
    ["abc", "-1", "0", "99999999999999999999", "9223372036854775808", "1.5", " 1", "1e3", "１", "", "[1]", "1,2"]
)
QUERY_VALUES = st.one_of(TEXT, NUMBERS, DATES, NOT_IDS)
YEARS = weighted(
    (
        2,
        st.sampled_from(["0000", "0001", "9999", "1999", "2100", "2022/23", "2022-23", "2022/2023", "2022/24", "٢٠٢٢"]),
    ),
    (1, st.integers(0, 99_999).map(str)),
    (1, QUERY_VALUES),
)
ORDERINGS = st.one_of(
    st.sampled_from(["0", "-0", "99", "-99", "1..2", ".", "1.-1", "100000000000000000000", "٣"]),
    st.lists(st.integers(-20, 20), min_size=1, max_size=4).map(lambda numbers: ".".join(map(str, numbers))),
)
FIELDS_AT_ONCE = weighted((3, st.just(1)), (2, st.just(2)), (1, st.just(4)))
# Fields no form has, added to some bodies; `next` is where the move page goes afterwards.
UNKNOWN_FIELDS = st.dictionaries(
    st.sampled_from(["next", "id", "pk", "status", "place", "_to_field"]),
    st.one_of(st.sampled_from(["//evil.example/", "http://testserver/admin/", "/places/bexley/", "id"]), TEXT),
    max_size=1,
)


def choice_values(field: forms.Field) -> list[str]:
    """The non-empty values a choice field offers, groups flattened (model choices give their pks)."""
    values = []
    for value, label in field.choices:
        if isinstance(label, (list, tuple)):
            values.extend(str(v) for v, _ in label)
        else:
            values.append(str(value))
    return [value for value in values if value]


def _multiple(field: forms.Field) -> bool:
    return isinstance(field, (forms.ModelMultipleChoiceField, forms.MultipleChoiceField))


def own_kind(field: forms.Field | None, world) -> st.SearchStrategy:
    """Values of the kind the field expects, at or past its edges."""
    if isinstance(field, forms.BooleanField):
        return BOOLEANS
    if isinstance(field, (forms.DateField, forms.DateTimeField)):
        return DATES
    if isinstance(field, (forms.DecimalField, forms.FloatField, forms.IntegerField)):
        return NUMBERS
    if isinstance(field, (forms.ModelChoiceField, forms.ChoiceField)):
        offered = choice_values(field)
        if isinstance(field, forms.ModelChoiceField):
            unknown = st.sampled_from(world.ids) | NOT_IDS  # another place's object, or not an id
        else:
            unknown = TEXT | st.sampled_from(offered or ["x"]).map(str.upper) | st.sampled_from(["Proposed", " "])
        one = weighted((2, st.sampled_from(offered)), (1, unknown)) if offered else unknown
        return st.lists(one, max_size=4) if _multiple(field) else one
    return TEXT


def values_for(field: forms.Field | None, world) -> st.SearchStrategy:
    """Three times in four the field's own kind; otherwise another kind, several values, or none."""
    own = own_kind(field, world)
    other = st.one_of(TEXT, NUMBERS, DATES, st.lists(own | TEXT, min_size=2, max_size=3), st.just(MISSING))
    return weighted((3, own), (1, other))


def weight_of(field: forms.Field | None) -> int:
    """How often a field is picked: those the code computes with (dates, numbers, choices, hidden
    fields) three times as often as free text."""
    computed = (forms.DateField, forms.DateTimeField, forms.DecimalField, forms.IntegerField, forms.ChoiceField)
    return 3 if isinstance(field, computed) or isinstance(getattr(field, "widget", None), forms.HiddenInput) else 1


def offered_start(field: forms.Field) -> st.SearchStrategy | None:
    """A value a person would pick for an empty choice field (e.g. the roles to move), or None."""
    if not isinstance(field, (forms.ModelChoiceField, forms.ChoiceField)):
        return None
    offered = choice_values(field)
    if not offered:
        return None
    if _multiple(field):
        return st.lists(st.sampled_from(offered), min_size=1, max_size=3, unique=True)
    return st.sampled_from(offered)


@dataclass
class Form:
    """What a page's form sends unchanged, how to generate each field, and how to fill its empty choices."""

    body: dict
    strategies: dict[str, st.SearchStrategy]
    starts: dict[str, st.SearchStrategy] = field(default_factory=dict)
    weights: dict[str, int] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()

    @classmethod
    def of(cls, body: dict, fields: dict[str, forms.Field], world) -> Form:
        starts = {
            name: start
            for name, form_field in fields.items()
            if body.get(name) in ("", [], None) and (start := offered_start(form_field)) is not None
        }
        return cls(
            body,
            {name: values_for(form_field, world) for name, form_field in fields.items()},
            starts,
            {name: weight_of(form_field) for name, form_field in fields.items()},
            frozenset(name for name, form_field in fields.items() if isinstance(form_field.widget, forms.HiddenInput)),
        )


def fuzzed(data, form: Form) -> dict:
    """A body a person might send, with a drawn subset of its fields given hostile values."""
    body = dict(form.body)
    for name, start in form.starts.items():
        if data.draw(st.integers(0, 3), label=f"fill {name}? (0: no)"):
            body[name] = data.draw(start, label=name)
    pool = [name for name in sorted(set(body) | set(form.strategies)) for _ in range(form.weights.get(name, 1))]
    if pool:
        # Mostly one or two fields, so that the others stay valid and the hostile value gets through.
        size = min(data.draw(FIELDS_AT_ONCE, label="how many fields"), len(set(pool)))
        picked = st.lists(st.sampled_from(pool), unique=True, min_size=size, max_size=size)
        for name in data.draw(picked, label="fuzzed fields"):
            value = data.draw(form.strategies.get(name, TEXT), label=name)
            if value is MISSING:
                body.pop(name, None)
            else:
                body[name] = value
    body.update(data.draw(UNKNOWN_FIELDS, label="unknown field"))
    return body


# --- What the database holds -----------------------------------------------------------------------


def _tables() -> list[tuple[str, str, str]]:
    """(model label, table, primary key column) of every model in the fingerprinted apps, their
    many-to-many tables and field history included."""
    return [
        (model._meta.label, model._meta.db_table, model._meta.pk.column)
        for label in FINGERPRINTED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


def fingerprint() -> dict[str, dict]:
    """Every row of the project's tables, by table and primary key (raw SQL: it runs once an example)."""
    prints = {}
    with connection.cursor() as cursor:
        for label, table, pk in _tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            at = [column[0] for column in cursor.description].index(pk)
            prints[label] = {row[at]: row for row in cursor.fetchall()}
    return prints


def changes(before: dict, after: dict) -> dict[str, list]:
    """Per table, the primary keys of the rows added, changed or deleted."""
    found = {}
    for table in before:
        old, new = before[table], after[table]
        if old != new:
            found[table] = sorted((pk for pk in old.keys() | new.keys() if old.get(pk) != new.get(pk)), key=str)
    return found


# --- Reading forms from pages ------------------------------------------------------------------------


def context_form(response, name: str):
    """The form the page's template was given as `name`, or None (a redirect, a 404, no such form)."""
    if response.status_code != 200 or response.context is None:
        return None
    return response.context.get(name)


def app_form(response, name: str = "form") -> tuple[dict, dict] | None:
    """(unchanged body, fields) of the form on an app page, or None when the page shows none."""
    form = context_form(response, name)
    return None if form is None else (form_body(form), dict(form.fields))


def bulk_move_form(response) -> tuple[dict, dict] | None:
    return app_form(response, "bulk_form")


def admin_form(response) -> tuple[dict, dict] | None:
    """(unchanged body, fields) of an admin add or change page: the model form, and each inline's
    management form, forms and the fields of one more form past the last."""
    adminform = context_form(response, "adminform")
    if adminform is None:
        return None
    body, fields = form_body(adminform.form), dict(adminform.form.fields)
    for inline in response.context.get("inline_admin_formsets") or []:
        formset = inline.formset
        management = formset.management_form
        for name, management_field in management.fields.items():
            body[management.add_prefix(name)] = str(management[name].value())
            fields[management.add_prefix(name)] = management_field
        for subform in formset.forms:
            body.update({subform.add_prefix(name): value for name, value in form_body(subform).items()})
            fields.update({subform.add_prefix(name): subform_field for name, subform_field in subform.fields.items()})
        extra = formset.empty_form
        past_the_last = str(len(formset.forms))
        fields.update(
            {extra.add_prefix(name).replace("__prefix__", past_the_last): f for name, f in extra.fields.items()}
        )
    return body, fields


class PostForms(HTMLParser):
    """The POST forms of an HTML page: {action: {field name: value}}."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = self.forms.setdefault(attrs.get("action") or "", {})
        elif self._current is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            self._current[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def reason_forms(response) -> dict[str, dict]:
    """The reason forms of the template comparison, by action."""
    parser = PostForms()
    parser.feed(response.content.decode())
    return {action: body for action, body in parser.forms.items() if "/reason/" in action}


def role_list_filters(response) -> tuple[dict, dict]:
    return {}, dict(response.context["filter"].form.fields)


def changelist_parameters(response) -> dict[str, list[str]]:
    """Every query parameter an admin changelist understands, with the values its own links use."""
    cl = response.context["cl"]
    offered: dict[str, set[str]] = {"q": {""}, "o": {"1", "-1", "2.1"}, "p": {"1", "2"}, "all": {""}, "_facets": {"1"}}
    if cl.date_hierarchy:
        offered |= {f"{cl.date_hierarchy}__{part}": {"2022", "4", "1"} for part in ("year", "month", "day")}
    for spec in cl.filter_specs:
        for name in spec.expected_parameters():
            offered.setdefault(name, set())
        for choice in spec.choices(cl):
            for name, value in parse_qsl(urlsplit(choice["query_string"]).query, keep_blank_values=True):
                offered.setdefault(name, set()).add(value)
    return {name: sorted(values) or [""] for name, values in offered.items()}


# --- The world -----------------------------------------------------------------------------------------


def _role_in(status, place, **fields) -> Role:
    """A role in `status` running the current financial year, described and signed off; an advert
    round (closed ten days ago) once it has been advertised."""
    values = {
        "place": place,
        "title": f"{S(status).label} role",
        "status": status,
        "start_date": YEAR.start,
        "end_date": YEAR.end,
        "description": "Leads the work, one session a week.",
        "description_signed_off_on": TODAY - dt.timedelta(days=60),
    }
    values.update(fields)
    role = RoleFactory(**values)
    if status not in (S.PROPOSED, S.APPROVED, S.WITHDRAWN, S.ON_HOLD):
        AdvertRound.objects.create(
            role=role,
            number=1,
            opens_on=TODAY - dt.timedelta(days=40),
            closes_on=TODAY - dt.timedelta(days=10),
            outcome=AdvertRound.Outcome.NOT_APPOINTED if status == S.NOT_APPOINTED else AdvertRound.Outcome.OPEN,
        )
    return role


class Fuzzer:
    """Two ICSs: South East London (Bexley with a role in every state, budgets and template roles;
    Greenwich, which needs board decisions) and Derbyshire (Derby City), and three users signed in:
    a Bexley place team member, South East London's ICS administrator (staff) and a superuser.
    Reads forms from pages and sends one example's request."""

    def __init__(self):
        sel = ICSFactory(name="South East London", short_name="SEL", slug="sel")
        jucd = ICSFactory(name="Joined Up Care Derbyshire", short_name="JUCD", slug="jucd")
        bexley = PlaceFactory(ics=sel, name="Bexley", slug="bexley")
        greenwich = PlaceFactory(ics=sel, name="Greenwich", slug="greenwich", requires_board_decision=True)
        derby = PlaceFactory(ics=jucd, name="Derby City", slug="derby-city")
        urgent_care = TemplateRoleFactory(ics=sel, title="Urgent Care Lead")
        frailty = TemplateRoleFactory(ics=sel, title="Frailty Lead")
        TemplateRoleFactory(ics=sel, title="Safeguarding GP")
        TemplateRoleFactory(ics=jucd, title="Derby Frailty Lead")
        TemplateOmission.objects.create(place=bexley, template_role=frailty, reason="Covered by the PCN.")
        extra = {
            S.CONTRACTED: {"appointee_name": "Dr A Person", "start_date": TODAY - dt.timedelta(days=30)},
            S.IN_POST: {"appointee_name": "Dr B Person"},
            S.ENDED: {"end_date": TODAY - dt.timedelta(days=1)},
            S.ON_HOLD: {"held_from": S.APPROVED},
        }
        self.roles = [_role_in(status, bexley, **extra.get(status, {})) for status in S.values]
        self.roles += [
            _role_in(S.PROPOSED, bexley, title="Urgent care lead (renamed)", template_role=urgent_care),
            _role_in(S.PROPOSED, bexley, title="Not signed off", description_signed_off_on=None),
            _role_in(S.APPROVED, greenwich, title="Greenwich Safeguarding GP"),
            _role_in(S.PROPOSED, derby, title="Derby Frailty Lead"),
        ]
        BudgetFactory(place=bexley, financial_year=YEAR.start_year, amount=Decimal("400000"), session_cap=40)
        BudgetFactory(place=bexley, financial_year=YEAR.start_year + 1, amount=Decimal("100000"))
        BudgetFactory(place=derby, financial_year=YEAR.start_year, amount=Decimal("250000"))
        users = {
            "team": member(AccessKind.PLACE_TEAM, place=bexley, username="bea"),
            "ics_admin": member(AccessKind.ICS_ADMIN, ics=sel, username="ida"),
            "root": UserFactory(username="root", is_staff=True, is_superuser=True),
        }
        member(AccessKind.ICS_ADMIN, ics=jucd, username="derby_admin")
        member(AccessKind.HR_RECRUITER, place=bexley, username="hari")
        self.clients = {name: Client() for name in users}
        for name, user in users.items():
            self.clients[name].force_login(user)
        # Bexley mostly; a place of the same ICS, another ICS's, and one that does not exist.
        self.place_slugs = ["bexley"] * 6 + ["greenwich", "derby-city", "nowhere"]
        # The rows every example starts from: examples and the reading of pages are rolled back.
        self.baseline = fingerprint()
        # Every primary key in the database: "another place's object id" for any foreign key.
        self.ids = sorted({str(pk) for rows in self.baseline.values() for pk in rows if isinstance(pk, int)}, key=int)
        self.ids.append("999999")
        self._memo: dict = {}

    def remember(self, key, compute):
        """`compute()` once per test (every example starts from the same rows), rolled back."""
        if key not in self._memo:
            with transaction.atomic():
                self._memo[key] = compute()
                transaction.set_rollback(True)
        return self._memo[key]

    def page(self, user: str, url: str, read):
        """What `read` finds on the page at `url` as `user` sees it."""
        return self.remember((user, url, read.__name__), lambda: read(self.clients[user].get(url)))

    def form_on(self, user: str, url: str, read=app_form) -> Form | None:
        """The form on the page at `url` (`read` gives its unchanged body and fields), or None."""

        def as_form():
            found = read(self.clients[user].get(url))
            return None if found is None else Form.of(*found, self)

        return self.remember((user, url, "form", read.__name__), as_form)

    def send(self, user: str, method: str, url: str, body: dict):
        """One example's request, in a savepoint rolled back afterwards. Fails on a 500 (or an
        exception), on a refused POST or any GET that wrote, and on a 500 in the pages a success shows."""
        client = self.clients[user]
        client.cookies.pop("messages", None)  # messages left by the previous example
        note(f"{user}: {method} {url} {_short(body)}")
        with transaction.atomic():
            response = client.post(url, body) if method == "POST" else client.get(url, body)
            assert response.status_code < 500, f"{method} {url} answered {response.status_code}"
            assert response.wsgi_request.user.is_authenticated, "the example ran signed out"
            written = changes(self.baseline, fingerprint())
            if method == "POST" and 300 <= response.status_code < 400:
                self._visit_what_changed(client, response, written)
            else:
                assert not written, f"{method} {url} answered {response.status_code} (no success) but wrote {written}"
            transaction.set_rollback(True)

    def _visit_what_changed(self, client, response, written):
        """After a success: the redirect's target, each changed role's page and its place's dashboard."""
        pages = [response.url] if response.url.startswith("/") else []
        roles = list(Role.objects.filter(pk__in=written.get("roles.Role", [])).select_related("place"))
        places = {role.place for role in roles}
        places |= {budget.place for budget in Budget.objects.filter(pk__in=written.get("roles.Budget", []))}
        pages += [role.get_absolute_url() for role in roles] + [place.get_absolute_url() for place in places]
        for page in dict.fromkeys(pages):
            note(f"then GET {page}")
            shown = client.get(page)
            assert shown.status_code < 500, f"after the change, {page} answered {shown.status_code}"


def _short(body: dict) -> dict:
    """The body as a note shows it: long values cut."""

    def cut(value):
        if isinstance(value, list):
            return [cut(item) for item in value]
        return value if len(value) <= 80 else f"{value[:40]!r}… ({len(value)} characters)"

    return {name: cut(value) for name, value in body.items()}


@pytest.fixture
def world(db, caplog):
    # Each refusal logs a warning and each 500 a traceback: the failure report says what matters.
    caplog.set_level(logging.CRITICAL, logger="django.request")
    return Fuzzer()


def place_url(name: str, place: str, *args) -> str:
    return reverse(f"roles:{name}", args=[place, *args])


# --- The role form -------------------------------------------------------------------------------------


@fuzz
@given(data=st.data())
def test_no_generated_role_form_makes_a_500_or_writes_on_refusal(world, data):
    user = data.draw(st.sampled_from(APP_USERS), label="user")
    role = data.draw(st.none() | st.sampled_from(world.roles), label="role (None: add one)")
    if role is None:
        place = data.draw(st.sampled_from(world.place_slugs), label="place")
        url, form = place_url("role_create", place), _role_form_filled_in(world, user)
    else:
        place = data.draw(
            weighted((4, st.just(role.place.slug)), (1, st.sampled_from(world.place_slugs))), label="place"
        )
        url = place_url("role_edit", place, role.pk)
        form = world.form_on(user, url) or _role_form_filled_in(world, user)

    body = fuzzed(data, form)

    world.send(user, "POST", url, body)


def _role_form_filled_in(world, user) -> Form:
    """The add form as a person fills it in: what they can see and type copied from an existing
    role (Bexley's proposed one); hidden fields keep the add page's own."""
    add = world.form_on(user, place_url("role_create", "bexley"))
    existing = world.form_on(user, place_url("role_edit", "bexley", world.roles[0].pk))
    return replace(add, body={**add.body, **_typed(add, existing)})


def _typed(add: Form, existing: Form) -> dict:
    """The values of `existing` a person would type into `add`: its visible fields' (inline
    formsets, whose keys hold a '-', keep the add page's own)."""
    return {
        name: existing.body[name]
        for name in add.body
        if name in existing.body and name not in add.hidden and "-" not in name
    }


# --- Moves and reasons -------------------------------------------------------------------------------


def move_post(world, user, data) -> tuple[str, Form | None]:
    """The move page: a role in any state, to any state (legal or not) or to one that does not exist."""
    role = data.draw(st.sampled_from(world.roles), label="role")
    to = data.draw(st.sampled_from(S.values) | st.from_regex(r"[-a-zA-Z0-9_]{1,30}", fullmatch=True), label="to")
    url = place_url("role_move", role.place.slug, role.pk, to)
    return url, world.form_on(user, url) or _forged_move_form(world, user, to, role)


def _forged_move_form(world, user, to, role) -> Form | None:
    """For a move the page does not offer (it shows no form): the move form of a role that may make
    the move (for an unknown or unreachable state, of any move), expecting `role`'s state."""

    def first_move_form():
        for target in [to, *S.values] if to in S.values else S.values:
            for donor in world.roles:
                form = world.form_on(user, place_url("role_move", donor.place.slug, donor.pk, target))
                if form:
                    return form
        return None

    form = world.remember((user, "a move form to", to if to in S.values else None), first_move_form)
    if form is None:
        return None
    # The hidden fields that carry the state the page was loaded in take `role`'s.
    loaded_in = {"expected_status": "status", "version": "version"}
    return replace(
        form,
        body={
            **form.body,
            **{
                name: str(getattr(role, attr))
                for name, attr in loaded_in.items()
                if name in form.body and hasattr(role, attr)
            },
        },
    )


def bulk_move_post(world, user, data) -> tuple[str, Form | None]:
    """The bulk move form on the board."""
    place = data.draw(st.sampled_from(world.place_slugs), label="place")
    return place_url("bulk_move", place), world.form_on(user, place_url("board", "bexley"), bulk_move_form)


def reason_post(world, user, data) -> tuple[str, Form]:
    """The reason forms of the template comparison, and forged ones (other roles, adopted or
    another ICS's template roles, ids that do not exist)."""
    shown = world.page(user, place_url("template_comparison", "bexley"), reason_forms)
    forged = [place_url("role_variation_reason", role.place.slug, role.pk) for role in world.roles]
    forged += [place_url("omission_reason", place, pk) for place in ("bexley", "greenwich") for pk in world.ids]
    url = data.draw(st.sampled_from(sorted(shown)) | st.sampled_from(forged), label="url")
    body = shown.get(url, {"reason": ""})
    return url, Form(body, {name: TEXT | st.just(MISSING) for name in body})


@fuzz
@given(data=st.data())
def test_no_generated_move_or_reason_makes_a_500_or_writes_on_refusal(world, data):
    user = data.draw(st.sampled_from(APP_USERS), label="user")
    post = data.draw(
        weighted((2, st.just(move_post)), (1, st.just(bulk_move_post)), (1, st.just(reason_post))), label="form"
    )
    url, form = post(world, user, data)

    body = fuzzed(data, form or Form({}, {}))

    world.send(user, "POST", url, body)


# --- The admin's forms --------------------------------------------------------------------------------

ADMIN_MODELS = {
    "role": Role,
    "budget": Budget,
    "place": Place,
    "templaterole": TemplateRole,
    "templateomission": TemplateOmission,
    "membership": Membership,
}


@fuzz
@given(data=st.data())
def test_no_generated_admin_form_makes_a_500_or_writes_on_refusal(world, data):
    user = data.draw(st.sampled_from(ADMIN_USERS), label="user")
    model = data.draw(st.sampled_from(sorted(ADMIN_MODELS)), label="model")
    pks = world.remember(
        ("pks", model), lambda: list(ADMIN_MODELS[model].objects.order_by("pk").values_list("pk", flat=True))
    )
    pk = data.draw(st.none() | st.sampled_from(pks), label="object (None: add one)")
    url = reverse(f"admin:roles_{model}_change", args=[pk]) if pk else reverse(f"admin:roles_{model}_add")
    form = world.form_on(user, url, admin_form) or Form({}, {})
    if pk is None:
        form = _admin_add_form_filled_in(world, user, model, form, pks)
    button = data.draw(st.sampled_from(["_save", "_continue", "_addanother", "_saveasnew"]), label="button")

    body = fuzzed(data, replace(form, body={**form.body, button: "Save"}))

    world.send(user, "POST", url, body)


def _admin_add_form_filled_in(world, user, model, add: Form, pks) -> Form:
    """The add form as a person fills it in: with what they would type, copied from an existing object."""
    for pk in pks:
        existing = world.form_on(user, reverse(f"admin:roles_{model}_change", args=[pk]), admin_form)
        if existing:
            return replace(add, body={**add.body, **_typed(add, existing)})
    return add


# --- Query strings -------------------------------------------------------------------------------------


def place_page_query(world, data) -> tuple[str, str, Form]:
    """The role list's filters and page, the dashboard's year, and any parameter of the board and
    the template comparison."""
    user = data.draw(st.sampled_from(APP_USERS), label="user")
    page = data.draw(st.sampled_from(["role_list", "dashboard", "board", "template_comparison"]), label="page")
    if page == "role_list":
        filters = world.form_on(user, place_url("role_list", "bexley"), role_list_filters)
        strategies = {**filters.strategies, "page": NUMBERS | st.just("last")}
    elif page == "dashboard":
        strategies = {"year": YEARS}
    else:
        strategies = {name: QUERY_VALUES for name in ("year", "page", "q", "status", "sort")}
    return user, place_url(page, "bexley"), Form({}, strategies)


def admin_changelist_query(world, data) -> tuple[str, str, Form]:
    """An admin changelist's search, ordering, page, date hierarchy and every list filter."""
    user = data.draw(st.sampled_from(ADMIN_USERS), label="user")
    changelists = {
        model: world.page(user, reverse(f"admin:roles_{model}_changelist"), changelist_parameters)
        for model in sorted(ADMIN_MODELS)
    }
    # A changelist that understands more (the roles': a date hierarchy, seven filters) is drawn more often.
    model = data.draw(
        weighted(*((sum(map(_parameter_weight, offered)), st.just(model)) for model, offered in changelists.items())),
        label="model",
    )
    url, offered = reverse(f"admin:roles_{model}_changelist"), changelists[model]
    strategies = {
        name: weighted((1, st.sampled_from(values)), (3, _parameter_kind(name, world)))
        for name, values in offered.items()
    }
    return user, url, Form({}, strategies, weights={name: _parameter_weight(name) for name in offered})


def _parameter_weight(name: str) -> int:
    """Date hierarchy parts (turned into dates) twice as often as filters, ordering and page; the
    search less, the all/facets switches least."""
    if name.endswith(("__year", "__month", "__day")):
        return 6
    return {"q": 2, "all": 1, "_facets": 1}.get(name, 3)


def _parameter_kind(name: str, world) -> st.SearchStrategy:
    """Hostile values of the kind a changelist parameter takes: text, ordering, number or id."""
    if name == "q":
        return TEXT
    if name == "o":
        return ORDERINGS
    if name == "p" or name.endswith(("__year", "__month", "__day")):
        return NUMBERS
    return st.one_of(st.sampled_from(world.ids), NOT_IDS, QUERY_VALUES)


def admin_autocomplete_query(world, data) -> tuple[str, str, Form]:
    """The admin's autocomplete endpoint, for each model and foreign key."""
    user = data.draw(st.sampled_from(ADMIN_USERS), label="user")
    body = {
        "app_label": "roles",
        "model_name": data.draw(st.sampled_from(sorted(ADMIN_MODELS)), label="model_name"),
        "field_name": data.draw(st.sampled_from(["place", "template_role", "user", "ics"]), label="field_name"),
        "term": "",
    }
    return user, reverse("admin:autocomplete"), Form(body, {"term": TEXT, "page": NUMBERS})


@fuzz
@given(data=st.data())
def test_no_generated_query_string_on_a_place_page_makes_a_500_or_writes(world, data):
    user, url, form = place_page_query(world, data)

    params = fuzzed(data, form)

    world.send(user, "GET", url, params)


@fuzz
@given(data=st.data())
def test_no_generated_admin_query_string_makes_a_500_or_writes(world, data):
    query = data.draw(weighted((3, st.just(admin_changelist_query)), (1, st.just(admin_autocomplete_query))))
    user, url, form = query(world, data)

    params = fuzzed(data, form)

    world.send(user, "GET", url, params)
