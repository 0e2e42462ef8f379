"""The catalogue: ICSs, places, functions, the ICS's template of place roles, roles and budgets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .costs import EARLIEST_DATE, FIRST_YEAR, LAST_YEAR, LATEST_DATE, Cost, FinancialYear, annual_pay, cost_in_year, wte
from .documents import validate_document
from .formatting import day


def plausible_date(value) -> None:
    """Refuse a date outside the years the product plans for (a typing slip such as 0001-01-01)."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            f"{day(value)} is outside the years this service plans for: give a date between "
            f"{day(EARLIEST_DATE)} and {day(LATEST_DATE)} (type it as DD/MM/YYYY).",
            code="implausible_date",
        )


def in_window(field: str) -> Q:
    """The database's copy of `plausible_date` for a nullable date column."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": EARLIEST_DATE, f"{field}__lte": LATEST_DATE})


class ICS(models.Model):
    """An Integrated Care System, e.g. Our Healthier South East London."""

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, blank=True, help_text="e.g. SEL, JUCD")
    slug = models.SlugField(unique=True)
    default_session_rate = models.DecimalField(
        "default rate per session per year (£)",
        max_digits=10,
        decimal_places=2,
        default=Decimal(settings.DEFAULT_SESSION_RATE),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="What one session a week costs for a year; £16,400 in South East London.",
    )
    time_to_hire_target_weeks = models.PositiveSmallIntegerField(
        "time to hire target (weeks)",
        default=8,
        validators=[MinValueValidator(1, "Give a target of at least one week."), MaxValueValidator(104)],
        help_text="From an advert opening to the appointee's confirmed start; NHS England aims at 6 to 8 weeks.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "ICS"
        verbose_name_plural = "ICSs"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """A borough inside an ICS, run by its Local Care Partnership.

    `is_system_wide` marks the unit that holds an ICS's own roles (e.g. a CPLG Chair paid from
    ICB programme spend), so that every role and budget belongs to exactly one place.
    """

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="places", verbose_name="ICS")
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    is_system_wide = models.BooleanField(
        "ICS-wide unit",
        default=False,
        help_text="Holds roles at ICS level rather than in a borough.",
    )
    requires_board_decision = models.BooleanField(
        default=False,
        help_text="Roles need a board decision reference before they can be approved.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["ics__name", "is_system_wide", "name"]
        constraints = [models.UniqueConstraint(fields=["ics", "name"], name="place_name_unique_in_ics")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("roles:dashboard", kwargs={"place": self.slug})


class ReferenceData(models.Model):
    """A named item of reference data made by a migration, listed in its own order."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Function(ReferenceData):
    """One of the ten priority functions for clinical and care professional system leadership."""

    description = models.TextField(blank=True)


class SpatialLevel(ReferenceData):
    """Where a role sits: ICS body, provider collaborative, place (LCP), leadership group, organisation."""

    description = models.TextField(blank=True)


class Profession(ReferenceData):
    """A profession a role may be open to. Clinicians: doctor, nurse, pharmacist, psychologist, AHP."""

    is_clinical = models.BooleanField(default=False)


class RoleType(models.TextChoices):
    CLINICAL = "clinical", "Clinical"
    CARE = "care", "Care"
    CLINICAL_CARE = "clinical_care", "Clinical / Care"


