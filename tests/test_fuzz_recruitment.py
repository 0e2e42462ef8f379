"""Property-based tests of recruitment's doors: no generated input makes a 500, and a refused request
writes nothing.

The machinery is tests/test_fuzz.py's, imported rather than copied: its hostile values, its `Form`
and `fuzzed` (a body a person would send, with a drawn subset of its fields given hostile values),
its `Fuzzer` (forms read from the pages a browser would load, each example in a savepoint rolled
back, every row of the project's tables fingerprinted and compared after each request, and the
pages showing a change loaded after a success), and its profiles: 100 examples per test under CI
(`CI=true` or `FUZZ_PROFILE=ci`), 60 otherwise, `FUZZ_EXAMPLES=n` for more.

The world is `Rounds` (tests/test_access_recruitment.py), Bexley's recruitment run through the
services, a round per state: advertised and closed, shortlisting anonymously (received, late and
rejected applications), interviewing (a booked and a free slot), offered (an open offer) and an
accepted offer awaiting its contract; and a Derby City round in another ICS, ready to close its
shortlist. Each door draws, three times in four, a row it could succeed on (`_fitting`), so that
successes are exercised as well as refusals.

The doors:
- the round's page: the shortlist, each step (start shortlisting, close the shortlist, close
  unfilled, and steps that do not exist), an offer's answer (accept, decline, and answers that do
  not exist) and the contract;
- an application's page: every action (accept late, reinstate, interview held, offer, withdraw,
  book a slot) and actions that do not exist, with the page's `next`;
- the recruitment admin: the contract add form, the application and offer actions (with and
  without the page asking for a reason), and a round's change form with its criteria, panel and
  interview slots;
- the query strings of the place's rounds, the round, application, equality and panel pages, of
  the recruitment admin's changelists (advert rounds, applications, offers, contracts, people,
  declarations) and of the panel's person lookup.
The panel's score and declare forms are fuzzed in tests/test_panel.py.

Besides the signed-in users who run recruitment (Bexley's HR recruiter, the ICS administrator, a
superuser), requests come from those who must be refused: Bexley's place team (403), Derby City's
HR recruiter (404 in Bexley) and a panel member with no other access (404). An admin action
answers a refusal, as a success, with a redirect: there the refusal is told by its message (an
error or warning), and then nothing may have been written either.

What the examples found is pinned at the end of the file, one test each.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django import forms
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from hypothesis import given, note
from hypothesis import strategies as st

from recruitment.models import (
    LIVE_STATUSES,
    REJECTED_STATUSES,
    Application,
    ApplicationStatus,
    Contract,
    InterviewSlot,
    Offer,
)
from recruitment.views import APPLICATION_ACTIONS, ROUND_STEPS
from roles.models import AccessKind, AdvertRound, Role, RoleStatus
from tests.factories import UserFactory, member
from tests.test_access_recruitment import Rounds
from tests.test_fuzz import (
    BOOLEANS,
    NOT_IDS,
    NUMBERS,
    QUERY_VALUES,
    TEXT,
    Form,
    Fuzzer,
    _parameter_kind,
    _parameter_weight,
    admin_form,
    app_form,
    changelist_parameters,
    changes,
    fingerprint,
    fuzz,
    fuzzed,
    weighted,
)

pytestmark = pytest.mark.django_db

A = ApplicationStatus

# Who sends the requests: mostly those who run recruitment, sometimes those who must be refused.
APP_USERS = weighted(
    (4, st.just("hr")),
    (2, st.just("ics_admin")),
    (1, st.just("root")),
    (1, st.just("team")),
    (1, st.just("other_hr")),
    (1, st.just("panel")),
)
ADMIN_USERS = weighted((3, st.just("hr")), (2, st.just("ics_admin")), (1, st.just("root")), (1, st.just("other_hr")))
SLUGS = st.from_regex(r"[-a-zA-Z0-9_]{1,30}", fullmatch=True)  # a step, answer or action that may not exist
# What a person types into a form's empty fields before sending it.
TYPED = {
    "reason": "Discussed with the panel chair.",
    "contract_type": "fixed_term",
    "starts_on": "2022-05-03",
    "ends_on": "2024-03-31",
    "signed_on": "2022-04-25",
}


class RecruitmentFuzzer(Fuzzer):
    """tests/test_fuzz.py's `Fuzzer` on Bexley's recruitment (`Rounds`), with these users signed in:
    Bexley's HR recruiter, South East London's ICS administrator, a superuser, Bexley's place team,
    Derby City's HR recruiter and Dr Pat Panel (on the anonymous round's panel, nothing else)."""

    def __init__(self):
        # Not `Fuzzer.__init__`, which builds the catalogue's world: the same attributes, for recruitment's.
        self.rounds = rounds = Rounds.build()
        bexley = rounds.shortlisting.place
        users = {
            "hr": rounds.shortlisting.recruiter,
            "ics_admin": member(AccessKind.ICS_ADMIN, ics=bexley.ics, username="ida"),
            "root": UserFactory(username="root", is_staff=True, is_superuser=True),
            "team": rounds.shortlisting.team,
            "other_hr": rounds.derby.recruiter,
            "panel": rounds.pat,
        }
        self.clients = {name: Client() for name in users}
        for name, user in users.items():
            self.clients[name].force_login(user)
        self.baseline = fingerprint()
        self.ids = sorted({str(pk) for rows in self.baseline.values() for pk in rows if isinstance(pk, int)}, key=int)
        self.ids.append("999999")
        self._memo: dict = {}
        self.round_pks = [r.round.pk for r in rounds.all] + [999999]
        self.application_pks = list(Application.objects.order_by("pk").values_list("pk", flat=True)) + [999999]
        self.offer_pks = list(Offer.objects.order_by("pk").values_list("pk", flat=True)) + [999999]
        self.place_slugs = ["bexley"] * 6 + ["greenwich", "derby-city", "nowhere"]
        self.fitting = _fitting()

    def _visit_what_changed(self, client, response, written):
        """After a redirect: if it told of a refusal (the admin's actions redirect either way), nothing
        may have been written; after a success, the catalogue's pages (`Fuzzer`'s) and the
        recruitment pages of what changed must load."""
        told = [m for m in get_messages(response.wsgi_request) if m.level >= messages.WARNING]
        if told:
            assert not written, f"refused ({told[0].message!r}) but wrote {written}"
            return
        super()._visit_what_changed(client, response, written)
        for page in _recruitment_pages(written):
            if page == response.url.split("#")[0]:
                continue  # shown already, as the redirect's target
            note(f"then GET {page}")
            shown = client.get(page)
            assert shown.status_code < 500, f"after the change, {page} answered {shown.status_code}"


def _fitting() -> dict[str, list[int]]:
    """For each step and action, the rows it could succeed on (examples draw them more often)."""

    def applications(*statuses):
        return list(Application.objects.filter(status__in=statuses).order_by("pk").values_list("pk", flat=True))

    def rounds(**lookups):
        return list(AdvertRound.objects.filter(**lookups).distinct().order_by("pk").values_list("pk", flat=True))

    late = [a.pk for a in Application.objects.select_related("round").order_by("pk") if a.awaits_late_accept]
    return {
        # The round's page
        "shortlist": rounds(applications__status=A.RECEIVED, role__status=RoleStatus.SHORTLISTING),
        "start-shortlisting": rounds(role__status=RoleStatus.ADVERTISED),
        "close-shortlist": rounds(role__status=RoleStatus.SHORTLISTING),
        "close-unfilled": rounds(role__status__in=[RoleStatus.INTERVIEWING, RoleStatus.OFFERED]),
        "contract": rounds(offers__status=Offer.Status.ACCEPTED),
        "shortlist-applications": applications(A.RECEIVED),
        "offers": list(Offer.objects.filter(status=Offer.Status.MADE).values_list("pk", flat=True)),
        # An application's page
        "accept-late": late,
        "reinstate": applications(*REJECTED_STATUSES),
        "held": applications(A.SHORTLISTED),
        "offer": applications(A.INTERVIEWED),
        "withdraw": applications(*LIVE_STATUSES),
        "book": applications(A.SHORTLISTED),
    }


def likely(fitting: list, every: list) -> st.SearchStrategy:
    """Three times in four a row the request could succeed on; otherwise any row (or one that does not exist)."""
    return weighted((3, st.sampled_from(fitting)), (1, st.sampled_from(every))) if fitting else st.sampled_from(every)


def _recruitment_pages(written: dict) -> list[str]:
    """The round, equality and application pages of the applications, offers and contracts written."""
    applications = Application.objects.filter(pk__in=written.get("recruitment.Application", []))
    offers = Offer.objects.filter(pk__in=written.get("recruitment.Offer", []))
    contracts = Contract.objects.filter(pk__in=written.get("recruitment.Contract", []))
    rounds = {
        *applications.values_list("round_id", flat=True),
        *offers.values_list("round_id", flat=True),
        *contracts.values_list("offer__round_id", flat=True),
    }
    pages = [reverse("recruitment:application_detail", args=[pk]) for pk in applications.values_list("pk", flat=True)]
    for pk in sorted(rounds):
        pages += [reverse("recruitment:round_detail", args=[pk]), reverse("recruitment:round_equality", args=[pk])]
    return pages


@pytest.fixture
def world(db, caplog):
    # Each refusal logs a warning and each 500 a traceback: the failure report says what matters.
    caplog.set_level(logging.CRITICAL, logger="django.request")
    return RecruitmentFuzzer()


def reading(name: str):
    """A reader of the form the page's template was given as `name` (for `Fuzzer.form_on`)."""

    def read(response):
        return app_form(response, name)

    read.__name__ = f"read_{name}"
    return read


