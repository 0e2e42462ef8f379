"""Reminders: what is due on a day (`reminders_due`), the morning sweep that claims and hands them
over (`sweep`), sending one (`reminder_send`) and retrying failed ones (`reminders_retry_failed`).

| kind              | on which day                                        | to whom                                  |
|-------------------|-----------------------------------------------------|------------------------------------------|
| milestone_before  | N days before a milestone falls due, for each N of  | its owner; with no owner, the place team |
|                   | the place's `ReminderSettings.days_before` (7, 1)   |                                          |
| milestone_due     | the day it falls due                                | the same                                 |
| milestone_overdue | the day after, then every 7 days until it is done   | the same                                 |
| advert_closing    | 3 days before an open advert closes                 | the place's HR recruiters and place team |
| interview         | the day before a booked interview, with the .ics    | each panel member, and the candidate     |
| contract_ending   | 90 and 30 days before a contracted or in-post       | the place team and the ICS's             |
|                   | role's end date (a fixed term)                      | administrators                           |
| review            | every N months from the start date of a leader in   | the same                                 |
|                   | post, where the place sets `review_every_months`    |                                          |
| papers_due        | the day a board meeting's papers are due (N days    | the place's board secretariat            |
|                   | before it), and the day after while any of its      |                                          |
|                   | papers is unpublished (governance)                  |                                          |
| minutes_overdue   | the day after a meeting's minutes were due, then    | the same                                 |
|                   | every 7 days until they are shared (governance)     |                                          |

Apps above recruitment add kinds through `REMINDER_SOURCES` (the `reminder_source` decorator, in
their `AppConfig.ready`): each source is called as `source(builder)` after the built-in kinds, reads
its subjects in a fixed number of queries, and calls `builder.add(...)` for each reminder, `to` being
recipients or a frozenset of `AccessKind` (the place's members of those kinds, as for the built-in
ones). Governance's boards are one (`governance.board_hooks`).

"When it falls due" is `Milestone.due_on` (a range's last day, a week's Friday); TBC milestones
are never due. A milestone's dates are read as they are on the morning of the sweep, so moving it
moves its reminders.

Never twice: a reminder is one `Reminder` row, unique on (kind, subject, day, address). The sweep
inserts the rows it wants and skips those that exist, returning the ones it made (one `INSERT ...
ON CONFLICT DO NOTHING RETURNING` a batch): that insert is the claim, and only the sweep that made a
row hands it over. Sending claims the row again with a conditional update (pending or failed ->
sending) before it sends, so a sweep run twice, two sweeps at once, two workers, or a retry never
send one twice.

Never not at all: a sweep missed for a morning or two (the server was down) is made up by the next:
a reminder whose day fell in the last `CATCH_UP_DAYS` days is still wanted while its event is still
ahead, and the overdue one is weekly from the last one made, whenever that was. A reminder that
cannot be sent (nobody has an e-mail address, the mail server refused it) is kept as failed with
the reason, shown in the app and the admin, and retried from there.

Someone with no e-mail address gets a row too, failed at once, so that two such people are two
rows: their `email` is a marker, "(no address: user 12)", which the unique key can tell apart.
"""

from __future__ import annotations

import datetime as dt
import logging
from calendar import monthrange
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from roles import permissions
from roles.formatting import day
from roles.models import AccessKind, AdvertRound, Membership, Place, Role, RoleStatus
from roles.services import MoveNotAllowed

from .access import anonymous_rounds_for
from .calendar import slot_invitation
from .models import (
    Application,
    ApplicationStatus,
    InterviewSlot,
    Milestone,
    PanelMember,
    Reminder,
    ReminderSettings,
    parse_days_before,
)

log = logging.getLogger(__name__)

K = Reminder.Kind
St = Reminder.Status

