"""Every governance URL for every kind of user: allowed, or 302 / 403 / 404 / 405 as fitting.

The world is tests/test_governance_boards.py's `Boards` (Bexley's Strategic Board with a Part 1 and a
Part 2 meeting, and a Derby City board in another ICS), built once for the module; each test runs in
a savepoint rolled back afterwards. A decision is recorded on each meeting's item.

The users: nobody signed in, a superuser, the ICS administrator of South East London and the one of
Derbyshire, a Bexley place team member and a Greenwich one, Bexley's board secretariat, Bexley's HR
recruiter, and someone who sits on the Bexley board but has no access to any place.

What the table says, as `roles.permissions` and `governance.access` decide it:
- a board of a place the user may not see does not exist for them (404), nor do its meetings,
  items and decisions; a seat on a board without access to its place is no access;
- everyone who sees Bexley reads its boards and Part 1 meetings (200); a Part 2 meeting's and its
  decisions' pages are 403 (a page saying it is private) except to the secretariat, the board's
  members and superusers;
- recording (every form, GET or POST) is for the secretariat and ICS administrators (else 403), and
  on a Part 2 meeting only for those who may also read it;
- a POST that is allowed writes something and redirects; a refused one writes nothing.

Other parts of governance add their URLs' rows in their own marked blocks at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from governance import ics_urls, services
from governance.urls import urlpatterns
from tests.helpers import built_for_module
from tests.test_fuzz import changes, fingerprint
from tests.test_governance_boards import VOTING, Boards

pytestmark = pytest.mark.django_db

USERS = [
    "anonymous",
    "superuser",
    "ics_admin",
    "other_ics_admin",
    "team",
    "other_team",
    "secretariat",
    "hr",
    "board_member",
]


def _build_world():
    boards = Boards.build()
    boards.decision = services.decision_record(item=boards.item, text="Endorse the role set", by=None)
    boards.private_decision = services.decision_record(item=boards.private_item, text="Agree", by=None)
    return boards


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The boards built once for the module (`built_for_module`)."""
    yield from built_for_module(django_db_blocker, _build_world)


# --- The table ---------------------------------------------------------------------------------------------

# Bexley's pages: everyone who sees Bexley.
FOLLOW = {
    "anonymous": 302,
    "superuser": 200,
    "ics_admin": 200,
    "other_ics_admin": 404,
    "team": 200,
    "other_team": 404,
    "secretariat": 200,
    "hr": 200,
    "board_member": 404,
}
DERBY = {**{user: 404 for user in USERS}, "anonymous": 302, "superuser": 200, "other_ics_admin": 200}
PRIVATE = {**FOLLOW, "ics_admin": 403, "team": 403, "hr": 403}  # Part 2: members and the secretariat
RUN = {**FOLLOW, "team": 403, "hr": 403}  # the secretariat and ICS administrators record
RUN_PRIVATE = {**RUN, "ics_admin": 403}  # ... a Part 2 meeting only if they may read it
ACT = {user: 302 if status == 200 else status for user, status in RUN.items()}
ACT_PRIVATE = {user: 302 if status == 200 else status for user, status in RUN_PRIVATE.items()}
POST_ONLY = {**{user: 405 for user in USERS}, "anonymous": 302}


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the URL's name in governance.urls
    args: Callable[[Boards], list]
    expected: dict[str, int]
    method: str = "GET"
    body: Callable[[Boards], dict] = lambda boards: {}


def _meeting_body(boards: Boards) -> dict:
    return {"held_on": "2022-03-31", "part": "1", "location": "Civic Offices"}


def _declaration(boards: Boards) -> dict:
    return {"member": boards.members[VOTING[1]].pk, "interest": "GP partner", "action": "did_not_vote"}


