"""Governance: the boards that authorise roles, their meetings and decisions; the engagement that
shaped the roles; and the log of board packs exported for them.

A board belongs to a place, or to an ICS through the ICS's ICS-wide unit (`Place.is_system_wide`),
so every governance row is scoped by a place and `roles.permissions` decides who sees it. Who may
change what is in `governance.access`; every change goes through `governance.services` (boards,
meetings, decisions), `governance.engagement` (the engagement log) or `governance.packs` (exports).
Declarations of interest are `roles.Declaration` rows: standing ones have no context, those about
an agenda item have the item as their context.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from roles.formatting import day
from roles.models import Budget, Person, Place, Role, TemplateRole, plausible_date


class Board(models.Model):
    """A board or group and its terms of reference, held as data."""

    class Kind(models.TextChoices):
        BOROUGH_STRATEGIC_BOARD = "borough_board", "Borough Strategic Board"
        LCP_FORUM = "lcp_forum", "LCP Forum"
        TASK_AND_FINISH = "task_finish", "Task & Finish Group"
        ICB = "icb", "Integrated Care Board (ICB)"
        ICP = "icp", "Integrated Care Partnership (ICP)"
        LEADERSHIP_GROUP = "leadership_group", "Leadership group (C&CPLG / CPLG)"

    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        related_name="boards",
        help_text="The place the board serves; for an ICS's own boards (ICB, ICP, CPLG), the ICS-wide unit.",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    purpose = models.TextField(blank=True, help_text="The terms of reference's purpose, in short.")
    terms_agreed_on = models.DateField(
        "terms of reference agreed on", null=True, blank=True, validators=[plausible_date]
    )
    terms_review_on = models.DateField(
        "terms of reference to be reviewed on", null=True, blank=True, validators=[plausible_date]
    )
    quorum_organisations = models.PositiveSmallIntegerField(
        "quorum: voting organisations present",
        default=1,
        validators=[MinValueValidator(1)],
        help_text="How many of the voting member organisations must be represented for the meeting to be quorate.",
    )
    quorum_needs_chair = models.BooleanField(
        "quorum needs the chair or vice chair",
        default=False,
        help_text="Whether the chair or a vice chair must be present for the meeting to be quorate.",
    )
    one_vote_per_organisation = models.BooleanField(
        default=True, help_text="Each member organisation has one vote, whoever represents it."
    )
    chair_has_casting_vote = models.BooleanField(
        "chair's casting vote", default=True, help_text="The chair has a second and deciding vote on a tie."
    )
    papers_due_days = models.PositiveSmallIntegerField(
        "papers due (days before the meeting)", default=7, validators=[MaxValueValidator(60)]
    )
    minutes_due_days = models.PositiveSmallIntegerField(
        "minutes due (days after the meeting)", default=8, validators=[MaxValueValidator(60)]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["place__name", "name"]
        constraints = [models.UniqueConstraint(fields=["place", "name"], name="board_unique_name_per_place")]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A member organisation of a board: one vote when it votes."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(max_length=200)
    is_voting = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["board", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["board", "name"], name="organisation_unique_per_board")]

    def __str__(self) -> str:
        return self.name


class BoardMember(models.Model):
    """A named representative on a board, in a capacity, for a term of office."""

    class Capacity(models.TextChoices):
        CHAIR = "chair", "Chair"
        VICE_CHAIR = "vice_chair", "Vice chair"
        MEMBER = "member", "Voting member"
        ATTENDEE = "attendee", "Non-voting attendee"

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="board_seats")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text="The member organisation they represent (none for an attendee in their own right).",
    )
    capacity = models.CharField(max_length=12, choices=Capacity.choices, default=Capacity.MEMBER)
    job_title = models.CharField(max_length=200, blank=True)
    term_starts_on = models.DateField(null=True, blank=True, validators=[plausible_date])
    term_ends_on = models.DateField(null=True, blank=True, validators=[plausible_date])
    history = HistoricalRecords()

    class Meta:
        ordering = ["board", "capacity", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["board", "person"], name="board_member_once"),
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True)
                | Q(term_starts_on__isnull=True)
                | Q(term_ends_on__gte=models.F("term_starts_on")),
                name="board_member_term_in_order",
                violation_error_message="The term of office ends before it starts: check the dates.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} ({self.get_capacity_display()}, {self.board})"

    def clean(self):
        """A member represents one of their own board's organisations, never another board's."""
        if self.organisation_id and self.board_id and self.organisation.board_id != self.board_id:
            raise ValidationError(
                {"organisation": "That organisation sits on another board: choose one of this board's organisations."}
            )

    @property
    def chairs(self) -> bool:
        return self.capacity in (self.Capacity.CHAIR, self.Capacity.VICE_CHAIR)

    def in_office_on(self, when: dt.date) -> bool:
        return (self.term_starts_on is None or self.term_starts_on <= when) and (
            self.term_ends_on is None or when <= self.term_ends_on
        )


class Meeting(models.Model):
    class Part(models.IntegerChoices):
        PUBLIC = 1, "Part 1 (public)"
        PRIVATE = 2, "Part 2 (private)"

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField(validators=[plausible_date])
    starts_at = models.TimeField(null=True, blank=True)
    part = models.PositiveSmallIntegerField(choices=Part.choices, default=Part.PUBLIC)
    location = models.CharField(max_length=200, blank=True)
    minutes = models.TextField(blank=True)
    minutes_shared_on = models.DateField(
        null=True, blank=True, validators=[plausible_date], help_text="When the minutes went to members."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on", "part"]
        constraints = [
            models.UniqueConstraint(fields=["board", "held_on", "part"], name="meeting_once_per_day_and_part"),
        ]

    def __str__(self) -> str:
        return f"{self.board}, {day(self.held_on)}, {self.get_part_display()}"

    @property
    def is_private(self) -> bool:
        return self.part == self.Part.PRIVATE

    @property
    def papers_due_on(self) -> dt.date:
        return self.held_on - dt.timedelta(days=self.board.papers_due_days)

    @property
    def minutes_due_on(self) -> dt.date:
        return self.held_on + dt.timedelta(days=self.board.minutes_due_days)

    def minutes_overdue(self, today: dt.date) -> bool:
        return self.minutes_shared_on is None and today > self.minutes_due_on


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    presenter = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="agenda_item_number_once")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Paper(models.Model):
    class Ask(models.TextChoices):
        NOTE = "note", "Note"
        CONSIDER = "consider", "Consider"
        DISCUSS = "discuss", "Discuss"
        ENDORSE = "endorse", "Endorse"
        APPROVE = "approve", "Approve"

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(max_length=300)
    asks = models.CharField("the board is asked to", max_length=10, choices=Ask.choices)
    recommendation = models.TextField(blank=True, help_text="What the paper asks the board to do, in its words.")
    author = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True, validators=[plausible_date])
    document = models.FileField(upload_to="papers/%Y/", blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["item", "pk"]

    def __str__(self) -> str:
        return self.title

    def is_late(self, today: dt.date) -> bool:
        """Published after the day papers were due, or not published and that day has passed."""
        due = self.item.meeting.papers_due_on
        return self.published_on > due if self.published_on else today > due


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        DEPUTY = "deputy", "Represented by a deputy"
        APOLOGIES = "apologies", "Apologies"
        ABSENT = "absent", "Absent"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(BoardMember, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=10, choices=Status.choices)
    deputy_name = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "member"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once_per_member")]

    def __str__(self) -> str:
        return f"{self.member.person.name}: {self.get_status_display()}"

    @property
    def counts(self) -> bool:
        return self.status in (self.Status.PRESENT, self.Status.DEPUTY)


class Decision(models.Model):
    """What the board decided on an item, by consensus or by vote; it may authorise roles and budgets."""

    class Outcome(models.TextChoices):
        AGREED = "agreed", "Agreed"
        NOT_AGREED = "not_agreed", "Not agreed"
        DEFERRED = "deferred", "Deferred"

    class Casting(models.TextChoices):
        NONE = "", "Not used"
        FOR = "for", "For"
        AGAINST = "against", "Against"

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField(help_text="What was decided, e.g. “Endorse the Bexley role set (Table 3)”.")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.AGREED)
    by_vote = models.BooleanField(default=False, help_text="Decided by a vote of the member organisations.")
    casting_vote = models.CharField(
        "chair's casting vote", max_length=8, choices=Casting.choices, blank=True, default=""
    )
    inquorate = models.BooleanField(
        default=False,
        help_text="Recorded although the meeting was not quorate; shown on every export.",
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="decisions", help_text="Roles it authorises.")
    budgets = models.ManyToManyField(Budget, blank=True, related_name="decisions", help_text="Budgets it authorises.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(m2m_fields=[roles, budgets])

    class Meta:
        ordering = ["item", "pk"]

    def __str__(self) -> str:
        meeting = self.item.meeting
        return f"{meeting.board}, {day(meeting.held_on)}, item {self.item.number}: {self.text[:120]}"


class Vote(models.Model):
    class Choice(models.TextChoices):
        FOR = "for", "For"
        AGAINST = "against", "Against"
        ABSTAIN = "abstain", "Abstain"

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="votes")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="votes")
    cast_by = models.ForeignKey(BoardMember, on_delete=models.PROTECT, null=True, blank=True, related_name="votes")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    excluded = models.BooleanField(
        default=False, help_text="Not counted: the member who cast it declared an interest in the item."
    )
    excluded_because = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["decision", "organisation__order", "organisation__name"]
        constraints = [models.UniqueConstraint(fields=["decision", "organisation"], name="vote_once_per_organisation")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_choice_display()}"


# --- Engagement ----------------------------------------------------------------------------------


class EngagementEvent(models.Model):
    """A meeting or conversation where a group or organisation gave feedback on the roles (Table 2)."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="engagement_events")
    held_on = models.DateField(validators=[plausible_date])
    group = models.CharField("group or organisation", max_length=200)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["place", "held_on", "pk"]

    def __str__(self) -> str:
        return f"{day(self.held_on)}: {self.group}"


