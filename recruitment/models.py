"""Recruitment to a role's advert round: applications, criteria and scores, panels and interview
slots, offers and contracts, and the equality answers kept apart from all of them.

The round itself (`roles.AdvertRound`) is opened by the role's "advertise" move; everything here
hangs off it. Every write goes through `recruitment.services`, which moves the role through
`roles.services` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from roles.models import AdvertRound, Person, plausible_date


class ApplicationStatus(models.TextChoices):
    """Where an application stands, and the moves between the states (`APPLICATION_MOVES`).

    | from            | to                                   | made by                               |
    |-----------------|--------------------------------------|---------------------------------------|
    | received        | shortlisted, not shortlisted         | the recruiter's shortlist decision    |
    |                 |                                      | (a late one needs accepting first)    |
    | shortlisted     | interviewed                          | the interview is recorded as held     |
    | shortlisted,    | not appointed                        | the round closes unfilled, or the     |
    | interviewed     |                                      | post is filled by someone else        |
    | interviewed     | offered                              | an offer is made                      |
    | offered         | appointed                            | the contract is signed                |
    | offered         | not appointed                        | the offer is declined                 |
    | not shortlisted,| back where it was                    | reinstated, with a reason             |
    | not appointed   |                                      |                                       |
    | any live state  | withdrawn                            | the applicant withdraws               |

    "Live" is received, shortlisted, interviewed and offered. Appointed and withdrawn are final.
    """

    RECEIVED = "received", "Received"
    SHORTLISTED = "shortlisted", "Shortlisted"
    NOT_SHORTLISTED = "not_shortlisted", "Not shortlisted"
    INTERVIEWED = "interviewed", "Interviewed"
    OFFERED = "offered", "Offered"
    APPOINTED = "appointed", "Appointed"
    NOT_APPOINTED = "not_appointed", "Not appointed"
    WITHDRAWN = "withdrawn", "Withdrawn"


A_ = ApplicationStatus
LIVE_STATUSES = frozenset({A_.RECEIVED, A_.SHORTLISTED, A_.INTERVIEWED, A_.OFFERED})
REJECTED_STATUSES = frozenset({A_.NOT_SHORTLISTED, A_.NOT_APPOINTED})
APPLICATION_MOVES: dict[str, frozenset[str]] = {
    A_.RECEIVED: frozenset({A_.SHORTLISTED, A_.NOT_SHORTLISTED, A_.WITHDRAWN}),
    A_.SHORTLISTED: frozenset({A_.INTERVIEWED, A_.NOT_APPOINTED, A_.WITHDRAWN}),
    A_.INTERVIEWED: frozenset({A_.OFFERED, A_.NOT_APPOINTED, A_.WITHDRAWN}),
    A_.OFFERED: frozenset({A_.APPOINTED, A_.NOT_APPOINTED, A_.WITHDRAWN}),
    A_.NOT_SHORTLISTED: frozenset(),  # reinstating goes back where it was: see services.application_reinstate
    A_.NOT_APPOINTED: frozenset(),
    A_.APPOINTED: frozenset(),
    A_.WITHDRAWN: frozenset(),
}

# The stages the equality report and time per stage count.
STAGE_APPLIED = "applied"
STAGE_SHORTLISTED = "shortlisted"
STAGE_APPOINTED = "appointed"
REACHED_SHORTLIST = frozenset({A_.SHORTLISTED, A_.INTERVIEWED, A_.OFFERED, A_.APPOINTED})


class ApplicationQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status__in=LIVE_STATUSES)


class Application(models.Model):
    """A person's application to one advert round."""

    round = models.ForeignKey(AdvertRound, on_delete=models.PROTECT, related_name="applications")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="applications")
    candidate_number = models.PositiveIntegerField(
        help_text="What scorers see instead of the name until shortlisting closes."
    )
    statement = models.TextField("supporting statement", blank=True)
    received_on = models.DateField(validators=[plausible_date])
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.RECEIVED)
    late_accepted_at = models.DateTimeField(
        "late application accepted at", null=True, blank=True, help_text="A late application needs accepting."
    )
    interview_slot = models.OneToOneField(
        "InterviewSlot", on_delete=models.SET_NULL, null=True, blank=True, related_name="application"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["round", "candidate_number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="application_one_per_person_and_round"),
            models.UniqueConstraint(fields=["round", "candidate_number"], name="application_number_unique_in_round"),
        ]
        indexes = [models.Index(fields=["round", "status"], name="application_round_status")]

    def __str__(self) -> str:
        return f"Candidate {self.candidate_number} – {self.round.role}"

    @property
    def is_late(self) -> bool:
        return self.received_on > self.round.closes_on

    @property
    def awaits_late_accept(self) -> bool:
        return self.is_late and self.late_accepted_at is None and self.status == ApplicationStatus.RECEIVED

    @property
    def label(self) -> str:
        return f"Candidate {self.candidate_number}"

    @property
    def label_for_panel(self) -> str:
        """How the panel is told who it is: by number only while shortlisting is anonymous."""
        return self.label if self.round.is_anonymous else f"{self.label} ({self.person.name})"


class ApplicationEvent(models.Model):
    """An application's history: every change of status (who, when, why) and other things done to it."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received"
        MOVED = "moved", "Status changed"
        LATE_ACCEPTED = "late_accepted", "Late application accepted"
        REINSTATED = "reinstated", "Reinstated"
        BOOKED = "booked", "Interview booked"
        OFFER_ACCEPTED = "offer_accepted", "Offer accepted"
        TOLD = "told", "Applicant told"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MOVED)
    from_status = models.CharField(max_length=20, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ApplicationStatus.choices, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_kind_display()}"


class Criterion(models.Model):
    """What a round scores candidates on, at shortlisting or at interview, with its weight and range."""

    class Stage(models.TextChoices):
        SHORTLISTING = "shortlisting", "Shortlisting"
        INTERVIEW = "interview", "Interview"

    round = models.ForeignKey(AdvertRound, on_delete=models.PROTECT, related_name="criteria")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.SHORTLISTING)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)], help_text="1 to 10."
    )
    min_score = models.PositiveSmallIntegerField("lowest score", default=0)
    max_score = models.PositiveSmallIntegerField("highest score", default=4, validators=[MaxValueValidator(100)])
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name_plural = "criteria"
        ordering = ["round", "stage", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(max_score__gt=models.F("min_score")), name="criterion_range_not_empty"),
            models.UniqueConstraint(fields=["round", "stage", "title"], name="criterion_title_unique_in_round"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.min_score}–{self.max_score}, ×{self.weight})"


class PanelMember(models.Model):
    """Someone who scores a round's candidates and sits on its interview panel.

    Sitting on a panel is its own kind of access: a panel member sees the rounds they sit on, and
    only those, on their scoring pages (`recruitment.access`).
    """

    class Part(models.TextChoices):
        CHAIR = "chair", "Chair"
        MEMBER = "member", "Member"

    round = models.ForeignKey(AdvertRound, on_delete=models.PROTECT, related_name="panel")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="panels")
    part = models.CharField(max_length=10, choices=Part.choices, default=Part.MEMBER)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "-part", "person__name"]
        constraints = [models.UniqueConstraint(fields=["round", "person"], name="panel_member_once_per_round")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_part_display().lower()})"


class Score(models.Model):
    """One panel member's score of one application against one criterion."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    panel_member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField()
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "criterion", "panel_member"], name="score_once_per_member_and_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.label}: {self.criterion.title} = {self.value}"


