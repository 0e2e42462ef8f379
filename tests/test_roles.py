"""The role list, the role form and its validation, and the template comparison."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from roles.models import Function, Profession, Role, RoleStatus, RoleType, SpatialLevel, TemplateOmission
from roles.selectors import Variation, template_comparison
from tests.factories import PlaceFactory, RoleFactory, TemplateRoleFactory

pytestmark = pytest.mark.django_db


def valid_role_data(**overrides):
    data = {
        "title": "Digital Lead",
        "role_type": RoleType.CLINICAL_CARE,
        "spatial_level": SpatialLevel.objects.get(slug="place").pk,
        "sessions_per_week": "2",
        "rate_per_session": "16400",
        "start_date": "2022-10-01",
        "end_date": "2024-03-31",
    }
    data.update(overrides)
    return data


# --- The list --------------------------------------------------------------------------------


def titles(response):
    return [role.title for role in response.context["page"]]


def test_role_list_filters_by_status_type_function_level_and_text(team_client, place):
    frailty = RoleFactory(
        place=place,
        title="Frailty including Care Homes",
        status=RoleStatus.IN_POST,
        role_type=RoleType.CLINICAL_CARE,
        description="Care homes and falls",
    )
    frailty.functions.set([Function.objects.get(slug="care-pathway-transformation")])
    RoleFactory(place=place, title="Cancer", status=RoleStatus.ADVERTISED, role_type=RoleType.CLINICAL)
    ics_level = RoleFactory(place=place, title="ICS lead", spatial_level=SpatialLevel.objects.get(slug="ics"))
    url = reverse("roles:role_list", args=["bexley"])
    assert titles(team_client.get(url, {"status": "in_post"})) == ["Frailty including Care Homes"]
    assert titles(team_client.get(url, {"role_type": "clinical"})) == ["Cancer"]
    assert titles(team_client.get(url, {"function": frailty.functions.get().pk})) == ["Frailty including Care Homes"]
    assert titles(team_client.get(url, {"spatial_level": ics_level.spatial_level.pk})) == ["ICS lead"]
    assert titles(team_client.get(url, {"q": "falls"})) == ["Frailty including Care Homes"]
    assert titles(team_client.get(url, {"q": "cancer"})) == ["Cancer"]


def test_a_role_with_two_chosen_functions_is_listed_once(team_client, place):
    role = RoleFactory(place=place)
    role.functions.set(Function.objects.all()[:2])
    response = team_client.get(reverse("roles:role_list", args=["bexley"]), {"function": role.functions.first().pk})
    assert titles(response) == [role.title]


def test_role_list_sorts(team_client, place):
    RoleFactory(place=place, title="A", sessions_per_week=3)
    RoleFactory(place=place, title="B", sessions_per_week=1)
    RoleFactory(place=place, title="C", sessions_per_week=2)
    url = reverse("roles:role_list", args=["bexley"])
    assert titles(team_client.get(url, {"sort": "-sessions"})) == ["A", "C", "B"]
    assert titles(team_client.get(url, {"sort": "sessions"})) == ["B", "C", "A"]
    assert titles(team_client.get(url, {"sort": "-title"})) == ["C", "B", "A"]


def test_role_list_paginates_and_keeps_the_filter(team_client, place):
    for n in range(30):
        RoleFactory(place=place, title=f"Role {n:02d}", status=RoleStatus.PROPOSED)
    RoleFactory(place=place, title="Zed", status=RoleStatus.IN_POST)
    url = reverse("roles:role_list", args=["bexley"])
    first = team_client.get(url, {"status": "proposed"})
    assert len(titles(first)) == 25 and first.context["page"].paginator.count == 30
    assert "status=proposed&amp;page=2" in first.content.decode()
    second = team_client.get(url, {"status": "proposed", "page": "2"})
    assert titles(second) == [f"Role {n:02d}" for n in range(25, 30)]
    assert team_client.get(url, {"page": "bogus"}).status_code == 200


def test_an_unknown_filter_value_is_a_400_naming_the_filter(team_client, place):
    RoleFactory(place=place)
    response = team_client.get(reverse("roles:role_list", args=["bexley"]), {"status": "hired"})
    assert response.status_code == 400
    assert "Status: Select a valid choice" in response.content.decode()


def test_the_list_shows_only_this_places_roles(team_client, place):
    RoleFactory(place=place, title="Ours")
    RoleFactory(place=PlaceFactory(ics=place.ics), title="Theirs")
    assert titles(team_client.get(reverse("roles:role_list", args=["bexley"]))) == ["Ours"]


# --- Create and edit -------------------------------------------------------------------------


def test_creating_a_role_makes_a_proposed_role_in_the_place_of_the_url(team_client, place):
    other = PlaceFactory(ics=place.ics)
    response = team_client.post(
        reverse("roles:role_create", args=["bexley"]), valid_role_data(place=other.pk, status=RoleStatus.IN_POST)
    )
    role = Role.objects.get(title="Digital Lead")
    assert response.status_code == 302 and response["Location"] == role.get_absolute_url()
    assert role.place == place  # the forged place field is ignored
    assert role.status == RoleStatus.PROPOSED  # so is a forged status
    assert role.annual_pay == Decimal("32800.00")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sessions_per_week": "0"}, "sessions_per_week", "Sessions per week must be more than 0."),
        ({"sessions_per_week": "-1"}, "sessions_per_week", "Sessions per week must be more than 0."),
        ({"sessions_per_week": "10.5"}, "sessions_per_week", "Sessions per week can be at most 10"),
        ({"sessions_per_week": "lots"}, "sessions_per_week", "Enter a number."),
        ({"end_date": "2022-09-30"}, "end_date", "is before the start date"),
        ({"start_date": "30/02/2022"}, "start_date", "February 2022 has 28 days"),
        ({"rate_per_session": "0"}, "rate_per_session", "The rate per session must be more than £0."),
        ({"title": ""}, "title", "This field is required."),
        ({"spatial_level": "999999"}, "spatial_level", "Select a valid choice."),
        ({"description_signed_off_on": "2022-02-18"}, "description_signed_off_on", "needs a role description"),
    ],
)
def test_bad_role_input_is_refused_with_a_message_and_nothing_is_written(team_client, overrides, field, message):
    response = team_client.post(reverse("roles:role_create", args=["bexley"]), valid_role_data(**overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert "Nothing was saved" in response.content.decode()
    assert not Role.objects.exists()


def test_sessions_of_exactly_ten_are_allowed(team_client):
    team_client.post(reverse("roles:role_create", args=["bexley"]), valid_role_data(sessions_per_week="10"))
    assert Role.objects.get().sessions_per_week == Decimal("10")


def test_a_clinical_role_cannot_be_opened_to_care_professions(team_client):
    social_care = Profession.objects.get(slug="social-care")
    nurse = Profession.objects.get(slug="nurse")
    response = team_client.post(
        reverse("roles:role_create", args=["bexley"]),
        valid_role_data(role_type=RoleType.CLINICAL, eligible_professions=[nurse.pk, social_care.pk]),
    )
    assert response.status_code == 400
    assert "untick Social care professional" in " ".join(response.context["form"].errors["eligible_professions"])
    assert not Role.objects.exists()


def test_a_template_role_from_another_ics_cannot_be_chosen(team_client):
    foreign = TemplateRoleFactory()
    response = team_client.post(
        reverse("roles:role_create", args=["bexley"]), valid_role_data(template_role=foreign.pk)
    )
    assert response.status_code == 400
    assert "template_role" in response.context["form"].errors


def test_editing_a_role_saves_and_a_bad_edit_changes_nothing(team_client, place):
    role = RoleFactory(place=place, title="Cancer", sessions_per_week=1)
    url = reverse("roles:role_edit", args=["bexley", role.pk])
    data = valid_role_data(title="Cancer (including living with and beyond)", sessions_per_week="3", version="1")
    assert team_client.post(url, data).status_code == 302
    role.refresh_from_db()
    assert (role.title, role.sessions_per_week) == ("Cancer (including living with and beyond)", Decimal("3"))
    response = team_client.post(url, {**data, "version": "2", "title": "Renamed", "sessions_per_week": "11"})
    assert response.status_code == 400
    role.refresh_from_db()
    assert (role.title, role.sessions_per_week) == ("Cancer (including living with and beyond)", Decimal("3"))


def test_the_database_refuses_what_the_form_would_refuse(place):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleFactory(place=place, sessions_per_week=Decimal("11"))
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleFactory(place=place, start_date=dt.date(2022, 4, 1), end_date=dt.date(2022, 3, 31))
    assert not Role.objects.exists()


# --- Template comparison ---------------------------------------------------------------------


def test_bexley_against_the_sel_template(demo):
    from roles.models import Place

    comparison = template_comparison(place=Place.objects.get(slug="bexley"))
    added = sorted(row.role.title for row in comparison.of_kind(Variation.ADDED))
    assert added == [
        "End of Life",
        "Frailty including Care Homes",
        "LTCs including Respiratory and Cardiovascular",
        "Sexual and Reproductive Health",
    ]
    renamed = {row.template_role.title: row.role.title for row in comparison.of_kind(Variation.RENAMED)}
    assert renamed["Patient and Public Engagement"] == "Resident Participation and engagement"
    assert [row.template_role.title for row in comparison.of_kind(Variation.NOT_ADOPTED)] == [
        "Other roles e.g. Frailty"
    ]
    # Cosmetic differences are not renames: "(*TBC)", "(PHM)", "LTC" / "LTCs".
    adopted = {row.template_role.title for row in comparison.of_kind(Variation.ADOPTED)}
    assert {
        "Quality and Safety (*TBC)",
        "Population Health Management(PHM)/Inequalities",
        "LTC including Diabetes and Obesity",
    } <= adopted
    assert comparison.counts == {"adopted": 15, "renamed": 3, "added": 4, "not_adopted": 1, "type_changed": 0}


def test_a_type_change_against_the_template_is_shown(place):
    template = TemplateRoleFactory(ics=place.ics, title="Mental Health", role_type=RoleType.CLINICAL_CARE)
    RoleFactory(place=place, title="Mental Health", template_role=template, role_type=RoleType.CLINICAL)
    comparison = template_comparison(place=place)
    assert [row.role.title for row in comparison.type_changes] == ["Mental Health"]
    assert comparison.counts["adopted"] == 1


def test_a_withdrawn_role_does_not_adopt_its_template_role(place):
    template = TemplateRoleFactory(ics=place.ics, title="Diagnostics")
    RoleFactory(place=place, title="Diagnostics", template_role=template, status=RoleStatus.WITHDRAWN)
    assert template_comparison(place=place).counts["not_adopted"] == 1


def test_the_comparison_page_saves_a_reason_for_a_role_and_for_a_template_role_not_adopted(team_client, place):
    template = TemplateRoleFactory(ics=place.ics, title="Other roles e.g. Frailty")
    role = RoleFactory(place=place, title="End of Life")
    page = team_client.get(reverse("roles:template_comparison", args=["bexley"])).content.decode()
    assert "End of Life" in page and "Other roles e.g. Frailty" in page
    team_client.post(
        reverse("roles:role_variation_reason", args=["bexley", role.pk]),
        {"reason": "End of life role proposed (LCP Forum, 10 Dec 2021)", "version": role.version},
    )
    team_client.post(
        reverse("roles:omission_reason", args=["bexley", template.pk]),
        {"reason": "A placeholder; Bexley named its own additions"},
    )
    role.refresh_from_db()
    assert role.variation_reason == "End of life role proposed (LCP Forum, 10 Dec 2021)"
    assert TemplateOmission.objects.get(place=place, template_role=template).reason.startswith("A placeholder")
    page = team_client.get(reverse("roles:template_comparison", args=["bexley"])).content.decode()
    assert "End of life role proposed (LCP Forum, 10 Dec 2021)" in page


def test_a_reason_too_long_is_refused_and_nothing_changes(team_client, place):
    role = RoleFactory(place=place, variation_reason="before")
    response = team_client.post(
        reverse("roles:role_variation_reason", args=["bexley", role.pk]), {"reason": "x" * 2001, "version": 1}
    )
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    role.refresh_from_db()
    assert role.variation_reason == "before"


def test_no_not_adopted_reason_for_a_template_role_that_was_adopted(team_client, place):
    template = TemplateRoleFactory(ics=place.ics, title="Maternity")
    RoleFactory(place=place, title="Maternity", template_role=template)
    response = team_client.post(
        reverse("roles:omission_reason", args=["bexley", template.pk]), {"reason": "?"}, follow=True
    )
    assert "has adopted “Maternity”" in response.content.decode()
    assert not TemplateOmission.objects.exists()


def test_a_template_role_of_another_ics_is_404(team_client):
    foreign = TemplateRoleFactory()
    response = team_client.post(reverse("roles:omission_reason", args=["bexley", foreign.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert not TemplateOmission.objects.exists()


def test_reason_urls_refuse_get(team_client, place):
    role = RoleFactory(place=place)
    assert team_client.get(reverse("roles:role_variation_reason", args=["bexley", role.pk])).status_code == 405


def test_a_role_description_document_is_uploaded_and_downloaded_by_the_place(team_client, place, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    document = SimpleUploadedFile("frailty-rd.pdf", b"%PDF-1.4 role description", content_type="application/pdf")
    data = valid_role_data(description_document=document, description_signed_off_on="2022-02-18")
    assert team_client.post(reverse("roles:role_create", args=["bexley"]), data).status_code == 302
    role = Role.objects.get()
    assert role.description_signed_off_on == dt.date(2022, 2, 18)
    response = team_client.get(reverse("roles:role_document", args=["bexley", role.pk]))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 role description"
    assert 'filename="frailty-rd' in response["Content-Disposition"]


def test_a_document_of_the_wrong_kind_is_refused(team_client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    document = SimpleUploadedFile("rd.exe", b"MZ", content_type="application/octet-stream")
    response = team_client.post(
        reverse("roles:role_create", args=["bexley"]), valid_role_data(description_document=document)
    )
    assert response.status_code == 400
    assert "attach the role description as PDF" in " ".join(response.context["form"].errors["description_document"])
    assert not Role.objects.exists()
    assert not list(tmp_path.rglob("*"))


def test_a_document_too_large_is_refused(team_client, settings, tmp_path, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from roles import documents

    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", 10)
    settings.MEDIA_ROOT = tmp_path
    document = SimpleUploadedFile("rd.pdf", b"%PDF-1.4 more than ten bytes", content_type="application/pdf")
    response = team_client.post(
        reverse("roles:role_create", args=["bexley"]), valid_role_data(description_document=document)
    )
    assert response.status_code == 400
    assert "Save it as a smaller PDF" in " ".join(response.context["form"].errors["description_document"])
    assert not Role.objects.exists()


# --- The role list's costs: the year's on-costs, read with the budget years ------------------------------


def test_the_role_list_costs_each_role_in_the_year_shown_with_that_years_on_costs(team_client, place):
    from tests.factories import BudgetFactory

    BudgetFactory(place=place, financial_year=2022, amount=Decimal("100000"), on_cost_percent=Decimal("25"))
    BudgetFactory(place=place, financial_year=2023, amount=Decimal("100000"), on_cost_percent=Decimal("10"))
    RoleFactory(place=place, title="Frailty Lead")  # 1 session a week at £16,400 a year, 2022/23

    in_2022 = team_client.get(f"/places/{place.slug}/roles/?year=2022-23").content.decode()
    in_2023 = team_client.get(f"/places/{place.slug}/roles/?year=2023-24").content.decode()

    assert '<td class="num cost-in-year">£20,500.00</td>' in in_2022  # £16,400 and 25%
    assert '<td class="num cost-in-year">£0.00</td>' in in_2023  # the role ended on 31 March 2023


def test_a_year_not_understood_shows_the_latest_budget_year_and_says_so(team_client, place):
    from tests.factories import BudgetFactory

    BudgetFactory(place=place, financial_year=2022, amount=Decimal("100000"), on_cost_percent=Decimal("25"))
    RoleFactory(place=place, title="Frailty Lead")

    response = team_client.get(f"/places/{place.slug}/roles/?year=next-year")

    assert response.status_code == 400
    page = response.content.decode()
    assert "The costs are shown for 2022/23." in page
    assert '<td class="num cost-in-year">£20,500.00</td>' in page
