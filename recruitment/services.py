"""Every write in recruitment: applications, shortlisting, scoring, interviews, offers, contracts.

Each service checks who is asking (`roles.permissions.may_recruit`, or the panel for scores), locks
the role's place and the role (`roles.services.role_lock`, the order every writer uses) and then the
round, re-reads what it changes, writes its rows and an `ApplicationEvent` for every application it
touches, and moves the role through `roles.services.role_move` in the same transaction where the
step is a role move too (shortlisting, interviews, an offer, the contract, not appointed). A refusal
is a `roles.services.ChangeRefused` with the fix in its message, and nothing is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils import timezone

from roles import permissions
from roles.formatting import day
from roles.models import AdvertRound, Declaration, Person, Role, RoleStatus
from roles.services import ChangeRefused, MoveDetails, MoveNotAllowed, role_lock, role_move

from . import notices
from .models import (
    APPLICATION_MOVES,
    LIVE_STATUSES,
    REJECTED_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Contract,
    Criterion,
    EqualityAnswers,
    InterviewSlot,
    Offer,
    PanelMember,
    Score,
)
from .selectors import ranking

log = logging.getLogger(__name__)
A = ApplicationStatus
S = RoleStatus
Kind = ApplicationEvent.Kind


# --- Locks and checks -------------------------------------------------------------------------------


def _lock_round(round_: AdvertRound) -> tuple[Role, AdvertRound]:
    """Lock the round's place, role and round, in that order, and return the role and round afresh."""
    role = role_lock(round_.role)
    locked = AdvertRound.objects.select_for_update(of=("self",)).get(pk=round_.pk)
    locked.role = role
    return role, locked


def _lock_application(application: Application) -> tuple[Role, AdvertRound, Application]:
    role, round_ = _lock_round(application.round)
    locked = Application.objects.select_for_update(of=("self",)).select_related("person").get(pk=application.pk)
    locked.round = round_
    return role, round_, locked


def must_recruit(by, role: Role) -> None:
    """`by` None is the system: a management command run from the server's shell (audited as "system")."""
    if by is not None and not permissions.may_recruit(by, role.place):
        raise MoveNotAllowed(f"Your account does not run recruitment for {role.place}: ask its HR recruiter.")


def is_current_round(round_: AdvertRound, role: Role) -> bool:
    return not role.advert_rounds.filter(number__gt=round_.number).exists()


def _must_be_current(round_: AdvertRound, role: Role) -> None:
    if not is_current_round(round_, role):
        raise ChangeRefused(
            f"Round {round_.number} of “{role.title}” has been followed by a later advert: work in the latest round."
        )


def _stage(role: Role, *allowed: str, doing: str) -> None:
    if role.status not in allowed:
        wanted = " or ".join(S(s).label.lower() for s in allowed)
        raise ChangeRefused(f"{doing} needs “{role.title}” to be {wanted}; it is {S(role.status).label.lower()}.")


def _event(application: Application, kind: str, by, *, to: str = "", reason: str = "", **details) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        from_status=application.status if to else "",
        to_status=to,
        by=by if getattr(by, "is_authenticated", False) else None,
        reason=reason,
        details=details,
    )


def _set_status(application: Application, to: str, by, *, reason: str = "", kind: str = Kind.MOVED, **details) -> None:
    """Move an application (already locked) and write its history row."""
    if kind == Kind.MOVED and to not in APPLICATION_MOVES[application.status]:
        raise ChangeRefused(
            f"{application.label} is {A(application.status).label.lower()}: it cannot become {A(to).label.lower()}."
        )
    _event(application, kind, by, to=to, reason=reason, **details)
    application.status = to
    application.status_changed_at = timezone.now()
    application.save(update_fields=["status", "status_changed_at"])


# --- Applications -----------------------------------------------------------------------------------

PERSON_FIELDS = ("name", "email", "phone", "profession", "employer", "registration")