def page_form(world, user: str, url: str, name: str, **typed) -> Form:
    """The form `name` on the page at `url` as `user` sees it (a superuser's page where they cannot
    see it: a forged request), with `typed` filled into its empty fields."""
    form = world.form_on(user, url, reading(name)) or world.form_on("root", url, reading(name)) or Form({}, {})
    filled = {field: value for field, value in typed.items() if field in form.strategies and not form.body.get(field)}
    return Form({**form.body, **filled}, form.strategies, form.starts, form.weights, form.hidden)


def round_url(name: str, *args) -> str:
    return reverse(f"recruitment:{name}", args=list(args))


# --- The round's and the application's pages --------------------------------------------------------------


def round_post(world, user, data) -> tuple[str, Form]:
    """The shortlist, a step, an offer's answer or the contract, on any round (or one that does not exist)."""
    door = data.draw(st.sampled_from(["shortlist", "step", "offer", "contract"]), label="door")
    if door == "shortlist":
        pk = data.draw(likely(world.fitting["shortlist"], world.round_pks), label="round")
        page = round_url("round_detail", pk)
        return round_url("round_shortlist", pk), page_form(world, user, page, "shortlist_form")
    if door == "step":
        step = data.draw(weighted((4, st.sampled_from(sorted(ROUND_STEPS))), (1, SLUGS)), label="step")
        pk = data.draw(likely(world.fitting.get(step, []), world.round_pks), label="round")
        page = round_url("round_detail", pk)
        form = page_form(world, user, page, "close_form", **TYPED) if step == "close-unfilled" else Form({}, {})
        return round_url("round_step", pk, step), form
    if door == "offer":
        offer = data.draw(likely(world.fitting["offers"], world.offer_pks), label="offer")
        answer = data.draw(weighted((4, st.sampled_from(["accept", "decline"])), (1, SLUGS)), label="answer")
        if answer != "decline":
            return round_url("offer_answer", offer, answer), Form({}, {})
        offer_round = Offer.objects.filter(pk=offer).values_list("round_id", flat=True).first() or world.round_pks[0]
        form = page_form(world, user, round_url("round_detail", offer_round), "decline_form")
        return round_url("offer_answer", offer, answer), form
    pk = data.draw(likely(world.fitting["contract"], world.round_pks), label="round")
    page = round_url("round_detail", pk)
    return round_url("contract_record", pk), page_form(world, user, page, "contract_form", **TYPED)


