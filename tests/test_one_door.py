"""One door for every change: edits and the admin under the workflow's rules, every change kept.

Edits race moves and each other; the admin is held to the browser's rules and budget guard;
overrides are kept; deletes never take history with them. South East London with Bexley and
Greenwich; dates run in the current financial year so the budget guard checks it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from roles import services
from roles.costs import FinancialYear
from roles.models import (
    ICS,
    AccessKind,
    Budget,
    Function,
    Membership,
    Place,
    Profession,
    Role,
    RoleMove,
    RoleStatus,
    RoleType,
    TemplateOmission,
    TemplateRole,
)
from roles.services import MoveDetails
from tests.factories import (
    BudgetFactory,
    ICSFactory,
    PlaceFactory,
    RoleFactory,
    TemplateRoleFactory,
    UserFactory,
    member,
)
from tests.helpers import admin_form_body, form_body

pytestmark = pytest.mark.django_db
S = RoleStatus
TODAY = timezone.localdate()
YEAR = FinancialYear.containing(TODAY)


@pytest.fixture
def world(db):
    sel = ICSFactory(name="South East London", short_name="SEL", slug="sel")
    bexley = PlaceFactory(ics=sel, name="Bexley", slug="bexley")
    greenwich = PlaceFactory(ics=sel, name="Greenwich", slug="greenwich")
    return SimpleNamespace(
        sel=sel,
        bexley=bexley,
        greenwich=greenwich,
        team=member(AccessKind.PLACE_TEAM, place=bexley, username="bea", first_name="Bea", last_name="Bexley"),
        colleague=member(AccessKind.PLACE_TEAM, place=bexley, username="cal", first_name="Cal", last_name="Colleague"),
        admin=member(AccessKind.ICS_ADMIN, ics=sel, username="ida", first_name="Ida", last_name="Admin"),
    )


def year_role(place, **fields) -> Role:
    """A role running the whole current financial year, its description signed off."""
    values = {
        "place": place,
        "title": "Frailty including Care Homes",
        "start_date": YEAR.start,
        "end_date": YEAR.end,
        "description": "Leads frailty and care homes work for the Local Care Partnership.",
        "description_signed_off_on": YEAR.start - dt.timedelta(days=40),
    }
    values.update(fields)
    return RoleFactory(**values)


def text_of(response) -> str:
    page = html.unescape(response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def edit_url(role) -> str:
    return reverse("roles:role_edit", args=[role.place.slug, role.pk])


def loaded_edit_form(client, role) -> dict:
    """The edit form's body as the browser has it when the page is loaded (version included)."""
    page = client.get(edit_url(role))
    assert page.status_code == 200
    body = form_body(page.context["form"])
    rendered = page.content.decode()
    assert all(f'name="{name}"' in rendered for name in body), "a field of the form is not on the page"
    return body


def admin_url(role) -> str:
    return f"/admin/roles/role/{role.pk}/change/"


def audit_rows(role) -> list[tuple]:
    return list(RoleMove.objects.filter(role=role).order_by("version", "pk").values_list("action", "to_status"))


# --- An edit never undoes a move, and stale edits are refused -----------------------------------------


def test_an_edit_loaded_before_a_move_is_refused_and_the_move_stands(client, world):
    role = year_role(world.bexley)
    client.force_login(world.team)
    body = loaded_edit_form(client, role)
    services.role_move(role=role, to=S.APPROVED, by=world.colleague)

    response = client.post(edit_url(role), {**body, "sessions_per_week": "2"})

    assert response.status_code == 409
    role.refresh_from_db()
    assert (role.status, role.sessions_per_week) == (S.APPROVED, Decimal("1"))
    assert audit_rows(role) == [("moved", S.APPROVED)]
    changed = text_of(response)
    assert "was changed by Cal Colleague after you opened this form, so nothing was saved" in changed
    assert "Changed since you opened this form: When Who What Why and what changed" in changed
    assert "Cal Colleague Proposed → Approved" in changed


