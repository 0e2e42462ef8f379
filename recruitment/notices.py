"""What applicants and panels are told: the outcome of each stage, and interview invitations.

Mail goes out after the transaction commits (never for a change that was rolled back), and each
notice leaves an "applicant told" row in the application's history saying what was sent, to whom,
and whether it failed.
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import transaction

from .calendar import slot_invitation
from .models import Application, ApplicationEvent, ApplicationStatus, InterviewSlot

log = logging.getLogger(__name__)
A = ApplicationStatus

OUTCOMES = {
    A.SHORTLISTED: "You have been shortlisted for interview. We will send you the time and place.",
    A.NOT_SHORTLISTED: "Thank you for applying. On this occasion you have not been shortlisted for interview.",
    A.OFFERED: "Following your interview, we are pleased to offer you the role. "
    "We will be in touch about the contract.",
    A.NOT_APPOINTED: "Thank you for your time. On this occasion we are not able to offer you the role.",
}


def outcome(application: Application, *, by) -> None:
    """Tell the applicant where their application now stands, once the change is committed."""
    text = OUTCOMES.get(application.status)
    if not text:
        return
    role = application.round.role
    subject = f"Your application: {role.title}, {role.place}"
    body = f"Dear {application.person.name},\n\n{text}\n\n{role.place} Local Care Partnership"
    _send_after_commit(application, subject, body, [application.person.email], by=by, what=application.status)


def interview_invitation(application: Application, slot: InterviewSlot, *, by) -> None:
    """The candidate's invitation, and the panel's, each with the slot's .ics attached."""
    role = application.round.role
    subject = f"Interview: {role.title}, {role.place}"
    when = f"{slot} ({slot.where})"
    body = (
        f"Dear {application.person.name},\n\nYour interview is booked: {when}.\n\n{role.place} Local Care Partnership"
    )
    invite = slot_invitation(slot, application, show_name=True)
    _send_after_commit(application, subject, body, [application.person.email], by=by, what="interview", ics=invite)
    panel = [m.person.email for m in slot.round.panel.select_related("person") if m.person.email]
    if panel:
        panel_body = f"You are on the panel for {role.title}: {when}, {application.label_for_panel}."
        panel_invite = slot_invitation(slot, application, show_name=not slot.round.is_anonymous)
        _send_after_commit(
            application,
            subject,
            panel_body,
            panel,
            by=by,
            what="interview (panel)",
            ics=panel_invite,
            to_applicant=False,
        )


def _send_after_commit(
    application: Application, subject, body, to, *, by, what: str, ics: bytes | None = None, to_applicant=True
):
    recipients = [address for address in to if address]
    by_id = by.pk if getattr(by, "is_authenticated", False) else None

    def send():
        sent, problem = False, ""
        if not recipients:
            problem = "no e-mail address on record"
        else:
            message = EmailMessage(subject, body, to=recipients)
            if ics:
                message.attach("interview.ics", ics, "text/calendar")
            try:
                message.send()
                sent = True
            except Exception as error:  # noqa: BLE001 - any mail failure is recorded, not raised
                problem = f"{type(error).__name__}: {error}"
                log.warning("notice to %s failed: %s", recipients, problem)
        ApplicationEvent.objects.create(
            application=application,
            kind=ApplicationEvent.Kind.TOLD,
            by_id=by_id,
            details={"what": what, "to": "applicant" if to_applicant else "panel", "sent": sent, "problem": problem},
        )

    transaction.on_commit(send)
