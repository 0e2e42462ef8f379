"""The Django admin, for each kind of user (see the table in `roles.permissions`).

Two ICSs with explicit data: South East London (Bexley, Greenwich) and Derbyshire (Derby City),
a role and a budget in each place. The ICS administrator runs South East London; the HR recruiter,
place team member and board secretariat work for Bexley.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages

from roles.models import (
    AccessKind,
    Budget,
    Function,
    Membership,
    Profession,
    Role,
    RoleStatus,
    SpatialLevel,
    TemplateOmission,
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
from tests.helpers import admin_form_body as change_form_data

ROLE_CHANGELIST = "/admin/roles/role/"


def role_change_url(role: Role) -> str:
    return f"/admin/roles/role/{role.pk}/change/"


@pytest.fixture
def world(db):
    sel = ICSFactory(name="South East London", short_name="SEL", slug="sel")
    derbyshire = ICSFactory(name="Joined Up Care Derbyshire", short_name="JUCD", slug="jucd")
    bexley = PlaceFactory(ics=sel, name="Bexley", slug="bexley")
    greenwich = PlaceFactory(ics=sel, name="Greenwich", slug="greenwich")
    derby = PlaceFactory(ics=derbyshire, name="Derby City", slug="derby-city")
    return SimpleNamespace(
        sel=sel,
        derbyshire=derbyshire,
        bexley=bexley,
        greenwich=greenwich,
        derby=derby,
        bexley_role=RoleFactory(place=bexley, title="Bexley Urgent Care Lead"),
        greenwich_role=RoleFactory(place=greenwich, title="Greenwich Safeguarding GP"),
        derby_role=RoleFactory(place=derby, title="Derby Frailty Lead"),
        bexley_budget=BudgetFactory(place=bexley, financial_year=2022, amount=Decimal("180400")),
        derby_budget=BudgetFactory(place=derby, financial_year=2022, amount=Decimal("250000")),
    )


@pytest.fixture
def ics_admin(world):
    return member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel_admin")


@pytest.fixture
def hr_recruiter(world):
    return member(AccessKind.HR_RECRUITER, place=world.bexley, username="bexley_hr")


@pytest.fixture
def superuser(world):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def listed(response) -> list:
    """The rows of an admin changelist response."""
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --- ICS administrator: roles -------------------------------------------------------------------


def test_ics_admin_sees_their_icss_roles_and_not_another_icss(client, world, ics_admin):
    client.force_login(ics_admin)

    rows = listed(client.get(ROLE_CHANGELIST))

    assert set(rows) == {world.bexley_role, world.greenwich_role}


def test_ics_admin_role_changelist_does_not_name_another_icss_role(client, world, ics_admin):
    client.force_login(ics_admin)

    response = client.get(ROLE_CHANGELIST)

    assert world.bexley_role.title in response.content.decode()
    assert world.derby_role.title not in response.content.decode()


def test_ics_admin_role_changelist_filters_offer_only_their_own_icss_places(client, world, ics_admin):
    """A place the user may not see does not exist for them: not even its name in a filter."""
    client.force_login(ics_admin)

    response = client.get(ROLE_CHANGELIST)

    offered = {
        spec.field_path: {label for _, label in spec.lookup_choices}
        for spec in response.context["cl"].filter_specs
        if spec.field_path in ("place", "place__ics")
    }
    assert offered["place"] == {"Bexley", "Greenwich"}
    # With one ICS to offer, Django leaves the ICS filter out; if shown, it names only theirs.
    assert offered.get("place__ics", {"South East London"}) == {"South East London"}
    page = response.content.decode()
    assert "Derby City" not in page and "Joined Up Care Derbyshire" not in page


def test_ics_admin_opening_another_icss_role_is_sent_to_the_admin_index(client, world, ics_admin):
    client.force_login(ics_admin)

    response = client.get(role_change_url(world.derby_role))

    assert response.status_code == 302
    assert response.url == "/admin/"
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages == [f"role with ID “{world.derby_role.pk}” doesn’t exist. Perhaps it was deleted?"]
    assert world.derby_role.title not in client.get(response.url).content.decode()


def test_ics_admin_changes_a_role_in_their_ics_through_the_change_form(client, world, ics_admin):
    quality = Function.objects.get(slug="quality-safety")
    nurse = Profession.objects.get(slug="nurse")
    world.bexley_role.functions.add(quality)
    world.bexley_role.eligible_professions.add(nurse)
    client.force_login(ics_admin)
    data = change_form_data(client.get(role_change_url(world.bexley_role)))
    data.update(title="Bexley Urgent and Emergency Care Lead", sessions_per_week="2")

    response = client.post(role_change_url(world.bexley_role), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response.url == ROLE_CHANGELIST
    world.bexley_role.refresh_from_db()
    assert world.bexley_role.title == "Bexley Urgent and Emergency Care Lead"
    assert world.bexley_role.sessions_per_week == Decimal("2")
    assert world.bexley_role.place == world.bexley
    assert list(world.bexley_role.functions.all()) == [quality]
    assert list(world.bexley_role.eligible_professions.all()) == [nurse]


def test_ics_admin_cannot_move_a_role_to_another_icss_place_by_forging_the_id(client, world, ics_admin):
    client.force_login(ics_admin)
    data = change_form_data(client.get(role_change_url(world.bexley_role)))
    data.update(place=str(world.derby.pk), title="Moved to Derby")

    response = client.post(role_change_url(world.bexley_role), data)

    assert response.status_code == 200
    assert "place" in response.context["adminform"].form.errors
    world.bexley_role.refresh_from_db()
    assert world.bexley_role.place == world.bexley
    assert world.bexley_role.title == "Bexley Urgent Care Lead"


def test_role_status_is_read_only_in_the_admin(client, world, ics_admin):
    client.force_login(ics_admin)
    data = change_form_data(client.get(role_change_url(world.bexley_role)))
    assert "status" not in data
    data.update(status=RoleStatus.IN_POST, title="Bexley Urgent Care Lead (renamed)")

    response = client.post(role_change_url(world.bexley_role), data)

    assert response.status_code == 302
    world.bexley_role.refresh_from_db()
    assert world.bexley_role.title == "Bexley Urgent Care Lead (renamed)"  # the save happened
    assert world.bexley_role.status == RoleStatus.PROPOSED


# --- Budgets ------------------------------------------------------------------------------------


def budget_post(place, **overrides) -> dict:
    data = {
        "place": str(place.pk),
        "financial_year": "2023",
        "amount": "180400",
        "session_cap": "",
        "on_cost_percent": "0",
        "notes": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_ics_admin_adds_a_budget_for_their_place(client, world, ics_admin):
    client.force_login(ics_admin)

    response = client.post("/admin/roles/budget/add/", budget_post(world.bexley))

    assert response.status_code == 302
    assert Budget.objects.get(place=world.bexley, financial_year=2023).amount == Decimal("180400")


def test_a_negative_budget_is_refused_and_nothing_is_written(client, world, ics_admin):
    client.force_login(ics_admin)

    response = client.post("/admin/roles/budget/add/", budget_post(world.bexley, amount="-1"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["amount"] == ["A budget cannot be negative."]
    assert "A budget cannot be negative." in response.content.decode()
    assert Budget.objects.count() == 2


def test_a_second_budget_for_the_same_place_and_year_is_refused_and_nothing_is_written(client, world, ics_admin):
    client.force_login(ics_admin)

    response = client.post("/admin/roles/budget/add/", budget_post(world.bexley, financial_year="2022"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("already has a budget for that financial year" in error for error in errors), errors
    assert Budget.objects.filter(place=world.bexley).count() == 1
    assert Budget.objects.get(place=world.bexley).amount == Decimal("180400")


# --- HR recruiter -------------------------------------------------------------------------------


def test_hr_recruiter_sees_the_roles_of_their_place_only(client, world, hr_recruiter):
    client.force_login(hr_recruiter)

    rows = listed(client.get(ROLE_CHANGELIST))

    assert rows == [world.bexley_role]


def test_hr_recruiter_sees_a_role_of_their_place_read_only(client, world, hr_recruiter):
    client.force_login(hr_recruiter)

    response = client.get(role_change_url(world.bexley_role))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert world.bexley_role.title in response.content.decode()
    assert 'name="_save"' not in response.content.decode()
    assert 'name="title"' not in response.content.decode()


def test_hr_recruiter_cannot_change_a_role_by_post(client, world, hr_recruiter):
    client.force_login(hr_recruiter)

    response = client.post(
        role_change_url(world.bexley_role),
        {"title": "Changed by HR", "place": str(world.bexley.pk), "_save": "Save"},
    )

    assert response.status_code == 403
    world.bexley_role.refresh_from_db()
    assert world.bexley_role.title == "Bexley Urgent Care Lead"


def test_hr_recruiter_cannot_open_the_role_add_page(client, world, hr_recruiter):
    client.force_login(hr_recruiter)

    assert client.get("/admin/roles/role/add/").status_code == 403


def test_hr_recruiter_cannot_open_another_places_role(client, world, hr_recruiter):
    client.force_login(hr_recruiter)

    response = client.get(role_change_url(world.greenwich_role))

    assert response.status_code == 302
    assert response.url == "/admin/"


@pytest.mark.parametrize("model", ["budget", "place", "ics", "templaterole", "templateomission", "membership"])
def test_hr_recruiter_sees_nothing_but_roles_in_the_admin(client, world, hr_recruiter, model):
    """The permissions table: an HR recruiter's admin site is "those places' roles, read only"."""
    client.force_login(hr_recruiter)

    response = client.get(f"/admin/roles/{model}/")

    assert response.status_code == 403


