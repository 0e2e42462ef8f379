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