DEFAULT_DAYS_BEFORE = (7, 1)
ADVERT_DAYS_BEFORE = (3,)
INTERVIEW_DAYS_BEFORE = (1,)
CONTRACT_DAYS_BEFORE = (90, 30)
OVERDUE_EVERY_DAYS = 7
CATCH_UP_DAYS = 2  # a reminder whose day was up to this many days ago, and not yet made, is made now
BATCH_SIZE = 1000  # reminders claimed per insert
STALE_SENDING = dt.timedelta(hours=1)
INTERRUPTED = (
    "The worker stopped while sending this reminder, so it may or may not have gone out: check with the "
    "recipient, then retry it if it did not."
)
STALE_PENDING = dt.timedelta(hours=1)  # a pending row this old lost its message: hand it over again

TEAM = frozenset({AccessKind.PLACE_TEAM})
ADVERT_PEOPLE = frozenset({AccessKind.HR_RECRUITER, AccessKind.PLACE_TEAM})
CONTRACT_PEOPLE = frozenset({AccessKind.PLACE_TEAM, AccessKind.ICS_ADMIN})
SIGN_OFF = "Clinical & Care Professional Leadership roles"


# `source(builder)`: adds the reminders a day wants for an app above recruitment (see the docstring).
REMINDER_SOURCES: list[Callable] = []


def reminder_source(source: Callable) -> Callable:
    if source not in REMINDER_SOURCES:
        REMINDER_SOURCES.append(source)
    return source


class SendFailed(Exception):
    """Sending a reminder failed in a way that may pass (the mail server): the task retries it."""


# --- What a day wants -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: int | None
    email: str  # lower case; a "(no address: ...)" marker when they have none
    name: str
    has_address: bool


class Wanted(NamedTuple):
    """One reminder a day wants: its key (kind, subject, day, address) and what it says."""

    kind: str
    subject_key: str
    due_on: dt.date
    email: str
    place_id: int
    recipient_id: int | None
    subject: str
    body: str
    problem: str = ""  # why it cannot be sent at all (no address, nobody to tell): recorded as failed

    @property
    def key(self) -> tuple:
        return self[:4]


def has_address(email: str) -> bool:
    return "@" in email


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day where it is shorter (31 Jan + 1 = 28 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, monthrange(year, month)[1]))


def _latest_day(today: dt.date, event: dt.date, days_before, *, until: dt.date) -> dt.date | None:
    """The latest of the days `days_before` the event that fell in the catch-up window ending today,
    while today is not after `until`; None when there is none."""
    if today > until:
        return None
    window_start = today - dt.timedelta(days=CATCH_UP_DAYS)
    days = [event - dt.timedelta(days=n) for n in days_before]
    return max((d for d in days if window_start <= d <= today), default=None)


class _When(NamedTuple):
    """What `Milestone.due_on` reads, for a row read as values (the rule stays on the model)."""

    when_kind: str
    starts_on: dt.date | None
    ends_on: dt.date | None


milestone_due_on = Milestone.due_on.fget  # the model's rule, applied to a `_When`


def _recipient(user_id: int, email: str, first_name: str, last_name: str, username: str) -> Recipient:
    """A user, read as values."""
    email = (email or "").strip().lower()
    name = f"{first_name} {last_name}".strip() or username
    return Recipient(user_id, email or f"(no address: user {user_id})", name, bool(email))


def _settings() -> dict[int, ReminderSettings]:
    return {row.place_id: row for row in ReminderSettings.objects.all()}


def _days_before(place_settings: ReminderSettings | None) -> tuple[int, ...]:
    if place_settings is None:
        return DEFAULT_DAYS_BEFORE
    try:
        return parse_days_before(place_settings.days_before)
    except ValueError as error:
        log.warning("Reminder settings of place %s: %s Using %s.", place_settings.place_id, error, DEFAULT_DAYS_BEFORE)
        return DEFAULT_DAYS_BEFORE


NOBODY = "(nobody to tell)"  # the address of a reminder that has no one to go to


class _Pending(NamedTuple):
    """A reminder before its people are read: `to` is the recipients, or the kinds of access whose
    members covering the place are told."""

    kind: str
    subject_key: str
    due_on: dt.date
    place_id: int
    to: frozenset | list[Recipient]
    subject: str
    body: str
    nobody: str  # what to record when there is nobody to tell