# --- No admin access ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [AccessKind.PLACE_TEAM, AccessKind.SECRETARIAT])
@pytest.mark.parametrize("path", ["/admin/", ROLE_CHANGELIST])
def test_place_team_and_secretariat_are_sent_to_the_admin_login(client, world, kind, path):
    user = member(kind, place=world.bexley)
    assert not user.is_staff
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"/admin/login/?next={path}"


# --- Memberships --------------------------------------------------------------------------------


def test_ics_admin_sees_the_memberships_of_their_ics_only(client, world, ics_admin, hr_recruiter):
    derby_team = member(AccessKind.PLACE_TEAM, place=world.derby, username="derby_team")
    derby_admin = member(AccessKind.ICS_ADMIN, ics=world.derbyshire, username="jucd_admin")
    client.force_login(ics_admin)

    response = client.get("/admin/roles/membership/")

    assert set(listed(response)) == set(Membership.objects.filter(user__in=[ics_admin, hr_recruiter]))
    content = response.content.decode()
    assert derby_team.username not in content
    assert derby_admin.username not in content


def membership_post(user, **overrides) -> dict:
    data = {"user": str(user.pk), "kind": AccessKind.PLACE_TEAM, "ics": "", "place": "", "_save": "Save"}
    data.update(overrides)
    return data