class InterviewSlot(models.Model):
    """A time a candidate is interviewed: when, and where (a room or a video link)."""

    round = models.ForeignKey(AdvertRound, on_delete=models.PROTECT, related_name="interview_slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)

    class Meta:
        ordering = ["round", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_it_starts"),
            models.UniqueConstraint(fields=["round", "starts_at"], name="slot_start_unique_in_round"),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{local:%a %d %b %Y %H:%M}" + (f", {self.room}" if self.room else "")

    @property
    def where(self) -> str:
        return " / ".join(part for part in (self.room, self.video_link) if part) or "to be confirmed"


class Offer(models.Model):
    """An offer of the role to one candidate. At most one open and one accepted offer per round."""

    class Status(models.TextChoices):
        MADE = "made", "Made, awaiting an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    round = models.ForeignKey(AdvertRound, on_delete=models.PROTECT, related_name="offers")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MADE)
    made_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["round", "made_at"]
        constraints = [
            models.UniqueConstraint(fields=["round"], condition=Q(status="made"), name="offer_one_open_per_round"),
            models.UniqueConstraint(
                fields=["round"], condition=Q(status="accepted"), name="offer_one_accepted_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"Offer to candidate {self.application.candidate_number} ({self.get_status_display().lower()})"


class ContractType(models.TextChoices):
    FIXED_TERM = "fixed_term", "Fixed term"
    SECONDMENT = "secondment", "Secondment"
    SESSIONAL = "sessional", "Sessional"


class Contract(models.Model):
    """The signed contract that fills the role: it moves the role to contracted."""

    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="contract")
    contract_type = models.CharField("type", max_length=20, choices=ContractType.choices)
    starts_on = models.DateField(validators=[plausible_date])
    ends_on = models.DateField(validators=[plausible_date])
    sessions_per_week = models.DecimalField(
        max_digits=4, decimal_places=2, validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(10)]
    )
    rate_per_session = models.DecimalField(
        "rate per session per year (£)",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    signed_on = models.DateField(validators=[plausible_date])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="contract_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_contract_type_display()} contract, {self.starts_on:%d/%m/%Y} to {self.ends_on:%d/%m/%Y}"


PREFER_NOT = "prefer_not_to_say"


def _choices(*pairs):
    return [*pairs, (PREFER_NOT, "Prefer not to say")]


class EqualityAnswers(models.Model):
    """An applicant's equality monitoring answers, kept apart from the application.

    Optional, each with "prefer not to say"; empty is not answered. Never shown to scorers or panels
    and not in the admin at all: `recruitment.equality` reports them in aggregate per stage only,
    with small numbers suppressed.
    """

    AGE_BANDS = _choices(
        ("under_30", "Under 30"),
        ("30_39", "30 to 39"),
        ("40_49", "40 to 49"),
        ("50_59", "50 to 59"),
        ("60_plus", "60 or over"),
    )
    SEXES = _choices(("female", "Female"), ("male", "Male"), ("other", "Another term"))
    ETHNIC_GROUPS = _choices(
        ("asian", "Asian or Asian British"),
        ("black", "Black, Black British, Caribbean or African"),
        ("mixed", "Mixed or multiple ethnic groups"),
        ("white", "White"),
        ("other", "Another ethnic group"),
    )
    YES_NO = _choices(("yes", "Yes"), ("no", "No"))

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="equality_answers")
    age_band = models.CharField(max_length=20, choices=AGE_BANDS, blank=True)
    sex = models.CharField(max_length=20, choices=SEXES, blank=True)
    ethnic_group = models.CharField(max_length=20, choices=ETHNIC_GROUPS, blank=True)
    disability = models.CharField("disabled", max_length=20, choices=YES_NO, blank=True)

    QUESTIONS = ("age_band", "sex", "ethnic_group", "disability")

    class Meta:
        verbose_name_plural = "equality answers"

    def __str__(self) -> str:
        return "Equality answers"


# --- Milestone plans ----------------------------------------------------------------------------------


class When(models.TextChoices):
    """How a milestone's time is given, as the seeds' Table 4 writes it."""

    DATE = "date", "On a date"
    RANGE = "range", "A date range"
    WEEK = "week", "Week commencing"
    TBC = "tbc", "To be confirmed"


def shown_when(kind: str, starts_on, ends_on) -> str:
    """The time as the board papers write it: "18 Feb 2022", "7-11 Mar 2022", "w/c 31 Jan 2022", "TBC"."""
    if kind == When.TBC or starts_on is None:
        return "TBC"
    if kind == When.WEEK:
        return f"w/c {starts_on.day} {starts_on:%b %Y}"
    if kind == When.RANGE and ends_on and ends_on != starts_on:
        if (starts_on.year, starts_on.month) == (ends_on.year, ends_on.month):
            return f"{starts_on.day}-{ends_on.day} {ends_on:%b %Y}"
        if starts_on.year == ends_on.year:
            return f"{starts_on.day} {starts_on:%b} - {ends_on.day} {ends_on:%b %Y}"
        return f"{starts_on.day} {starts_on:%b %Y} - {ends_on.day} {ends_on:%b %Y}"
    return f"{starts_on.day} {starts_on:%b %Y}"


def is_late(*, done_on, due_on, today) -> bool:
    """Late: not done, and the day it falls due (None while TBC) has passed."""
    return done_on is None and due_on is not None and due_on < today


def when_problems(kind: str, starts_on, ends_on) -> dict[str, str]:
    """What is wrong with a milestone's time, by field: one rule for milestones and template steps."""
    problems = {}
    if kind != When.TBC and starts_on is None:
        problems["starts_on"] = "Give the date (or choose “To be confirmed”)."
    if kind == When.RANGE:
        if ends_on is None:
            problems["ends_on"] = "A date range needs its last day."
        elif starts_on and ends_on < starts_on:
            problems["ends_on"] = "The range ends before it starts: move one of the dates."
    if kind == When.WEEK and starts_on and starts_on.weekday() != 0:
        problems["starts_on"] = (
            f"A week commencing starts on a Monday; {starts_on:%A} {starts_on.day} {starts_on:%b %Y} is not one."
        )
    return problems


class Tranche(models.Model):
    """Roles of a place recruited together, to one milestone plan."""

    place = models.ForeignKey("roles.Place", on_delete=models.PROTECT, related_name="tranches")
    name = models.CharField(max_length=200)
    roles = models.ManyToManyField("roles.Role", blank=True, related_name="tranches")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["place", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["place", "name"], name="tranche_name_unique_in_place")]

    def __str__(self) -> str:
        return f"{self.place}: {self.name}"


class MilestoneManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        """As `Manager.bulk_create`, with each row's `falls_due_on` set as `save` sets it."""
        objs = list(objs)
        for milestone in objs:
            milestone.falls_due_on = milestone.due_on
        return super().bulk_create(objs, *args, **kwargs)


class Milestone(models.Model):
    """A step of a plan: what, when (a date, a range, a week commencing, or TBC), who owns it, and
    whether it is done. Late is derived (`is_late`), never stored.

    `falls_due_on` keeps `due_on` (the rule is the property's) for the database to count, order and
    page by; `save` and `bulk_create` set it, so nothing else writes it."""

    place = models.ForeignKey("roles.Place", on_delete=models.PROTECT, related_name="milestones")
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, null=True, blank=True, related_name="milestones")
    title = models.CharField(max_length=200)
    when_kind = models.CharField("when", max_length=10, choices=When.choices, default=When.DATE)
    starts_on = models.DateField("date", null=True, blank=True, validators=[plausible_date])
    ends_on = models.DateField("until", null=True, blank=True, validators=[plausible_date])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="milestones"
    )
    done_on = models.DateField("done on", null=True, blank=True, validators=[plausible_date])
    notes = models.TextField(blank=True)
    roles = models.ManyToManyField("roles.Role", blank=True, related_name="milestones")
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    falls_due_on = models.DateField("falls due on", null=True, blank=True, editable=False)
    history = HistoricalRecords(m2m_fields=[roles])

    objects = MilestoneManager()

    class Meta:
        ordering = ["place", "tranche", "order", "starts_on", "pk"]
        indexes = [
            models.Index(fields=["done_on", "starts_on"], name="milestone_open_by_date"),
            models.Index(fields=["place", "done_on", "falls_due_on"], name="milestone_place_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="milestone_range_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.shown_when})"

    def save(self, *args, **kwargs):
        self.falls_due_on = self.due_on
        fields = kwargs.get("update_fields")
        if fields is not None and {"when_kind", "starts_on", "ends_on"} & set(fields):
            kwargs["update_fields"] = {*fields, "falls_due_on"}
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        problems = when_problems(self.when_kind, self.starts_on, self.ends_on)
        if self.tranche_id and self.place_id and self.tranche.place_id != self.place_id:
            problems["tranche"] = "Choose a tranche of this milestone's own place."
        if problems:
            raise ValidationError(problems)

    @property
    def shown_when(self) -> str:
        return shown_when(self.when_kind, self.starts_on, self.ends_on)

    @property
    def due_on(self):
        """The day it falls due: the date, a range's last day, a week's Friday; None while TBC."""
        if self.when_kind == When.TBC or self.starts_on is None:
            return None
        if self.when_kind == When.RANGE and self.ends_on:
            return self.ends_on
        if self.when_kind == When.WEEK:
            return self.starts_on + dt.timedelta(days=4)
        return self.starts_on

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    def is_late(self, today) -> bool:
        return is_late(done_on=self.done_on, due_on=self.due_on, today=today)