class TemplateRole(models.Model):
    """A place role the ICS recommends (Table 1 of the Bexley paper)."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="template_roles", verbose_name="ICS")
    title = models.CharField(max_length=200)
    role_type = models.CharField("type", max_length=20, choices=RoleType.choices)
    functions = models.ManyToManyField(Function, blank=True, related_name="template_roles")
    notes = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords(m2m_fields=[functions])

    class Meta:
        ordering = ["ics__name", "order", "title"]
        constraints = [models.UniqueConstraint(fields=["ics", "title"], name="template_role_title_unique_in_ics")]

    def __str__(self) -> str:
        return self.title


class RoleStatus(models.TextChoices):
    """Where a role stands, and the moves between the states (`MOVES`, checked by `roles.services`).

    | from          | to                                    | what the move needs                        |
    |---------------|---------------------------------------|--------------------------------------------|
    | proposed      | approved                              | a signed-off role description; a board     |
    |               |                                       | decision reference where the place needs   |
    |               |                                       | one; the budget and session cap to hold it |
    | approved      | advertised                            | opening and closing dates (a new round)    |
    | advertised    | shortlisting                          | the closing date has passed                |
    | shortlisting  | interviewing                          |                                            |
    | interviewing  | offered                               |                                            |
    | offered       | contracted                            | a named appointee, contract start and end  |
    |               |                                       | dates; the budget to hold the contract     |
    | contracted    | in post                               | the contract start date has come           |
    | in post       | ended                                 | a reason if it ends before its end date    |
    | shortlisting, | not appointed                         | a reason; closes the advert round          |
    | interviewing, |                                       |                                            |
    | offered,      |                                       |                                            |
    | contracted    |                                       |                                            |
    | not appointed | advertised (re-advertise)             | new dates: a new round, the old one kept   |
    | any open      | on hold                               | a reason; remembers where it was held      |
    | on hold       | back where it was held                |                                            |
    | any open      | withdrawn                             | a reason                                   |

    "Open" is every state but contracted, in post, ended and withdrawn. Ended and withdrawn are
    final. A move to approved or later that adds cost is checked against the budget of every
    financial year the role touches; an ICS administrator may override with a written reason.
    """

    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    ADVERTISED = "advertised", "Advertised"
    SHORTLISTING = "shortlisting", "Shortlisting"
    INTERVIEWING = "interviewing", "Interviewing"
    OFFERED = "offered", "Offered"
    CONTRACTED = "contracted", "Contracted"
    IN_POST = "in_post", "In post"
    ENDED = "ended", "Ended"
    ON_HOLD = "on_hold", "On hold"
    NOT_APPOINTED = "not_appointed", "Not appointed"
    WITHDRAWN = "withdrawn", "Withdrawn"


S_ = RoleStatus  # short name for the table below
# Moves out of on hold go back to the state the role was held from: `RESUME` stands for it here.
RESUME = "resume"
MOVES: dict[str, frozenset[str]] = {
    S_.PROPOSED: frozenset({S_.APPROVED, S_.ON_HOLD, S_.WITHDRAWN}),
    S_.APPROVED: frozenset({S_.ADVERTISED, S_.ON_HOLD, S_.WITHDRAWN}),
    S_.ADVERTISED: frozenset({S_.SHORTLISTING, S_.ON_HOLD, S_.WITHDRAWN}),
    S_.SHORTLISTING: frozenset({S_.INTERVIEWING, S_.NOT_APPOINTED, S_.ON_HOLD, S_.WITHDRAWN}),
    S_.INTERVIEWING: frozenset({S_.OFFERED, S_.NOT_APPOINTED, S_.ON_HOLD, S_.WITHDRAWN}),
    S_.OFFERED: frozenset({S_.CONTRACTED, S_.NOT_APPOINTED, S_.ON_HOLD, S_.WITHDRAWN}),
    S_.CONTRACTED: frozenset({S_.IN_POST, S_.NOT_APPOINTED}),
    S_.IN_POST: frozenset({S_.ENDED}),
    S_.ENDED: frozenset(),
    S_.NOT_APPOINTED: frozenset({S_.ADVERTISED, S_.ON_HOLD, S_.WITHDRAWN}),
    S_.ON_HOLD: frozenset({RESUME, S_.WITHDRAWN}),
    S_.WITHDRAWN: frozenset(),
}


@dataclass(frozen=True)
class MoveNeeds:
    """What a move to one state asks of the person making it. The move form asks for exactly this,
    the board offers one-click buttons only where it asks for nothing, the admin action's page asks
    for the same, and `roles.services` refuses a move that lacks it."""

    label: str  # what the button says
    details: tuple[str, ...] = ()  # the `MoveDetails` fields the move needs
    reason: str = "optional"  # "required", "optional", or "if early" (ending before the end date)
    one_at_a_time: str = ""  # why it is never part of a bulk move (each role needs its own details)

    @property
    def asks_for_nothing(self) -> bool:
        return not self.details and self.reason == "optional"


MOVE_NEEDS: dict[str, MoveNeeds] = {
    S_.PROPOSED: MoveNeeds("Resume as proposed"),  # only back from on hold: nothing else returns to proposed
    S_.APPROVED: MoveNeeds("Approve", details=("board_decision",)),
    S_.ADVERTISED: MoveNeeds("Advertise", details=("opens_on", "closes_on")),
    S_.SHORTLISTING: MoveNeeds("Start shortlisting"),
    S_.INTERVIEWING: MoveNeeds("Start interviews"),
    S_.OFFERED: MoveNeeds("Make an offer"),
    S_.CONTRACTED: MoveNeeds(
        "Record the contract",
        details=("appointee_name", "contract_start", "contract_end"),
        one_at_a_time="Record contracts one role at a time: each needs its own appointee and dates.",
    ),
    S_.IN_POST: MoveNeeds("In post"),
    S_.ENDED: MoveNeeds("End", reason="if early"),
    S_.NOT_APPOINTED: MoveNeeds("Not appointed", reason="required"),
    S_.ON_HOLD: MoveNeeds("Put on hold", reason="required"),
    S_.WITHDRAWN: MoveNeeds("Withdraw", reason="required"),
}


# How each status counts against a budget. Committed: a contract exists (its cost for the days
# it ran is spent even after it ends). Pipeline: approved, not yet contracted. Proposed: not yet
# approved, shown apart so a place sees what its proposals would do. Withdrawn counts nowhere.
COMMITTED_STATUSES = frozenset({RoleStatus.CONTRACTED, RoleStatus.IN_POST, RoleStatus.ENDED})
PIPELINE_STATUSES = frozenset(
    {
        RoleStatus.APPROVED,
        RoleStatus.ADVERTISED,
        RoleStatus.SHORTLISTING,
        RoleStatus.INTERVIEWING,
        RoleStatus.OFFERED,
        RoleStatus.NOT_APPOINTED,
        RoleStatus.ON_HOLD,
    }
)
PROPOSED_STATUSES = frozenset({RoleStatus.PROPOSED})


class BudgetStage(models.TextChoices):
    COMMITTED = "committed", "Committed"
    PIPELINE = "pipeline", "In the pipeline"
    PROPOSED = "proposed", "Proposed"
    NONE = "none", "Not counted"


def stage_of(status: str, held_from: str = "") -> str:
    """How a role in `status` counts against its budget. On hold counts as where it was held."""
    if status == RoleStatus.ON_HOLD:
        return stage_of(held_from) if held_from else BudgetStage.PIPELINE
    if status in COMMITTED_STATUSES:
        return BudgetStage.COMMITTED
    if status in PIPELINE_STATUSES:
        return BudgetStage.PIPELINE
    if status in PROPOSED_STATUSES:
        return BudgetStage.PROPOSED
    return BudgetStage.NONE


class RoleQuerySet(models.QuerySet):
    def visible_to(self, user) -> RoleQuerySet:
        from . import permissions

        return self.filter(place__in=permissions.places_visible_to(user))

    def for_listing(self) -> RoleQuerySet:
        return self.select_related("place__ics", "spatial_level", "template_role").prefetch_related(
            "functions", "eligible_professions"
        )


class Role(models.Model):
    """A clinical or care professional leadership role in a place."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="roles")
    title = models.CharField(max_length=200)
    role_type = models.CharField("type", max_length=20, choices=RoleType.choices)
    functions = models.ManyToManyField(Function, blank=True, related_name="roles")
    spatial_level = models.ForeignKey(SpatialLevel, on_delete=models.PROTECT, related_name="roles")
    sessions_per_week = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0.01"), "Sessions per week must be more than 0."),
            MaxValueValidator(Decimal("10"), "Sessions per week can be at most 10 (10 sessions = 1 WTE)."),
        ],
        help_text="Protected time: 10 sessions a week = 1 WTE; 2 days a week = 4 sessions.",
    )
    rate_per_session = models.DecimalField(
        "rate per session per year (£)",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), "The rate per session must be more than £0.")],
        help_text="What one session a week costs for a year (£16,400 is the SEL standard rate).",
    )
    start_date = models.DateField(help_text="Planned until a contract is signed.", validators=[plausible_date])
    end_date = models.DateField(
        null=True,
        blank=True,
        validators=[plausible_date],
        help_text="Fixed-term end; leave empty if the role has no end date yet.",
    )
    description = models.TextField("role description", blank=True)
    description_document = models.FileField(
        "role description document",
        upload_to="role-descriptions/%Y/",
        blank=True,
        max_length=200,
        validators=[validate_document],
        help_text="PDF, Word (.doc, .docx), OpenDocument (.odt), RTF or plain text, up to 10 MB.",
    )
    description_signed_off_on = models.DateField(
        "role description signed off on", null=True, blank=True, validators=[plausible_date]
    )
    eligible_professions = models.ManyToManyField(
        Profession,
        blank=True,
        related_name="roles",
        help_text="Leave empty for any profession the role's type allows.",
    )
    template_role = models.ForeignKey(
        TemplateRole,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="roles",
        verbose_name="derived from template role",
    )
    variation_reason = models.TextField(
        "why it differs from the template",
        blank=True,
        help_text="For a role added locally, renamed or retyped against the ICS template: the reason.",
    )
    status = models.CharField(max_length=20, choices=RoleStatus.choices, default=RoleStatus.PROPOSED, editable=False)
    held_from = models.CharField(
        "held from",
        max_length=20,
        choices=RoleStatus.choices,
        blank=True,
        editable=False,
        help_text="While on hold: the state the role goes back to.",
    )
    board_decision = models.CharField(
        "board decision reference",
        max_length=300,
        blank=True,
        help_text='The decision that authorises the role, e.g. "Borough Strategic Board: endorse the role set".',
    )
    appointee_name = models.CharField("appointee", max_length=200, blank=True, editable=False)
    appointee = models.ForeignKey(
        "Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="appointments",
        help_text="The person in the role, where recruitment recorded them (the name above is kept either way).",
    )
    is_critical = models.BooleanField(
        "critical role that continues",
        default=False,
        help_text="E.g. Urgent Care lead and Safeguarding GP, which continued past 31 March 2022.",
    )
    history = HistoricalRecords(excluded_fields=["updated_at", "created_at", "version"])
    predates_ics_model = models.BooleanField(
        "predates the ICS model",
        default=False,
        help_text="A contract from before the ICS template (e.g. a CCG clinical lead); not compared with the template.",
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Goes up by one with every edit and move; an edit form loaded from an older version is stale.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["place__name", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions_per_week__gt=0) & Q(sessions_per_week__lte=10),
                name="role_sessions_between_0_and_10",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="role_ends_after_it_starts",
            ),
            models.CheckConstraint(condition=Q(rate_per_session__gt=0), name="role_rate_positive"),
            models.CheckConstraint(
                condition=Q(start_date__gte=EARLIEST_DATE, start_date__lte=LATEST_DATE)
                & in_window("end_date")
                & in_window("description_signed_off_on"),
                name="role_dates_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("roles:role_detail", kwargs={"place": self.place.slug, "pk": self.pk})

    def clean(self):
        """The rules of a role's own columns; `professions_problem` has the one that needs its professions."""
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = (
                f"The end date ({day(self.end_date)}) is before the start date ({day(self.start_date)}): "
                "move one of them."
            )
        if self.template_role_id and self.place_id and self.template_role.ics_id != self.place.ics_id:
            errors["template_role"] = "Choose a template role from this place's own ICS."
        if self.description_signed_off_on and not (self.description.strip() or self.description_document):
            errors["description_signed_off_on"] = (
                "A sign-off date needs a role description: write it or attach the document first."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def wte(self) -> Decimal:
        return wte(self.sessions_per_week)

    @property
    def annual_pay(self) -> Decimal:
        return annual_pay(self.sessions_per_week, self.rate_per_session)

    @property
    def budget_stage(self) -> str:
        return stage_of(self.status, self.held_from)

    def allowed_moves(self) -> list[str]:
        """The states this role may move to now, in workflow order (on hold: back where it was held)."""
        targets = {self.held_from if t == RESUME else t for t in MOVES[self.status]}
        return [s for s in RoleStatus.values if s in targets and s]

    def move_label(self, to: str) -> str:
        if self.status == RoleStatus.ON_HOLD and to == self.held_from:
            return f"Resume ({RoleStatus(to).label.lower()})"
        if self.status == RoleStatus.NOT_APPOINTED and to == RoleStatus.ADVERTISED:
            return "Re-advertise"
        return MOVE_NEEDS[to].label

    def cost_in(self, year: FinancialYear, on_cost_percent: Decimal = Decimal(0)) -> Cost:
        return cost_in_year(
            sessions=self.sessions_per_week,
            rate_per_session=self.rate_per_session,
            start=self.start_date,
            end=self.end_date,
            year=year,
            on_cost_percent=on_cost_percent,
        )

    def runs_in(self, year: FinancialYear) -> bool:
        return year.days_overlapping(self.start_date, self.end_date) > 0


def professions_problem(role_type: str, professions) -> str | None:
    """What is wrong with opening a role of `role_type` to `professions`, if anything.

    A Clinical role is for clinicians only; Care and Clinical / Care roles are open to any profession.
    """
    if role_type == RoleType.CLINICAL:
        others = sorted(p.name for p in professions if not p.is_clinical)
        if others:
            return (
                f"A Clinical role is open to clinicians only: untick {', '.join(others)}, "
                "or make the role Clinical / Care."
            )
    return None


def normalise_title(title: str) -> str:
    """A title reduced to what it says, so that cosmetic edits are not read as a rename.

    Bracketed asides ("(*TBC)", "(PHM)"), case, punctuation, spacing and plural "s" are dropped:
    "LTC including Diabetes and Obesity" and "LTCs including Diabetes and Obesity" match;
    "Patient and Public Engagement" and "Resident Participation and engagement" do not.
    """
    text = re.sub(r"\([^)]*\)", " ", title.lower()).replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(word[:-1] if len(word) > 2 and word.endswith("s") else word for word in words)


class AdvertRound(models.Model):
    """One advert of a role: opening and closing dates. Re-advertising adds a round; old ones stay."""

    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        APPOINTED = "appointed", "Appointed"
        NOT_APPOINTED = "not_appointed", "Not appointed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="advert_rounds")
    number = models.PositiveSmallIntegerField()
    opens_on = models.DateField("opens on", validators=[plausible_date])
    closes_on = models.DateField("closes on", validators=[plausible_date])
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.OPEN)
    advert_text = models.TextField("advert text", blank=True)
    eligible_professions = models.ManyToManyField(
        Profession,
        blank=True,
        related_name="advert_rounds",
        help_text="Who the advert invites; leave empty for the professions the role is open to.",
    )
    sessions_shown = models.DecimalField(
        "sessions a week shown",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("10"))],
        help_text="As the advert states them; empty shows the role's own.",
    )
    pay_shown = models.CharField(
        "pay shown",
        max_length=200,
        blank=True,
        help_text="As the advert states it, e.g. “£16,400 a year per session a week, pro rata”.",
    )
    advertised_where = models.TextField(
        "where it was advertised", blank=True, help_text="E.g. NHS Jobs, the LCP newsletter, the GP bulletin."
    )
    shortlist_closed_at = models.DateTimeField(
        "shortlisting closed at",
        null=True,
        blank=True,
        editable=False,
        help_text="Until then scorers see candidate numbers and statements only, never names.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[eligible_professions], excluded_fields=["created_at"])

    class Meta:
        ordering = ["role", "number"]
        constraints = [
            models.UniqueConstraint(fields=["role", "number"], name="advert_round_number_unique"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="advert_closes_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} – round {self.number} ({self.opens_on:%d/%m/%Y} to {self.closes_on:%d/%m/%Y})"

    @property
    def is_anonymous(self) -> bool:
        """Whether scorers still see candidate numbers rather than names."""
        return self.shortlist_closed_at is None


class RoleMove(models.Model):
    """The audit trail of a role: its creation, every move and edit, and its deletion.

    Who, when, from, to, why, what changed (edits: each field's old and new value, as people read
    them), and any override of the budget guard. The row names the role's place and title itself,
    so that it outlives the role: deleting a (still proposed) role leaves its trail and a "deleted"
    row; a role that has left "proposed" cannot be deleted at all.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        MOVED = "moved", "Moved"
        EDITED = "edited", "Edited"
        DELETED = "deleted", "Deleted"

    role = models.ForeignKey(Role, on_delete=models.SET_NULL, null=True, blank=True, related_name="moves")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="role_audit")
    role_title = models.CharField("role", max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.MOVED)
    version = models.PositiveIntegerField(default=1, help_text="The role's version after this change.")
    from_status = models.CharField(max_length=20, choices=RoleStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=RoleStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="role_moves"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.TextField(blank=True)
    budget_override = models.TextField(
        blank=True, help_text="An ICS administrator's reason for going past the budget guard."
    )
    details = models.JSONField(
        default=dict, blank=True, help_text="What the change recorded: dates, appointee, or the fields edited."
    )

    class Meta:
        verbose_name = "audit row"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["role", "-at"], name="rolemove_role_latest")]

    def __str__(self) -> str:
        if self.action == self.Action.MOVED:
            start = RoleStatus(self.from_status).label if self.from_status else "created"
            return f"{self.role_title}: {start} → {self.get_to_status_display()}"
        return f"{self.role_title}: {self.get_action_display().lower()}"

    @property
    def changes(self) -> list[dict]:
        """An edit's changes: [{"field": "sessions per week", "old": "1", "new": "2"}, ...]."""
        return self.details.get("changes", []) if isinstance(self.details, dict) else []

    @property
    def move_details(self) -> dict:
        """What a move recorded (dates, appointee), without an edit's list of changes."""
        return {k: v for k, v in self.details.items() if k != "changes"} if isinstance(self.details, dict) else {}


class TemplateOmission(models.Model):
    """A template role a place chose not to adopt, and why."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="template_omissions")
    template_role = models.ForeignKey(TemplateRole, on_delete=models.PROTECT, related_name="omissions")
    reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["place", "template_role"], name="omission_unique_per_place")]

    def __str__(self) -> str:
        return f"{self.place}: {self.template_role} not adopted"


class Budget(models.Model):
    """What a place may spend on leadership roles in one financial year (1 April to 31 March)."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="budgets")
    financial_year = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(FIRST_YEAR, f"Give a financial year from {FIRST_YEAR} to {LAST_YEAR}."),
            MaxValueValidator(LAST_YEAR, f"Give a financial year from {FIRST_YEAR} to {LAST_YEAR}."),
        ],
        help_text="The year the financial year starts in: 2022 means 1 April 2022 to 31 March 2023.",
    )
    amount = models.DecimalField(
        "amount (£)",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), "A budget cannot be negative.")],
    )
    session_cap = models.DecimalField(
        "cap in sessions per week",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), "A session cap cannot be negative.")],
        help_text="Optional, e.g. 11: roles will not exceed the allocated and budgeted 11 sessions.",
    )
    on_cost_percent = models.DecimalField(
        "employer on-cost (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[
            MinValueValidator(Decimal("0"), "On-costs cannot be negative."),
            MaxValueValidator(Decimal("100"), "On-costs above 100% are not plausible; check the figure."),
        ],
        help_text="Employer costs (NI, pension) added on top of pay.",
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["place__name", "-financial_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "financial_year"],
                name="one_budget_per_place_and_year",
                violation_error_message="This place already has a budget for that financial year; edit it instead.",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.year}"

    @property
    def year(self) -> FinancialYear:
        return FinancialYear(self.financial_year)