BOARD_GETS = [
    Case("place_boards", "place_boards", lambda b: ["bexley"], FOLLOW),
    Case("place_boards-derby", "place_boards", lambda b: ["derby-city"], DERBY),
    Case("board_detail", "board_detail", lambda b: [b.board.pk], FOLLOW),
    Case("board_detail-derby", "board_detail", lambda b: [b.derby_board.pk], DERBY),
    Case("meeting_detail-public", "meeting_detail", lambda b: [b.public.pk], FOLLOW),
    Case("meeting_detail-private", "meeting_detail", lambda b: [b.private.pk], PRIVATE),
    Case("decision_detail-public", "decision_detail", lambda b: [b.decision.pk], FOLLOW),
    Case("decision_detail-private", "decision_detail", lambda b: [b.private_decision.pk], PRIVATE),
    Case("meeting_new", "meeting_new", lambda b: [b.board.pk], RUN),
    Case("meeting_new-derby", "meeting_new", lambda b: [b.derby_board.pk], DERBY),
    Case("standing_declaration_new", "standing_declaration_new", lambda b: [b.board.pk], RUN),
    Case("meeting_edit", "meeting_edit", lambda b: [b.public.pk], RUN),
    Case("meeting_edit-private", "meeting_edit", lambda b: [b.private.pk], RUN_PRIVATE),
    Case("item_new", "item_new", lambda b: [b.public.pk], RUN),
    Case("meeting_attendance", "meeting_attendance", lambda b: [b.public.pk], RUN),
    Case("meeting_minutes", "meeting_minutes", lambda b: [b.public.pk], RUN),
    Case("paper_new", "paper_new", lambda b: [b.item.pk], RUN),
    Case("declaration_new", "declaration_new", lambda b: [b.item.pk], RUN),
    Case("decision_new", "decision_new", lambda b: [b.item.pk], RUN),
    Case("decision_new-private", "decision_new", lambda b: [b.private_item.pk], RUN_PRIVATE),
]

BOARD_POSTS = [
    Case("meeting_new-post", "meeting_new", lambda b: [b.board.pk], ACT, "POST", _meeting_body),
    Case(
        "meeting_new-post-derby",
        "meeting_new",
        lambda b: [b.derby_board.pk],
        DERBY | {"superuser": 302, "other_ics_admin": 302},
        "POST",
        _meeting_body,
    ),
    Case(
        "standing_declaration_new-post",
        "standing_declaration_new",
        lambda b: [b.board.pk],
        ACT,
        "POST",
        lambda b: {**_declaration(b), "action": "none"},
    ),
    Case(
        "meeting_edit-post",
        "meeting_edit",
        lambda b: [b.public.pk],
        ACT,
        "POST",
        lambda b: {"held_on": "2022-01-27", "part": "1", "location": "Civic Offices"},
    ),
    Case("item_new-post", "item_new", lambda b: [b.public.pk], ACT, "POST", lambda b: {"title": "Any other business"}),
    Case(
        "item_new-post-private", "item_new", lambda b: [b.private.pk], ACT_PRIVATE, "POST", lambda b: {"title": "AOB"}
    ),
    Case(
        "meeting_attendance-post",
        "meeting_attendance",
        lambda b: [b.public.pk],
        ACT,
        "POST",
        lambda b: {f"status_{b.chair.pk}": "apologies"},
    ),
    Case(
        "meeting_minutes-post",
        "meeting_minutes",
        lambda b: [b.public.pk],
        ACT,
        "POST",
        lambda b: {"minutes": "Agreed.", "shared_on": "2022-02-03"},
    ),
    Case(
        "paper_new-post",
        "paper_new",
        lambda b: [b.item.pk],
        ACT,
        "POST",
        lambda b: {"title": "Table 3", "asks": "note"},
    ),
    Case("declaration_new-post", "declaration_new", lambda b: [b.item.pk], ACT, "POST", _declaration),
    Case(
        "decision_new-post",
        "decision_new",
        lambda b: [b.item.pk],
        ACT,
        "POST",
        lambda b: {"text": "Note the update", "outcome": "agreed"},
    ),
]

# ======== ENGAGEMENT helper: engagement URLs' rows (GETS and POSTS) below ========
# --- engagement ---
# The engagement log (governance.engagement_urls): everyone who sees the place reads it; its place team
# and ICS administrators keep it (every form, GET or POST), the secretariat and HR recruiters get 403.
# Its rows are made as each test starts (before the fingerprint), in the test's own savepoint.
KEEP = {**FOLLOW, "secretariat": 403, "hr": 403}
KEEP_ACT = {user: 302 if status == 200 else status for user, status in KEEP.items()}