@dataclass
class NewApplication:
    """One application to add: the person's details, the statement and when it was received."""

    name: str
    email: str
    received_on: dt.date
    statement: str = ""
    profession: object = None  # a roles.Profession
    employer: str = ""
    registration: str = ""
    phone: str = ""
    equality: dict = field(default_factory=dict)  # EqualityAnswers field -> answer


def applications_add(*, round: AdvertRound, applications: list[NewApplication], by) -> list[Application]:
    """Add applications to a round, all or none. An e-mail already in the round is refused, not doubled;
    a person already known by their e-mail is the same `Person`."""
    with transaction.atomic():
        role, round_ = _lock_round(round)
        must_recruit(by, role)
        _must_be_current(round_, role)
        _stage(role, S.ADVERTISED, S.SHORTLISTING, doing="Adding applications")
        if round_.shortlist_closed_at:
            raise ChangeRefused(f"Shortlisting for round {round_.number} has closed: no more applications.")
        emails = [new.email.strip().lower() for new in applications]
        repeated = sorted({e for e in emails if emails.count(e) > 1})
        if repeated:
            raise ChangeRefused(f"{', '.join(repeated)} appears more than once: give each applicant once.")
        already = set(
            round_.applications.annotate(e=Lower("person__email")).filter(e__in=emails).values_list("e", flat=True)
        )
        if already:
            raise ChangeRefused(f"Already applied to this round: {', '.join(sorted(already))}. Nothing was added.")
        people = {p.email.lower(): p for p in Person.objects.annotate(e=Lower("email")).filter(e__in=emails)}
        number = (round_.applications.aggregate(n=Max("candidate_number"))["n"] or 0) + 1
        added = []
        for new in applications:
            person = people.get(new.email.strip().lower())
            if person is None:
                person = Person(
                    name=new.name.strip(),
                    email=new.email.strip(),
                    phone=new.phone.strip(),
                    profession=new.profession,
                    employer=new.employer.strip(),
                    registration=new.registration.strip(),
                )
                _full_clean(person, f"{new.name}: ")
                person.save()
            application = Application(
                round=round_,
                person=person,
                candidate_number=number,
                statement=new.statement,
                received_on=new.received_on,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
            _full_clean(application, f"{new.name}: ", exclude=["round", "person", "interview_slot", "created_by"])
            application.save()
            _event(application, Kind.RECEIVED, by, late=application.is_late)
            if any(new.equality.values()):
                answers = EqualityAnswers(application=application, **new.equality)
                _full_clean(answers, f"{new.name}'s equality answers: ", exclude=["application"])
                answers.save()
            number += 1
            added.append(application)
    log.info("%d applications added to round %s by %s", len(added), round.pk, by)
    return added


def _full_clean(obj, prefix: str, exclude=None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        problems = [f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items()]
        raise ChangeRefused(prefix + "; ".join(problems)) from error


def application_accept_late(*, application: Application, by, reason: str = "") -> Application:
    with transaction.atomic():
        role, round_, application = _lock_application(application)
        must_recruit(by, role)
        if not application.is_late:
            raise ChangeRefused(f"{application.label} arrived on time: there is nothing to accept.")
        if application.late_accepted_at:
            raise ChangeRefused(f"{application.label}'s late arrival was already accepted.")
        application.late_accepted_at = timezone.now()
        application.save(update_fields=["late_accepted_at"])
        _event(
            application, Kind.LATE_ACCEPTED, by, reason=reason.strip(), received_on=application.received_on.isoformat()
        )
    return application


def applications_shortlist(*, applications: list[Application], shortlisted: bool, by, reason: str = "") -> None:
    """The shortlisting decision for one or more applications of one round (the kanban's buttons)."""
    if not applications:
        raise ChangeRefused("Choose at least one application.")
    rounds = {a.round_id for a in applications}
    if len(rounds) > 1:
        raise ChangeRefused("Shortlist one round at a time.")
    to = A.SHORTLISTED if shortlisted else A.NOT_SHORTLISTED
    with transaction.atomic():
        role, round_ = _lock_round(applications[0].round)
        must_recruit(by, role)
        _must_be_current(round_, role)
        _stage(role, S.SHORTLISTING, doing="Shortlisting")
        if round_.shortlist_closed_at:
            raise ChangeRefused("Shortlisting has closed for this round: reinstate an application instead.")
        locked = Application.objects.select_for_update(of=("self",)).filter(
            pk__in=[a.pk for a in applications], round=round_
        )
        for application in locked.order_by("pk"):
            application.round = round_
            if shortlisted and application.awaits_late_accept:
                raise ChangeRefused(
                    f"{application.label} arrived on {day(application.received_on)}, after the closing date: "
                    "accept the late application first, or decide not to shortlist it."
                )
            if application.status != to:
                _set_status(application, to, by, reason=reason.strip())


def shortlisting_start(*, round: AdvertRound, by, today: dt.date | None = None) -> None:
    """The advert has closed: move the role to shortlisting (the role's own rule checks the date)."""
    with transaction.atomic():
        role, round_ = _lock_round(round)
        must_recruit(by, role)
        _must_be_current(round_, role)
        role_move(role=role, to=S.SHORTLISTING, by=by, expected_status=S.ADVERTISED, today=today)


def shortlist_close(*, round: AdvertRound, by, today: dt.date | None = None) -> None:
    """Close shortlisting: every application decided, at least one shortlisted. Names are shown to the
    panel from now on, the not shortlisted are told, and the role moves to interviewing."""
    with transaction.atomic():
        role, round_ = _lock_round(round)
        must_recruit(by, role)
        _must_be_current(round_, role)
        _stage(role, S.SHORTLISTING, doing="Closing the shortlist")
        undecided = [a.label for a in round_.applications.filter(status=A.RECEIVED).order_by("candidate_number")]
        if undecided:
            raise ChangeRefused(f"Decide on every application before closing the shortlist: {', '.join(undecided)}.")
        if not round_.applications.filter(status=A.SHORTLISTED).exists():
            raise ChangeRefused(
                "Nobody is shortlisted. Shortlist at least one candidate, or close the round as not appointed."
            )
        round_.shortlist_closed_at = timezone.now()
        round_.save(update_fields=["shortlist_closed_at"])
        role_move(role=role, to=S.INTERVIEWING, by=by, expected_status=S.SHORTLISTING, today=today)
        for application in round_.applications.filter(status__in=[A.SHORTLISTED, A.NOT_SHORTLISTED]):
            notices.outcome(application, by=by)


def application_reinstate(*, application: Application, by, reason: str) -> Application:
    """Undo a rejection: the application goes back to the state it was rejected from."""
    if not reason.strip():
        raise ChangeRefused("Say why the application is reinstated: a reason is required.")
    with transaction.atomic():
        role, round_, application = _lock_application(application)
        must_recruit(by, role)
        if application.status not in REJECTED_STATUSES:
            raise ChangeRefused(
                f"{application.label} is {A(application.status).label.lower()}: only a rejected application can be "
                "reinstated."
            )
        _must_be_current(round_, role)
        rejected = application.events.filter(to_status=application.status).order_by("-at", "-pk").first()
        back_to = rejected.from_status if rejected and rejected.from_status else A.RECEIVED
        if back_to == A.RECEIVED and round_.shortlist_closed_at:
            back_to = A.SHORTLISTED  # the shortlist has closed: a reinstated candidate joins it
        if back_to == A.OFFERED:
            back_to = A.INTERVIEWED  # a declined offer is not reopened: a new offer is made instead
        if role.status not in {S.SHORTLISTING, S.INTERVIEWING, S.OFFERED}:
            raise ChangeRefused(
                f"“{role.title}” is {S(role.status).label.lower()}: reinstating needs the round still recruiting."
            )
        _set_status(application, back_to, by, reason=reason.strip(), kind=Kind.REINSTATED)
    return application


def application_withdraw(*, application: Application, by, reason: str = "") -> Application:
    with transaction.atomic():
        role, round_, application = _lock_application(application)
        must_recruit(by, role)
        if application.status not in LIVE_STATUSES:
            raise ChangeRefused(
                f"{application.label} is {A(application.status).label.lower()}: it cannot be withdrawn."
            )
        open_offer = application.offers.filter(status=Offer.Status.MADE).first()
        if open_offer:
            raise ChangeRefused(f"{application.label} holds an open offer: record it as declined instead.")
        _set_status(application, A.WITHDRAWN, by, reason=reason.strip() or "The applicant withdrew.")
        if application.interview_slot_id:
            application.interview_slot = None
            application.save(update_fields=["interview_slot"])
    return application


# --- Panel, scores and declared interests ---------------------------------------------------------------


def panel_member_for(user, round_: AdvertRound) -> PanelMember | None:
    person = Person.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None
    return round_.panel.filter(person=person).first() if person else None


def conflicted(panel_member: PanelMember, application: Application) -> Declaration | None:
    """The panel member's declared interest in this candidate, in this round, if any."""
    return (
        Declaration.objects.concerning(application.round)
        .filter(person_id=panel_member.person_id, about_person_id=application.person_id)
        .first()
    )


def scoring_stage(round_: AdvertRound, role: Role) -> str | None:
    """Which criteria the panel scores now: shortlisting's, interview's, or none."""
    if role.status == S.SHORTLISTING and not round_.shortlist_closed_at:
        return Criterion.Stage.SHORTLISTING
    if role.status == S.INTERVIEWING and round_.shortlist_closed_at:
        return Criterion.Stage.INTERVIEW
    return None


SCOREABLE = {
    Criterion.Stage.SHORTLISTING: frozenset({A.RECEIVED, A.SHORTLISTED, A.NOT_SHORTLISTED}),
    Criterion.Stage.INTERVIEW: frozenset({A.SHORTLISTED, A.INTERVIEWED}),
}


def scores_save(*, application: Application, values: dict[int, int | None], by) -> list[Score]:
    """A panel member's scores of one application, criterion id -> score (None clears it)."""
    with transaction.atomic():
        role, round_, application = _lock_application(application)
        member = panel_member_for(by, round_)
        if member is None:
            raise MoveNotAllowed("Only the round's panel members score its candidates: ask the recruiter to add you.")
        stage = scoring_stage(round_, role)
        if stage is None or not is_current_round(round_, role):
            raise ChangeRefused(
                "Scoring is closed for this round: the recruiter opens it at shortlisting and interview."
            )
        if application.status not in SCOREABLE[stage] or application.awaits_late_accept:
            raise ChangeRefused(f"{application.label} is not being scored at this stage.")
        if conflicted(member, application):
            raise ChangeRefused(
                f"You declared an interest in {application.label}: your scores for them are not counted, "
                "so none are taken."
            )
        criteria = {c.pk: c for c in round_.criteria.filter(stage=stage)}
        unknown = set(values) - set(criteria)
        if unknown:
            raise ChangeRefused("Some scores are for criteria this stage does not use: reload the page.")
        saved = []
        for pk, value in values.items():
            criterion = criteria[pk]
            existing = Score.objects.filter(application=application, criterion=criterion, panel_member=member)
            if value is None:
                existing.delete()
                continue
            if not criterion.min_score <= value <= criterion.max_score:
                raise ChangeRefused(
                    f"“{criterion.title}” is scored from {criterion.min_score} to {criterion.max_score}; {value} is "
                    "outside that range."
                )
            score, _ = Score.objects.update_or_create(
                application=application,
                criterion=criterion,
                panel_member=member,
                defaults={"value": value, "scored_at": timezone.now()},
            )
            saved.append(score)
    return saved


def interest_declare(
    *, application: Application, by, interest: str, panel_member: PanelMember | None = None
) -> Declaration:
    """Record, in the one register, that a panel member has an interest in a candidate. Their scores for
    that candidate stop counting (they are kept, and the ranking says which were left out).

    The panel member declares for themselves (`panel_member` None); a recruiter may record it for one."""
    if not interest.strip():
        raise ChangeRefused("Say what the interest is (e.g. “same practice as the candidate”).")
    with transaction.atomic():
        role, round_, application = _lock_application(application)
        if panel_member is None:
            panel_member = panel_member_for(by, round_)
            if panel_member is None:
                raise MoveNotAllowed("Only the round's panel members declare interests here.")
        else:
            must_recruit(by, role)
            if panel_member.round_id != round_.pk:
                raise ChangeRefused(f"{panel_member.person} is not on this round's panel.")
        if conflicted(panel_member, application):
            raise ChangeRefused(f"An interest in {application.label} is already declared.")
        return Declaration.objects.create(
            person=panel_member.person,
            about_person=application.person,
            interest=interest.strip(),
            context=round_,
            action=Declaration.Action.EXCLUDED_FROM_SCORING,
            notes=f"Declared while scoring {application.label}; their scores for this candidate are left out "
            "of the total.",
            recorded_by=by,
        )


# --- Interviews -------------------------------------------------------------------------------------


def interview_book(*, application: Application, slot: InterviewSlot | None, by) -> Application:
    """Book a shortlisted candidate into a free slot of their round (None cancels the booking)."""
    with transaction.atomic():
        role, round_, application = _lock_application(application)
        must_recruit(by, role)
        if slot is not None:
            slot = InterviewSlot.objects.select_for_update(of=("self",)).get(pk=slot.pk)
            if slot.round_id != round_.pk:
                raise ChangeRefused("That slot belongs to another round: choose one of this round's slots.")
            if application.status != A.SHORTLISTED:
                raise ChangeRefused(
                    f"Only shortlisted candidates are booked; {application.label} is "
                    f"{A(application.status).label.lower()}."
                )
            taken = Application.objects.filter(interview_slot=slot).exclude(pk=application.pk).first()
            if taken:
                raise ChangeRefused(f"{slot} is already booked for {taken.label}: choose a free slot.")
        application.interview_slot = slot
        try:
            with transaction.atomic():
                application.save(update_fields=["interview_slot"])
        except IntegrityError as error:
            raise ChangeRefused("That slot was booked meanwhile: choose a free slot.") from error
        _event(application, Kind.BOOKED, by, slot=str(slot) if slot else "cancelled")
        if slot is not None:
            notices.interview_invitation(application, slot, by=by)
    return application


def interview_held(*, application: Application, by) -> Application:
    with transaction.atomic():
        role, round_, application = _lock_application(application)
        must_recruit(by, role)
        _stage(role, S.INTERVIEWING, S.OFFERED, doing="Recording an interview")
        _set_status(application, A.INTERVIEWED, by)
    return application


# --- Offers and contracts -----------------------------------------------------------------------------


def offer_make(*, application: Application, by, today: dt.date | None = None, reason: str = "") -> Offer:
    """Offer the role to an interviewed candidate. The first offer moves the role to offered."""
    with transaction.atomic():
        role, round_, application = _lock_application(application)
        must_recruit(by, role)
        _must_be_current(round_, role)
        _stage(role, S.INTERVIEWING, S.OFFERED, doing="Making an offer")
        if round_.offers.filter(status__in=[Offer.Status.MADE, Offer.Status.ACCEPTED]).exists():
            raise ChangeRefused("This round already has an open or accepted offer: record its answer first.")
        if application.status != A.INTERVIEWED:
            raise ChangeRefused(
                f"{application.label} is {A(application.status).label.lower()}: offers go to interviewed candidates."
            )
        offer = Offer.objects.create(round=round_, application=application, made_by=by, notes=reason.strip())
        _set_status(application, A.OFFERED, by, reason=reason.strip())
        if role.status == S.INTERVIEWING:
            role_move(role=role, to=S.OFFERED, by=by, expected_status=S.INTERVIEWING, today=today)
        notices.outcome(application, by=by)
    return offer


def _lock_offer(offer: Offer) -> tuple[Role, AdvertRound, Offer]:
    role, round_ = _lock_round(offer.round)
    locked = Offer.objects.select_for_update(of=("self",)).select_related("application__person").get(pk=offer.pk)
    locked.round = locked.application.round = round_
    return role, round_, locked


def offer_accept(*, offer: Offer, by) -> Offer:
    with transaction.atomic():
        role, round_, offer = _answer(offer, Offer.Status.ACCEPTED, by)
        _event(offer.application, Kind.OFFER_ACCEPTED, by)
    return offer


def _answer(offer: Offer, answer: str, by) -> tuple[Role, AdvertRound, Offer]:
    """Lock the offer and record the candidate's answer to it; only an open offer is answered."""
    role, round_, offer = _lock_offer(offer)
    must_recruit(by, role)
    if offer.status != Offer.Status.MADE:
        verb = "accepted" if answer == Offer.Status.ACCEPTED else "declined"
        raise ChangeRefused(f"This offer is {offer.get_status_display().lower()}: only an open offer can be {verb}.")
    offer.status, offer.answered_at, offer.answered_by = answer, timezone.now(), by
    offer.save(update_fields=["status", "answered_at", "answered_by"])
    return role, round_, offer


def offer_decline(
    *, offer: Offer, by, reason: str = "", then: str = "next", today: dt.date | None = None
) -> Offer | None:
    """The candidate declines (or the offer is withdrawn). `then="next"` offers the role to the next
    ranked interviewed candidate, if there is one; otherwise, or with `then="not_appointed"`, the
    round closes unfilled. Returns the next offer, if one was made."""
    if then not in {"next", "not_appointed"}:
        raise ChangeRefused("After a declined offer, choose the next candidate or not appointed.")
    with transaction.atomic():
        role, round_, offer = _answer(offer, Offer.Status.DECLINED, by)
        application = Application.objects.select_for_update(of=("self",)).get(pk=offer.application_id)
        application.round = round_
        _set_status(application, A.NOT_APPOINTED, by, reason=reason.strip() or "Declined the offer.")
        nxt = _next_candidate(round_) if then == "next" else None
        if nxt is None:
            _close_unfilled(
                role,
                round_,
                by,
                reason=reason.strip() or "The offer was declined and no one else was offered.",
                today=today,
            )
            return None
        next_offer = Offer.objects.create(
            round=round_, application=nxt, made_by=by, notes="Next ranked after a decline."
        )
        _set_status(nxt, A.OFFERED, by, reason="Next ranked after the offer was declined.")
        notices.outcome(nxt, by=by)
        return next_offer


def _next_candidate(round_: AdvertRound) -> Application | None:
    """The best-ranked interviewed candidate not yet offered (interview scores; shortlisting's break no ties)."""
    ranked = ranking(round_, Criterion.Stage.INTERVIEW)
    for row in ranked.rows:
        if row.application.status == A.INTERVIEWED:
            application = Application.objects.select_for_update(of=("self",)).get(pk=row.application.pk)
            application.round = round_
            return application
    return None


def contract_sign(
    *,
    offer: Offer,
    contract_type: str,
    starts_on: dt.date,
    ends_on: dt.date,
    signed_on: dt.date,
    by,
    sessions_per_week: Decimal | None = None,
    rate_per_session: Decimal | None = None,
    override_reason: str = "",
    today: dt.date | None = None,
) -> Contract:
    """Record the signed contract: the role moves to contracted with the appointee and the contract's
    dates, sessions and rate (the contract's terms become the role's), under the budget guard; the
    others still in the round are told the post is filled."""
    with transaction.atomic():
        role, round_, offer = _lock_offer(offer)
        must_recruit(by, role)
        if offer.status != Offer.Status.ACCEPTED:
            raise ChangeRefused("Only an accepted offer leads to a contract: record the candidate's acceptance first.")
        if Contract.objects.filter(offer=offer).exists():
            raise ChangeRefused("This offer already has a contract.")
        contract = Contract(
            offer=offer,
            contract_type=contract_type,
            starts_on=starts_on,
            ends_on=ends_on,
            signed_on=signed_on,
            sessions_per_week=sessions_per_week or role.sessions_per_week,
            rate_per_session=rate_per_session or role.rate_per_session,
            recorded_by=by,
        )
        _full_clean(contract, "The contract: ", exclude=["offer"])
        contract.save()
        person = offer.application.person
        role_move(
            role=role,
            to=S.CONTRACTED,
            by=by,
            expected_status=S.OFFERED,
            details=MoveDetails(
                appointee=person,
                contract_start=starts_on,
                contract_end=ends_on,
                sessions_per_week=contract.sessions_per_week,
                rate_per_session=contract.rate_per_session,
            ),
            override_reason=override_reason,
            today=today,
        )
        application = Application.objects.select_for_update(of=("self",)).get(pk=offer.application_id)
        application.round = round_
        _set_status(application, A.APPOINTED, by, reason=f"Contract signed on {day(signed_on)}.")
        _not_appointed(round_, by, reason="The post was filled.")
    return contract


def round_close_unfilled(*, round: AdvertRound, by, reason: str, today: dt.date | None = None) -> None:
    """Nobody is appointed from this round: live applications become not appointed, and so does the role."""
    if not reason.strip():
        raise ChangeRefused("Say why nobody is appointed: a reason is required.")
    with transaction.atomic():
        role, round_ = _lock_round(round)
        must_recruit(by, role)
        _must_be_current(round_, role)
        if round_.offers.filter(status=Offer.Status.MADE).exists():
            raise ChangeRefused("An offer is still open: record its answer first.")
        _close_unfilled(role, round_, by, reason=reason.strip(), today=today)


def _close_unfilled(role: Role, round_: AdvertRound, by, *, reason: str, today) -> None:
    _not_appointed(round_, by, reason=reason)
    role_move(role=role, to=S.NOT_APPOINTED, by=by, reason=reason, today=today)


def _not_appointed(round_: AdvertRound, by, *, reason: str) -> None:
    """Everyone still in the round is told they were not appointed (not shortlisted, for those still
    awaiting the shortlisting decision)."""
    for application in round_.applications.select_for_update(of=("self",)).filter(status__in=LIVE_STATUSES):
        application.round = round_
        to = A.NOT_SHORTLISTED if application.status == A.RECEIVED else A.NOT_APPOINTED
        _set_status(application, to, by, reason=reason)
        notices.outcome(application, by=by)


# --- The advert ---------------------------------------------------------------------------------------

ADVERT_FIELDS = ("advert_text", "sessions_shown", "pay_shown", "advertised_where", "eligible_professions")


def advert_save(*, round: AdvertRound, values: dict, by) -> AdvertRound:
    """Edit what a round's advert says and where it ran (its dates are the advertise move's)."""
    unknown = set(values) - set(ADVERT_FIELDS)
    if unknown:
        raise ValueError(f"advert edits cannot set {', '.join(sorted(unknown))}")
    with transaction.atomic():
        role, round_ = _lock_round(round)
        if not (permissions.may_recruit(by, role.place) or permissions.can_edit_catalogue(by, role.place)):
            raise MoveNotAllowed(f"Your account may not change {role.place}'s adverts.")
        professions = values.pop("eligible_professions", None)
        for name, value in values.items():
            setattr(round_, name, value)
        _full_clean(round_, "The advert: ", exclude=["role"])
        round_._history_user = by
        if values:
            round_.save(update_fields=list(values))
        if professions is not None:
            round_.eligible_professions.set(professions)
    return round_