class _Builder:
    """Collects what a day wants, reading each kind of subject in one query (`reminders_due`)."""

    def __init__(self, today: dt.date):
        self.today = today
        self.settings = _settings()
        self.days_before = {place_id: _days_before(row) for place_id, row in self.settings.items()}
        self.review_months = {p: row.review_every_months for p, row in self.settings.items() if row.review_every_months}
        self.pending: list[_Pending] = []
        self.recently_overdue: set[tuple[str, str]] = set()  # (subject, address) told it is overdue this week

    def _add(self, kind, subject_key, due_on, place_id, to, subject, body, *, nobody="") -> None:
        self.pending.append(_Pending(kind, subject_key, due_on, place_id, to, subject[:300], body, nobody))

    def add(self, kind, subject_key, due_on, place_id, to, subject, body, *, nobody="") -> None:
        """One reminder for `due_on` about `subject_key` (unique with its kind, day and address), to
        `to`: a list of `Recipient`s, or a frozenset of `AccessKind` whose members covering the place
        are told. `nobody` is what to record when there is nobody to tell."""
        self._add(kind, subject_key, due_on, place_id, to, subject, body, nobody=nobody)

    def latest_day(self, event: dt.date, days_before, *, until: dt.date) -> dt.date | None:
        """The latest of the days `days_before` the event in the catch-up window ending today (see the
        docstring: a missed sweep is made up by the next), while today is not after `until`."""
        return _latest_day(self.today, event, days_before, until=until)

    def milestones(self) -> None:
        today = self.today
        longest = max([*DEFAULT_DAYS_BEFORE, *(max(d, default=0) for d in self.days_before.values())])
        self.recently_overdue = set(
            Reminder.objects.filter(
                kind=K.MILESTONE_OVERDUE,
                due_on__gt=today - dt.timedelta(days=OVERDUE_EVERY_DAYS),
                due_on__lte=today,
            ).values_list("subject_key", "email")
        )
        rows = (
            Milestone.objects.filter(done_on__isnull=True, starts_on__isnull=False)
            .filter(starts_on__lte=today + dt.timedelta(days=longest))
            .order_by()  # the sweep sorts what it wants; the model's ordering would join and sort for nothing
            .values_list(
                "pk",
                "title",
                "when_kind",
                "starts_on",
                "ends_on",
                "place_id",
                "place__name",
                "tranche__name",
                "owner_id",
                "owner__email",
                "owner__first_name",
                "owner__last_name",
                "owner__username",
                "owner__is_active",
            )
        )
        for pk, title, when_kind, starts_on, ends_on, place_id, place, tranche, owner_id, *owner in rows.iterator(
            chunk_size=5000
        ):
            due = milestone_due_on(_When(when_kind, starts_on, ends_on))
            if due is None:
                continue
            what = f"“{title}” ({place}, {tranche})" if tranche else f"“{title}” ({place})"
            if due > today:
                on = _latest_day(today, due, self.days_before.get(place_id, DEFAULT_DAYS_BEFORE), until=due)
                if on is None:
                    continue
                left = (due - today).days
                when = "tomorrow" if left == 1 else f"in {left} days"
                kind, subject = K.MILESTONE_BEFORE, f"Due {when}: {title} ({place})"
                text = f"{what} falls due {when}, on {due:%A} {day(due)}."
            elif due == today:
                on, kind = today, K.MILESTONE_DUE
                subject = f"Due today: {title} ({place})"
                text = f"{what} falls due today, {due:%A} {day(due)}."
            else:
                on, kind, late = today, K.MILESTONE_OVERDUE, (today - due).days
                subject = f"Overdue by {late} day{'s' if late != 1 else ''}: {title} ({place})"
                text = (
                    f"{what} fell due on {due:%A} {day(due)} and is not marked done. You will be reminded every "
                    f"{OVERDUE_EVERY_DAYS} days until it is."
                )
            body = f"{text}\n\nWhen it is done, mark it done in the milestone plan, or move it to its new date."
            email, first_name, last_name, username, is_active = owner
            if owner_id and is_active:
                to, nobody = [_recipient(owner_id, email, first_name, last_name, username)], ""
            else:
                to, nobody = TEAM, f"{title} has no owner and {place} has no place team member: give it an owner."
            self._add(kind, f"milestone:{pk}", on, place_id, to, subject, body, nobody=nobody)

    def adverts(self) -> None:
        today = self.today
        rounds = (
            AdvertRound.objects.filter(
                outcome=AdvertRound.Outcome.OPEN,
                role__status=RoleStatus.ADVERTISED,
                closes_on__gte=today,
                closes_on__lte=today + dt.timedelta(days=max(ADVERT_DAYS_BEFORE)),
            )
            .annotate(received=Count("applications"))
            .order_by()
            .values("pk", "number", "closes_on", "received", "role__title", "role__place_id", "role__place__name")
        )
        for row in rounds:
            closes = row["closes_on"]
            on = _latest_day(today, closes, ADVERT_DAYS_BEFORE, until=closes)
            if on is None:
                continue
            left = (closes - today).days
            when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
            title, place = row["role__title"], row["role__place__name"]
            received = row["received"]
            body = (
                f"The advert for {title} ({place}), round {row['number']}, closes {when}, on {closes:%A} "
                f"{day(closes)}. {received} application{'s' if received != 1 else ''} so far.\n\n"
                "Shortlisting starts once it has closed."
            )
            self._add(
                K.ADVERT_CLOSING,
                f"round:{row['pk']}",
                on,
                row["role__place_id"],
                ADVERT_PEOPLE,
                f"Advert closes {when}: {title} ({place})",
                body,
                nobody=f"{place} has no HR recruiter or place team member to tell that the advert for {title} closes.",
            )

    def interviews(self) -> None:
        today = self.today
        first = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        last = timezone.make_aware(
            dt.datetime.combine(today + dt.timedelta(days=max(INTERVIEW_DAYS_BEFORE) + 1), dt.time.min)
        )
        slots = list(
            InterviewSlot.objects.filter(
                starts_at__gte=first,
                starts_at__lt=last,
                application__isnull=False,
                application__status=ApplicationStatus.SHORTLISTED,
            ).select_related("round__role__place", "application__person")
        )
        panels = defaultdict(list)
        for member in PanelMember.objects.filter(round_id__in={s.round_id for s in slots}).select_related("person"):
            panels[member.round_id].append(member)
        for slot in slots:
            starts = timezone.localtime(slot.starts_at)
            on = _latest_day(today, starts.date(), INTERVIEW_DAYS_BEFORE, until=starts.date())
            if on is None:
                continue
            application, role = slot.application, slot.round.role
            left = (starts.date() - today).days
            when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
            at = f"{starts:%A} {day(starts.date())} at {starts:%H:%M}, {slot.where}"
            key, place_id = f"slot:{slot.pk}", role.place_id
            candidate = application.person
            self._add(
                K.INTERVIEW,
                key,
                on,
                place_id,
                [_person(candidate)],
                f"Your interview {when}: {role.title}, {role.place}",
                f"Dear {candidate.name},\n\nA reminder that your interview for {role.title} ({role.place}) is {when}: "
                f"{at}. The calendar invitation is attached.\n\n{role.place} Local Care Partnership",
            )
            application.round = slot.round
            who = application.label_for_panel
            panel = [_person(m.person) for m in panels[slot.round_id]]
            if panel:
                self._add(
                    K.INTERVIEW,
                    key,
                    on,
                    place_id,
                    panel,
                    f"Interview {when}: {role.title}, {role.place}",
                    f"You are on the panel for {role.title} ({role.place}). Interview {when}: {at}, "
                    f"{who}. The calendar invitation is attached.",
                )

    def roles(self) -> None:
        today = self.today
        ending = Q(
            status__in=[RoleStatus.CONTRACTED, RoleStatus.IN_POST],
            end_date__gte=today,
            end_date__lte=today + dt.timedelta(days=max(CONTRACT_DAYS_BEFORE)),
        )
        review = Q(status=RoleStatus.IN_POST, place_id__in=list(self.review_months))
        rows = (
            Role.objects.filter(ending | review)
            .order_by()
            .values("pk", "title", "status", "start_date", "end_date", "appointee_name", "place_id", "place__name")
        )
        for row in rows:
            title, place, key = row["title"], row["place__name"], f"role:{row['pk']}"
            who = row["appointee_name"] or "The appointee"
            end = row["end_date"]
            on = end and _latest_day(today, end, CONTRACT_DAYS_BEFORE, until=end)
            if on:
                left = (end - today).days
                self._add(
                    K.CONTRACT_ENDING,
                    key,
                    on,
                    row["place_id"],
                    CONTRACT_PEOPLE,
                    f"Contract ends in {left} days: {title} ({place})",
                    f"{who}'s fixed-term contract as {title} ({place}) ends on {end:%A} {day(end)}, in {left} days.\n\n"
                    "Decide whether to extend it, re-advertise the role or let it end, in time for the notice "
                    "the contract needs.",
                    nobody=f"{place} has no place team member or ICS administrator to tell that {title} ends.",
                )
            months = self.review_months.get(row["place_id"])
            if row["status"] == RoleStatus.IN_POST and months:
                on = self._review_day(row["start_date"], months)
                if on:
                    self._add(
                        K.REVIEW,
                        key,
                        on,
                        row["place_id"],
                        CONTRACT_PEOPLE,
                        f"Review due: {who} as {title} ({place})",
                        f"{who} has been {title} ({place}) since {day(row['start_date'])}. {place} reviews its "
                        f"leaders in post every {months} months: a review is due on {on:%A} {day(on)}.",
                        nobody=f"{place} has no place team member or ICS administrator to tell of {title}'s review.",
                    )

    def _review_day(self, start: dt.date, months: int) -> dt.date | None:
        """The latest review date (every `months` from `start`) in the catch-up window ending today."""
        today = self.today
        if start is None or today <= start:
            return None
        count = ((today.year - start.year) * 12 + today.month - start.month) // months
        for n in (count, count - 1):
            if n >= 1:
                on = add_months(start, n * months)
                if on <= today:
                    return on if (today - on).days <= CATCH_UP_DAYS else None
        return None

    def wanted(self) -> list[Wanted]:
        """Each reminder once for each of its recipients, people read in one query for every place."""
        place_ids = {item.place_id for item in self.pending}
        places = {p["pk"]: p for p in Place.objects.filter(pk__in=place_ids).values("pk", "name", "ics_id")}
        kinds = set(TEAM | ADVERT_PEOPLE | CONTRACT_PEOPLE).union(
            *(item.to for item in self.pending if isinstance(item.to, frozenset))
        )
        members = (
            Membership.objects.filter(kind__in=sorted(kinds), user__is_active=True)
            .filter(Q(place_id__in=place_ids) | Q(ics_id__in={p["ics_id"] for p in places.values()}))
            .values(
                "kind",
                "place_id",
                "ics_id",
                "user_id",
                "user__email",
                "user__first_name",
                "user__last_name",
                "user__username",
            )
            .order_by("user_id")
        )
        by_place: dict[int, list[tuple[str, Recipient]]] = defaultdict(list)
        by_ics: dict[int, list[tuple[str, Recipient]]] = defaultdict(list)
        for row in members:
            person = (
                row["kind"],
                _recipient(
                    row["user_id"],
                    row["user__email"],
                    row["user__first_name"],
                    row["user__last_name"],
                    row["user__username"],
                ),
            )
            (by_place[row["place_id"]] if row["place_id"] else by_ics[row["ics_id"]]).append(person)
        wanted = []
        for kind, key, on, place_id, to, subject, body, nobody in self.pending:
            if isinstance(to, frozenset):
                everyone = by_place[place_id] + by_ics[places[place_id]["ics_id"]]
                to = [person for access, person in everyone if access in to]
            seen = set()
            for person in to:
                if person.email in seen:
                    continue
                seen.add(person.email)
                if kind == K.MILESTONE_OVERDUE and (key, person.email) in self.recently_overdue:
                    continue  # told within the week: weekly means a week after the last one
                problem = "" if person.has_address else f"{person.name} has no e-mail address: add one to reach them."
                wanted.append(Wanted(kind, key, on, person.email, place_id, person.user_id, subject, body, problem))
            if not seen:
                nobody = nobody or "Nobody to tell."
                if not (kind == K.MILESTONE_OVERDUE and (key, NOBODY) in self.recently_overdue):
                    wanted.append(Wanted(kind, key, on, NOBODY, place_id, None, subject, body, nobody))
        return wanted