def test_of_two_people_editing_one_role_the_second_is_refused_and_sees_the_first_change(client, world):
    role = year_role(world.bexley, title="Cancer")
    client.force_login(world.team)
    mine = loaded_edit_form(client, role)
    services.role_edit(
        role=role, values={"title": "Cancer (including living with and beyond)"}, version=1, by=world.colleague
    )

    response = client.post(edit_url(role), {**mine, "sessions_per_week": "3"})

    assert response.status_code == 409
    role.refresh_from_db()
    assert (role.title, role.sessions_per_week) == ("Cancer (including living with and beyond)", Decimal("1"))
    page = text_of(response)
    assert "Cal Colleague Edited Title : Cancer → Cancer (including living with and beyond)" in page
    form = response.context["form"]
    assert form["version"].value() == "2"
    assert form.errors["title"] == [
        "Now “Cancer (including living with and beyond)”: saving again makes it “Cancer”, as in your form."
    ]
    assert form.errors["sessions_per_week"] == ["Now “1”: saving again makes it “3”, as in your form."]


def test_after_a_stale_edit_saving_again_is_a_deliberate_choice_that_saves(client, world):
    role = year_role(world.bexley, title="Cancer")
    client.force_login(world.team)
    mine = loaded_edit_form(client, role)
    services.role_move(role=role, to=S.APPROVED, by=world.colleague)
    refused = client.post(edit_url(role), {**mine, "sessions_per_week": "3"})
    again = form_body(refused.context["form"])

    response = client.post(edit_url(role), again)

    assert response.status_code == 302
    role.refresh_from_db()
    assert (role.status, role.sessions_per_week, role.version) == (S.APPROVED, Decimal("3"), 3)
    assert audit_rows(role) == [("moved", S.APPROVED), ("edited", S.APPROVED)]


def test_an_edit_form_without_its_version_is_refused(client, world):
    role = year_role(world.bexley)
    client.force_login(world.team)
    body = loaded_edit_form(client, role)
    del body["version"]

    response = client.post(edit_url(role), {**body, "title": "Renamed"})

    assert response.status_code == 400
    assert response.context["form"].errors["version"] == [
        "This form is out of date: reload the page and make your change again."
    ]
    role.refresh_from_db()
    assert role.title == "Frailty including Care Homes"


def test_an_edit_writes_only_the_columns_it_changes(world):
    role = year_role(world.bexley, status=S.APPROVED)
    # A column written meanwhile by something that did not go through the edit (nor bump the version):
    Role.objects.filter(pk=role.pk).update(board_decision="Borough Strategic Board, 31 Mar 2022")

    services.role_edit(role=role, values={"title": "Frailty Lead"}, version=role.version, by=world.team)

    role.refresh_from_db()
    assert (role.title, role.board_decision, role.status) == (
        "Frailty Lead",
        "Borough Strategic Board, 31 Mar 2022",
        S.APPROVED,
    )


def test_an_edit_cannot_set_what_only_moves_set(world):
    role = year_role(world.bexley)
    for field in ("status", "held_from", "appointee_name", "version"):
        with pytest.raises(ValueError, match="change only through moves"):
            services.role_edit(role=role, values={field: "in_post"}, version=1, by=world.team)
    role.refresh_from_db()
    assert (role.status, role.version) == (S.PROPOSED, 1)


def test_saving_an_edit_form_unchanged_writes_nothing(client, world):
    role = year_role(world.bexley)
    client.force_login(world.team)

    response = client.post(edit_url(role), loaded_edit_form(client, role))

    assert response.status_code == 302
    assert messages_of(response) == ["Nothing was changed in “Frailty including Care Homes”."]
    role.refresh_from_db()
    assert role.version == 1
    assert not RoleMove.objects.filter(role=role).exists()


def test_an_ics_administrators_override_on_an_edit_is_kept_on_the_audit_row(client, world):
    BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("16400"))
    role = year_role(world.bexley, status=S.APPROVED)
    client.force_login(world.admin)
    body = loaded_edit_form(client, role)

    refused = client.post(edit_url(role), {**body, "sessions_per_week": "2"})
    saved = client.post(
        edit_url(role), {**body, "sessions_per_week": "2", "override_reason": "Top-up agreed by the ICB, 3 Mar"}
    )

    assert refused.status_code == 409
    assert saved.status_code == 302
    row = RoleMove.objects.get(role=role, action="edited")
    assert row.budget_override == "Top-up agreed by the ICB, 3 Mar"
    assert row.by == world.admin
    assert row.changes == [{"field": "sessions per week", "name": "sessions_per_week", "old": "1", "new": "2"}]
    page = text_of(client.get(role.get_absolute_url()))
    assert "Budget guard overridden: Top-up agreed by the ICB, 3 Mar" in page


# --- The admin goes through the same door ----------------------------------------------------------------