APPLICATION_FORMS = {"reinstate": "reinstate_form", "withdraw": "withdraw_form", "book": "book_form"}


def application_post(world, user, data) -> tuple[str, Form]:
    """An action on any application (or one that does not exist), or an action that does not exist."""
    action = data.draw(weighted((4, st.sampled_from(sorted(APPLICATION_ACTIONS))), (1, SLUGS)), label="action")
    pk = data.draw(likely(world.fitting.get(action, []), world.application_pks), label="application")
    form = Form({}, {})
    if action in APPLICATION_FORMS:
        form = page_form(world, user, round_url("application_detail", pk), APPLICATION_FORMS[action], **TYPED)
    return round_url("application_act", pk, action), form


@fuzz
@given(data=st.data())
def test_no_generated_post_to_a_round_or_application_makes_a_500_or_writes_on_refusal(world, data):
    user = data.draw(APP_USERS, label="user")
    post = data.draw(st.sampled_from([round_post, application_post]), label="page")
    url, form = post(world, user, data)

    body = fuzzed(data, form)

    world.send(user, "POST", url, body)


# --- The recruitment admin ------------------------------------------------------------------------------------

ACTION_CHANGELISTS = ["application", "offer"]
# The admin's actions, by the step or action of the pages they match (for the rows they could succeed on).
ADMIN_ACTIONS = {
    "shortlist": "shortlist-applications",
    "do_not_shortlist": "shortlist-applications",
    "accept_late": "accept-late",
    "reinstate": "reinstate",
    "interview_held": "held",
    "make_offer": "offer",
    "withdraw": "withdraw",
    "accept": "offers",
    "decline_next": "offers",
    "decline_not_appointed": "offers",
}


