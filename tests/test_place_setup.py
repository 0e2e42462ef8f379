"""Setting up a place in one step: from the ICS template (adopt, leave out with the reason, add), the
role form filled from the chosen template role with "add another", and a tranche's descriptions
signed off in one step before a bulk approve.

The world is the demo: South East London's template (Table 1) and Bexley's 22 roles (Table 3).
Greenwich, in the same ICS, starts with no roles: set up as Bexley was, it must compare with the
template exactly as Bexley does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from roles import services
from roles.demo import BEXLEY_ROLES, NOT_ADOPTED
from roles.models import AccessKind, Function, Place, Role, RoleMove, RoleStatus, RoleType, SpatialLevel, TemplateRole
from roles.selectors import template_comparison
from roles.setup import NewRole, SetupRefused, Terms, descriptions_sign_off, place_setup
from tests.factories import member
from tests.helpers import fuzz

pytestmark = pytest.mark.django_db

START, END = dt.date(2022, 4, 4), dt.date(2024, 3, 31)


@pytest.fixture
def greenwich(demo):
    return Place.objects.get(slug="greenwich")


@pytest.fixture
def greenwich_team(greenwich):
    return member(AccessKind.PLACE_TEAM, place=greenwich)


@pytest.fixture
def greenwich_client(client, greenwich_team):
    client.force_login(greenwich_team)
    return client


def terms() -> Terms:
    return Terms(
        spatial_level=SpatialLevel.objects.get(slug="place"),
        sessions_per_week=Decimal("1"),
        rate_per_session=Decimal("16400"),
        start_date=START,
        end_date=END,
    )


def bexley_choices(ics):
    """Table 3 as choices against the template: adopt (with Bexley's titles), leave out, add."""
    templates = {t.title: t for t in TemplateRole.objects.filter(ics=ics)}
    adopt, add = [], []
    for title, role_type, template, sessions, _status, _start, functions, reason, _description in BEXLEY_ROLES:
        if template:
            adopt.append((templates[template], title, reason, Decimal(sessions)))
        else:
            add.append(
                NewRole(
                    title=title,
                    role_type=role_type,
                    functions=list(Function.objects.filter(slug__in=functions)),
                    variation_reason=reason,
                    spatial_level=SpatialLevel.objects.get(slug="place"),
                    sessions_per_week=Decimal(sessions),
                    rate_per_session=Decimal("16400"),
                    start_date=START,
                    end_date=END,
                    where=f"“{title}”",
                )
            )
    leave_out = {templates[title]: reason for title, reason in NOT_ADOPTED.items()}
    return adopt, leave_out, add


def shape(place):
    """The comparison as people read it: each row's kind, template role and role title, and reason."""
    return [
        (row.kind, row.template_role.title if row.template_role else None, row.role.title if row.role else None)
        for row in template_comparison(place=place).rows
    ]


def test_a_place_set_up_like_bexley_compares_with_the_template_as_bexley_does(greenwich, greenwich_team):
    adopt, leave_out, add = bexley_choices(greenwich.ics)

    report = place_setup(place=greenwich, terms=terms(), adopt=adopt, leave_out=leave_out, add=add, by=greenwich_team)

    assert len(report.roles) == 22
    assert Role.objects.filter(place=greenwich, status=RoleStatus.PROPOSED).count() == 22
    assert shape(greenwich) == shape(Place.objects.get(slug="bexley"))
    lcp = Role.objects.get(place=greenwich, title="LCP Clinical/Care Professional Lead")
    assert lcp.sessions_per_week == Decimal("2")
    assert lcp.role_type == RoleType.CLINICAL_CARE
    assert {f.slug for f in lcp.functions.all()} == {"system-strategy", "professional-leadership"}
    assert (lcp.start_date, lcp.end_date, lcp.rate_per_session) == (START, END, Decimal("16400"))
    omission = greenwich.template_omissions.get()
    assert omission.template_role.title == "Other roles e.g. Frailty"
    assert omission.reason.startswith("A placeholder in the template")


def test_every_role_set_up_has_its_own_created_audit_row_naming_who(greenwich, greenwich_team):
    adopt, leave_out, add = bexley_choices(greenwich.ics)
    place_setup(place=greenwich, terms=terms(), adopt=adopt, leave_out=leave_out, add=add, by=greenwich_team)

    rows = RoleMove.objects.filter(place=greenwich, action=RoleMove.Action.CREATED)
    assert rows.count() == 22
    assert set(rows.values_list("by", flat=True)) == {greenwich_team.pk}
    role = Role.objects.get(place=greenwich, title="End of Life")
    assert role.history.first().history_user == greenwich_team


def test_a_renamed_template_role_without_a_reason_says_it_was_renamed(greenwich, greenwich_team):
    template = TemplateRole.objects.get(ics=greenwich.ics, title="Patient and Public Engagement")
    place_setup(
        place=greenwich,
        terms=terms(),
        adopt=[(template, "Resident Participation", "", None)],
        leave_out={},
        add=[],
        by=greenwich_team,
    )
    role = Role.objects.get(place=greenwich, template_role=template)
    assert role.variation_reason == "Renamed from the template's “Patient and Public Engagement”."


def test_a_dry_run_reports_what_would_be_added_and_saves_nothing(greenwich, greenwich_team):
    adopt, leave_out, add = bexley_choices(greenwich.ics)
    before = RoleMove.objects.count()

    report = place_setup(
        place=greenwich, terms=terms(), adopt=adopt, leave_out=leave_out, add=add, by=greenwich_team, dry_run=True
    )

    assert len(report.roles) == 22
    assert "would be added" in report.summary and "nothing was saved" in report.summary
    assert not Role.objects.filter(place=greenwich).exists()
    assert not greenwich.template_omissions.exists()
    assert RoleMove.objects.count() == before


def test_one_bad_role_adds_nothing_and_every_problem_is_named(greenwich, greenwich_team):
    adopt, leave_out, add = bexley_choices(greenwich.ics)
    add[0].title = "Cancer (including living with and beyond)"  # already adopted under that title
    add[1].end_date = dt.date(2021, 1, 1)  # ends before it starts

    with pytest.raises(SetupRefused) as refused:
        place_setup(place=greenwich, terms=terms(), adopt=adopt, leave_out=leave_out, add=add, by=greenwich_team)

    problems = " ".join(refused.value.problems)
    assert "the title “Cancer (including living with and beyond)” is used twice" in problems
    assert not Role.objects.filter(place=greenwich).exists()
    assert not greenwich.template_omissions.exists()


def test_the_rules_of_a_single_role_are_reported_per_role(greenwich, greenwich_team):
    _adopt, _leave_out, add = bexley_choices(greenwich.ics)
    add[1].end_date = dt.date(2021, 1, 1)

    with pytest.raises(SetupRefused) as refused:
        place_setup(place=greenwich, terms=terms(), adopt=[], leave_out={}, add=add, by=greenwich_team)

    assert refused.value.problems == [
        "“End of Life”: End date: The end date (1 Jan 2021) is before the start date (4 Apr 2022): move one of them."
    ]
    assert not Role.objects.filter(place=greenwich).exists()


def test_a_template_role_already_adopted_cannot_be_adopted_again(demo):
    bexley = Place.objects.get(slug="bexley")
    user = member(AccessKind.PLACE_TEAM, place=bexley)
    template = TemplateRole.objects.get(ics=bexley.ics, title="Mental Health")
    with pytest.raises(SetupRefused) as refused:
        place_setup(place=bexley, terms=terms(), adopt=[(template, "", "", None)], leave_out={}, add=[], by=user)
    assert "Bexley has already adopted “Mental Health”" in " ".join(refused.value.problems)


def test_adopting_and_leaving_out_the_same_template_role_is_refused(greenwich, greenwich_team):
    template = TemplateRole.objects.get(ics=greenwich.ics, title="Maternity")
    with pytest.raises(SetupRefused) as refused:
        place_setup(
            place=greenwich,
            terms=terms(),
            adopt=[(template, "", "", None)],
            leave_out={template: "not needed"},
            add=[],
            by=greenwich_team,
        )
    assert "cannot be both adopted and left out" in " ".join(refused.value.problems)


def test_a_template_role_of_another_ics_is_refused(greenwich, greenwich_team):
    from tests.factories import TemplateRoleFactory

    foreign = TemplateRoleFactory(title="Derbyshire only")
    with pytest.raises(SetupRefused):
        place_setup(
            place=greenwich, terms=terms(), adopt=[(foreign, "", "", None)], leave_out={}, add=[], by=greenwich_team
        )
    assert not Role.objects.filter(place=greenwich).exists()


def test_someone_who_may_not_edit_the_place_is_refused(greenwich, demo):
    reader = member(AccessKind.SECRETARIAT, place=greenwich)
    adopt, leave_out, add = bexley_choices(greenwich.ics)
    with pytest.raises(services.MoveNotAllowed):
        place_setup(place=greenwich, terms=terms(), adopt=adopt, leave_out=leave_out, add=add, by=reader)
    assert not Role.objects.filter(place=greenwich).exists()


# --- The setup page ---------------------------------------------------------------------------------


def setup_body(page, **changes) -> dict:
    """The setup form as the browser would send it unchanged (every template role adopted)."""
    form = page.context["form"]
    body = {}
    for name in form.fields:
        value = form[name].value()
        if name.startswith("add_functions_"):
            continue  # an empty multiple choice sends nothing
        body[name] = "" if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
    body.update(start_date="04/04/2022", end_date="31/03/2024", save="1")
    body.update(changes)
    return body


def test_the_setup_page_adopts_every_template_role_in_one_post(greenwich, greenwich_client):
    url = reverse("roles:place_setup", args=["greenwich"])
    page = greenwich_client.get(url)
    assert page.status_code == 200
    body = setup_body(page, add_title_0="Frailty including Care Homes", add_type_0=RoleType.CLINICAL_CARE)

    response = greenwich_client.post(url, body)

    assert response.status_code == 302
    assert response["Location"] == reverse("roles:template_comparison", args=["greenwich"])
    templates = TemplateRole.objects.filter(ics=greenwich.ics).count()
    assert Role.objects.filter(place=greenwich).count() == templates + 1
    assert str(list(get_messages(response.wsgi_request))[0]) == f"{templates + 1} roles added to Greenwich as proposed."


def test_leaving_out_a_template_role_needs_the_reason(greenwich, greenwich_client):
    url = reverse("roles:place_setup", args=["greenwich"])
    template = TemplateRole.objects.get(ics=greenwich.ics, title="Diagnostics")
    body = setup_body(greenwich_client.get(url), **{f"choice_{template.pk}": "leave_out"})

    response = greenwich_client.post(url, body)

    assert response.status_code == 400
    assert "Say why Greenwich leaves out “Diagnostics”." in response.content.decode()
    assert not Role.objects.filter(place=greenwich).exists()

    body[f"reason_{template.pk}"] = "Covered by the ICS's diagnostics network."
    assert greenwich_client.post(url, body).status_code == 302
    assert greenwich.template_omissions.get().template_role == template
    assert not Role.objects.filter(place=greenwich, template_role=template).exists()


def test_each_cell_names_its_field_for_screen_readers_and_shows_its_own_error_escaped(greenwich, greenwich_client):
    url = reverse("roles:place_setup", args=["greenwich"])
    template = TemplateRole.objects.get(ics=greenwich.ics, title="Diagnostics")
    body = setup_body(greenwich_client.get(url), **{f"sessions_{template.pk}": "<b>two</b>"})

    html = greenwich_client.post(url, body).content.decode()

    cell = html[html.index(f'<label class="visually-hidden" for="id_sessions_{template.pk}">') :]
    cell = cell[: cell.index("</td>")]
    assert f'name="sessions_{template.pk}"' in cell and 'value="&lt;b&gt;two&lt;/b&gt;"' in cell
    assert '<div class="invalid-feedback d-block">Enter a number.</div>' in cell
    assert "<b>" not in html[html.index('id="template-roles"') :]


def test_checking_the_setup_shows_the_roles_and_saves_nothing(greenwich, greenwich_client):
    url = reverse("roles:place_setup", args=["greenwich"])
    body = setup_body(greenwich_client.get(url), check="1")
    del body["save"]

    response = greenwich_client.post(url, body)

    assert response.status_code == 200
    assert "would be added" in response.content.decode()
    assert not Role.objects.filter(place=greenwich).exists()


def test_a_refused_setup_lists_every_problem_and_is_400(greenwich, greenwich_client):
    url = reverse("roles:place_setup", args=["greenwich"])
    body = setup_body(
        greenwich_client.get(url),
        add_title_0="Maternity",  # the template's Maternity is adopted under the same title
        add_type_0=RoleType.CLINICAL,
    )
    response = greenwich_client.post(url, body)
    assert response.status_code == 400
    assert "the title “Maternity” is used twice" in response.content.decode()
    assert not Role.objects.filter(place=greenwich).exists()


def test_the_setup_page_does_not_list_template_roles_already_adopted(demo, client):
    bexley = Place.objects.get(slug="bexley")
    client.force_login(member(AccessKind.PLACE_TEAM, place=bexley))
    page = client.get(reverse("roles:place_setup", args=["bexley"]))
    assert page.status_code == 200
    form = page.context["form"]
    # Bexley adopted every template role but the placeholder, which it left out (with its reason).
    assert [t.title for t in form.templates] == ["Other roles e.g. Frailty"]
    placeholder = form.templates[0]
    assert form[f"choice_{placeholder.pk}"].value() == "leave_out"
    assert form[f"reason_{placeholder.pk}"].value().startswith("A placeholder in the template")
    assert len(form.already) == 18


def test_the_setup_page_costs_the_same_whatever_the_template(greenwich, greenwich_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("roles:place_setup", args=["greenwich"])
    with CaptureQueriesContext(connection) as small:
        assert greenwich_client.get(url).status_code == 200
    for n in range(30):
        TemplateRole.objects.create(ics=greenwich.ics, title=f"Extra {n}", role_type=RoleType.CARE, order=100 + n)
    with CaptureQueriesContext(connection) as large:
        page = greenwich_client.get(url)
    assert len(page.context["form"].templates) == 49
    assert len(large) == len(small)


# --- The role form ----------------------------------------------------------------------------------


def test_the_role_form_fills_title_type_and_functions_from_the_chosen_template_role(greenwich, greenwich_client):
    template = TemplateRole.objects.get(ics=greenwich.ics, title="Medicines Optimisation")
    page = greenwich_client.get(reverse("roles:role_create", args=["greenwich"]) + f"?template_role={template.pk}")
    form = page.context["form"]
    assert form["title"].value() == "Medicines Optimisation"
    assert form["role_type"].value() == RoleType.CLINICAL
    assert set(form["functions"].value()) == {f.pk for f in template.functions.all()}
    assert form["template_role"].value() == template.pk
    data = page.context["template_roles"][str(template.pk)]
    assert data == {
        "title": "Medicines Optimisation",
        "role_type": RoleType.CLINICAL,
        "functions": [f.pk for f in template.functions.all()],
    }
    assert 'id="template-roles" type="application/json"' in page.content.decode()


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999999", "999999", ""])
def test_a_template_role_that_is_not_there_fills_nothing(greenwich_client, value):
    page = greenwich_client.get(reverse("roles:role_create", args=["greenwich"]) + f"?template_role={value}")
    assert page.status_code == 200
    assert page.context["form"]["title"].value() in (None, "")


def test_a_template_role_of_another_ics_fills_nothing(greenwich_client):
    from tests.factories import TemplateRoleFactory

    foreign = TemplateRoleFactory(title="Derbyshire only")
    page = greenwich_client.get(reverse("roles:role_create", args=["greenwich"]) + f"?template_role={foreign.pk}")
    assert page.context["form"]["title"].value() in (None, "")


def test_add_and_add_another_returns_to_an_empty_form(greenwich, greenwich_client):
    url = reverse("roles:role_create", args=["greenwich"])
    body = {
        "title": "Digital Lead",
        "role_type": RoleType.CLINICAL_CARE,
        "spatial_level": SpatialLevel.objects.get(slug="place").pk,
        "sessions_per_week": "1",
        "rate_per_session": "16400",
        "start_date": "01/10/2022",
        "another": "1",
    }
    response = greenwich_client.post(url, body)
    assert response.status_code == 302
    assert response["Location"] == url
    assert Role.objects.filter(place=greenwich, title="Digital Lead").exists()
    del body["another"]
    body["title"] = "Estates Lead"
    response = greenwich_client.post(url, body)
    role = Role.objects.get(place=greenwich, title="Estates Lead")
    assert response["Location"] == role.get_absolute_url()


# --- Signing off a tranche's descriptions -----------------------------------------------------------


@pytest.fixture
def tranche(greenwich, greenwich_team):
    adopt, leave_out, add = bexley_choices(greenwich.ics)
    for new in add:
        new.description = f"{new.title}: leads the work across Greenwich."
    place_setup(place=greenwich, terms=terms(), adopt=[], leave_out={}, add=add, by=greenwich_team)
    return list(Role.objects.filter(place=greenwich).order_by("title"))


def test_a_tranche_is_signed_off_in_one_step_and_then_approved_in_one(tranche, greenwich_team):
    report = descriptions_sign_off(roles=tranche, on=dt.date(2022, 2, 18), by=greenwich_team)

    assert len(report.signed) == 4
    for role in tranche:
        role.refresh_from_db()
        assert role.description_signed_off_on == dt.date(2022, 2, 18)
        assert role.moves.filter(action=RoleMove.Action.EDITED, by=greenwich_team).exists()
    moved = services.roles_move(roles=tranche, to=RoleStatus.APPROVED, by=greenwich_team, reason="Endorsed")
    assert len(moved) == 4


def test_a_role_already_signed_off_keeps_its_date(tranche, greenwich_team):
    descriptions_sign_off(roles=tranche[:1], on=dt.date(2022, 2, 1), by=greenwich_team)
    report = descriptions_sign_off(roles=tranche, on=dt.date(2022, 2, 18), by=greenwich_team)
    assert [r.title for r in report.already] == [tranche[0].title]
    tranche[0].refresh_from_db()
    assert tranche[0].description_signed_off_on == dt.date(2022, 2, 1)


def test_a_role_without_a_description_signs_off_none_of_the_tranche(tranche, greenwich_team):
    bare = tranche[1]
    Role.objects.filter(pk=bare.pk).update(description="")

    with pytest.raises(SetupRefused) as refused:
        descriptions_sign_off(roles=tranche, on=dt.date(2022, 2, 18), by=greenwich_team)

    assert refused.value.problems == [
        f"“{bare.title}”: A sign-off date needs a role description: write it or attach the document first."
    ]
    assert not Role.objects.filter(place=tranche[0].place, description_signed_off_on__isnull=False).exists()


def test_the_board_signs_off_the_ticked_roles(tranche, greenwich_client):
    url = reverse("roles:descriptions_sign_off", args=["greenwich"])
    board = greenwich_client.get(reverse("roles:board", args=["greenwich"]))
    assert url in board.content.decode()

    response = greenwich_client.post(url, {"roles": [r.pk for r in tranche[:2]], "signed_off_on": "18/02/2022"})

    assert response.status_code == 302
    signed = Role.objects.filter(place=tranche[0].place, description_signed_off_on=dt.date(2022, 2, 18))
    assert {r.pk for r in signed} == {r.pk for r in tranche[:2]}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"signed_off_on": "18/02/2022"},
        {"roles": ["abc"], "signed_off_on": "18/02/2022"},
        {"roles": ["99999999999999999999999"], "signed_off_on": "18/02/2022"},
        {"roles": ["1"], "signed_off_on": "31/02/2022"},
    ],
)
def test_a_bad_sign_off_is_400_and_changes_nothing(tranche, greenwich_client, body):
    if body.get("roles") == ["1"]:
        body["roles"] = [tranche[0].pk]
    response = greenwich_client.post(reverse("roles:descriptions_sign_off", args=["greenwich"]), body)
    assert response.status_code == 400
    assert not Role.objects.filter(description_signed_off_on=dt.date(2022, 2, 18), place=tranche[0].place).exists()


