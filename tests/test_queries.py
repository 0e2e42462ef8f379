"""List pages make a constant number of queries, whether a place has 5 roles or 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roles.models import AccessKind, Function, Membership, Profession, Role, RoleStatus
from tests.factories import BudgetFactory, PlaceFactory, RoleFactory, member

pytestmark = pytest.mark.django_db

# The role list reads the year list (budget years and role years) and the chosen year's on-cost too.
MAX_QUERIES = 16
PAGES = [
    ("roles:dashboard", "?year=2022"),
    ("roles:role_list", ""),
    ("roles:role_list", "?status=in_post&sort=-sessions&page=2"),
    ("roles:template_comparison", ""),
]


def make_place(count):
    """A place with `count` roles in three states, each with one to three functions and two professions
    (made in bulk: what is measured is the pages, not the making)."""
    place = PlaceFactory(slug=f"place-{count}")
    BudgetFactory(place=place, financial_year=2022)
    functions = list(Function.objects.all()[:3])
    professions = list(Profession.objects.all()[:2])
    statuses = [RoleStatus.IN_POST, RoleStatus.ADVERTISED, RoleStatus.PROPOSED]
    roles = Role.objects.bulk_create(
        RoleFactory.build(place=place, status=statuses[n % 3], title=f"Role {n:03d}") for n in range(count)
    )
    Role.functions.through.objects.bulk_create(
        Role.functions.through(role_id=role.pk, function_id=function.pk)
        for n, role in enumerate(roles)
        for function in functions[: 1 + n % 3]
    )
    Role.eligible_professions.through.objects.bulk_create(
        Role.eligible_professions.through(role_id=role.pk, profession_id=profession.pk)
        for role in roles
        for profession in professions
    )
    return place


def queries_for(client, place, name, query):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name, args=[place.slug]) + query)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_query_count_does_not_grow_with_the_number_of_roles(client, name, query, django_assert_max_num_queries):
    small, large = make_place(5), make_place(500)
    user = member(AccessKind.PLACE_TEAM, place=small)
    Membership.objects.create(user=user, kind=AccessKind.PLACE_TEAM, place=large)
    client.force_login(user)
    small_count = queries_for(client, small, name, query)
    large_count = queries_for(client, large, name, query)
    assert small_count == large_count
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(reverse(name, args=[large.slug]) + query)


def test_the_benchmark_command_runs_and_leaves_the_database_as_it_was():
    from io import StringIO

    from django.core.management import call_command

    from roles.models import ICS, Role

    out = StringIO()
    call_command("benchmark", roles=6, repeat=1, stdout=out)
    assert "6 roles" in out.getvalue() and "board" in out.getvalue()
    assert not Role.objects.exists() and not ICS.objects.exists()