def _engagement(boards: Boards) -> SimpleNamespace:
    """Bexley's log: the LCP Forum of 10 Dec 2021 with a noted point, and an event with no point yet;
    a Derby City event."""
    from governance.models import EngagementEvent, FeedbackPoint

    bexley, derby = boards.board.place, boards.derby_board.place
    forum, _ = EngagementEvent.objects.get_or_create(
        place=bexley, held_on=dt.date(2021, 12, 10), group="Local Care Partnership Forum"
    )
    point, _ = FeedbackPoint.objects.get_or_create(event=forum, text="VSC sector has a lot to offer")
    empty, _ = EngagementEvent.objects.get_or_create(place=bexley, held_on=dt.date(2022, 1, 4), group="Training Hub")
    derby_event, _ = EngagementEvent.objects.get_or_create(place=derby, held_on=dt.date(2023, 2, 8), group="CPLG")
    return SimpleNamespace(forum=forum, point=point, empty=empty, derby=derby_event)


def _version(row) -> int:
    from governance.engagement import version_of

    return version_of(row)


ENGAGEMENT_GETS: list[Case] = [
    Case("engagement", "engagement", lambda b: ["bexley"], FOLLOW),
    Case("engagement-derby", "engagement", lambda b: ["derby-city"], DERBY),
    Case("engagement_event_new", "engagement_event_new", lambda b: ["bexley"], KEEP),
    Case("engagement_event_edit", "engagement_event_edit", lambda b: ["bexley", _engagement(b).forum.pk], KEEP),
    Case("engagement_point_new", "engagement_point_new", lambda b: ["bexley", _engagement(b).forum.pk], KEEP),
    Case("engagement_point_edit", "engagement_point_edit", lambda b: ["bexley", _engagement(b).point.pk], KEEP),
    # Another place's event through Bexley's URL does not exist, whoever asks.
    Case(
        "engagement_event_edit-derby-via-bexley",
        "engagement_event_edit",
        lambda b: ["bexley", _engagement(b).derby.pk],
        {**{user: 404 for user in USERS}, "anonymous": 302},
    ),
]
ENGAGEMENT_POSTS: list[Case] = [
    Case(
        "engagement_event_new-post",
        "engagement_event_new",
        lambda b: ["bexley"],
        KEEP_ACT,
        "POST",
        lambda b: {"held_on": "2021-12-16", "group": "Local Care Partnership Team"},
    ),
    Case(
        "engagement_event_edit-post",
        "engagement_event_edit",
        lambda b: ["bexley", _engagement(b).forum.pk],
        KEEP_ACT,
        "POST",
        lambda b: {"held_on": "2021-12-10", "group": "LCP Forum", "version": _version(_engagement(b).forum)},
    ),
    Case(
        "engagement_point_new-post",
        "engagement_point_new",
        lambda b: ["bexley", _engagement(b).forum.pk],
        KEEP_ACT,
        "POST",
        lambda b: {"text": "End of life role proposed", "action": "noted"},
    ),
    Case(
        "engagement_point_edit-post",
        "engagement_point_edit",
        lambda b: ["bexley", _engagement(b).point.pk],
        KEEP_ACT,
        "POST",
        lambda b: {
            "text": "VSC sector has much to offer",
            "action": "noted",
            "version": _version(_engagement(b).point),
        },
    ),
    Case(
        "engagement_point_delete-post",
        "engagement_point_delete",
        lambda b: ["bexley", _engagement(b).point.pk],
        KEEP_ACT,
        "POST",
    ),
    Case(
        "engagement_event_delete-post",
        "engagement_event_delete",
        lambda b: ["bexley", _engagement(b).empty.pk],
        KEEP_ACT,
        "POST",
    ),
]
ENGAGEMENT_POST_ONLY = {"engagement_event_delete", "engagement_point_delete"}
# --- end engagement ---
# ======== end ENGAGEMENT ========