def test_another_places_role_cannot_be_signed_off_from_this_board(tranche, demo, client):
    bexley = Place.objects.get(slug="bexley")
    client.force_login(member(AccessKind.PLACE_TEAM, place=bexley))
    response = client.post(
        reverse("roles:descriptions_sign_off", args=["bexley"]),
        {"roles": [tranche[0].pk], "signed_off_on": "18/02/2022"},
    )
    assert response.status_code == 400
    tranche[0].refresh_from_db()
    assert tranche[0].description_signed_off_on is None


HOSTILE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "0", "-1", "10.001", "1e9", "NaN", "99999999999999999999999", "31/02/2022", "leave_out"]),
)


@fuzz
@given(data=st.data())
def test_no_setup_form_makes_a_500_or_half_writes(greenwich, greenwich_client, data):
    url = reverse("roles:place_setup", args=["greenwich"])
    body = setup_body(greenwich_client.get(url), add_title_0="Frailty", add_type_0=RoleType.CARE)
    names = data.draw(st.lists(st.sampled_from(sorted(body)), max_size=6, unique=True))
    for name in names:
        body[name] = data.draw(HOSTILE)
    response = greenwich_client.post(url, body)
    assert response.status_code in (200, 302, 400)
    if response.status_code != 302:
        assert not Role.objects.filter(place=greenwich).exists()
        assert not greenwich.template_omissions.exists()
    else:
        Role.objects.filter(place=greenwich).delete()
        greenwich.template_omissions.all().delete()
