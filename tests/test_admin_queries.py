"""The admin's role page costs the same whatever the role's history: its audit trail and advert
rounds are read in a fixed number of queries, for an ICS administrator (who sees them) as for a
superuser, and the admin's lists do not repeat rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roles.models import AccessKind, AdvertRound, RoleMove, RoleStatus
from tests.factories import ICSFactory, PlaceFactory, RoleFactory, RoleMoveFactory, UserFactory, member

S = RoleStatus


@pytest.fixture
def bexley(db):
    return PlaceFactory(ics=ICSFactory(slug="sel", name="South East London"), slug="bexley", name="Bexley")


def role_with_history(place, title: str, moves: int, rounds: int):
    role = RoleFactory(place=place, title=title, status=S.ADVERTISED)
    people = [UserFactory(username=f"{title[:6].lower()}-{n}") for n in range(moves)]
    for n, person in enumerate(people):
        RoleMoveFactory(role=role, by=person, from_status=S.PROPOSED, to_status=S.APPROVED, reason=f"step {n}")
    for n in range(rounds):
        AdvertRound.objects.create(
            role=role, number=n + 1, opens_on=dt.date(2022, 1, 4 + n), closes_on=dt.date(2022, 2, 4 + n)
        )
    return role


def queries_for(client, role) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/admin/roles/role/{role.pk}/change/")
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize("who", ["ics_admin", "superuser"])
def test_the_role_page_reads_its_audit_trail_and_rounds_in_the_same_queries_for_1_move_and_12(client, bexley, who):
    user = (
        member(AccessKind.ICS_ADMIN, ics=bexley.ics, username="sel-admin")
        if who == "ics_admin"
        else UserFactory(username="root", is_staff=True, is_superuser=True)
    )
    short = role_with_history(bexley, "Frailty Lead", moves=1, rounds=1)
    long = role_with_history(bexley, "Urgent Care Lead", moves=12, rounds=4)
    client.force_login(user)
    queries_for(client, short)  # warm up caches that are read once a process

    few, short_page = queries_for(client, short)
    many, long_page = queries_for(client, long)

    assert many == few, f"{few} queries for 1 move and 1 round, {many} for 12 moves and 4 rounds"
    # Both inlines are shown to the ICS administrator too, with who made each move.
    assert "Audit trail" in long_page and "Advert rounds" in long_page
    assert "step 11" in long_page and "urgent-11" in long_page
    assert RoleMove.objects.filter(role=long).count() == 12


def test_the_admins_role_list_has_no_distinct_over_every_column(client, bexley):
    member_ = member(AccessKind.ICS_ADMIN, ics=bexley.ics, username="sel-admin")
    RoleFactory(place=bexley, title="Frailty Lead")
    client.force_login(member_)

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/roles/role/")

    assert response.status_code == 200
    assert "Frailty Lead" in response.content.decode()
    # The list's own query; the side filters' short lists of dates and places may use DISTINCT.
    listing = [q["sql"] for q in captured if q["sql"].startswith('SELECT DISTINCT "roles_role"."id"')]
    assert not listing


def test_the_role_pages_read_only_rows_have_no_forms_and_a_post_claiming_them_changes_none(client, bexley):
    """The audit trail and the rounds are drawn from their rows (`ReadOnlyRows`): no hidden input or form
    per row, a management form that says none; a save of the role that posts rows for them (a forged
    body, or a page drawn before) saves the role and reads, checks and writes none of those rows."""
    from tests.helpers import admin_form_body

    role = role_with_history(bexley, "Frailty Lead", moves=3, rounds=2)
    client.force_login(member(AccessKind.ICS_ADMIN, ics=bexley.ics, username="sel-admin"))
    page = client.get(f"/admin/roles/role/{role.pk}/change/")
    html = page.content.decode()
    prefixes = [f.prefix for f in (inline.formset for inline in page.context["inline_admin_formsets"])]
    assert len(prefixes) == 2
    for prefix in prefixes:
        assert f'name="{prefix}-TOTAL_FORMS" value="0"' in html
        assert f'id="{prefix}-0"' in html and f'id="{prefix}-1"' in html  # the rows are drawn
        assert f'name="{prefix}-0-id"' not in html
    assert html.count("step ") == 3
    moves_before = set(RoleMove.objects.filter(role=role).values_list("pk", "reason", "to_status"))

    body = {**admin_form_body(page), "title": "Frailty and Falls Lead"}
    move = RoleMove.objects.filter(role=role).first()
    moves = next(p for p in prefixes if "move" in p)
    body.update(
        {
            f"{moves}-TOTAL_FORMS": "2",
            f"{moves}-INITIAL_FORMS": "1",
            f"{moves}-0-id": str(move.pk),
            f"{moves}-0-role": str(role.pk),
            f"{moves}-0-reason": "rewritten",
            f"{moves}-0-to_status": S.IN_POST,
            f"{moves}-1-reason": "added",
            f"{moves}-1-to_status": S.ENDED,
        }
    )
    response = client.post(f"/admin/roles/role/{role.pk}/change/", body)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    role.refresh_from_db()
    assert role.title == "Frailty and Falls Lead"
    moves_after = list(RoleMove.objects.filter(role=role).values_list("pk", "reason", "to_status"))
    assert set(moves_before) < set(moves_after)  # each kept as it was; the one new row is the edit's own
    (edit,) = set(moves_after) - set(moves_before)
    assert edit[1:] == ("", S.ADVERTISED)


def test_an_inline_sorts_its_rows_by_their_own_order_without_joining_its_parents(client, bexley):
    """Every row of an inline has the same parent: its rows are sorted by their own order (a role's rounds by
    number), not by the parent's role and place (the model's order starts with the role, whose order is its
    place's name and its title)."""
    role = RoleFactory(place=bexley, title="Frailty Lead", status=S.ADVERTISED)
    for number in (2, 1, 3):
        AdvertRound.objects.create(
            role=role, number=number, opens_on=dt.date(2022, 1, number), closes_on=dt.date(2022, 2, number)
        )
    client.force_login(member(AccessKind.ICS_ADMIN, ics=bexley.ics, username="sel-admin"))

    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/admin/roles/role/{role.pk}/change/")

    html = response.content.decode()
    assert html.index("round 1 (") < html.index("round 2 (") < html.index("round 3 (")
    rounds = [q["sql"] for q in captured if q["sql"].startswith('SELECT "roles_advertround"."id"')]
    inline = [sql for sql in rounds if f'"roles_advertround"."role_id" = {role.pk}' in sql]
    assert inline, rounds
    orders = [sql.split("ORDER BY")[1] for sql in inline]
    assert orders and all("roles_place" not in order and "roles_role" not in order for order in orders), orders