def test_ics_admin_gives_a_user_access_to_a_place_in_their_ics(client, world, ics_admin):
    newcomer = UserFactory(username="newcomer")
    client.force_login(ics_admin)

    response = client.post("/admin/roles/membership/add/", membership_post(newcomer, place=str(world.greenwich.pk)))

    assert response.status_code == 302
    assert Membership.objects.filter(user=newcomer, kind=AccessKind.PLACE_TEAM, place=world.greenwich).exists()


def test_ics_admin_cannot_give_access_to_another_icss_place_by_forging_the_id(client, world, ics_admin):
    newcomer = UserFactory(username="newcomer")
    client.force_login(ics_admin)

    response = client.post("/admin/roles/membership/add/", membership_post(newcomer, place=str(world.derby.pk)))

    assert response.status_code == 200
    assert "place" in response.context["adminform"].form.errors
    assert not Membership.objects.filter(user=newcomer).exists()


def test_ics_admin_cannot_make_someone_administrator_of_another_ics_by_forging_the_id(client, world, ics_admin):
    newcomer = UserFactory(username="newcomer")
    client.force_login(ics_admin)

    response = client.post(
        "/admin/roles/membership/add/",
        membership_post(newcomer, kind=AccessKind.ICS_ADMIN, ics=str(world.derbyshire.pk)),
    )

    assert response.status_code == 200
    assert "ics" in response.context["adminform"].form.errors
    assert not Membership.objects.filter(user=newcomer).exists()