def action_names(response) -> list[str]:
    """The actions a changelist offers (its action form's choices)."""
    if response.status_code != 200 or response.context is None or response.context.get("action_form") is None:
        return []
    return [value for value, _ in response.context["action_form"].fields["action"].choices if value]


def admin_action_post(world, user, data) -> tuple[str, Form]:
    """An action of the applications' or offers' changelist on some of their rows, with or without
    the reason its page asks for (sent as that page sends it)."""
    model = data.draw(st.sampled_from(ACTION_CHANGELISTS), label="model")
    url = reverse(f"admin:recruitment_{model}_changelist")
    offered = world.page(user, url, action_names) or ["shortlist"]
    action = data.draw(st.sampled_from(offered), label="action")
    every = world.application_pks if model == "application" else world.offer_pks
    fitting = world.fitting.get(ADMIN_ACTIONS.get(action, ""), [])
    selected = data.draw(st.lists(likely(fitting, every).map(str), min_size=1, max_size=3, unique=True), label="rows")
    body = {"action": action, "index": "0", "select_across": "0", ACTION_CHECKBOX_NAME: selected}
    if data.draw(st.booleans(), label="from the reason page"):
        body |= {"apply": "Apply", "reason": TYPED["reason"]}
    strategies = {
        "action": st.sampled_from(offered) | TEXT | st.sampled_from(["delete_selected", "shortlist "]),
        "index": NUMBERS,
        "select_across": BOOLEANS,
        ACTION_CHECKBOX_NAME: st.lists(st.sampled_from(world.ids) | NOT_IDS, max_size=4),
        "apply": TEXT,
        "reason": TEXT,
    }
    return url, Form(body, strategies, weights={"action": 2, ACTION_CHECKBOX_NAME: 3})


def admin_contract_post(world, user, data) -> tuple[str, Form]:
    """The contract add form, filled in as a person would (an accepted offer, the contract's terms)."""
    url = reverse("admin:recruitment_contract_add")
    form = world.form_on(user, url, admin_form) or Form({}, {})
    filled = {field: value for field, value in TYPED.items() if field in form.strategies and not form.body.get(field)}
    return url, Form({**form.body, **filled}, form.strategies, form.starts, form.weights, form.hidden)


def split_admin_form(response) -> tuple[dict, dict] | None:
    """`admin_form`, with each field of a split widget (an interview slot's date and time) sent as the
    browser sends it: `<name>_0` the date, `<name>_1` the time."""
    found = admin_form(response)
    if found is None:
        return None
    body, fields = found
    for name, form_field in list(fields.items()):
        if not isinstance(form_field.widget, forms.MultiWidget):
            continue
        value = body.pop(name, "")
        date, time = form_field.widget.decompress(dt.datetime.fromisoformat(value)) if value else ("", "")
        del fields[name]
        if value:
            body[f"{name}_0"], body[f"{name}_1"] = date.isoformat(), time.strftime("%H:%M")
        fields[f"{name}_0"], fields[f"{name}_1"] = forms.DateField(), forms.TimeField()
    return body, fields