class PlanTemplate(models.Model):
    """A plan a place starts a tranche from: steps as offsets from a start date."""

    ics = models.ForeignKey(
        "roles.ICS", on_delete=models.PROTECT, null=True, blank=True, related_name="plan_templates", verbose_name="ICS"
    )
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class PlanStep(models.Model):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(max_length=200)
    when_kind = models.CharField("when", max_length=10, choices=When.choices, default=When.DATE)
    offset_days = models.IntegerField(
        "days after the start", default=0, help_text="For a week commencing: the Monday of the week it lands in."
    )
    length_days = models.PositiveSmallIntegerField("days it lasts (a range)", default=0)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "order", "offset_days"]

    def __str__(self) -> str:
        return self.title


# --- Reminders ---------------------------------------------------------------------------------------


MAX_DAYS_BEFORE = 365


def parse_days_before(text: str) -> tuple[int, ...]:
    """ "7,1" -> (7, 1): whole days from 1 to 365, comma separated; ValueError naming the fix."""
    days = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_DAYS_BEFORE:
            raise ValueError(
                f"“{part}” is not a number of days from 1 to {MAX_DAYS_BEFORE}: write whole days, comma separated, "
                "e.g. “7,1”."
            )
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


def validate_days_before(text: str) -> None:
    from django.core.exceptions import ValidationError

    try:
        parse_days_before(text)
    except ValueError as error:
        raise ValidationError(str(error)) from error