def test_the_admin_refuses_an_edit_past_the_budget_with_the_figures_and_writes_nothing(client, world):
    BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("16400"))
    role = year_role(world.bexley, status=S.APPROVED)
    client.force_login(world.admin)
    body = admin_form_body(client.get(admin_url(role)))

    response = client.post(admin_url(role), {**body, "sessions_per_week": "10"})

    assert response.status_code == 409
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "would take Bexley over budget" in errors
    assert f"{YEAR}: needs £164,000.00, £16,400.00 available" in errors
    role.refresh_from_db()
    assert (role.sessions_per_week, role.version) == (Decimal("1"), 1)
    assert not RoleMove.objects.filter(role=role).exists()


def test_the_admin_override_saves_and_keeps_the_reason(client, world):
    BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("16400"))
    role = year_role(world.bexley, status=S.APPROVED)
    client.force_login(world.admin)
    body = admin_form_body(client.get(admin_url(role)))

    response = client.post(admin_url(role), {**body, "sessions_per_week": "10", "override_reason": "ICB top-up"})

    assert response.status_code == 302
    row = RoleMove.objects.get(role=role)
    assert (row.action, row.budget_override, row.by) == ("edited", "ICB top-up", world.admin)
    assert row.changes[0]["old"] == "1" and row.changes[0]["new"] == "10"


def test_moving_a_role_to_another_place_in_the_admin_is_held_to_that_places_budget(client, world):
    BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("100000"))
    greenwich_budget = BudgetFactory(place=world.greenwich, financial_year=YEAR.start_year, amount=Decimal("100"))
    role = year_role(world.bexley, status=S.APPROVED)
    client.force_login(world.admin)
    body = admin_form_body(client.get(admin_url(role)))

    refused = client.post(admin_url(role), {**body, "place": str(world.greenwich.pk)})

    assert refused.status_code == 409
    assert "would take Greenwich over budget" in " ".join(refused.context["adminform"].form.non_field_errors())
    role.refresh_from_db()
    assert role.place == world.bexley

    greenwich_budget.amount = Decimal("16400")
    greenwich_budget.save()
    moved = client.post(admin_url(role), {**body, "place": str(world.greenwich.pk)})

    assert moved.status_code == 302
    role.refresh_from_db()
    row = RoleMove.objects.get(role=role)
    assert (role.place, row.place) == (world.greenwich, world.greenwich)
    assert row.changes == [{"field": "place", "name": "place", "old": "Bexley", "new": "Greenwich"}]


def test_adding_a_role_in_the_admin_writes_a_created_row(client, world):
    client.force_login(world.admin)
    body = admin_form_body(client.get("/admin/roles/role/add/"))
    body.pop("functions"), body.pop("eligible_professions")
    body.update(
        place=str(world.bexley.pk),
        title="Digital Lead",
        role_type="clinical_care",
        spatial_level=str(Role._meta.get_field("spatial_level").related_model.objects.get(slug="place").pk),
        sessions_per_week="1",
        rate_per_session="16400",
        start_date="01/10/2025",
    )

    response = client.post("/admin/roles/role/add/", body)

    assert response.status_code == 302, response.context["adminform"].form.errors
    role = Role.objects.get(title="Digital Lead")
    assert (role.status, role.start_date) == (S.PROPOSED, dt.date(2025, 10, 1))
    assert audit_rows(role) == [("created", S.PROPOSED)]
    assert RoleMove.objects.get(role=role).by == world.admin


def test_the_admin_refuses_a_clinical_role_open_to_social_care(client, world):
    role = year_role(world.bexley, role_type="clinical")
    client.force_login(world.admin)
    body = admin_form_body(client.get(admin_url(role)))
    social_care = Profession.objects.get(slug="social-care")

    response = client.post(admin_url(role), {**body, "eligible_professions": [str(social_care.pk)]})

    assert response.status_code == 200
    assert "A Clinical role is open to clinicians only: untick Social care professional" in " ".join(
        response.context["adminform"].form.errors["eligible_professions"]
    )
    assert not role.eligible_professions.exists()