class FeedbackPoint(models.Model):
    """One point of feedback, what was done about it, and the roles it shaped."""

    class Action(models.TextChoices):
        ADDED = "added", "Role added"
        RENAMED = "renamed", "Role renamed"
        RETYPED = "retyped", "Role's type changed"
        NOTED = "noted", "Noted"

    event = models.ForeignKey(EngagementEvent, on_delete=models.CASCADE, related_name="points")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    action = models.CharField("action taken", max_length=10, choices=Action.choices, default=Action.NOTED)
    action_note = models.TextField("what was done", blank=True)
    roles = models.ManyToManyField(Role, blank=True, related_name="feedback")
    template_roles = models.ManyToManyField(
        TemplateRole, blank=True, related_name="feedback", help_text="Template roles it concerns (e.g. one left out)."
    )
    history = HistoricalRecords(m2m_fields=[roles, template_roles])

    class Meta:
        ordering = ["event", "order", "pk"]

    def __str__(self) -> str:
        return self.text[:120]


# --- Exports -------------------------------------------------------------------------------------


class ExportLog(models.Model):
    """Who exported which board pack, when: one row per export, from a page or the command."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (XLSX)"
        CSV = "csv", "CSV (zipped)"
        PDF = "pdf", "PDF"

    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    by_name = models.CharField(max_length=150, help_text="The user's name, or the operator's for the command.")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    what = models.CharField(max_length=60, default="board_pack")
    place = models.ForeignKey(Place, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ics = models.ForeignKey("roles.ICS", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    scope_name = models.CharField(max_length=200)
    as_of = models.DateField()
    format = models.CharField(max_length=4, choices=Format.choices)
    via = models.CharField(max_length=10, choices=[("page", "Page"), ("command", "Command")], default="page")
    rows = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.scope_name} as of {day(self.as_of)} ({self.format}) by {self.by_name}"
