"""The panel member's scoring pages: the rounds they sit on, and each round's candidates to score.

Sitting on a round's panel is the only access these pages need (`recruitment.access`): a round the
user does not sit on does not exist for them (404), whatever else their account may do. While a
round shortlists anonymously nothing about a candidate but their number and supporting statement is
read for these pages, so nothing else can be shown; names are read once shortlisting has closed.
Scores and declared interests are written by `recruitment.services`, and totals are
`recruitment.selectors.ranking`'s alone: these pages show a member their own scores only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from roles.models import AdvertRound, Declaration, RoleStatus
from roles.services import ChangeRefused

from . import access, services
from .models import Application, Criterion, PanelMember, Score
from .panel_forms import DeclareForm, ScoreForm

Stage = Criterion.Stage
STAGE_LABELS = {Stage.SHORTLISTING: "Shortlisting", Stage.INTERVIEW: "Interviews"}
ALL_SCOREABLE = frozenset().union(*services.SCOREABLE.values())


@dataclass
class Candidate:
    """One candidate as a panel member sees them: a number, the statement, and, once shortlisting
    has closed, the name. `name` stays empty while the round is anonymous."""

    application: Application
    declared: bool  # the member declared an interest in them: their scores do not count
    scores: dict[int, int]  # criterion id -> the member's score
    complete: bool = False  # scored on every criterion of the stage
    name: str = ""
    score_form: ScoreForm | None = None
    declare_form: DeclareForm | None = None

    @property
    def number(self) -> int:
        return self.application.candidate_number

    @property
    def label(self) -> str:
        return self.application.label

    @property
    def anchor(self) -> str:
        return f"candidate-{self.number}"


@dataclass
class PanelRound:
    """A round the member sits on, at its current scoring stage (None: scoring is not open)."""

    round: AdvertRound
    member: PanelMember
    stage: str | None
    criteria: list[Criterion] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def stage_label(self) -> str:
        if self.stage:
            return STAGE_LABELS[self.stage]
        if self.round.role.status == RoleStatus.ADVERTISED and not self.round.followed:
            return "Not open yet"
        return "Closed"

    @property
    def to_score(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.declared]

    @property
    def scored(self) -> int:
        """Candidates the member has given a score on every criterion of the stage."""
        return sum(1 for c in self.to_score if c.complete)

    @property
    def declared(self) -> int:
        return sum(1 for c in self.candidates if c.declared)


def _panel_rounds(user, pk: int | None = None) -> list[PanelRound]:
    """The rounds the user sits on (or just round `pk`, if they sit on it) with what they score now,
    in a constant number of queries whatever the number of rounds and candidates."""
    later = AdvertRound.objects.filter(role=OuterRef("role"), number__gt=OuterRef("number"))
    rounds = access.rounds_on_panel(user)
    if pk is not None:
        rounds = rounds.filter(pk=pk)
    found = list(
        rounds.select_related("role__place")
        .annotate(followed=Exists(later))
        .order_by("-opens_on", "role__title", "number")
    )
    if not found:
        return []
    members = {m.round_id: m for m in PanelMember.objects.filter(round__in=found, person__user=user)}
    panels = [
        PanelRound(r, members[r.pk], None if r.followed else services.scoring_stage(r, r.role))
        for r in found
        if r.pk in members
    ]
    open_panels = {p.round.pk: p for p in panels if p.stage}
    if not open_panels:
        return panels
    for criterion in Criterion.objects.filter(round__in=open_panels):
        panel = open_panels[criterion.round_id]
        if criterion.stage == panel.stage:
            panel.criteria.append(criterion)
    stage_criteria = {c.pk for p in open_panels.values() for c in p.criteria}
    mine: dict[int, dict[int, int]] = defaultdict(dict)
    for application_id, criterion_id, value in Score.objects.filter(
        panel_member__in=[p.member for p in open_panels.values()], criterion__in=stage_criteria
    ).values_list("application_id", "criterion_id", "value"):
        mine[application_id][criterion_id] = value
    declared = set(
        Declaration.objects.concerning(*(p.round for p in open_panels.values()))
        .filter(person__in=[p.member.person_id for p in open_panels.values()], about_person__isnull=False)
        .values_list("context_id", "person_id", "about_person_id")
    )
    # Only the application's own fields: never the person's while the round is anonymous.
    applications = Application.objects.filter(round__in=open_panels, status__in=ALL_SCOREABLE).order_by(
        "round", "candidate_number"
    )
    for application in applications:
        panel = open_panels[application.round_id]
        application.round = panel.round
        if application.status not in services.SCOREABLE[panel.stage] or application.awaits_late_accept:
            continue
        scores = mine[application.pk]
        panel.candidates.append(
            Candidate(
                application=application,
                declared=(panel.round.pk, panel.member.person_id, application.person_id) in declared,
                scores=scores,
                complete=bool(panel.criteria) and all(c.pk in scores for c in panel.criteria),
            )
        )
    named = [c for p in open_panels.values() if not p.round.is_anonymous for c in p.candidates]
    if named:
        names = dict(
            Application.objects.filter(pk__in=[c.application.pk for c in named]).values_list("pk", "person__name")
        )
        for candidate in named:
            candidate.name = names[candidate.application.pk]
    return panels


def _panel_round(request, pk: int) -> PanelRound:
    """The round `pk` as the signed-in panel member sees it; 404 unless they sit on its panel."""
    panels = _panel_rounds(request.user, pk)
    if not panels:
        raise Http404("You do not sit on this round's panel.")
    return panels[0]


def _auto_id(candidate_number: int) -> str:
    """Field ids unique on the page, which has a form per candidate; the field names stay plain."""
    return f"c{candidate_number}-%s"


def my_panels(request):
    panels = _panel_rounds(request.user)
    return render(request, "recruitment/my_panels.html", {"panels": panels})


def panel_round(request, pk):
    return _render_round(request, _panel_round(request, pk))


def _render_round(request, panel: PanelRound, *, bound=None, status: int = 200):
    """The round's page; `bound` is a candidate's form sent back with its errors: (application id, form)."""
    for candidate in panel.candidates:
        if candidate.declared:
            continue
        auto_id = _auto_id(candidate.number)
        candidate.score_form = ScoreForm(criteria=panel.criteria, scores=candidate.scores, auto_id=auto_id)
        candidate.declare_form = DeclareForm(auto_id=auto_id)
        if bound and bound[0] == candidate.application.pk:
            form = bound[1]
            if isinstance(form, ScoreForm):
                candidate.score_form = form
            else:
                candidate.declare_form = form
    return render(request, "recruitment/panel_round.html", {"panel": panel, "round": panel.round}, status=status)


def _application_in(panel: PanelRound, application_pk: int) -> Application:
    """An application of this round (404 for another round's), with the round attached."""
    application = get_object_or_404(Application.objects.filter(round=panel.round), pk=application_pk)
    application.round = panel.round
    return application


def _back_to(panel: PanelRound, application: Application):
    url = reverse("recruitment:panel_round", args=[panel.round.pk])
    return redirect(f"{url}#candidate-{application.candidate_number}")


def _refused(request, panel: PanelRound, error: ChangeRefused, bound):
    messages.error(request, str(error))
    return _render_round(request, panel, bound=bound, status=error.status)


@require_POST
def panel_scores(request, pk, application_pk):
    panel = _panel_round(request, pk)
    application = _application_in(panel, application_pk)
    form = ScoreForm(request.POST, criteria=panel.criteria, auto_id=_auto_id(application.candidate_number))
    if not form.is_valid():
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"Nothing was saved for {application.label}: {problems}")
        return _render_round(request, panel, bound=(application.pk, form), status=400)
    try:
        saved = services.scores_save(application=application, values=form.values(), by=request.user)
    except ChangeRefused as error:
        return _refused(request, panel, error, (application.pk, form))
    if saved:
        messages.success(request, f"Your scores for {application.label} are saved.")
    else:
        messages.info(request, f"{application.label} has no scores from you now.")
    return _back_to(panel, application)


@require_POST
def panel_declare(request, pk, application_pk):
    panel = _panel_round(request, pk)
    application = _application_in(panel, application_pk)
    form = DeclareForm(request.POST, auto_id=_auto_id(application.candidate_number))
    if not form.is_valid():
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"No interest was recorded for {application.label}: {problems}")
        return _render_round(request, panel, bound=(application.pk, form), status=400)
    try:
        services.interest_declare(application=application, by=request.user, interest=form.cleaned_data["interest"])
    except ChangeRefused as error:
        return _refused(request, panel, error, (application.pk, form))
    messages.success(
        request,
        f"Your interest in {application.label} is recorded in the register of interests: "
        "your scores for this candidate are not counted.",
    )
    return _back_to(panel, application)


urlpatterns = [
    path("panels/", my_panels, name="my_panels"),
    path("panels/<int:pk>/", panel_round, name="panel_round"),
    path("panels/<int:pk>/candidates/<int:application_pk>/scores/", panel_scores, name="panel_scores"),
    path("panels/<int:pk>/candidates/<int:application_pk>/declare/", panel_declare, name="panel_declare"),
]