def test_the_admin_applies_the_document_limit_and_checks_the_content(client, world, settings, tmp_path, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from roles import documents

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", 40)
    role = year_role(world.bexley)
    client.force_login(world.admin)
    body = admin_form_body(client.get(admin_url(role)))

    too_big = client.post(
        admin_url(role),
        {**body, "description_document": SimpleUploadedFile("rd.pdf", b"%PDF-1.4 " + b"x" * 40)},
    )
    html_as_pdf = client.post(
        admin_url(role),
        {**body, "description_document": SimpleUploadedFile("rd.pdf", b"<html><script>alert(1)</script></html>")},
    )

    assert "the limit is 0 MB" in " ".join(too_big.context["adminform"].form.errors["description_document"])
    assert "does not contain what a .pdf file does" in " ".join(
        html_as_pdf.context["adminform"].form.errors["description_document"]
    )
    role.refresh_from_db()
    assert not role.description_document
    assert not list(tmp_path.rglob("*.pdf"))


def test_a_stale_admin_edit_is_refused_and_lists_what_changed(client, world):
    role = year_role(world.bexley)
    client.force_login(world.admin)
    body = admin_form_body(client.get(admin_url(role)))
    services.role_move(role=role, to=S.APPROVED, by=world.team)

    response = client.post(admin_url(role), {**body, "title": "Frailty Lead"})

    assert response.status_code == 409
    errors = response.context["adminform"].form.non_field_errors()
    assert "was changed by Bea Bexley after you opened this form" in errors[0]
    assert "Bea Bexley: moved it from Proposed to Approved." in errors[1]
    role.refresh_from_db()
    assert (role.title, role.status) == ("Frailty including Care Homes", S.APPROVED)


def test_a_non_numeric_id_in_an_admin_autocomplete_field_is_a_form_error(client, world):
    role = year_role(world.bexley)
    client.force_login(world.admin)
    body = admin_form_body(client.get(admin_url(role)))

    response = client.post(admin_url(role), {**body, "place": "abc", "template_role": "1e9"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Select a valid choice" in " ".join(errors["place"])
    role.refresh_from_db()
    assert role.place == world.bexley


# --- Deletes never take history with them --------------------------------------------------------------


def test_a_role_that_has_left_proposed_cannot_be_deleted_in_the_admin(client, world):
    in_post = year_role(world.bexley, title="Urgent Care", status=S.IN_POST)
    proposed = year_role(world.bexley, title="Digital Lead")
    services.role_move(role=year_role(world.bexley, title="Maternity"), to=S.APPROVED, by=world.team)
    client.force_login(world.admin)
    selected = {"action": "delete_selected", "_selected_action": [in_post.pk, proposed.pk]}

    single = client.post(f"/admin/roles/role/{in_post.pk}/delete/", {"post": "yes"})
    confirm = client.post("/admin/roles/role/", selected)
    forced = client.post("/admin/roles/role/", {**selected, "post": "yes"})

    assert single.status_code == 403
    assert "“Urgent Care” is In post: withdraw it instead" in text_of(confirm)
    assert forced.status_code == 200  # the confirmation again, with the reason; nothing deleted
    assert Role.objects.filter(pk__in=[in_post.pk, proposed.pk]).count() == 2
    with pytest.raises(services.DeleteRefused, match="withdraw it instead"):
        services.role_delete(role=Role.objects.get(title="Maternity"), by=world.admin)
    assert RoleMove.objects.filter(role__title="Maternity").count() == 1


def test_deleting_a_proposed_role_keeps_its_trail_and_says_who_deleted_it(client, world):
    role = services.role_create(
        place=world.bexley,
        values={
            "title": "Digital Lead",
            "role_type": "clinical_care",
            "spatial_level": Role._meta.get_field("spatial_level").related_model.objects.get(slug="place"),
            "sessions_per_week": Decimal("1"),
            "rate_per_session": Decimal("16400"),
            "start_date": YEAR.start,
        },
        by=world.team,
    ).role
    client.force_login(world.admin)

    response = client.post(f"/admin/roles/role/{role.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Role.objects.filter(pk=role.pk).exists()
    trail = list(
        RoleMove.objects.filter(place=world.bexley, role_title="Digital Lead")
        .order_by("version")
        .values_list("role", "action", "by__username")
    )
    assert trail == [(None, "created", "bea"), (None, "deleted", "ida")]


def test_a_place_with_roles_budgets_or_members_is_not_deleted(client, world):
    year_role(world.bexley)
    BudgetFactory(place=world.bexley, financial_year=2022)
    recruiter = member(AccessKind.HR_RECRUITER, place=world.bexley, username="hari")
    client.force_login(world.admin)

    confirm = client.get(f"/admin/roles/place/{world.bexley.pk}/delete/")
    response = client.post(f"/admin/roles/place/{world.bexley.pk}/delete/", {"post": "yes"})

    assert "would require deleting the following protected related objects" in text_of(confirm)
    # What keeps it, said at once (not every row a deletion would reach, gathered first).
    assert "Bexley holds 1 role, 1 budget, 3 members" in text_of(confirm)
    assert response.status_code == 200
    assert Place.objects.filter(pk=world.bexley.pk).exists()
    assert Membership.objects.filter(user=recruiter, place=world.bexley).exists()
    with pytest.raises(services.DeleteRefused) as refused:
        services.place_delete(place=world.bexley, by=world.admin)
    assert "Bexley was not deleted: it holds 1 role, 1 budget, 3 members" in refused.value.message


def test_an_ics_or_template_role_in_use_is_not_deleted_and_the_page_says_what_refers_to_it(client, world):
    template = TemplateRole.objects.create(ics=world.sel, title="Frailty Lead", role_type=RoleType.CLINICAL)
    year_role(world.bexley, template_role=template)
    year_role(world.greenwich, template_role=template, title="Frailty Lead (Greenwich)")
    client.force_login(world.admin)

    for url, kept in (
        (f"/admin/roles/templaterole/{template.pk}/delete/", "Frailty Lead: 2 roles refer to it."),
        (f"/admin/roles/ics/{world.sel.pk}/delete/", "South East London: 2 places, 1 template role, 1 membership"),
    ):
        confirm = client.get(url)
        response = client.post(url, {"post": "yes"})

        assert kept in text_of(confirm)
        assert response.status_code == 200 and kept in text_of(response)
    assert TemplateRole.objects.filter(pk=template.pk).exists() and ICS.objects.filter(pk=world.sel.pk).exists()
    with pytest.raises(services.DeleteRefused, match="Frailty Lead was not deleted: 2 roles refer to it"):
        services.unreferenced_delete(obj=template, by=world.admin, advice="")


def test_a_template_role_nothing_refers_to_is_deleted_and_its_history_says_who_did_it(client, world):
    template = TemplateRole.objects.create(ics=world.sel, title="Unused Lead", role_type=RoleType.CARE)
    template.functions.set(Function.objects.all()[:2])  # its own links go with it
    client.force_login(world.admin)

    response = client.post(f"/admin/roles/templaterole/{template.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not TemplateRole.objects.filter(pk=template.pk).exists()
    last = TemplateRole.history.filter(id=template.pk).latest("history_date")
    assert (last.history_type, last.history_user) == ("-", world.admin)


def test_an_empty_place_is_deleted_and_its_history_says_who_did_it(world):
    empty = PlaceFactory(ics=world.sel, name="Bromley", slug="bromley")

    services.place_delete(place=empty, by=world.admin)

    assert not Place.objects.filter(slug="bromley").exists()
    last = Place.history.filter(id=empty.pk).latest("history_date")
    assert (last.history_type, last.history_user, last.name) == ("-", world.admin, "Bromley")


def test_a_deleted_budget_leaves_its_figures_in_the_history_and_on_the_dashboard(client, world):
    budget = BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("417000"))
    client.force_login(world.admin)

    response = client.post(f"/admin/roles/budget/{budget.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Budget.objects.exists()
    deleted = Budget.history.get(history_type="-")
    assert (deleted.amount, deleted.history_user) == (Decimal("417000.00"), world.admin)
    client.force_login(world.team)
    table = text_of(client.get(reverse("roles:dashboard", args=["bexley"])))
    assert f"Ida Admin {YEAR} Deleted Amount (£) : £417,000.00 → —" in table


def test_a_budget_change_in_the_admin_shows_on_the_dashboard_with_who_made_it(client, world):
    budget = BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("217000"))
    client.force_login(world.admin)
    body = admin_form_body(client.get(f"/admin/roles/budget/{budget.pk}/change/"))

    response = client.post(f"/admin/roles/budget/{budget.pk}/change/", {**body, "amount": "417000"})

    assert response.status_code == 302
    client.force_login(world.team)
    page = text_of(client.get(reverse("roles:dashboard", args=["bexley"]) + f"?year={YEAR.start_year}"))
    assert f"Ida Admin {YEAR} Changed Amount (£) : £217,000.00 → £417,000.00" in page


def test_lowering_a_budget_below_what_roles_take_warns(client, world):
    budget = BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("100000"))
    year_role(world.bexley, status=S.IN_POST, sessions_per_week=Decimal("2"))
    client.force_login(world.admin)
    body = admin_form_body(client.get(f"/admin/roles/budget/{budget.pk}/change/"))

    response = client.post(f"/admin/roles/budget/{budget.pk}/change/", {**body, "amount": "30000"})

    assert response.status_code == 302
    assert f"Bexley's {YEAR} budget of £30,000.00 is £2,800.00 below what committed and pipeline roles take" in (
        " ".join(messages_of(response))
    )


@pytest.mark.parametrize(
    ("model", "make", "change"),
    [
        ("budget", lambda w: BudgetFactory(place=w.bexley, financial_year=2022), {"amount": "1"}),
        ("place", lambda w: w.greenwich, {"name": "Royal Greenwich"}),
        ("templaterole", lambda w: TemplateRoleFactory(ics=w.sel, title="Diagnostics"), {"title": "Diagnostics (PHM)"}),
        (
            "templateomission",
            lambda w: TemplateOmission.objects.create(
                place=w.bexley, template_role=TemplateRoleFactory(ics=w.sel, title="Other roles e.g. Frailty")
            ),
            {"reason": "A placeholder; Bexley named its own additions"},
        ),
        ("membership", lambda w: Membership.objects.get(user=w.team), {"kind": AccessKind.SECRETARIAT}),
    ],
)
def test_every_change_to_data_people_rely_on_is_kept_with_who_made_it(client, world, model, make, change):
    obj = make(world)
    client.force_login(world.admin)
    url = f"/admin/roles/{model}/{obj.pk}/change/"
    body = admin_form_body(client.get(url))

    response = client.post(url, {**body, **change})

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = type(obj).history.filter(id=obj.pk).latest("history_date")
    assert latest.history_user == world.admin
    delta = latest.diff_against(latest.prev_record)
    (field,) = change
    assert [c.field for c in delta.changes] == [field]
    history_page = client.get(f"/admin/roles/{model}/{obj.pk}/history/")
    assert history_page.status_code == 200
    assert "Ida" in text_of(history_page)


def test_an_old_version_cannot_be_saved_back_from_the_history_page(client, world):
    budget = BudgetFactory(place=world.bexley, financial_year=2022, amount=Decimal("1"))
    budget.amount = Decimal("2")
    budget.save()
    first = Budget.history.filter(id=budget.pk).earliest("history_date")
    client.force_login(world.admin)
    url = f"/admin/roles/budget/{budget.pk}/history/{first.history_id}/"

    page = client.get(url)
    assert page.status_code == 200
    # Shown to read: the version's amount as text, no field to type into and no button to save it.
    html = page.content.decode()
    assert re.search(r'field-amount">.*?<div class="readonly">1\.00</div>', html, re.S)
    assert 'name="amount"' not in html and 'type="submit"' not in html.split('id="content-main"')[1]
    assert client.post(url, {"amount": "1"}).status_code == 405
    budget.refresh_from_db()
    assert budget.amount == Decimal("2")


def test_template_roles_that_places_derive_from_are_not_deleted(world):
    from django.db.models import ProtectedError

    template = TemplateRoleFactory(ics=world.sel, title="Urgent Care")
    year_role(world.bexley, template_role=template)
    with pytest.raises(ProtectedError):
        template.delete()
    assert TemplateRole.objects.filter(pk=template.pk).exists()


# --- The permission module decides -------------------------------------------------------------------------


def test_only_an_ics_administrator_is_offered_to_set_a_missing_budget(client, world):
    hr = member(AccessKind.HR_RECRUITER, place=world.bexley, username="hari")
    assert hr.is_staff
    url = reverse("roles:dashboard", args=["bexley"])

    client.force_login(hr)
    as_hr = text_of(client.get(url))
    client.force_login(world.admin)
    as_admin = client.get(url).content.decode()

    assert "An ICS administrator can set it." in as_hr
    assert f"/admin/roles/budget/add/?place={world.bexley.pk}&amp;financial_year={YEAR.start_year}" in as_admin


def test_an_ics_administrator_cannot_give_access_to_another_icss_staff(client, world):
    derby = PlaceFactory(ics=ICSFactory(slug="jucd"), slug="derby")
    theirs = member(AccessKind.PLACE_TEAM, place=derby, username="derby-team")
    newcomer = UserFactory(username="newcomer")
    client.force_login(world.admin)

    offered = client.get("/admin/roles/membership/add/").context["adminform"].form.fields["user"].queryset

    assert newcomer in offered and world.team in offered
    assert theirs not in offered


# --- Dates outside the years the product plans for ------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_date", "0001-01-01"),
        ("end_date", "9999-12-31"),
        ("start_date", "31/03/2000"),
        ("end_date", "01/04/2100"),
        ("description_signed_off_on", "1999-12-31"),
    ],
)
def test_a_date_outside_2000_to_2100_is_refused_with_a_message(client, world, field, value):
    role = year_role(world.bexley)
    client.force_login(world.team)
    body = loaded_edit_form(client, role)

    response = client.post(edit_url(role), {**body, field: value})

    assert response.status_code == 400
    assert "is outside the years this service plans for: give a date between 1 Apr 2000 and 31 Mar 2100" in (
        " ".join(response.context["form"].errors[field])
    )
    assert client.get(role.get_absolute_url()).status_code == 200
    role.refresh_from_db()
    assert role.version == 1


@pytest.mark.parametrize("year", ["0000", "9999", "1999", "2100", "२०२२", "2022/99"])
def test_a_dashboard_year_outside_the_plan_is_a_400_with_a_message(client, world, year):
    client.force_login(world.team)

    response = client.get(reverse("roles:dashboard", args=["bexley"]), {"year": year})

    assert response.status_code == 400
    assert "financial year" in text_of(response) or "outside the years" in text_of(response)


def test_the_last_year_of_the_plan_is_shown(client, world):
    client.force_login(world.team)
    assert client.get(reverse("roles:dashboard", args=["bexley"]), {"year": "2099"}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "start_date__year=" + "9" * 20,
        "start_date__year=9999",
        "start_date__year=abc",
        "start_date__year=2022&start_date__month=13",
        "start_date__month=4",
    ],
)
def test_a_bad_admin_date_filter_is_a_400_with_a_message(client, world, query):
    client.force_login(world.admin)

    response = client.get(f"/admin/roles/role/?{query}")

    assert response.status_code == 400
    assert "is not a date this service plans for" in text_of(response)