def admin_round_post(world, user, data) -> tuple[str, Form]:
    """A round's change form: its advert, and its criteria, panel and interview slots (inlines)."""
    pk = data.draw(st.sampled_from(world.round_pks), label="round")
    url = reverse("admin:roles_advertround_change", args=[pk])
    form = world.form_on(user, url, split_admin_form) or world.form_on("root", url, split_admin_form)
    return url, form or Form({}, {})


@fuzz
@given(data=st.data())
def test_no_generated_admin_post_makes_a_500_or_writes_on_refusal(world, data):
    user = data.draw(ADMIN_USERS, label="user")
    post = data.draw(
        weighted((3, st.just(admin_action_post)), (1, st.just(admin_contract_post)), (1, st.just(admin_round_post))),
        label="form",
    )
    url, form = post(world, user, data)
    if post is not admin_action_post:
        button = data.draw(st.sampled_from(["_save", "_continue", "_addanother"]), label="button")
        form = Form({**form.body, button: "Save"}, form.strategies, form.starts, form.weights, form.hidden)

    body = fuzzed(data, form)

    world.send(user, "POST", url, body)


# --- Query strings ---------------------------------------------------------------------------------------------

PAGE_PARAMETERS = ("page", "q", "status", "stage", "round", "sort", "o", "year", "names", "anonymous")


def page_query(world, data) -> tuple[str, str, Form]:
    """Any parameter of the place's rounds, a round's and an application's pages, the equality pages
    and the panel's, on any place, round or application (or one that does not exist)."""
    user = data.draw(APP_USERS, label="user")
    page = data.draw(
        st.sampled_from(
            [
                "place_rounds",
                "place_equality",
                "round_detail",
                "round_equality",
                "application_detail",
                "my_panels",
                "panel_round",
            ]
        ),
        label="page",
    )
    if page.startswith("place_"):
        args = [data.draw(st.sampled_from(world.place_slugs), label="place")]
    elif page == "application_detail":
        args = [data.draw(st.sampled_from(world.application_pks), label="application")]
    elif page == "my_panels":
        args = []
    else:
        args = [data.draw(st.sampled_from(world.round_pks), label="round")]
    return user, round_url(page, *args), Form({}, {name: QUERY_VALUES for name in PAGE_PARAMETERS})


# Person and Declaration are models of `roles`, registered in recruitment's admin.
CHANGELISTS = [
    "recruitment_application",
    "recruitment_offer",
    "recruitment_contract",
    "roles_advertround",
    "roles_person",
    "roles_declaration",
]


def admin_changelist_query(world, data) -> tuple[str, str, Form]:
    """A recruitment changelist's search, ordering, page and every list filter (tests/test_fuzz.py's
    parameters and values)."""
    user = data.draw(ADMIN_USERS, label="user")
    changelists = {
        name: world.page(user, reverse(f"admin:{name}_changelist"), changelist_parameters) for name in CHANGELISTS
    }
    name = data.draw(
        weighted(*((sum(map(_parameter_weight, offered)), st.just(name)) for name, offered in changelists.items())),
        label="changelist",
    )
    offered = changelists[name]
    strategies = {
        parameter: weighted((1, st.sampled_from(values)), (3, _parameter_kind(parameter, world)))
        for parameter, values in offered.items()
    }
    weights = {parameter: _parameter_weight(parameter) for parameter in offered}
    return user, reverse(f"admin:{name}_changelist"), Form({}, strategies, weights=weights)


def panel_lookup_query(world, data) -> tuple[str, str, Form]:
    """The round page's search for a panel member (the admin's autocomplete of `PanelMember.person`)."""
    user = data.draw(ADMIN_USERS, label="user")
    body = {"app_label": "recruitment", "model_name": "panelmember", "field_name": "person", "term": ""}
    strategies = {name: TEXT for name in ("app_label", "model_name", "field_name")}
    return user, reverse("admin:autocomplete"), Form(body, {**strategies, "term": TEXT, "page": NUMBERS})