def _person(person) -> Recipient:
    email = (person.email or "").strip().lower()
    return Recipient(person.user_id, email or f"(no address: person {person.pk})", person.name, bool(email))


def reminders_due(today: dt.date) -> list[Wanted]:
    """Every reminder `today` wants, made or not yet, in a fixed number of queries (one per kind of
    subject, one for the places and one for their people) whatever the number of milestones; then
    each of `REMINDER_SOURCES`."""
    builder = _Builder(today)
    builder.milestones()
    builder.adverts()
    builder.interviews()
    builder.roles()
    for source in REMINDER_SOURCES:
        source(builder)
    return builder.wanted()


# --- The sweep: claim, then hand over -----------------------------------------------------------------------


@dataclass
class SweepResult:
    today: dt.date
    in_process: bool
    wanted: int = 0  # reminders the day wants, made before or now
    new: int = 0  # rows this sweep made
    handed_over: int = 0  # rows queued for a worker (or sent in-process) once the sweep commits
    failed_at_once: int = 0  # new rows that cannot be sent at all (no address, nobody to tell)
    stale: int = 0  # pending rows left by a lost message, handed over again
    interrupted: int = 0  # rows a stopped worker left "sending", now shown as failed
    batches: int = 0
    kinds: dict = field(default_factory=dict)  # new rows by kind

    def as_dict(self) -> dict:
        return {**asdict(self), "today": self.today.isoformat()}