# ======== PACK helper: board pack URLs' rows (GETS and POSTS) below ========
# --- board pack ---
# Exporting is for the secretariat, place teams and ICS administrators (`roles.permissions.may_export_pack`);
# an ICS-wide pack for those whose membership covers the whole ICS. A user who may export nothing gets
# 403 on the packs page. The POSTs send a date that is not one, so an allowed export answers 400 and
# writes nothing (a pack that is made writes its ExportLog row: tests/test_board_pack.py checks that).
PACKS_PAGE = {**{user: 200 for user in USERS}, "anonymous": 302, "hr": 403, "board_member": 403}
PACK_OF_BEXLEY = {**FOLLOW, "hr": 403}
BAD_DATE_FOR_BEXLEY = {**{u: 400 if s == 200 else s for u, s in PACK_OF_BEXLEY.items()}, "board_member": 403}
BAD_DATE_FOR_SEL = {**{user: 403 for user in USERS}, "anonymous": 302, "superuser": 400, "ics_admin": 400}
BAD_DATE_FOR_SEL["other_ics_admin"] = 404  # another ICS's administrator sees no place of SEL
PACK_GETS: list[Case] = [
    Case("packs", "packs", lambda b: [], PACKS_PAGE),
    Case("place_pack", "place_pack", lambda b: ["bexley"], PACK_OF_BEXLEY),
    Case("place_pack-derby", "place_pack", lambda b: ["derby-city"], DERBY),
]
PACK_POSTS: list[Case] = [
    Case(
        "packs-post-bexley",
        "packs",
        lambda b: [],
        BAD_DATE_FOR_BEXLEY,
        "POST",
        lambda b: {"scope": "place:bexley", "as_of": "2022-02-30", "format": "xlsx"},
    ),
    Case(
        "packs-post-sel",
        "packs",
        lambda b: [],
        BAD_DATE_FOR_SEL,
        "POST",
        lambda b: {"scope": "ics:sel", "as_of": "not a date", "format": "pdf"},
    ),
]
# ======== end PACK ========

GETS = BOARD_GETS + ENGAGEMENT_GETS + PACK_GETS
POSTS = BOARD_POSTS + ENGAGEMENT_POSTS + PACK_POSTS
POST_ONLY_NAMES: set[str] = set() | ENGAGEMENT_POST_ONLY  # URLs that take only POST: a GET of each must answer 405
GETS_OF_POSTS = [
    Case(f"{case.name}-get", case.name, case.args, POST_ONLY)
    for case in {c.name: c for c in reversed(POSTS)}.values()
    if case.name in POST_ONLY_NAMES
]
CASES = GETS + POSTS + GETS_OF_POSTS


def test_every_governance_url_is_in_the_table():
    """A URL added to governance.urls must be added to the table too."""
    # The ICS pages have their own table: tests/test_access_ics.py.
    missing = (
        {pattern.name for pattern in urlpatterns}
        - {case.name for case in CASES}
        - {pattern.name for pattern in ics_urls.urlpatterns}
    )
    assert not missing, f"add rows for: {sorted(missing)}"


def _client(world: Boards, user: str) -> Client:
    client = Client()
    if world.users[user] is not None:
        client.force_login(world.users[user])
    return client


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_user_gets_what_the_table_says(world, case, user):
    client = _client(world, user)
    url = reverse(f"governance:{case.name}", args=case.args(world))
    before = fingerprint()

    response = client.post(url, case.body(world)) if case.method == "POST" else client.get(url)

    expected = case.expected[user]
    assert response.status_code == expected, f"{user}: {case.method} {url}"
    if expected == 302:
        signing_in = response["Location"].startswith(reverse("login"))
        assert signing_in == (user == "anonymous"), response["Location"]
    if expected in (403, 404) and case.name in ("meeting_detail", "decision_detail"):
        assert "Bexley proposals (Part 2)" not in response.content.decode()
    written = changes(before, fingerprint())
    if case.method == "POST" and expected == 302 and user != "anonymous":
        assert written, f"{user}: {url} answered {expected} but changed nothing"
    else:
        assert not written, f"{user}: {case.method} {url} answered {response.status_code} but wrote {written}"
