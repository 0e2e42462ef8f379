"""Recruitment pages in the browser: a place's rounds, a round's pipeline (the kanban), an applicant's
page, the interview invitations and the round's export. Thin: access from `roles.permissions` and
`recruitment.access`, figures from `recruitment.selectors`, every change through `recruitment.services`.

Everyone who sees a place follows its recruitment here; HR recruiters and ICS administrators act on it
(`may_recruit`). A panel member of a round still shortlisting anonymously never sees its candidates'
names: these pages answer them 403 and send them to their scoring page.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from roles import permissions
from roles.exports import safe_cell
from roles.models import AdvertRound, Role, RoleStatus
from roles.paths import path_for_each
from roles.services import ChangeRefused
from roles.views import next_url, place_for

from . import access, selectors, services
from .calendar import slot_invitation
from .forms import BookForm, ContractForm, DeclineForm, OptionalReasonForm, ReasonForm, ShortlistForm
from .models import Application, ApplicationEvent, ApplicationStatus, Criterion, InterviewSlot, Offer

A = ApplicationStatus
S = RoleStatus
ROUNDS_PER_PAGE = 50
KANBAN = [
    A.RECEIVED,
    A.SHORTLISTED,
    A.INTERVIEWED,
    A.OFFERED,
    A.APPOINTED,
    A.NOT_SHORTLISTED,
    A.NOT_APPOINTED,
    A.WITHDRAWN,
]


def place_context(request, place, **extra):
    """What every recruitment page of a place shows: the place, and whether the user runs its recruitment."""
    return {"place": place, "may_recruit": permissions.may_recruit(request.user, place), **extra}


def _round_for(request, pk, *, act: bool = False) -> AdvertRound:
    """The round if the user may follow it (404 where they cannot see the place; 403 for a panel
    member while names are hidden) and, to act, run its recruitment (403)."""
    round_ = get_object_or_404(
        AdvertRound.objects.filter(role__place__in=permissions.places_visible_to(request.user)).select_related(
            "role__place__ics"
        ),
        pk=pk,
    )
    if access.names_hidden_from(request.user, round_):
        raise PermissionDenied(
            "You sit on this round's panel and shortlisting is anonymous: score it on your panel page. "
            "Names are shown once shortlisting closes."
        )
    if act and not permissions.may_recruit(request.user, round_.role.place):
        raise PermissionDenied(f"You follow {round_.role.place}'s recruitment; its HR recruiter runs it.")
    return round_


def _application_for(request, pk, *, act: bool = False) -> Application:
    application = get_object_or_404(
        Application.objects.filter(round__role__place__in=permissions.places_visible_to(request.user)).select_related(
            "person__profession", "round__role__place__ics", "interview_slot"
        ),
        pk=pk,
    )
    _round_for(request, application.round_id, act=act)
    return application


# --- A place's rounds -------------------------------------------------------------------------------------


def place_rounds(request, place):
    """The place's advert rounds, newest first, a page at a time, with how many are over the target."""
    place = place_for(request, place)
    today = timezone.localdate()
    target_days = place.ics.time_to_hire_target_weeks * 7
    rounds = AdvertRound.objects.filter(role__place=place).exclude(
        pk__in=access.anonymous_rounds_for(request.user).values("pk")
    )
    order = ("-opens_on", "role__title", "pk")
    page = Paginator(rounds.order_by(*order).only("pk"), ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    shown = selectors.rounds_with_times(AdvertRound.objects.filter(pk__in=[r.pk for r in page])).order_by(*order)
    rows = [(r, selectors.hire_times(r, today)) for r in shown]
    role_path = path_for_each("roles:role_detail", place=place.slug)  # reversed once, not once a row
    for r, _times in rows:
        r.role_path = role_path(r.role_id)
    return render(
        request,
        "recruitment/place_rounds.html",
        place_context(
            request,
            place,
            rows=rows,
            page=page,
            target_weeks=place.ics.time_to_hire_target_weeks,
            breaches=selectors.over_target(rounds, target_days=target_days, today=today),
        ),
    )


def role_rounds(request, pk):
    """A role's recruitment: its latest round's page (the board and the role page link here)."""
    role = get_object_or_404(Role.objects.filter(place__in=permissions.places_visible_to(request.user)), pk=pk)
    latest = role.advert_rounds.order_by("-number").first()
    if latest is None:
        messages.info(request, f"“{role.title}” has not been advertised yet.")
        return redirect(role)
    return redirect("recruitment:round_detail", latest.pk)


# --- A round -----------------------------------------------------------------------------------------------


def round_detail(request, pk):
    return _render_round(request, _round_for(request, pk))


def _render_round(request, round_: AdvertRound, *, status: int = 200, **forms):
    role = round_.role
    place = role.place
    applications = list(
        round_.applications.select_related("person__profession", "interview_slot").order_by("candidate_number")
    )
    columns = [(A(s), [a for a in applications if a.status == s]) for s in KANBAN]
    interviewed = set(
        round_.applications.filter(status__in=[A.SHORTLISTED, A.INTERVIEWED, A.OFFERED, A.APPOINTED, A.NOT_APPOINTED])
        .exclude(events__to_status=A.NOT_SHORTLISTED)
        .values_list("pk", flat=True)
    )
    panel = list(round_.panel.select_related("person"))
    shortlisting, interviews = selectors.rankings(
        round_,
        [
            (Criterion.Stage.SHORTLISTING, applications),
            (Criterion.Stage.INTERVIEW, [a for a in applications if a.pk in interviewed]),
        ],
        panel=panel,
    )
    totals = {row.application.pk: row for row in shortlisting.rows}
    offers = list(round_.offers.select_related("application__person", "contract").order_by("made_at"))
    round_.offer_list = offers  # what `hire_times` reads: the round's offers with their contracts
    may_recruit = permissions.may_recruit(request.user, place)
    accepted = next((o for o in offers if o.status == Offer.Status.ACCEPTED and not hasattr(o, "contract")), None)
    context = place_context(
        request,
        place,
        round=round_,
        role=role,
        columns=columns,
        totals=totals,
        rankings=[shortlisting, interviews],
        slots=list(round_.interview_slots.select_related("application").order_by("starts_at")),
        offers=offers,
        times=selectors.hire_times(round_),
        panel=panel,
        is_current=services.is_current_round(round_, role),
        shortlist_form=forms.get("shortlist_form") or ShortlistForm(round=round_),
        close_form=forms.get("close_form") or ReasonForm(),
        decline_form=forms.get("decline_form") or DeclineForm(),
        contract_form=forms.get("contract_form")
        or (
            ContractForm(
                round=round_,
                may_override=permissions.is_ics_admin_for(request.user, place),
                initial={"offer": accepted.pk, "starts_on": role.start_date, "ends_on": role.end_date}
                if accepted
                else None,
            )
        ),
        accepted=accepted,
        may_recruit=may_recruit,
        recruiting=[S.SHORTLISTING, S.INTERVIEWING, S.OFFERED],
        professions=[p.name for p in round_.eligible_professions.all()]
        or [p.name for p in role.eligible_professions.all()],
        today=timezone.localdate(),
    )
    return render(request, "recruitment/round_detail.html", context, status=status)


def _refused(request, round_, error: ChangeRefused, **forms):
    messages.error(request, error.message + ("" if not error.problems else " " + " ".join(error.problems)))
    return _render_round(request, round_, status=error.status, **forms)


def _invalid(request, round_, form, name):
    messages.error(request, "Nothing was changed: " + " ".join(e for errors in form.errors.values() for e in errors))
    return _render_round(request, round_, status=400, **{name: form})


@require_POST
def round_shortlist(request, pk):
    round_ = _round_for(request, pk, act=True)
    form = ShortlistForm(request.POST, round=round_)
    if not form.is_valid():
        return _invalid(request, round_, form, "shortlist_form")
    chosen = list(form.cleaned_data["applications"])
    shortlisted = form.cleaned_data["decision"] == "shortlist"
    try:
        services.applications_shortlist(
            applications=chosen, shortlisted=shortlisted, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ChangeRefused as error:
        return _refused(request, round_, error, shortlist_form=form)
    labels = ", ".join(a.label for a in chosen)
    messages.success(request, f"{labels}: {'shortlisted' if shortlisted else 'not shortlisted'}.")
    return redirect(reverse("recruitment:round_detail", args=[round_.pk]) + "#pipeline")


ROUND_STEPS = {
    "start-shortlisting": "Shortlisting has started.",
    "close-shortlist": "The shortlist is closed: names are shown to the panel, candidates are told, and the role "
    "is interviewing.",
    "close-unfilled": "The round is closed with nobody appointed; the candidates still in it are told.",
}


@require_POST
def round_step(request, pk, step):
    if step not in ROUND_STEPS:
        raise Http404("There is no such step.")
    round_ = _round_for(request, pk, act=True)
    form = ReasonForm(request.POST) if step == "close-unfilled" else None
    if form is not None and not form.is_valid():
        return _invalid(request, round_, form, "close_form")
    try:
        if step == "start-shortlisting":
            services.shortlisting_start(round=round_, by=request.user)
        elif step == "close-shortlist":
            services.shortlist_close(round=round_, by=request.user)
        else:
            services.round_close_unfilled(round=round_, by=request.user, reason=form.cleaned_data["reason"])
    except ChangeRefused as error:
        return _refused(request, round_, error)
    messages.success(request, ROUND_STEPS[step])
    return redirect("recruitment:round_detail", round_.pk)


@require_POST
def offer_answer(request, pk, answer):
    if answer not in {"accept", "decline"}:
        raise Http404("An offer is accepted or declined.")
    offer = get_object_or_404(Offer.objects.select_related("round"), pk=pk)
    round_ = _round_for(request, offer.round_id, act=True)
    form = DeclineForm(request.POST) if answer == "decline" else None
    if form is not None and not form.is_valid():
        return _invalid(request, round_, form, "decline_form")
    try:
        if answer == "accept":
            services.offer_accept(offer=offer, by=request.user)
            messages.success(request, "The offer is accepted: record the contract when it is signed.")
        else:
            nxt = services.offer_decline(
                offer=offer, by=request.user, reason=form.cleaned_data["reason"], then=form.cleaned_data["then"]
            )
            messages.success(
                request,
                f"The offer was declined; the role is offered to {nxt.application.label}."
                if nxt
                else "The offer was declined and the round is closed: not appointed.",
            )
    except ChangeRefused as error:
        return _refused(request, round_, error)
    return redirect(reverse("recruitment:round_detail", args=[round_.pk]) + "#offers")


@require_POST
def contract_record(request, pk):
    round_ = _round_for(request, pk, act=True)
    form = ContractForm(
        request.POST, round=round_, may_override=permissions.is_ics_admin_for(request.user, round_.role.place)
    )
    if not form.is_valid():
        return _invalid(request, round_, form, "contract_form")
    data = form.cleaned_data
    try:
        services.contract_sign(
            offer=data["offer"],
            contract_type=data["contract_type"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            signed_on=data["signed_on"],
            sessions_per_week=data["sessions_per_week"],
            rate_per_session=data["rate_per_session"],
            override_reason=data.get("override_reason", ""),
            by=request.user,
        )
    except ChangeRefused as error:
        return _refused(request, round_, error, contract_form=form)
    messages.success(request, f"The contract is recorded: “{round_.role.title}” is contracted.")
    return redirect(round_.role)


# --- An application -------------------------------------------------------------------------------------------


def application_detail(request, pk, *, status: int = 200, **forms):
    application = _application_for(request, pk)
    round_ = application.round
    events = list(application.events.select_related("by"))
    scores = list(
        application.scores.select_related("criterion", "panel_member__person").order_by(
            "criterion__stage", "criterion__order", "panel_member__person__name"
        )
    )
    left_out = {pair[0] for pair in selectors.declared_pairs(round_) if pair[1] == application.person_id}
    return render(
        request,
        "recruitment/application_detail.html",
        place_context(
            request,
            round_.role.place,
            application=application,
            round=round_,
            role=round_.role,
            events=events,
            stages=_time_in_status(application, events),
            scores=scores,
            left_out=left_out,
            reinstate_form=forms.get("reinstate_form") or ReasonForm(),
            withdraw_form=forms.get("withdraw_form") or OptionalReasonForm(),
            book_form=forms.get("book_form")
            or BookForm(application=application, initial={"slot": application.interview_slot_id}),
            offers=list(application.offers.all()),
            recruiting=[S.SHORTLISTING, S.INTERVIEWING, S.OFFERED],
        ),
        status=status,
    )


def _time_in_status(application, events) -> list[tuple[str, int]]:
    """Days the application spent in each status, from its history."""
    moves = [e for e in events if e.to_status and e.kind != ApplicationEvent.Kind.OFFER_ACCEPTED]
    spans = []
    start, current = application.received_on, A.RECEIVED
    for event in moves:
        if event.kind == ApplicationEvent.Kind.RECEIVED:
            continue
        day = timezone.localdate(event.at)
        spans.append((A(current).label, max((day - start).days, 0)))
        start, current = day, event.to_status
    final = current in (A.APPOINTED, A.NOT_APPOINTED, A.NOT_SHORTLISTED, A.WITHDRAWN)
    if not final:
        spans.append((A(current).label + " (so far)", max((timezone.localdate() - start).days, 0)))
    return spans


APPLICATION_ACTIONS = {
    "accept-late": "The late application is accepted: it can be shortlisted.",
    "reinstate": "The application is reinstated.",
    "held": "The interview is recorded as held.",
    "offer": "The offer is made and the candidate is told.",
    "withdraw": "The application is withdrawn.",
    "book": "The interview booking is saved and the invitations sent.",
}


@require_POST
def application_act(request, pk, action):
    if action not in APPLICATION_ACTIONS:
        raise Http404("There is no such action.")
    application = _application_for(request, pk, act=True)
    form, name = None, ""
    if action == "reinstate":
        form, name = ReasonForm(request.POST), "reinstate_form"
    elif action == "withdraw":
        form, name = OptionalReasonForm(request.POST), "withdraw_form"
    elif action == "book":
        form, name = BookForm(request.POST, application=application), "book_form"
    if form is not None and not form.is_valid():
        messages.error(request, "Nothing was changed: " + " ".join(e for es in form.errors.values() for e in es))
        return application_detail(request, pk, status=400, **{name: form})
    try:
        if action == "accept-late":
            services.application_accept_late(application=application, by=request.user)
        elif action == "reinstate":
            services.application_reinstate(application=application, by=request.user, reason=form.cleaned_data["reason"])
        elif action == "held":
            services.interview_held(application=application, by=request.user)
        elif action == "offer":
            services.offer_make(application=application, by=request.user)
        elif action == "withdraw":
            services.application_withdraw(application=application, by=request.user, reason=form.cleaned_data["reason"])
        else:
            services.interview_book(application=application, slot=form.cleaned_data["slot"], by=request.user)
    except ChangeRefused as error:
        messages.error(request, error.message)
        return application_detail(request, pk, status=error.status, **({name: form} if form else {}))
    messages.success(request, f"{application.label}: {APPLICATION_ACTIONS[action]}")
    return redirect(next_url(request, reverse("recruitment:application_detail", args=[application.pk])))


# --- Invitations and export -------------------------------------------------------------------------------------


def slot_ics(request, pk):
    """A slot's calendar invitation, for those following the round and for its panel."""
    slot = get_object_or_404(InterviewSlot.objects.select_related("round__role__place", "application__person"), pk=pk)
    on_panel = access.is_on_panel(request.user, slot.round)
    if not on_panel:
        _round_for(request, slot.round_id)
    application = getattr(slot, "application", None)
    body = slot_invitation(slot, application, show_name=not slot.round.is_anonymous)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="interview-{slot.pk}.ics"'
    return response


class _Echo:
    def write(self, value):
        return value


EXPORT_COLUMNS = [
    "candidate_number",
    "name",
    "email",
    "profession",
    "employer",
    "registration",
    "received_on",
    "late",
    "status",
    "shortlisting_total",
    "shortlisting_rank",
    "interview_total",
    "interview_rank",
    "statement",
]


def round_export(request, pk):
    """The round's applications as CSV, for its recruiters; formula-like cells are escaped."""
    round_ = _round_for(request, pk, act=True)
    shortlisting = {r.application.pk: r for r in selectors.ranking(round_, Criterion.Stage.SHORTLISTING).rows}
    interviews = {r.application.pk: r for r in selectors.ranking(round_, Criterion.Stage.INTERVIEW).rows}
    applications = round_.applications.select_related("person__profession").order_by("candidate_number")

    def rows():
        writer = csv.writer(_Echo())
        yield writer.writerow(EXPORT_COLUMNS)
        for a in applications:
            s, i = shortlisting.get(a.pk), interviews.get(a.pk)
            cells = [
                a.candidate_number,
                a.person.name,
                a.person.email,
                a.person.profession.name if a.person.profession else "",
                a.person.employer,
                a.person.registration,
                a.received_on.isoformat(),
                "yes" if a.is_late else "no",
                a.get_status_display(),
                s.total if s else "",
                s.rank if s else "",
                i.total if i else "",
                i.rank if i else "",
                a.statement,
            ]
            yield writer.writerow([safe_cell(c) for c in cells])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"{round_.role.place.slug}-{round_.role.pk}-round-{round_.number}-applications.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("places/<slug:place>/", place_rounds, name="place_rounds"),
    path("roles/<int:pk>/", role_rounds, name="role_rounds"),
    path("rounds/<int:pk>/", round_detail, name="round_detail"),
    path("rounds/<int:pk>/shortlist/", round_shortlist, name="round_shortlist"),
    path("rounds/<int:pk>/steps/<slug:step>/", round_step, name="round_step"),
    path("rounds/<int:pk>/contract/", contract_record, name="contract_record"),
    path("rounds/<int:pk>/applications.csv", round_export, name="round_export"),
    path("offers/<int:pk>/<slug:answer>/", offer_answer, name="offer_answer"),
    path("applications/<int:pk>/", application_detail, name="application_detail"),
    path("applications/<int:pk>/<slug:action>/", application_act, name="application_act"),
    path("slots/<int:pk>/invitation.ics", slot_ics, name="slot_ics"),
]