def _in_process() -> bool:
    """Send in this process (no worker): when Celery is told to run tasks eagerly."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


# The columns the claim writes (`sent_at` stays empty).
CLAIM_FIELDS = (
    "place",
    "kind",
    "subject_key",
    "due_on",
    "recipient",
    "email",
    "subject",
    "body",
    "status",
    "attempts",
    "last_error",
    "created_at",
)


def _insert_claiming(batch: list[Wanted]) -> list[tuple[int, str, str]]:
    """Insert the batch's rows, skipping those whose key exists, and return (id, kind, status) of the
    rows this statement made, and only those: the claim. One `INSERT ... ON CONFLICT DO NOTHING
    RETURNING` per statement, the same SQL on PostgreSQL and SQLite (3.35 or later).

    Not `bulk_create(ignore_conflicts=True)`: it cannot say which rows it made, so a second query
    would have to look for them, and a sweep racing this one would find them too. Here whichever
    sweep inserts a row, and only it, hands it over."""
    ops, meta = connection.ops, Reminder._meta
    columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in CLAIM_FIELDS)
    now = ops.adapt_datetimefield_value(timezone.now())
    rows = [
        (
            w.place_id,
            w.kind,
            w.subject_key,
            ops.adapt_datefield_value(w.due_on),
            w.recipient_id,
            w.email,
            w.subject,
            w.body,
            St.FAILED if w.problem else St.PENDING,
            0,
            w.problem,
            now,
        )
        for w in batch
    ]
    limit = connection.features.max_query_params  # SQLite's 999; None for PostgreSQL
    per_statement = max(1, min(len(rows), limit // len(CLAIM_FIELDS))) if limit else len(rows)
    placeholders = "(" + ", ".join(["%s"] * len(CLAIM_FIELDS)) + ")"
    made = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) "
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT DO NOTHING RETURNING {ops.quote_name(meta.pk.column)}, "
                f"{ops.quote_name('kind')}, {ops.quote_name('status')}",
                [value for row in chunk for value in row],
            )
            made.extend(cursor.fetchall())
    return made


def _claim(batch: list[Wanted], result: SweepResult) -> list[int]:
    """Make the batch's rows that do not exist yet; return the ids of those made to be sent."""
    made = _insert_claiming(batch)
    result.new += len(made)
    for _pk, kind, status in made:
        result.kinds[kind] = result.kinds.get(kind, 0) + 1
        result.failed_at_once += status == St.FAILED
    return sorted(pk for pk, _kind, status in made if status == St.PENDING)


