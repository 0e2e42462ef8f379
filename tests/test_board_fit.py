"""The board fits: each column shows its first cards with its count and a link to the rest, a
column's page lists the rest, tick all per column, the tranche bar at hand, and the same queries for
a few roles as for many."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roles.models import RoleStatus
from roles.selectors import BOARD_CARDS, COLUMN_PAGE
from tests.factories import RoleFactory

S = RoleStatus


def board(slug="bexley") -> str:
    return reverse("roles:board", args=[slug])


def roles_in(place, status, count, sessions="1"):
    return [
        RoleFactory(place=place, status=status, title=f"{status} {n:03d}", sessions_per_week=Decimal(sessions))
        for n in range(count)
    ]


def section(html: str, status: str) -> str:
    found = re.search(rf'<section[^>]*id="column-{status}".*?</section>', html, re.S)
    assert found, f"no column {status}"
    return found.group(0)


def test_a_long_column_shows_its_first_cards_its_whole_count_and_a_link_to_the_rest(team_client, place):
    roles_in(place, S.PROPOSED, BOARD_CARDS + 4, sessions="2")

    html = team_client.get(board()).content.decode()

    proposed = section(html, S.PROPOSED)
    assert proposed.count('class="card role-card') == BOARD_CARDS
    assert f'<span class="column-count">{BOARD_CARDS + 4}</span> · {2 * (BOARD_CARDS + 4)} sess.' in proposed
    assert f'href="?column={S.PROPOSED}"' in proposed and "(4 more)" in proposed
    # The first cards by title: the last four are behind the link.
    assert f"proposed {BOARD_CARDS - 1:03d}" in proposed and f"proposed {BOARD_CARDS:03d}" not in proposed


def test_a_short_column_has_no_link_to_more(team_client, place):
    roles_in(place, S.APPROVED, 2)

    approved = section(team_client.get(board()).content.decode(), S.APPROVED)

    assert approved.count('class="card role-card') == 2
    assert "?column=" not in approved


def test_a_column_page_lists_the_rest_a_page_at_a_time(team_client, place):
    roles_in(place, S.PROPOSED, COLUMN_PAGE + 3)
    roles_in(place, S.APPROVED, 1)

    first = team_client.get(board(), {"column": S.PROPOSED})
    second = team_client.get(board(), {"column": S.PROPOSED, "page": 2})

    assert first.status_code == second.status_code == 200
    assert first.content.decode().count('class="card role-card') == COLUMN_PAGE
    last = second.content.decode()
    assert last.count('class="card role-card') == 3 and "approved 000" not in last
    assert f"proposed {COLUMN_PAGE + 2:03d}" in last
    assert 'id="bulk-form"' in last  # the tranche bar is on a column's page too


def test_an_unknown_column_is_a_bad_request(team_client, place):
    assert team_client.get(board(), {"column": "nonsense"}).status_code == 400


def test_each_column_with_cards_has_a_tick_all_for_that_column_and_the_tranche_bar_stays_in_view(team_client, place):
    roles_in(place, S.PROPOSED, 3)

    html = team_client.get(board()).content.decode()

    proposed = section(html, S.PROPOSED)
    tick_all = re.search(r'<input[^>]*data-tick-all="column-proposed"[^>]*>', proposed)
    assert tick_all and 'id="tick-all-proposed"' in tick_all.group(0)
    assert '<label class="form-check-label" for="tick-all-proposed">Tick all 3 shown</label>' in proposed
    assert "data-tick-all" not in section(html, S.APPROVED)  # an empty column has nothing to tick
    assert 'class="card tranche-bar' in html
    css = open("static/css/leadership.css").read()
    assert re.search(r"\.tranche-bar \{[^}]*position: sticky; bottom: 0", css)
    assert "<script>" not in html and "onclick" not in html and 'style="' not in html


def query_count(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_board_and_a_column_page_make_as_many_queries_for_many_roles_as_for_few(team_client, place):
    roles_in(place, S.PROPOSED, 2)
    few = (query_count(team_client, board()), query_count(team_client, board(), column=S.PROPOSED))
    for status in (S.PROPOSED, S.APPROVED, S.IN_POST, S.ADVERTISED):
        roles_in(place, status, 60)
    many = (query_count(team_client, board()), query_count(team_client, board(), column=S.PROPOSED))
    assert few == many


def test_the_benchmark_prints_board_and_comparison_beside_their_bare_sql(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("benchmark", roles=40, repeat=1, stdout=out)

    text = out.getvalue()
    for label in ("board", "template comparison"):
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(label) and "bare SQL" in ln)
        assert re.search(r"ratio +[\d.]+x", line)
        assert re.search(r"queries (\d+) at 20, \1 at 40 \(same\)", line), line


def test_a_card_writes_what_people_typed_as_text_not_markup(team_client, place):
    role = RoleFactory(place=place, status=S.PROPOSED, title='<b onmouseover="x()">Frailty</b> & Care')

    page = team_client.get(board()).content.decode()

    card = re.search(rf'<article class="card role-card[^"]*" data-role="{role.pk}">.*?</article>', page, re.S)
    assert card, "no card for the role"
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;Frailty&lt;/b&gt; &amp; Care</a>" in card.group(0)
    assert 'aria-label="Select &lt;b onmouseover=&quot;x()&quot;&gt;Frailty&lt;/b&gt; &amp; Care"' in card.group(0)
    assert "<b " not in card.group(0)


def test_path_for_each_gives_the_address_reverse_gives():
    from roles.paths import path_for_each

    move = path_for_each("roles:role_move", place="bexley", to="approved")
    reason = path_for_each("roles:omission_reason", id_name="template_pk", place="bexley")

    for pk in (1, 42, 987654320, 10**12):
        assert move(pk) == reverse("roles:role_move", kwargs={"place": "bexley", "pk": pk, "to": "approved"})
        assert reason(pk) == reverse("roles:omission_reason", kwargs={"place": "bexley", "template_pk": pk})


def test_admin_addresses_reversed_once_are_the_addresses_reverse_gives():
    """`paths.admin_path` (a row's admin page, reversed once with a marker) and `paths.reversed_once` (the
    same arguments on every request) give what `reverse` gives, ids that are not whole numbers included, and
    follow the script prefix a request is served under."""
    from django.contrib.admin.utils import quote
    from django.urls import get_script_prefix, set_script_prefix

    from roles.paths import admin_path, reversed_once

    for pk in (1, 42, 987654320, 10**12):
        assert admin_path("admin:roles_role_change", pk) == reverse("admin:roles_role_change", args=[pk])
    for pk in ("a/b", "x_y", "12 3"):
        assert admin_path("admin:roles_role_change", pk) == reverse("admin:roles_role_change", args=[quote(pk)])
    assert reversed_once("admin:roles_role_change", "__fk__", current_app="admin") == reverse(
        "admin:roles_role_change", args=["__fk__"], current_app="admin"
    )
    assert reversed_once("admin:roles_role_add") == "/admin/roles/role/add/"
    before = get_script_prefix()
    set_script_prefix("/leadership/")
    try:
        assert reversed_once("admin:roles_role_add") == "/leadership/admin/roles/role/add/"
        assert admin_path("admin:roles_role_change", 7) == "/leadership/admin/roles/role/7/change/"
    finally:
        set_script_prefix(before)
    assert admin_path("admin:roles_role_change", 7) == "/admin/roles/role/7/change/"
