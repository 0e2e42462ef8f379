"""`manage.py benchmark` walks the site as a person would and times every page it reaches beside
its own SQL, writes the figures as JSON, and leaves the database as it was."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from governance import bench
from roles.models import Role, RoleMove, RoleStatus

KEYS = {"page", "rows", "queries", "median_ms", "bare_ms", "ratio", "peak_kb"}


def test_every_page_a_place_team_member_reaches_is_timed_beside_its_sql(demo, tmp_path):
    before = (Role.objects.count(), RoleMove.objects.count())
    out = StringIO()

    call_command("benchmark", roles=0, repeat=1, users="bexley-team", json=str(tmp_path / "bench.json"), stdout=out)

    figures = json.loads((tmp_path / "bench.json").read_text())
    pages = {f["page"]: f for f in figures}
    for page in ("roles:dashboard", "roles:board", "roles:role_list", "roles:template_comparison"):
        figure = pages[f"{page} as bexley-team"]
        assert KEYS <= set(figure)
        assert figure["rows"] == Role.objects.filter(place__slug="bexley").count()
        assert figure["queries"] > 0 and figure["median_ms"] > 0 and figure["bare_ms"] > 0
        assert figure["ratio"] == pytest.approx(figure["median_ms"] / figure["bare_ms"], rel=0.1)
        assert figure["url"].startswith("/places/bexley/")
    assert any(f["page"].startswith("reminder sweep") for f in figures)
    assert not any(f["page"].startswith("admin:") for f in figures), "a place team member has no admin"
    assert "meet the goal" in out.getvalue()
    references = re.findall(r"CPU reference (?:before|after): ([0-9.]+) ms", out.getvalue())
    assert len(references) == 2 and all(float(ms) > 0 for ms in references)
    assert (Role.objects.count(), RoleMove.objects.count()) == before


def test_an_unknown_user_or_place_is_refused_naming_the_fix(demo):
    with pytest.raises(CommandError, match="No user nobody"):
        call_command("benchmark", roles=0, repeat=1, users="nobody", stdout=StringIO())
    with pytest.raises(CommandError, match="load_scale"):
        call_command("benchmark", roles=0, repeat=1, place="atlantis", stdout=StringIO())


def test_a_page_meets_its_goal_within_3x_of_its_sql_or_under_50_ms_and_never_over_300():
    def page(median, bare, kind="page"):
        return bench.Figure("p", 1, 1, median, bare, median / bare, 1, kind=kind)

    assert page(49, 1).meets  # 49x its SQL, but under 50 ms
    assert page(90, 30).meets  # over 50 ms, but 3x its SQL
    assert not page(91, 30).meets
    assert not page(310, 200).meets  # within 3x, but over 300 ms
    assert page(1500, 10, kind="export").meets and not page(2100, 10, kind="export").meets
    assert page(9000, 10, kind="sweep").meets and not page(10500, 10, kind="sweep").meets


def test_the_walk_follows_only_the_sites_own_pages():
    assert bench.page_kind("/places/bexley/board/", admin=False) == "roles:board"
    assert bench.page_kind("/admin/roles/role/", admin=False) is None
    assert bench.page_kind("/places/bexley/board/", admin=True) is None
    assert bench.page_kind("https://example.org/places/bexley/board/", admin=False) is None
    assert bench.page_kind("/accounts/logout/", admin=False) is None
    assert bench.page_kind("/no/such/page/", admin=False) is None


def test_pages_are_timed_in_rounds_each_requesting_every_page_once(db):
    """One page's runs are spread over the benchmark, not taken back to back (a machine's slow spell then
    falls on one run of a page, which its median leaves out)."""
    calls = []
    pages = [bench._Timed(name, lambda name=name: calls.append(name), rows=1) for name in ("a", "b", "c")]

    figures = bench.measure_in_rounds(pages, repeat=3)

    # Three rounds of every page, each timed run after an untimed one, then one run each for peak memory.
    assert calls == ["a", "a", "b", "b", "c", "c"] * 3 + ["a", "b", "c"]
    assert [f.page for f in figures] == ["a", "b", "c"]
    assert all(len(page.times) == 3 and len(page.bare) == 3 for page in pages)
    assert all(f.median_ms == round(sorted(p.times)[1], 1) for f, p in zip(figures, pages, strict=True))


def test_each_run_captures_its_queries_however_many_were_run_before(db):
    """Django keeps a log of at most 9,000 queries, emptied when a request starts unless queries are being
    captured: timed in rounds, nothing emptied it, and once full each run captured none (a page of 19
    queries reported 0, and its bare SQL as nothing)."""
    from django.db import connection

    def page():
        list(Role.objects.all()[:1])
        list(RoleMove.objects.all()[:1])

    timed = bench._Timed("p", page, rows=1)
    connection.queries_log.extend({"sql": "SELECT 1", "time": "0"} for _ in range(connection.queries_limit))

    bench.measure_in_rounds([timed], repeat=2)

    assert timed.queries == 2


# --- scripts/request_pages.py: what scripts/instructions.sh counts under callgrind --------------------


def _request_pages():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "request_pages.py"
    spec = importlib.util.spec_from_file_location("request_pages", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_instruction_counter_requests_each_page_the_times_asked(demo):
    from django.core.signals import request_started

    paths = []

    def started(sender, environ, **kwargs):
        paths.append(environ["PATH_INFO"])

    request_started.connect(started)
    try:
        _request_pages().main("bexley-team", ["/places/bexley/", "/places/bexley/roles/"], 3)
    finally:
        request_started.disconnect(started)

    assert paths == ["/places/bexley/"] * 3 + ["/places/bexley/roles/"] * 3


def test_the_instruction_counter_refuses_a_page_the_user_may_not_open_naming_the_fix(demo):
    request_pages = _request_pages()

    with pytest.raises(SystemExit, match="answered 404 as bexley-team: give a page that user may open"):
        request_pages.main("bexley-team", ["/places/derby-city/"], 1)
    with pytest.raises(SystemExit, match="No user nobody: give a username of the loaded data"):
        request_pages.main("nobody", ["/places/bexley/"], 1)


def test_the_admin_walk_reaches_the_delete_page_that_only_a_proposed_role_links_to(demo, client):
    """The walk times one page of each kind; only a role still proposed links to its delete page, so a
    proposed role's page is walked after the rest, and the role list's first role keeps the change page."""
    user = User.objects.get(username="ics-admin")
    client.force_login(user)
    proposed = (
        Role.objects.filter(place__slug="bexley", status=RoleStatus.PROPOSED, decisions=None).order_by("pk").first()
    )
    moved_on = Role.objects.filter(place__slug="bexley").exclude(status=RoleStatus.PROPOSED).order_by("pk").first()
    first = reverse("admin:roles_role_change", args=[moved_on.pk])

    starts = bench.deletable_role(user, "bexley")
    found = bench.walk(client, first, *starts, admin=True, prefer="/bexley/")

    assert starts == [reverse("admin:roles_role_change", args=[proposed.pk])]
    assert found["admin:roles_role_change"] == (first, True)
    assert found["admin:roles_role_delete"] == (reverse("admin:roles_role_delete", args=[proposed.pk]), True)
    assert "admin:roles_role_delete" not in bench.walk(client, first, admin=True, prefer="/bexley/")
    assert bench.deletable_role(User.objects.get(username="hr-recruiter"), "bexley") == [], "may not change roles"