# --- Reference data -----------------------------------------------------------------------------

REFERENCE_MODELS = [
    pytest.param(Function, "population-health", id="function"),
    pytest.param(SpatialLevel, "place", id="spatiallevel"),
    pytest.param(Profession, "nurse", id="profession"),
]


def reference_post(obj, **overrides) -> dict:
    data = {"name": obj.name, "slug": obj.slug, "order": str(obj.order), "_save": "Save"}
    if hasattr(obj, "description"):
        data["description"] = obj.description
    if getattr(obj, "is_clinical", False):
        data["is_clinical"] = "on"
    data.update(overrides)
    return data


@pytest.mark.parametrize(("model", "slug"), REFERENCE_MODELS)
def test_ics_admin_may_view_reference_data(client, world, ics_admin, model, slug):
    obj = model.objects.get(slug=slug)
    client.force_login(ics_admin)

    listing = client.get(f"/admin/roles/{model._meta.model_name}/")
    page = client.get(f"/admin/roles/{model._meta.model_name}/{obj.pk}/change/")

    assert obj in listed(listing)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()


@pytest.mark.parametrize(("model", "slug"), REFERENCE_MODELS)
def test_ics_admin_may_not_change_reference_data(client, world, ics_admin, model, slug):
    obj = model.objects.get(slug=slug)
    client.force_login(ics_admin)

    response = client.post(
        f"/admin/roles/{model._meta.model_name}/{obj.pk}/change/", reference_post(obj, name="Renamed by ICS")
    )

    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.name != "Renamed by ICS"


@pytest.mark.parametrize(("model", "slug"), REFERENCE_MODELS)
def test_superuser_may_change_reference_data(client, world, superuser, model, slug):
    obj = model.objects.get(slug=slug)
    client.force_login(superuser)

    response = client.post(
        f"/admin/roles/{model._meta.model_name}/{obj.pk}/change/", reference_post(obj, name="Renamed by superuser")
    )

    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.name == "Renamed by superuser"


# --- Every page renders -------------------------------------------------------------------------

ROLES_ADMIN_MODELS = [
    "ics",
    "place",
    "function",
    "spatiallevel",
    "profession",
    "templaterole",
    "role",
    "budget",
    "templateomission",
    "membership",
]


@pytest.fixture
def full_world(world, ics_admin, hr_recruiter):
    """Every kind of row in both ICSs, so that each changelist has something to show."""
    for ics, place, role in (
        (world.sel, world.bexley, world.bexley_role),
        (world.derbyshire, world.derby, world.derby_role),
    ):
        template = TemplateRoleFactory(ics=ics, title=f"{ics.short_name} Urgent Care Lead")
        template.functions.add(Function.objects.first())
        role.template_role = template
        role.save()
        role.functions.add(Function.objects.first())
        role.eligible_professions.add(Profession.objects.first())
        TemplateOmission.objects.create(place=place, template_role=template, reason="Covered by the PCN")
    member(AccessKind.PLACE_TEAM, place=world.derby, username="derby_team")
    return world


def test_every_roles_model_in_the_admin_is_checked_below():
    registered = {
        model._meta.model_name
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "roles" and type(model_admin).__module__ == "roles.admin"
    }

    assert registered == set(ROLES_ADMIN_MODELS)


@pytest.mark.parametrize("model", ROLES_ADMIN_MODELS)
def test_every_changelist_renders_for_a_superuser(client, full_world, superuser, model):
    client.force_login(superuser)

    response = client.get(f"/admin/roles/{model}/")

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) > 0