def _hand_over(pks: list[int], in_process: bool) -> None:
    """Queue one task per reminder (or send each here, with the task's retries, when no worker runs).
    Called once the rows are committed. A broker that is down stops the hand-over: the rows stay
    pending, and the next sweep hands them over again."""
    from . import tasks

    for index, pk in enumerate(pks):
        try:
            if in_process:
                tasks.send_reminder.apply(args=(pk,))
            else:
                tasks.send_reminder.delay(pk)
        except Exception:  # noqa: BLE001 - the broker: the rows stay pending for the next sweep
            log.exception(
                "Could not queue reminder %s; %s reminders left pending for the next sweep.", pk, len(pks) - index
            )
            return


def sweep(*, today: dt.date | None = None, in_process: bool | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Make the reminders `today` wants that are not made yet, and hand each new one over to be sent
    once its batch is committed: to a worker, or in this process when `in_process` (by default: when
    Celery runs tasks eagerly). A fixed number of queries whatever the number of milestones:
    `reminders_due`'s, one insert per batch (on SQLite, one per 83 rows: its 999 values a statement),
    and one for rows an earlier run left waiting."""
    today = today or timezone.localdate()
    in_process = _in_process() if in_process is None else in_process
    # In key order, so that two sweeps at once take the unique index's locks in the same order.
    wanted = sorted(reminders_due(today), key=lambda w: w.key)
    result = SweepResult(today=today, in_process=in_process, wanted=len(wanted))
    for start in range(0, len(wanted), batch_size):
        with transaction.atomic():
            pks = _claim(wanted[start : start + batch_size], result)
            if pks:
                result.handed_over += len(pks)
                transaction.on_commit(partial(_hand_over, pks, in_process))
        result.batches += 1
    stale = list(
        Reminder.objects.filter(status=St.PENDING, created_at__lt=timezone.now() - STALE_PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if stale:
        result.stale = len(stale)
        transaction.on_commit(partial(_hand_over, stale, in_process))
    # A worker that stopped between claiming a reminder and recording the send leaves it "sending".
    # It may or may not have gone out, so it is never sent again by itself: it is shown as failed,
    # saying so, for someone to check and retry.
    result.interrupted = Reminder.objects.filter(
        status=St.SENDING, claimed_at__lt=timezone.now() - STALE_SENDING
    ).update(status=St.FAILED, last_error=INTERRUPTED)
    log.info("Reminder sweep for %s: %s", today, result.as_dict())
    return result


# --- Sending ---------------------------------------------------------------------------------------------


class _NotToSend(Exception):
    """The reminder is no longer true (the interview was cancelled): recorded as failed, not retried."""


def _message(reminder: Reminder) -> EmailMessage:
    message = EmailMessage(reminder.subject, f"{reminder.body}\n\n{SIGN_OFF}", to=[reminder.email])
    if reminder.kind == K.INTERVIEW:
        slot = (
            InterviewSlot.objects.filter(pk=int(reminder.subject_key.split(":")[1]))
            .select_related("round__role__place")
            .first()
        )
        application = (
            Application.objects.filter(interview_slot=slot, status=ApplicationStatus.SHORTLISTED)
            .select_related("person")
            .first()
            if slot
            else None
        )
        if application is None:
            raise _NotToSend("Not sent: the interview is no longer booked.")
        is_candidate = (application.person.email or "").strip().lower() == reminder.email
        # The candidate's own copy names them; the panel's only once the round is no longer anonymous.
        invite = slot_invitation(slot, application, show_name=is_candidate or not slot.round.is_anonymous)
        message.attach("interview.ics", invite, "text/calendar")
    return message


def _finish(pk: int, *, error: str = "") -> None:
    if error:
        Reminder.objects.filter(pk=pk, status=St.SENDING).update(status=St.FAILED, last_error=error[:2000])
    else:
        Reminder.objects.filter(pk=pk, status=St.SENDING).update(status=St.SENT, sent_at=timezone.now(), last_error="")


def reminder_send(*, pk: int) -> Reminder | None:
    """Send one reminder, once: claim it (pending or failed -> sending, one more attempt) and send it,
    then mark it sent or failed with the reason. None when it was not ours to send (sent already,
    being sent, or gone). Raises `SendFailed` when the mail server failed, for the task to retry."""
    claimed = Reminder.objects.filter(pk=pk, status__in=[St.PENDING, St.FAILED]).update(
        status=St.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    reminder = Reminder.objects.get(pk=pk)
    if not has_address(reminder.email):
        _finish(pk, error=reminder.last_error or "No e-mail address to send it to.")
    else:
        try:
            _message(reminder).send()
        except _NotToSend as stale:
            _finish(pk, error=str(stale))
        except Exception as error:  # noqa: BLE001 - the mail server's failure is recorded, then retried
            reason = f"{type(error).__name__}: {error}"
            log.warning("Reminder %s to %s failed (attempt %s): %s", pk, reminder.email, reminder.attempts, reason)
            _finish(pk, error=reason)
            raise SendFailed(reason) from error
        else:
            _finish(pk)
    reminder.refresh_from_db()
    return reminder


@dataclass
class RetryResult:
    retried: int = 0
    no_address: int = 0  # failed for want of an address: a retry cannot help
    not_failed: int = 0  # sent, waiting or being sent: left as they are


def reminders_retry_failed(*, reminders, by, in_process: bool | None = None) -> RetryResult:
    """Send failed reminders again: each is put back to waiting and handed over once committed.
    Those failed for want of an address are left (add the address: later reminders reach them).
    Refused, with nothing changed, if `by` may not act on one of their places."""
    in_process = _in_process() if in_process is None else in_process
    rows = list(Reminder.objects.filter(pk__in=[r.pk for r in reminders]).select_related("place__ics").order_by("pk"))
    for place in {row.place for row in rows}:
        if by is not None and not (permissions.may_recruit(by, place) or permissions.can_edit_catalogue(by, place)):
            raise MoveNotAllowed(f"Your account may not retry {place}'s reminders.")
    result = RetryResult()
    retry = []
    for row in rows:
        if row.status != St.FAILED:
            result.not_failed += 1
        elif not has_address(row.email):
            result.no_address += 1
        else:
            retry.append(row.pk)
    with transaction.atomic():
        result.retried = Reminder.objects.filter(pk__in=retry, status=St.FAILED).update(status=St.PENDING)
        if retry:
            transaction.on_commit(partial(_hand_over, retry, in_process))
    log.info("Reminders %s retried by %s", retry, getattr(by, "username", "the system"))
    return result


# --- Reads --------------------------------------------------------------------------------------------------


def without_anonymous_interviews(reminders: QuerySet[Reminder], user) -> QuerySet[Reminder]:
    """Leaves out interview reminders of rounds whose candidates' names the user must not see yet
    (other than their own reminders, which were written for them)."""
    slots = InterviewSlot.objects.filter(round__in=anonymous_rounds_for(user)).values_list("pk", flat=True)
    hidden = [f"slot:{pk}" for pk in slots]
    if not hidden:
        return reminders
    return reminders.exclude(Q(kind=K.INTERVIEW, subject_key__in=hidden) & ~Q(recipient=user))


def reminders_of(user) -> QuerySet[Reminder]:
    """The user's own reminders that were sent or failed, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Reminder.objects.none()
    return (
        Reminder.objects.filter(recipient=user, status__in=[St.SENT, St.FAILED])
        .select_related("place")
        .order_by("-due_on", "-pk")
    )