def test_a_good_admin_date_filter_still_works(client, world):
    year_role(world.bexley)
    client.force_login(world.admin)
    response = client.get(f"/admin/roles/role/?start_date__year={YEAR.start_year}")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1


def test_a_role_without_budgets_for_many_years_gets_one_warning_not_one_a_year(world):
    role = year_role(world.bexley, end_date=dt.date(2099, 3, 31))

    move = services.role_move(role=role, to=S.APPROVED, by=world.team)

    assert move.warnings == [
        f"Bexley has no budget for {YEAR} to 2098/99, so those {2098 - YEAR.start_year + 1} years were not checked."
    ]


def test_a_move_with_an_unknown_expected_status_is_a_400(client, world):
    role = year_role(world.bexley)
    client.force_login(world.team)

    response = client.post(
        reverse("roles:role_move", args=["bexley", role.pk, S.APPROVED]), {"expected_status": "hired"}
    )

    assert response.status_code == 400
    assert "unknown state" in " ".join(response.context["form"].errors["expected_status"])
    role.refresh_from_db()
    assert role.status == S.PROPOSED


def test_a_contract_dated_outside_the_plan_is_refused(world):
    role = year_role(world.bexley, status=S.OFFERED)
    details = MoveDetails(appointee_name="Dr A", contract_start=YEAR.start, contract_end=dt.date(9999, 12, 31))
    with pytest.raises(services.ChangeRefused, match="outside the years this service plans for"):
        services.role_move(role=role, to=S.CONTRACTED, by=world.team, details=details)
    role.refresh_from_db()
    assert role.status == S.OFFERED