class AccessKind(models.TextChoices):
    ICS_ADMIN = "ics_admin", "ICS administrator"
    PLACE_TEAM = "place_team", "Place team member"
    HR_RECRUITER = "hr_recruiter", "HR recruiter"
    SECRETARIAT = "secretariat", "Board secretariat"


class Membership(models.Model):
    """What a user may do, and where: one row per kind of access and scope.

    The scope is a whole ICS (every place in it) or one place. What each kind allows is decided
    in `roles.permissions`, nowhere else.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    ics = models.ForeignKey(
        ICS, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships", verbose_name="ICS"
    )
    place = models.ForeignKey(Place, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(ics__isnull=False) & Q(place__isnull=True))
                | (Q(ics__isnull=True) & Q(place__isnull=False)),
                name="membership_scope_is_ics_or_place",
                violation_error_message="Give either an ICS or a place as the scope, not both or neither.",
            ),
            models.UniqueConstraint(fields=["user", "kind", "ics", "place"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_kind_display()} – {self.ics or self.place}"

    def clean(self):
        if self.kind == AccessKind.ICS_ADMIN and not self.ics_id:
            raise ValidationError({"ics": "An ICS administrator's scope is a whole ICS: choose the ICS."})


class Person(models.Model):
    """Someone who is not only a user: an applicant, an appointee, a panel member, a board member.

    One record per person across rounds, roles and boards. `user` is their sign-in, if they have one
    (panel members do; most applicants do not).
    """

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    profession = models.ForeignKey(Profession, on_delete=models.PROTECT, null=True, blank=True, related_name="people")
    employer = models.CharField(max_length=200, blank=True)
    registration = models.CharField(
        "professional registration", max_length=100, blank=True, help_text="E.g. GMC 1234567, NMC 12A3456B."
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person",
        help_text="Their sign-in, if they use the service (panel members do).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name_plural = "people"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("email"),
                condition=~Q(email=""),
                name="person_email_unique",
                violation_error_message="Someone already has this e-mail address: choose that person instead.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DeclarationQuerySet(models.QuerySet):
    def concerning(self, *objects) -> DeclarationQuerySet:
        """The declarations about these objects (advert rounds, board items), all of one model."""
        from django.contrib.contenttypes.models import ContentType

        if not objects:
            return self.none()
        model = type(objects[0])
        return self.filter(
            context_type=ContentType.objects.get_for_model(model), context_id__in=[obj.pk for obj in objects]
        )


class Declaration(models.Model):
    """The one register of declared interests: recruitment's conflicts with a candidate, and (later)
    governance's declarations on board items, are rows here.

    A standing declaration has no `context`; a specific one names what it concerns (an advert round,
    a board item) through `context`, and, where the interest is in a person (a candidate from the
    declarer's own practice), `about_person`. `action` is what was done about it.
    """

    class Action(models.TextChoices):
        NONE = "none", "None needed"
        EXCLUDED_FROM_SCORING = "excluded_from_scoring", "Took no part in scoring this candidate"
        LEFT_THE_ROOM = "left_the_room", "Left the room"
        DID_NOT_VOTE = "did_not_vote", "Did not vote"
        OTHER = "other", "Other (see notes)"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="declarations")
    interest = models.TextField(help_text="What the interest is, e.g. “same practice as the candidate”.")
    about_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="declarations_about",
        help_text="The person the interest is in, if any (a candidate).",
    )
    context_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, null=True, blank=True, editable=False
    )
    context_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    context = GenericForeignKey("context_type", "context_id")
    action = models.CharField("action taken", max_length=30, choices=Action.choices, default=Action.NONE)
    notes = models.TextField(blank=True)
    declared_on = models.DateField(default=timezone.localdate, validators=[plausible_date])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_on", "-pk"]
        indexes = [models.Index(fields=["context_type", "context_id"], name="declaration_context")]

    def __str__(self) -> str:
        about = f" in {self.about_person}" if self.about_person_id else ""
        return f"{self.person}: interest{about} ({self.declared_on:%d/%m/%Y})"

    @property
    def is_standing(self) -> bool:
        return self.context_id is None