@fuzz
@given(data=st.data())
def test_no_generated_query_string_makes_a_500_or_writes(world, data):
    query = data.draw(
        weighted((2, st.just(page_query)), (3, st.just(admin_changelist_query)), (1, st.just(panel_lookup_query))),
        label="query",
    )
    user, url, form = query(world, data)

    params = fuzzed(data, form)

    world.send(user, "GET", url, params)


def test_the_world_has_a_round_in_each_state_and_a_form_for_each_door(world):
    """The examples reach every door: each round's state, and the forms read from the pages."""
    rounds = world.rounds
    statuses = [Role.objects.get(pk=r.role.pk).status for r in rounds.all]
    assert statuses == ["advertised", "shortlisting", "interviewing", "offered", "offered", "shortlisting"]
    assert list(Offer.objects.values_list("status", flat=True).order_by("pk")) == ["made", "accepted"]
    assert InterviewSlot.objects.filter(application__isnull=True).count() == 2
    assert all(world.fitting.values()), {door: rows for door, rows in world.fitting.items() if not rows}
    accepted = round_url("round_detail", rounds.accepted.round.pk)
    contract = page_form(world, "hr", accepted, "contract_form", **TYPED)
    assert contract.body["offer"] and contract.body["signed_on"] == TYPED["signed_on"]
    shortlist = page_form(world, "hr", round_url("round_detail", rounds.shortlisting.round.pk), "shortlist_form")
    assert set(shortlist.starts) == {"applications", "decision"}  # the received ones are offered to choose
    assert set(world.page("hr", reverse("admin:recruitment_application_changelist"), action_names)) >= {
        "shortlist",
        "reinstate",
        "make_offer",
    }
    assert world.form_on("hr", reverse("admin:recruitment_contract_add"), admin_form) is not None
    interviewing = reverse("admin:roles_advertround_change", args=[rounds.interviewing.round.pk])
    unchanged = world.form_on("hr", interviewing, split_admin_form)
    assert world.clients["hr"].post(interviewing, {**unchanged.body, "_save": "Save"}).status_code == 302


# --- What the examples found ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["id", "round_detail", "recruitment:round_detail", "//evil.example/"])
def test_an_action_whose_next_is_not_a_path_here_goes_to_the_application_page(world, target):
    """`next` is where the round's page asks to go back to (a path on this site). A word such as "id"
    was handed to `redirect`, which looked it up as a view's name: a 500."""
    late = Application.objects.get(pk=world.fitting["accept-late"][0])

    response = world.clients["hr"].post(round_url("application_act", late.pk, "accept-late"), {"next": target})

    assert response.status_code == 302
    assert response.url == round_url("application_detail", late.pk)


def test_a_rounds_admin_form_sent_with_another_rounds_application_id_is_shown_again_not_a_500(world):
    """The applications under a round are read only; a forged row id among them (another round's
    application) made the form, shown again for its errors, compute whether a blank application
    was late: a 500."""
    shortlisting, derby = world.rounds.shortlisting.round, world.rounds.derby.round
    url = reverse("admin:roles_advertround_change", args=[shortlisting.pk])
    form = world.form_on("hr", url, split_admin_form)
    forged = str(derby.applications.first().pk)

    body = {**form.body, "applications-0-id": forged, "sessions_shown": "-1", "_save": "Save"}

    response = world.clients["hr"].post(url, body)

    assert response.status_code == 200 and response.context["errors"]
    assert not changes(world.baseline, fingerprint())


@pytest.mark.parametrize("inline", ["criteria", "panel", "interview_slots"])
def test_a_rounds_admin_form_that_sends_its_rows_again_as_new_ones_is_refused_not_a_500(world, inline):
    """A management form saying none of the rows below exist yet (INITIAL_FORMS=0) sends the round's
    criteria, panel or slots again as new rows; the database refused the repeated ones: a 500."""
    url = reverse("admin:roles_advertround_change", args=[world.rounds.shortlisting.round.pk])
    form = world.form_on("hr", url, split_admin_form)
    assert int(form.body[f"{inline}-INITIAL_FORMS"]) > 0

    response = world.clients["hr"].post(url, {**form.body, f"{inline}-INITIAL_FORMS": "0", "_save": "Save"})

    assert response.status_code == 400
    assert "repeats one it already has" in response.content.decode()
    assert not changes(world.baseline, fingerprint())