class ReminderSettings(models.Model):
    """A place's reminder choices (set by its ICS administrator in the admin); a place without a row
    uses the defaults."""

    place = models.OneToOneField("roles.Place", on_delete=models.CASCADE, related_name="reminder_settings")
    days_before = models.CharField(
        "days before a milestone",
        max_length=40,
        default="7,1",
        validators=[validate_days_before],
        help_text="Comma-separated, e.g. “7,1”: reminders that many days before a milestone falls due.",
    )
    review_every_months = models.PositiveSmallIntegerField(
        "review leaders in post every (months)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Leave empty for no review reminders.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "reminder settings"
        verbose_name_plural = "reminder settings"

    def __str__(self) -> str:
        return f"Reminders for {self.place}"


class Reminder(models.Model):
    """One reminder to one person about one thing, for one day: claimed by its unique key before it is
    sent, so a sweep run twice, two workers or a retry never send it twice. Sent or failed, and why."""

    class Kind(models.TextChoices):
        MILESTONE_BEFORE = "milestone_before", "Milestone coming up"
        MILESTONE_DUE = "milestone_due", "Milestone due today"
        MILESTONE_OVERDUE = "milestone_overdue", "Milestone overdue"
        ADVERT_CLOSING = "advert_closing", "Advert closing"
        INTERVIEW = "interview", "Interview"
        CONTRACT_ENDING = "contract_ending", "Contract ending"
        REVIEW = "review", "Review of a leader in post"
        PAPERS_DUE = "papers_due", "Board papers due"
        MINUTES_OVERDUE = "minutes_overdue", "Board minutes overdue"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    place = models.ForeignKey("roles.Place", on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject_key = models.CharField(
        max_length=60, help_text="What it is about, e.g. “milestone:12”, “round:4”, “slot:9”, “role:7”."
    )
    due_on = models.DateField(help_text="The day this reminder is for.")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="reminders"
    )
    email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last took it to send.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key", "due_on", "email"], name="reminder_once_per_subject_day_and_person"
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="reminder_status_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject} ({self.due_on:%d/%m/%Y}, {self.email or 'no address'})"