# --- Uploads -------------------------------------------------------------------------------------------------


def docx_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "accepted"),
    [
        ("rd.pdf", b"%PDF-1.7\n1 0 obj", True),
        ("rd.odt", odt_bytes(), True),
        ("rd.odt", docx_bytes(), False),
        ("rd.pdf", b"<!DOCTYPE html><html><body>not a pdf</body></html>", False),
        ("rd.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, True),
        ("rd.doc", b"%PDF-1.7 renamed", False),
        ("rd.docx", docx_bytes(), True),
        ("rd.docx", b"PK\x03\x04 not really a zip", False),
        ("rd.rtf", b"{\\rtf1\\ansi Frailty lead}", True),
        ("rd.txt", "Frailty lead: role description – £16,400 a session".encode(), True),
        ("rd.txt", b"<script>alert(1)</script>", False),
        ("rd.txt", b"\x00\x01binary", False),
        ("rd.html", b"<html></html>", False),
    ],
)
def test_a_documents_content_must_match_its_extension(client, world, settings, tmp_path, name, content, accepted):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    role = year_role(world.bexley)
    client.force_login(world.team)
    body = loaded_edit_form(client, role)

    response = client.post(edit_url(role), {**body, "description_document": SimpleUploadedFile(name, content)})

    role.refresh_from_db()
    if accepted:
        assert response.status_code == 302
        assert role.description_document.read() == content
    else:
        assert response.status_code == 400
        assert response.context["form"].errors["description_document"]
        assert not role.description_document
        assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_replaced_or_cleared_document_does_not_linger(
    client, world, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    role = year_role(world.bexley)
    client.force_login(world.team)

    def save(**fields) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(edit_url(role), {**loaded_edit_form(client, role), **fields})
        role.refresh_from_db()
        return role.description_document.name

    first = save(description_document=SimpleUploadedFile("v1.pdf", b"%PDF-1 one"))
    second = save(description_document=SimpleUploadedFile("v2.pdf", b"%PDF-1 two"))
    stored_after_replacing = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    cleared = save(**{"description_document-clear": "on"})

    assert first != second and cleared == ""
    assert stored_after_replacing == [second.rsplit("/", 1)[-1]]
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []
    edited = RoleMove.objects.filter(role=role, action="edited").order_by("version")
    assert [row.changes[0]["new"] for row in edited] == ["v1.pdf", "v2.pdf", "—"]


def test_a_document_another_role_still_uses_is_kept(world, settings, tmp_path, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    role = year_role(world.bexley)
    role.description_document.save("shared.pdf", ContentFile(b"%PDF-1 shared"))
    twin = year_role(world.bexley, title="Twin", description_document=role.description_document.name)

    with django_capture_on_commit_callbacks(execute=True):
        services.role_edit(role=role, values={"description_document": False}, version=role.version, by=world.team)

    twin.refresh_from_db()
    assert twin.description_document.read() == b"%PDF-1 shared"


# --- The demo's roles can be saved as they are ---------------------------------------------------------------


def test_every_demo_role_can_be_edited_and_saved_unchanged(client, demo):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="bexley-team"))
    roles = list(Role.objects.filter(place__slug="bexley"))
    assert len(roles) == 28
    for role in roles:
        response = client.post(edit_url(role), loaded_edit_form(client, role))
        assert response.status_code == 302, (role.title, response.context["form"].errors)
    assert not RoleMove.objects.filter(action="edited").exists()