@pytest.mark.parametrize("model", ROLES_ADMIN_MODELS)
def test_every_changelist_renders_for_an_ics_admin(client, full_world, ics_admin, model):
    client.force_login(ics_admin)

    response = client.get(f"/admin/roles/{model}/")

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) > 0


@pytest.mark.parametrize("who", ["ics_admin", "hr_recruiter"])
def test_the_admin_index_renders(client, world, request, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert ROLE_CHANGELIST in response.content.decode()


# --- Other packages' admin pages: superusers alone ----------------------------------------------

OTHER_PACKAGES_PAGES = [
    "/admin/auth/user/",
    "/admin/auth/group/",
    "/admin/django_celery_beat/periodictask/",
    "/admin/axes/accessattempt/",
]


def given_every_django_permission(user):
    """What a superuser could tick on someone's account page: every model permission there is."""
    from django.contrib.auth.models import Permission

    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.mark.parametrize("path", OTHER_PACKAGES_PAGES)
def test_an_ics_admin_given_djangos_permissions_still_cannot_open_other_packages_pages(client, world, ics_admin, path):
    client.force_login(given_every_django_permission(ics_admin))

    assert client.get(path).status_code == 403
    assert client.get(f"{path}add/").status_code == 403


def test_an_ics_admin_given_djangos_permissions_cannot_make_themselves_a_superuser(client, world, ics_admin):
    client.force_login(given_every_django_permission(ics_admin))

    response = client.post(
        f"/admin/auth/user/{ics_admin.pk}/change/",
        {"username": ics_admin.username, "is_superuser": "on", "is_staff": "on", "is_active": "on"},
    )

    assert response.status_code == 403
    ics_admin.refresh_from_db()
    assert not ics_admin.is_superuser


def test_the_list_of_apps_names_no_other_package_for_an_ics_admin(client, world, ics_admin):
    client.force_login(given_every_django_permission(ics_admin))

    response = client.get("/admin/")

    labels = {app["app_label"] for app in response.context["app_list"]}
    assert labels == {"roles", "recruitment", "governance"}


@pytest.mark.parametrize("path", OTHER_PACKAGES_PAGES)
def test_a_superuser_opens_other_packages_pages(client, world, superuser, path):
    client.force_login(superuser)

    assert client.get(path).status_code == 200


def test_what_a_package_refuses_a_superuser_stays_refused(client, world, superuser):
    client.force_login(superuser)

    assert client.get("/admin/axes/accessattempt/add/").status_code == 403


def test_every_other_packages_model_admin_is_for_superusers_only():
    from roles.admin import OUR_APPS, SuperusersOnly

    others = {
        model._meta.label: isinstance(model_admin, SuperusersOnly)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label not in OUR_APPS
    }

    assert len(others) >= 10  # users, groups, five of Celery beat's, three of django-axes's
    assert all(others.values()), others


def test_an_ics_admins_admin_page_does_not_ask_for_djangos_permissions(client, world, ics_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(ics_admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(role_change_url(world.bexley_role))

    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "auth_permission" in q["sql"]]


# --- The list of apps: as Django builds it ---------------------------------------------------------


@pytest.mark.parametrize("who", ["ics_admin", "hr_recruiter", "superuser"])
@pytest.mark.parametrize("label", [None, "roles", "recruitment", "auth"])
def test_the_list_of_apps_is_the_one_django_builds(rf, world, request, who, label):
    from roles.admin_site import AdminSite

    site = admin.site
    assert isinstance(site._wrapped if hasattr(site, "_wrapped") else site, AdminSite)
    page = rf.get("/admin/")
    page.user = request.getfixturevalue(who)

    ours = site._build_app_dict(page, label)
    djangos = admin.AdminSite._build_app_dict(site, page, label)

    assert ours == djangos
    assert ours or (label == "auth" and who != "superuser") or (label == "recruitment" and who == "hr_recruiter")


def test_the_admin_pages_carry_the_sites_name(client, world, ics_admin):
    client.force_login(ics_admin)

    page = client.get("/admin/").content.decode()

    assert "Clinical &amp; Care Professional Leadership – administration" in page
    assert "Set-up and recruitment" in page
