"""Dates typed day first on every form, read the same in any browser; and every year that matters in
the dashboard's year list."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import pytest
from django import forms
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from roles.costs import EARLIEST_DATE, LATEST_DATE, FinancialYear
from roles.dates import NotADate, parse_day
from roles.forms import UKDateField, date_field
from roles.models import AccessKind, Role, RoleStatus
from roles.selectors import year_choices
from tests.factories import BudgetFactory, PlaceFactory, RoleFactory, member
from tests.helpers import fuzz
from tests.test_roles import valid_role_data

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
# Every module of the three apps that holds the pages' forms (forms.py, plan_forms.py, pack_views.py ...).
FORM_MODULES = sorted(
    f"{app}.{path.stem}"
    for app in ("roles", "recruitment", "governance")
    for path in (ROOT / app).glob("*.py")
    if path.stem.endswith(("forms", "views"))
)


# --- Reading what was typed ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "01/10/2025",
        "1/10/2025",
        "01102025",  # what was typed into a US-English date box and stored as 10 January
        "1-10-2025",
        "1.10.2025",
        "1 10 2025",
        "01/10/25",
        " 1 / 10 / 2025 ",
        "1 Oct 2025",
        "1 October 2025",
        "1 oct. 2025",
        "2025-10-01",
        "2025/10/01",
    ],
)
def test_a_date_typed_day_first_in_any_usual_way_is_1_october(typed):
    assert parse_day(typed) == dt.date(2025, 10, 1)


def test_month_first_order_is_never_guessed_and_the_message_gives_the_day_first():
    with pytest.raises(NotADate, match=r"“10/31/2025” has no month 31: type the day first, e\.g\. 31/10/2025\."):
        parse_day("10/31/2025")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("30/02/2022", "“30/02/2022” is not a date: February 2022 has 28 days (type it as DD/MM/YYYY"),
        ("2022-02-30", "“2022-02-30” is not a date: February 2022 has 28 days"),
        ("13/13/2025", "has no month 13: months run from 1 to 12 (type it as DD/MM/YYYY"),
        ("yesterday", "“yesterday” is not a date: type it as DD/MM/YYYY, e.g. 27/01/2022."),
        ("1/10/2025/7", "is not a date: type it as DD/MM/YYYY"),
        ("1102025", "is not a date: type it as DD/MM/YYYY"),  # seven digits could be 1 Oct or 11 Feb
        ("01/10/0000", "give the year in full"),
        ("x" * 500, "“xxxxxxxxxxxxxxxxxxxx…” is not a date"),
    ],
)
def test_what_is_not_a_date_is_refused_naming_the_fix(typed, message):
    with pytest.raises(NotADate) as refused:
        parse_day(typed)
    assert message in str(refused.value)


@given(st.dates(min_value=EARLIEST_DATE, max_value=LATEST_DATE))
def test_a_date_as_the_box_shows_it_or_typed_without_slashes_reads_back_as_itself(day):
    assert parse_day(day.strftime("%d/%m/%Y")) == day
    assert parse_day(day.strftime("%d%m%Y")) == day
    assert parse_day(day.strftime("%-d %b %Y")) == day


@given(st.text(max_size=40))
def test_any_text_is_a_date_or_a_message_never_another_error(text):
    try:
        assert isinstance(parse_day(text), dt.date)
    except NotADate as refused:
        assert "DD/MM/YYYY" in str(refused) or "type the day first" in str(refused)


# --- The field every form uses ---------------------------------------------------------------


def test_the_date_box_is_plain_text_showing_the_day_first_with_a_hint():
    class Form(forms.Form):
        on = date_field("Done on")

    html = str(Form(initial={"on": dt.date(2025, 10, 1)})["on"])
    assert 'type="text"' in html and 'value="01/10/2025"' in html and 'type="date"' not in html
    assert Form.base_fields["on"].help_text == "Day/month/year, e.g. 27/01/2022."


def test_a_date_outside_the_planned_years_is_refused_day_first():
    field = date_field("Done on")
    with pytest.raises(forms.ValidationError, match=r"type it as DD/MM/YYYY"):
        field.clean("01/01/1999")


def test_the_form_modules_are_found():
    assert {"roles.forms", "recruitment.plan_forms", "governance.pack_views"} <= set(FORM_MODULES)


def _form_classes():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == name:
                yield value


@pytest.mark.parametrize("form_class", list(_form_classes()), ids=lambda form: f"{form.__module__}.{form.__name__}")
def test_every_date_on_every_form_is_typed_day_first(form_class):
    dates = {name: f for name, f in form_class.base_fields.items() if isinstance(f, forms.DateField)}
    assert all(isinstance(f, UKDateField) for f in dates.values()), dates


def test_no_template_asks_the_browser_for_its_own_date_box():
    offenders = [str(path) for path in TEMPLATES.rglob("*.html") if 'type="date"' in path.read_text()]
    assert offenders == []


# --- Typed on the pages ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_role_typed_day_first_is_stored_as_typed(team_client, place):
    response = team_client.post(
        reverse("roles:role_create", args=[place.slug]),
        valid_role_data(start_date="01102025", end_date="31/03/2026"),
    )
    assert response.status_code == 302
    role = Role.objects.get()
    assert (role.start_date, role.end_date) == (dt.date(2025, 10, 1), dt.date(2026, 3, 31))


@pytest.mark.django_db
def test_a_role_typed_month_first_is_refused_with_the_day_first_and_nothing_is_written(team_client, place):
    response = team_client.post(
        reverse("roles:role_create", args=[place.slug]), valid_role_data(start_date="10/31/2025")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["start_date"] == [
        "“10/31/2025” has no month 31: type the day first, e.g. 31/10/2025."
    ]
    assert 'value="10/31/2025"' in response.content.decode()  # what was typed is kept to put right
    assert not Role.objects.exists()


@pytest.mark.django_db
def test_the_role_form_shows_the_dates_day_first(team_client, place):
    role = RoleFactory(place=place, start_date=dt.date(2025, 10, 1), end_date=dt.date(2026, 3, 31))
    html = team_client.get(reverse("roles:role_edit", args=[place.slug, role.pk])).content.decode()
    assert 'value="01/10/2025"' in html and 'value="31/03/2026"' in html
    assert 'type="date"' not in html
    assert "Day/month/year, e.g. 27/01/2022." in html


@pytest.mark.django_db
def test_the_board_pack_page_shows_and_takes_its_date_day_first(team_client, place):
    page = team_client.get(reverse("governance:packs"), {"scope": f"place:{place.slug}", "as_of": "04/04/2022"})
    assert page.status_code == 200
    assert 'value="04/04/2022"' in page.content.decode()

    refused = team_client.get(reverse("governance:packs"), {"scope": f"place:{place.slug}", "as_of": "04/31/2022"})
    assert refused.status_code == 400
    assert "type the day first, e.g. 31/04/2022" not in refused.content.decode()  # 31 April is no date either
    assert "has no month 31" in refused.content.decode()


# --- Every year that matters -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_year_list_has_budget_years_years_roles_run_in_and_the_current_year(place):
    BudgetFactory(place=place, financial_year=2021)
    RoleFactory(place=place, start_date=dt.date(2023, 5, 1), end_date=dt.date(2026, 3, 31))
    RoleFactory(place=place, start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 6, 30), status=RoleStatus.ENDED)
    RoleFactory(place=PlaceFactory(), start_date=dt.date(2010, 4, 1), end_date=None)  # another place's role

    years = year_choices(place, FinancialYear(2021))

    current = FinancialYear.current()
    expected = {2021, 2023, 2024, 2025, 2029, 2030, current.start_year}
    assert years == sorted(FinancialYear(y) for y in expected)


@pytest.mark.django_db
def test_a_role_with_no_end_date_runs_on_to_the_current_year(place):
    RoleFactory(place=place, start_date=dt.date(2019, 3, 31), end_date=None)  # 2018/19's last day

    years = year_choices(place, FinancialYear(2018))

    assert years == [FinancialYear(y) for y in range(2018, FinancialYear.current().start_year + 1)]


@pytest.mark.django_db
def test_the_year_shown_is_offered_even_when_nothing_runs_in_it(place):
    assert FinancialYear(2040) in year_choices(place, FinancialYear(2040))


@pytest.mark.django_db
def test_the_year_list_costs_two_queries_however_many_roles(place, django_assert_num_queries):
    BudgetFactory(place=place, financial_year=2022)
    for start in range(2015, 2035):
        RoleFactory.create_batch(5, place=place, start_date=dt.date(start, 6, 1), end_date=dt.date(start + 1, 5, 31))
    with django_assert_num_queries(2):
        years = year_choices(place, FinancialYear(2022))
    assert years[0] == FinancialYear(2015) and years[-1] == FinancialYear(2035)


@pytest.mark.django_db
def test_the_dashboard_offers_the_years_bexleys_roles_run_in(team_client, place):
    BudgetFactory(place=place, financial_year=2022)
    RoleFactory(place=place, start_date=dt.date(2023, 4, 1), end_date=dt.date(2026, 3, 31))

    html = team_client.get(reverse("roles:dashboard", args=[place.slug]), {"year": "2022"}).content.decode()

    for label in ("2022/23", "2023/24", "2024/25", "2025/26"):
        assert f">{label}</option>" in html


@fuzz
@given(typed=st.text(max_size=30))
@pytest.mark.django_db
def test_no_date_typed_into_the_role_form_makes_a_500(team_client, place, typed):
    response = team_client.post(reverse("roles:role_create", args=[place.slug]), valid_role_data(start_date=typed))
    assert response.status_code in (302, 400)


@pytest.mark.django_db
def test_the_admin_shows_a_role_s_dates_day_first_too(client, place):
    role = RoleFactory(place=place, start_date=dt.date(2025, 10, 1), end_date=dt.date(2026, 3, 31))
    client.force_login(member(AccessKind.ICS_ADMIN, ics=place.ics))

    html = client.get(f"/admin/roles/role/{role.pk}/change/").content.decode()

    assert 'value="01/10/2025"' in html and 'value="31/03/2026"' in html and 'type="date"' not in html


@pytest.mark.django_db
def test_every_admin_form_takes_its_dates_day_first(rf):
    """Every date on every admin form and inline is the app's day-first field, as on the pages."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    from roles.forms import UKDateField

    request = rf.get("/admin/")
    request.user = get_user_model().objects.create_superuser("root", "root@example.nhs.uk", "x")
    dates = {}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"roles", "recruitment", "governance"}:
            continue
        admin_forms = [model_admin.get_form(request)]
        admin_forms += [inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)]
        for form in admin_forms:
            for name, field in form.base_fields.items():
                if isinstance(field, forms.DateField):
                    dates[f"{form.__name__}.{name}"] = field
    assert len(dates) > 10
    assert {key for key, field in dates.items() if not isinstance(field, UKDateField)} == set()
    assert dates["RoleForm.start_date"].clean("01102025") == dt.date(2025, 10, 1)