# --- Input the database cannot even look up ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/admin/roles/budget/{budget}/change/?_to_field=", 200),
        ("/admin/roles/role/99999999999999999999/change/", 302),
        ("/admin/roles/role/?q=" + "x" * 50_000, 400),
        # PostgreSQL compares such a number and finds nothing; SQLite cannot bind it and says so.
        ("/admin/roles/budget/?place=100000000000000000000", (200, 400)),
        ("/places/bexley/roles/?q=" + "x" * 50_000, 400),
        ("/places/bexley/roles/?function=99999999999999999999", 400),
        ("/admin/autocomplete/?app_label=roles&model_name=role&field_name=place&term=" + "x" * 50_000, 200),
    ],
)
def test_values_too_large_or_long_for_a_lookup_get_an_answer_not_a_500(client, world, url, status):
    budget = BudgetFactory(place=world.bexley, financial_year=2022)
    client.force_login(world.admin)

    response = client.get(url.format(budget=budget.pk))

    assert response.status_code in (status if isinstance(status, tuple) else (status,))


def test_an_id_too_large_for_the_database_is_not_a_choice(client, world):
    role = year_role(world.bexley)
    client.force_login(world.team)
    body = loaded_edit_form(client, role)

    response = client.post(edit_url(role), {**body, "eligible_professions": ["9223372036854775808"]})

    assert response.status_code == 400
    assert "“9223372036854775808” is not a valid value." in response.context["form"].errors["eligible_professions"]
    role.refresh_from_db()
    assert role.version == 1


def test_lowering_a_session_cap_below_what_roles_use_warns(world):
    budget = BudgetFactory(place=world.bexley, financial_year=YEAR.start_year, amount=Decimal("400000"))
    year_role(world.bexley, status=S.IN_POST, sessions_per_week=Decimal("2"))
    year_role(world.bexley, title="Urgent Care", status=S.IN_POST, sessions_per_week=Decimal("1.5"))
    budget.session_cap = Decimal("3")

    warnings = services.budget_save(budget=budget, by=world.admin)

    assert warnings == [f"Bexley's {YEAR} roles use up to 3.5 sessions a week, over the cap of 3."]
    assert Budget.history.filter(id=budget.pk).latest("history_date").history_user == world.admin
