"""Reminders: which ones a day makes, to whom, each once, and what happens when sending fails.

Days are given to the sweep (`reminders.sweep(today=...)`), so each test reads as a calendar: Bexley's
plan of Table 4 (Jan to Apr 2022), the 31 March 2022 contract cliff, an advert closing, an interview.
Mail is Django's locmem outbox; a refusing mail server is a stand-in backend (the outside world).
Sending happens in this process (`in_process=True`), through the same task and its retries.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leadership.celery import app
from recruitment import plans, reminders, services, tasks
from recruitment.models import InterviewSlot, Milestone, Reminder, ReminderSettings, When
from recruitment.reminder_views import urlpatterns as reminder_urlpatterns
from roles.models import AccessKind, AdvertRound, RoleStatus
from tests.factories import PlaceFactory, RoleFactory, member
from tests.recruiting import RoundSetup, panel_user

pytestmark = pytest.mark.django_db

K = Reminder.Kind
St = Reminder.Status
S = RoleStatus
D = dt.date


# --- The world ----------------------------------------------------------------------------------------------


@pytest.fixture
def people(place):
    """Bexley's place team member, HR recruiter and board secretariat, and its ICS's administrator."""
    return SimpleNamespace(
        team=member(
            AccessKind.PLACE_TEAM,
            place=place,
            username="bea",
            first_name="Bea",
            last_name="Bexley",
            email="bea@bexley.example.nhs.uk",
        ),
        hr=member(
            AccessKind.HR_RECRUITER,
            place=place,
            username="hari",
            first_name="Hari",
            last_name="Recruiter",
            email="hari@sel.example.nhs.uk",
        ),
        secretariat=member(AccessKind.SECRETARIAT, place=place, username="sam", email="sam@bexley.example.nhs.uk"),
        ics_admin=member(
            AccessKind.ICS_ADMIN,
            ics=place.ics,
            username="ida",
            first_name="Ida",
            last_name="Administrator",
            email="ida@sel.example.nhs.uk",
        ),
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """`run(day)`: the morning sweep of that day, sending here; returns the mails it sent."""

    def sweep_on(day: dt.date, **kwargs):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            reminders.sweep(today=day, in_process=True, **kwargs)
        return mail.outbox[before:]

    return sweep_on


def told(mails) -> list[tuple[str, str]]:
    return sorted((m.subject, m.to[0]) for m in mails)


class RefusingMailServer(BaseEmailBackend):
    """The outside world saying no: every message is refused."""

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


class MailServerDownOnce(BaseEmailBackend):
    """Refuses the first message, then takes them (the locmem outbox behind it)."""

    refused = 0

    def send_messages(self, messages):
        if MailServerDownOnce.refused == 0:
            MailServerDownOnce.refused += 1
            raise TimeoutError("timed out")
        mail.outbox.extend(messages)
        return len(messages)


def invitation(message) -> str:
    """The text of a mail's .ics attachment."""
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("interview.ics", "text/calendar")
    return content.decode() if isinstance(content, bytes) else content


def milestone(place, title, when, starts_on, *, ends_on=None, owner=None, by=None):
    values = {"title": title, "when_kind": when, "starts_on": starts_on, "ends_on": ends_on, "owner": owner}
    return plans.milestone_save(place=place, values=values, by=by)


# --- Bexley's plan: Table 4 of the Bexley paper ------------------------------------------------------------

# (title, when, first day, last day of a range, owner): the plan as the paper writes it. The owners are
# ours (the paper names none); the second Borough Strategic Board has none, so the place team is told.
TABLE_4 = [
    ("Task & Finish Group Launched", When.WEEK, D(2022, 1, 31), None, "team"),
    ("Role Descriptions agreed and signed off", When.DATE, D(2022, 2, 18), None, "team"),
    ("Local Care Partnership Forum", When.TBC, None, None, "team"),
    ("Roles advertised", When.DATE, D(2022, 2, 21), None, "hr"),
    ("Borough Strategic Board – Update", When.DATE, D(2022, 2, 24), None, "team"),
    ("Deadline for applications", When.DATE, D(2022, 3, 4), None, "hr"),
    ("Shortlisting", When.RANGE, D(2022, 3, 7), D(2022, 3, 11), "hr"),
    ("Interviews", When.RANGE, D(2022, 3, 14), D(2022, 3, 25), "hr"),
    ("Borough Strategic Board", When.DATE, D(2022, 3, 31), None, None),
    ("Contracts", When.WEEK, D(2022, 3, 28), None, "hr"),
    ("Transition Arrangements Developed", When.WEEK, D(2022, 4, 4), None, "team"),
    ("Roles Commence", When.DATE, D(2022, 4, 4), None, "team"),
]
BEA, HARI = "bea@bexley.example.nhs.uk", "hari@sel.example.nhs.uk"

# Every mail of the plan's reminders, by the morning it went: 7 days and 1 day before each dated
# milestone falls due (a week's Friday, a range's last day), on the day, and, for the one left
# undone, the day after and a week later. The LCP Forum is TBC: never.
TABLE_4_REMINDERS = {
    D(2022, 1, 28): [("Due in 7 days: Task & Finish Group Launched (Bexley)", BEA)],
    D(2022, 2, 3): [("Due tomorrow: Task & Finish Group Launched (Bexley)", BEA)],
    D(2022, 2, 4): [("Due today: Task & Finish Group Launched (Bexley)", BEA)],
    D(2022, 2, 11): [("Due in 7 days: Role Descriptions agreed and signed off (Bexley)", BEA)],
    D(2022, 2, 14): [("Due in 7 days: Roles advertised (Bexley)", HARI)],
    D(2022, 2, 17): [
        ("Due in 7 days: Borough Strategic Board – Update (Bexley)", BEA),
        ("Due tomorrow: Role Descriptions agreed and signed off (Bexley)", BEA),
    ],
    D(2022, 2, 18): [("Due today: Role Descriptions agreed and signed off (Bexley)", BEA)],
    D(2022, 2, 20): [("Due tomorrow: Roles advertised (Bexley)", HARI)],
    D(2022, 2, 21): [("Due today: Roles advertised (Bexley)", HARI)],
    D(2022, 2, 23): [("Due tomorrow: Borough Strategic Board – Update (Bexley)", BEA)],
    D(2022, 2, 24): [("Due today: Borough Strategic Board – Update (Bexley)", BEA)],
    D(2022, 2, 25): [("Due in 7 days: Deadline for applications (Bexley)", HARI)],
    D(2022, 3, 3): [("Due tomorrow: Deadline for applications (Bexley)", HARI)],
    D(2022, 3, 4): [
        ("Due in 7 days: Shortlisting (Bexley)", HARI),
        ("Due today: Deadline for applications (Bexley)", HARI),
    ],
    D(2022, 3, 10): [("Due tomorrow: Shortlisting (Bexley)", HARI)],
    D(2022, 3, 11): [("Due today: Shortlisting (Bexley)", HARI)],
    D(2022, 3, 18): [("Due in 7 days: Interviews (Bexley)", HARI)],
    D(2022, 3, 24): [
        ("Due in 7 days: Borough Strategic Board (Bexley)", BEA),
        ("Due tomorrow: Interviews (Bexley)", HARI),
    ],
    D(2022, 3, 25): [
        ("Due in 7 days: Contracts (Bexley)", HARI),
        ("Due today: Interviews (Bexley)", HARI),
    ],
    D(2022, 3, 28): [("Due in 7 days: Roles Commence (Bexley)", BEA)],
    D(2022, 3, 30): [("Due tomorrow: Borough Strategic Board (Bexley)", BEA)],
    D(2022, 3, 31): [
        ("Due today: Borough Strategic Board (Bexley)", BEA),
        ("Due tomorrow: Contracts (Bexley)", HARI),
    ],
    D(2022, 4, 1): [
        ("Due in 7 days: Transition Arrangements Developed (Bexley)", BEA),
        ("Due today: Contracts (Bexley)", HARI),
    ],
    D(2022, 4, 3): [("Due tomorrow: Roles Commence (Bexley)", BEA)],
    D(2022, 4, 4): [("Due today: Roles Commence (Bexley)", BEA)],
    D(2022, 4, 7): [("Due tomorrow: Transition Arrangements Developed (Bexley)", BEA)],
    D(2022, 4, 8): [("Due today: Transition Arrangements Developed (Bexley)", BEA)],
    D(2022, 4, 9): [("Overdue by 1 day: Transition Arrangements Developed (Bexley)", BEA)],
    D(2022, 4, 16): [("Overdue by 8 days: Transition Arrangements Developed (Bexley)", BEA)],
}


@pytest.fixture
def table_4(place, people):
    owners = {"team": people.team, "hr": people.hr, None: None}
    return {
        title: milestone(place, title, when, first, ends_on=last, owner=owners[owner], by=people.team)
        for title, when, first, last, owner in TABLE_4
    }


def done_before(table_4, day: dt.date, by) -> None:
    """The plan kept up to date: every milestone that fell due before `day` marked done that day."""
    for item in table_4.values():
        if item.due_on and item.due_on < day:
            plans.milestone_done(milestone=item, by=by, on=item.due_on)


def test_bexleys_plan_reminds_each_owner_before_on_the_day_and_weekly_while_late(place, people, table_4, run):
    """Each morning from 24 Jan to 24 Apr 2022 the sweep runs; each milestone is marked done on the
    day it falls due, except the transition arrangements, done on 19 Apr."""
    sent = {}
    day = D(2022, 1, 24)
    while day <= D(2022, 4, 24):
        mails = run(day)
        if mails:
            sent[day] = told(mails)
        for item in Milestone.objects.filter(place=place, done_on__isnull=True):
            late = item.title == "Transition Arrangements Developed"
            if item.due_on == day and not late or late and day == D(2022, 4, 19):
                plans.milestone_done(milestone=item, by=people.team, on=day)
        day += dt.timedelta(days=1)

    assert sent == {day: sorted(mails) for day, mails in TABLE_4_REMINDERS.items()}
    assert Reminder.objects.count() == sum(len(mails) for mails in TABLE_4_REMINDERS.values())
    assert set(Reminder.objects.values_list("status", flat=True)) == {St.SENT}


def test_a_reminder_says_what_is_due_when_and_is_recorded_with_who_and_when_it_was_sent(place, people, table_4, run):
    done_before(table_4, D(2022, 2, 11), people.team)
    [message] = run(D(2022, 2, 11))

    assert message.to == [BEA]
    assert "“Role Descriptions agreed and signed off” (Bexley) falls due in 7 days, on Friday 18 Feb 2022" in (
        message.body
    )
    row = Reminder.objects.get()
    assert (row.kind, row.subject_key, row.due_on) == (
        K.MILESTONE_BEFORE,
        f"milestone:{table_4[TABLE_4[1][0]].pk}",
        D(2022, 2, 11),
    )
    assert (row.recipient, row.email, row.status, row.attempts) == (people.team, BEA, St.SENT, 1)
    assert row.sent_at is not None and row.last_error == ""


def test_the_sweep_run_twice_makes_and_sends_each_reminder_once(place, people, table_4, run):
    done_before(table_4, D(2022, 3, 24), people.team)
    first = run(D(2022, 3, 24))
    second = run(D(2022, 3, 24))

    assert len(first) == 2 and second == []
    assert Reminder.objects.count() == 2


def test_a_morning_missed_is_made_up_the_next_day_while_the_milestone_is_still_ahead(place, people, table_4, run):
    done_before(table_4, D(2022, 2, 17), people.team)
    """No sweep on 17 Feb: on the 18th the Board update's 7-day reminder comes a day late (now 6 days
    ahead), and the sign-off's "tomorrow" is not sent on the day itself: "today" replaces it."""
    mails = run(D(2022, 2, 18))

    assert told(mails) == [
        ("Due in 6 days: Borough Strategic Board – Update (Bexley)", BEA),
        ("Due today: Role Descriptions agreed and signed off (Bexley)", BEA),
    ]


def test_a_milestone_done_early_gets_no_more_reminders(place, people, table_4, run):
    done_before(table_4, D(2022, 3, 9), people.team)
    plans.milestone_done(milestone=table_4["Shortlisting"], by=people.hr, on=D(2022, 3, 9))

    assert run(D(2022, 3, 10)) == []
    assert run(D(2022, 3, 11)) == []
    assert run(D(2022, 3, 12)) == []


def test_a_place_chooses_its_own_days_before(place, people, run):
    ReminderSettings.objects.create(place=place, days_before="14, 3")
    milestone(place, "Borough Strategic Board", When.DATE, D(2022, 3, 31), owner=people.team, by=people.team)

    days = [day for day in (D(2022, 3, 17), D(2022, 3, 24), D(2022, 3, 28), D(2022, 3, 30)) if run(day)]

    assert days == [D(2022, 3, 17), D(2022, 3, 28)]


def test_a_milestone_with_no_owner_reminds_the_place_team_and_not_the_others(place, people, run):
    second = member(AccessKind.PLACE_TEAM, place=place, username="ben", email="ben@bexley.example.nhs.uk")
    other = PlaceFactory(ics=place.ics, name="Greenwich", slug="greenwich")
    member(AccessKind.PLACE_TEAM, place=other, username="gail", email="gail@greenwich.example.nhs.uk")
    milestone(place, "Borough Strategic Board", When.DATE, D(2022, 3, 31), by=people.team)

    mails = run(D(2022, 3, 31))

    assert sorted(m.to[0] for m in mails) == [BEA, second.email]


def test_someone_with_no_email_address_is_recorded_as_failed_with_the_reason_not_dropped(place, people, run):
    people.team.email = ""
    people.team.save()
    second = member(AccessKind.PLACE_TEAM, place=place, username="ben", first_name="Ben", last_name="Nomail")
    milestone(place, "Borough Strategic Board", When.DATE, D(2022, 3, 31), by=people.hr)

    assert run(D(2022, 3, 31)) == []

    rows = Reminder.objects.order_by("recipient_id")
    assert [(r.recipient, r.status) for r in rows] == [(people.team, St.FAILED), (second, St.FAILED)]
    assert rows[1].last_error == "Ben Nomail has no e-mail address: add one to reach them."
    assert run(D(2022, 3, 31)) == [] and Reminder.objects.count() == 2


def test_a_place_with_nobody_to_tell_records_the_reminder_as_failed(place, run):
    milestone(place, "Borough Strategic Board", When.DATE, D(2022, 3, 31))

    run(D(2022, 3, 31))

    row = Reminder.objects.get()
    assert (row.status, row.email, row.recipient) == (St.FAILED, reminders.NOBODY, None)
    assert (
        row.last_error == "Borough Strategic Board has no owner and Bexley has no place team member: give it an owner."
    )


# --- Adverts, interviews, contracts, reviews ----------------------------------------------------------------


def test_an_advert_closing_in_three_days_tells_the_places_recruiters_and_team(place, people, run):
    role = RoleFactory(place=place, title="Frailty including Care Homes", status=S.ADVERTISED)
    AdvertRound.objects.create(role=role, number=1, opens_on=D(2022, 2, 21), closes_on=D(2022, 3, 4))

    assert run(D(2022, 2, 28)) == []
    mails = run(D(2022, 3, 1))

    assert told(mails) == [
        ("Advert closes in 3 days: Frailty including Care Homes (Bexley)", BEA),
        ("Advert closes in 3 days: Frailty including Care Homes (Bexley)", HARI),
    ]
    assert "closes in 3 days, on Friday 4 Mar 2022. 0 applications so far." in mails[0].body
    assert run(D(2022, 3, 2)) == []


@pytest.fixture
def interview(place):
    """A shortlisted candidate booked for 10:00 on 15 Mar 2022, with Dr Pat Panel on the panel."""
    setup = RoundSetup(place)
    application = setup.add(1)[0]
    services.applications_shortlist(applications=[application], shortlisted=True, by=setup.recruiter)
    starts = timezone.make_aware(dt.datetime(2022, 3, 15, 10))
    slot = InterviewSlot.objects.create(
        round=setup.round, starts_at=starts, ends_at=starts + dt.timedelta(minutes=45), room="Civic Offices"
    )
    services.interview_book(application=application, slot=slot, by=setup.recruiter)
    panel_user(setup.round, "Dr Pat Panel")
    mail.outbox.clear()  # the invitations sent on booking
    return setup, application


def test_an_interview_reminds_the_candidate_and_the_panel_the_day_before_with_the_invitation(interview, run):
    setup, application = interview

    mails = run(D(2022, 3, 14))

    candidate = next(m for m in mails if m.to == [application.person.email])
    panel = next(m for m in mails if m.to != [application.person.email])
    assert len(mails) == 2
    assert candidate.subject == "Your interview tomorrow: Frailty including Care Homes, Bexley"
    assert "Tuesday 15 Mar 2022 at 10:00, Civic Offices" in candidate.body
    assert [name for name, _content, _type in candidate.attachments] == ["interview.ics"]
    assert application.person.name in invitation(candidate)
    assert run(D(2022, 3, 15)) == []
    assert panel.attachments[0][0] == "interview.ics"


def test_the_panels_interview_reminder_names_the_candidate_by_number_while_the_round_is_anonymous(interview, run):
    setup, application = interview

    mails = run(D(2022, 3, 14))

    panel = next(m for m in mails if m.to != [application.person.email])
    assert "Candidate 1." in panel.body
    assert application.person.name not in panel.body
    assert application.person.name not in invitation(panel)
    assert "Candidate 1" in invitation(panel)


def test_once_shortlisting_has_closed_the_panels_reminder_names_the_candidate(interview, run):
    setup, application = interview
    services.shortlist_close(round=setup.round, by=setup.recruiter)

    mails = run(D(2022, 3, 14))

    panel = next(m for m in mails if m.to != [application.person.email])
    assert f"Candidate 1 ({application.person.name})" in panel.body
    assert application.person.name in invitation(panel)


def test_an_interview_cancelled_after_the_sweep_is_not_sent_and_says_why(interview, django_capture_on_commit_callbacks):
    setup, application = interview
    reminders.sweep(today=D(2022, 3, 14), in_process=True)  # made, not yet sent (nothing committed)
    services.interview_book(application=application, slot=None, by=setup.recruiter)
    mail.outbox.clear()

    for row in Reminder.objects.all():
        reminders.reminder_send(pk=row.pk)

    assert mail.outbox == []
    assert set(Reminder.objects.values_list("status", "last_error")) == {
        (St.FAILED, "Not sent: the interview is no longer booked.")
    }


@pytest.fixture
def cliff(place):
    """Bexley on the seeds' 31 March 2022 cliff: two interim GP clinical leads in post to 31 Mar 2022,
    the Urgent Care lead continuing to 1 Jul 2022, a proposed role and a role with no end date."""
    interim = [
        RoleFactory(
            place=place,
            title=f"GP Clinical Lead {n}",
            status=S.IN_POST,
            start_date=D(2021, 7, 1),
            end_date=D(2022, 3, 31),
            appointee_name=f"Dr Interim {n}",
        )
        for n in (1, 2)
    ]
    urgent = RoleFactory(
        place=place,
        title="Urgent Care",
        status=S.IN_POST,
        start_date=D(2021, 7, 1),
        end_date=D(2022, 7, 1),
        is_critical=True,
        appointee_name="Dr Urgent",
    )
    RoleFactory(
        place=place, title="Quality and Safety", status=S.PROPOSED, end_date=D(2022, 3, 31), start_date=D(2021, 7, 1)
    )
    RoleFactory(place=place, title="Safeguarding GP", status=S.IN_POST, start_date=D(2021, 7, 1), end_date=None)
    return interim, urgent


def test_contracts_ending_on_31_march_2022_are_flagged_90_and_30_days_before(place, people, cliff, run):
    ninety = run(D(2021, 12, 31))
    thirty = run(D(2022, 3, 1))
    urgent = run(D(2022, 4, 2))

    ida = "ida@sel.example.nhs.uk"
    assert told(ninety) == [
        (f"Contract ends in 90 days: GP Clinical Lead {n} (Bexley)", to) for n in (1, 2) for to in (BEA, ida)
    ]
    assert told(thirty) == [
        (f"Contract ends in 30 days: GP Clinical Lead {n} (Bexley)", to) for n in (1, 2) for to in (BEA, ida)
    ]
    assert told(urgent) == [("Contract ends in 90 days: Urgent Care (Bexley)", to) for to in (BEA, ida)]
    assert "Dr Interim 1's fixed-term contract as GP Clinical Lead 1 (Bexley) ends on Thursday 31 Mar 2022" in (
        next(m.body for m in ninety if "Lead 1" in m.subject)
    )
    assert run(D(2022, 1, 1)) == []


def test_a_place_that_reviews_its_leaders_every_six_months_is_told_on_each_review_date(place, people, run):
    ReminderSettings.objects.create(place=place, review_every_months=6)
    RoleFactory(
        place=place,
        title="Cancer",
        status=S.IN_POST,
        start_date=D(2022, 4, 4),
        end_date=D(2024, 3, 31),
        appointee_name="Dr Cancer",
    )

    days = {day: told(run(day)) for day in (D(2022, 10, 3), D(2022, 10, 4), D(2022, 10, 5), D(2023, 4, 4))}

    review = "Review due: Dr Cancer as Cancer (Bexley)"
    assert days == {
        D(2022, 10, 3): [],
        D(2022, 10, 4): [(review, BEA), (review, "ida@sel.example.nhs.uk")],
        D(2022, 10, 5): [],
        D(2023, 4, 4): [(review, BEA), (review, "ida@sel.example.nhs.uk")],
    }


def test_months_are_added_to_the_same_day_or_the_months_last():
    assert reminders.add_months(D(2022, 4, 4), 6) == D(2022, 10, 4)
    assert reminders.add_months(D(2022, 8, 31), 6) == D(2023, 2, 28)
    assert reminders.add_months(D(2023, 11, 30), 3) == D(2024, 2, 29)


def test_days_before_are_read_as_whole_days_and_a_mistake_names_the_fix():
    assert reminders.parse_days_before("7,1") == (7, 1)
    assert reminders.parse_days_before(" 1, 14 ,7,") == (14, 7, 1)
    with pytest.raises(ValueError, match="“a week” is not a number of days from 1 to 365"):
        reminders.parse_days_before("a week,1")


# --- Failing, retrying -------------------------------------------------------------------------------------


def test_a_failed_send_is_retried_and_then_shown_as_failed_with_the_reason(place, people, table_4, run, settings):
    done_before(table_4, D(2022, 2, 11), people.team)
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingMailServer"

    run(D(2022, 2, 11))

    row = Reminder.objects.get()
    assert (row.status, row.attempts, row.sent_at) == (St.FAILED, 1 + tasks.SEND_RETRIES, None)
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_a_send_that_fails_once_is_sent_by_its_retry(place, people, table_4, run, settings):
    done_before(table_4, D(2022, 2, 11), people.team)
    settings.EMAIL_BACKEND = "tests.test_reminders.MailServerDownOnce"
    MailServerDownOnce.refused = 0

    mails = run(D(2022, 2, 11))

    row = Reminder.objects.get()
    assert (row.status, row.attempts, row.last_error) == (St.SENT, 2, "")
    assert len(mails) == 1


def test_a_sent_reminder_is_not_sent_again_by_a_stray_retry(place, people, table_4, run):
    done_before(table_4, D(2022, 2, 11), people.team)
    run(D(2022, 2, 11))
    row = Reminder.objects.get()

    assert reminders.reminder_send(pk=row.pk) is None
    assert tasks.send_reminder.apply(args=(row.pk,)).get() == "not ours to send"
    assert len(mail.outbox) == 1


def test_retrying_failed_reminders_sends_them_once_the_mail_server_is_back(
    place, people, table_4, run, settings, django_capture_on_commit_callbacks
):
    done_before(table_4, D(2022, 2, 11), people.team)
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingMailServer"
    run(D(2022, 2, 11))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    with django_capture_on_commit_callbacks(execute=True):
        outcome = reminders.reminders_retry_failed(reminders=Reminder.objects.all(), by=people.hr, in_process=True)

    assert outcome.retried == 1
    assert Reminder.objects.get().status == St.SENT
    assert [m.to for m in mail.outbox] == [[BEA]]


def test_someone_outside_the_place_may_not_retry_its_reminders(place, people, table_4, run, settings):
    done_before(table_4, D(2022, 2, 11), people.team)
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingMailServer"
    run(D(2022, 2, 11))
    stranger = member(AccessKind.HR_RECRUITER, place=PlaceFactory(), username="stranger")

    with pytest.raises(services.ChangeRefused, match="may not retry Bexley's reminders"):
        reminders.reminders_retry_failed(reminders=Reminder.objects.all(), by=stranger)
    assert Reminder.objects.get().status == St.FAILED


def test_a_reminder_left_waiting_by_a_lost_message_is_handed_over_by_the_next_sweep(place, people, run):
    """The broker was down when the sweep queued it (or the worker lost it): an hour later it is
    still waiting, and the next sweep hands it over again."""
    row = Reminder.objects.create(
        place=place,
        kind=K.MILESTONE_DUE,
        subject_key="milestone:1",
        due_on=D(2022, 3, 1),
        recipient=people.team,
        email=BEA,
        subject="Due today: Borough Strategic Board (Bexley)",
    )
    Reminder.objects.filter(pk=row.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))

    mails = run(D(2022, 3, 2))

    assert told(mails) == [("Due today: Borough Strategic Board (Bexley)", BEA)]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (St.SENT, 1)


# --- Queries -------------------------------------------------------------------------------------------------


def many(place, people, n: int) -> None:
    """n of each kind of subject due on 1 Mar 2022: milestones (owned and not, before, due, overdue),
    adverts closing, contracts ending."""
    for i in range(n):
        owner = people.team if i % 2 else None
        milestone(place, f"Step {i}", When.DATE, D(2022, 3, 8), owner=owner)
        milestone(place, f"Due {i}", When.DATE, D(2022, 3, 1), owner=owner)
        milestone(place, f"Late {i}", When.WEEK, D(2022, 2, 7), owner=owner)
        role = RoleFactory(place=place, title=f"Advertised {i}", status=S.ADVERTISED)
        AdvertRound.objects.create(role=role, number=1, opens_on=D(2022, 2, 1), closes_on=D(2022, 3, 4))
        RoleFactory(
            place=place, title=f"Interim {i}", status=S.IN_POST, start_date=D(2021, 7, 1), end_date=D(2022, 3, 31)
        )


def test_finding_what_is_due_takes_as_many_queries_for_55_subjects_as_for_5(place, people):
    ReminderSettings.objects.create(place=place, review_every_months=6)
    many(place, people, 1)
    with CaptureQueriesContext(connection) as few:
        assert len(reminders.reminders_due(D(2022, 3, 1))) == 7
    many(place, people, 10)
    with CaptureQueriesContext(connection) as lots:
        assert len(reminders.reminders_due(D(2022, 3, 1))) == 77

    assert len(lots) == len(few) <= 9


def test_the_sweep_takes_a_fixed_number_of_queries_per_batch(place, people, django_assert_max_num_queries):
    many(place, people, 10)
    batches = 7  # 70 reminders, 10 a batch
    # On SQLite a batch's insert is split into statements of at most 999 values (83 rows): one each here.
    # Each source registered by an app above recruitment (governance's board reminders) reads one query.
    with django_assert_max_num_queries(9 + len(reminders.REMINDER_SOURCES) + 3 * batches + 1):
        result = reminders.sweep(today=D(2022, 3, 1), in_process=False, batch_size=10)
    assert (result.new, result.batches) == (70, batches)


# --- The command --------------------------------------------------------------------------------------------


def test_the_command_sweeps_the_day_given_and_sends_here(place, people, table_4, django_capture_on_commit_callbacks):
    done_before(table_4, D(2022, 3, 24), people.team)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_reminders", "--today", "2022-03-24", "--in-process", stdout=out)

    assert "Reminders for 24 Mar 2022: 2 due, 2 new (2 milestone coming up)." in out.getvalue()
    assert "2 sent here; 0 could not be sent" in out.getvalue()
    assert len(mail.outbox) == 2


def test_with_no_worker_answering_the_command_sends_here(place, people, table_4, django_capture_on_commit_callbacks):
    done_before(table_4, D(2022, 3, 24), people.team)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_reminders", "--today", "2022-03-24", stdout=out)

    assert out.getvalue().startswith("No worker answered: sending here.")
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("given", ["2022-02-30", "24/03/2022", "tomorrow", "2022-3-24"])
def test_the_command_refuses_a_day_that_is_not_a_date_and_changes_nothing(place, people, table_4, given):
    with pytest.raises(CommandError, match=rf"--today “{given}” is not a date: give it as YYYY-MM-DD"):
        call_command("sweep_reminders", "--today", given, "--in-process")

    assert Reminder.objects.count() == 0


def test_the_command_times_a_sweep_of_many_milestones_and_leaves_nothing_behind(place, people):
    out = StringIO()
    call_command("sweep_reminders", "--bench", "300", "--today", "2022-03-01", stdout=out)

    assert "The whole sweep of 300 milestones:" in out.getvalue()
    assert "Everything the benchmark made was rolled back." in out.getvalue()
    assert Milestone.objects.count() == 0 and Reminder.objects.count() == 0


def test_the_morning_sweep_is_scheduled_for_six_oclock_london_time():
    entry = app.conf.beat_schedule["sweep-reminders"]

    assert entry["task"] == tasks.sweep_reminders_task.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({6}, {0})
    assert app.conf.timezone == "Europe/London"
    assert "recruitment.send_reminder" in app.tasks


# --- In the app and the admin ------------------------------------------------------------------------------


def _urlpatterns():
    """The project's URLs with `recruitment.reminder_views` in the recruitment namespace (until
    recruitment/urls.py includes them itself)."""
    from django.urls import URLPattern, URLResolver, include, path

    from leadership import urls as project
    from recruitment import urls as recruitment

    names = {p.name for p in recruitment.urlpatterns}
    extra = [p for p in reminder_urlpatterns if p.name not in names]
    kept = [p for p in project.urlpatterns if not (isinstance(p, URLResolver) and p.namespace == "recruitment")]
    assert all(isinstance(p, URLPattern | URLResolver) for p in kept)
    return [*kept, path("recruitment/", include(([*recruitment.urlpatterns, *extra], "recruitment")))]


urlpatterns = _urlpatterns()
in_the_app = pytest.mark.urls(__name__)


@in_the_app
def test_my_reminders_lists_what_was_sent_to_me_and_what_failed_newest_first(
    client, place, people, table_4, run, settings
):
    run(D(2022, 2, 3))
    run(D(2022, 2, 4))
    done_before(table_4, D(2022, 2, 5), people.team)
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingMailServer"
    run(D(2022, 2, 11))
    run(D(2022, 2, 14))  # Hari's
    client.force_login(people.team)

    response = client.get(reverse("recruitment:my_reminders"))

    rows = list(response.context["page"].object_list)
    assert [(r.due_on, r.status) for r in rows] == [
        (D(2022, 2, 11), St.FAILED),
        (D(2022, 2, 4), St.SENT),
        (D(2022, 2, 3), St.SENT),
    ]
    page = response.content.decode()
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in page
    assert "Due tomorrow: Task &amp; Finish Group Launched (Bexley)" in page
    assert "Roles advertised" not in page
    failed = client.get(reverse("recruitment:my_reminders"), {"status": "failed"}).context["page"].object_list
    assert [r.due_on for r in failed] == [D(2022, 2, 11)]


@in_the_app
def test_my_reminders_pages_in_as_many_queries_for_60_reminders_as_for_3(
    client, place, people, django_assert_max_num_queries
):
    def make(count, start):
        Reminder.objects.bulk_create(
            Reminder(
                place=place,
                kind=K.MILESTONE_DUE,
                subject_key=f"milestone:{n}",
                due_on=D(2022, 3, 1),
                recipient=people.team,
                email=BEA,
                subject=f"Due today: step {n}",
                status=St.SENT,
                sent_at=timezone.now(),
            )
            for n in range(start, start + count)
        )

    client.force_login(people.team)
    make(3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("recruitment:my_reminders")).status_code == 200
    make(57, 3)
    with CaptureQueriesContext(connection) as lots:
        response = client.get(reverse("recruitment:my_reminders"), {"page": 2})

    assert len(lots) == len(few)
    assert response.context["page"].paginator.count == 60
    assert len(response.context["page"].object_list) == 25


@in_the_app
def test_someone_signed_out_is_sent_to_sign_in(client):
    response = client.get(reverse("recruitment:my_reminders"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


ADMIN = "/admin/recruitment/reminder/"


def test_the_admin_lists_the_reminders_of_the_recruiters_places_with_why_they_failed(
    client, place, people, table_4, run, settings
):
    done_before(table_4, D(2022, 2, 11), people.team)
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingMailServer"
    run(D(2022, 2, 11))
    elsewhere = PlaceFactory(ics=place.ics, name="Greenwich", slug="greenwich")
    Reminder.objects.create(
        place=elsewhere,
        kind=K.MILESTONE_DUE,
        subject_key="milestone:999",
        due_on=D(2022, 2, 11),
        email="gail@greenwich.example.nhs.uk",
        subject="Due today: Greenwich's step",
    )
    client.force_login(people.hr)

    response = client.get(ADMIN)

    assert response.status_code == 200
    assert [r.place for r in response.context["cl"].result_list] == [place]
    assert "ConnectionRefusedError" in response.content.decode()
    other = Reminder.objects.get(place=elsewhere)
    assert client.get(f"{ADMIN}{other.pk}/change/").status_code == 404


def test_the_admins_retry_action_sends_the_failed_ones_again(
    client, place, people, table_4, run, settings, django_capture_on_commit_callbacks
):
    done_before(table_4, D(2022, 2, 11), people.team)
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingMailServer"
    run(D(2022, 2, 11))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no worker in tests: the retry sends here
    row = Reminder.objects.get()
    client.force_login(people.hr)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADMIN, {"action": "retry_failed", "_selected_action": [row.pk]}, follow=True)

    assert "1 failed reminder will be sent again" in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (St.SENT, 1 + tasks.SEND_RETRIES + 1)
    assert [m.to for m in mail.outbox] == [[BEA]]


def test_the_admin_hides_interview_reminders_of_a_round_the_user_scores_anonymously(client, place, interview, run):
    setup, application = interview
    run(D(2022, 3, 14))
    # The place's HR recruiter also sits on the panel, while shortlisting is still anonymous.
    recruiter_person = panel_user(setup.round, "Hana Panel-Recruiter")
    from roles.models import Membership

    Membership.objects.create(user=recruiter_person, kind=AccessKind.HR_RECRUITER, place=place)
    recruiter_person.is_staff = True
    recruiter_person.save()
    client.force_login(recruiter_person)

    listed = client.get(ADMIN).context["cl"].result_list

    assert [r for r in listed if r.kind == K.INTERVIEW] == []
    client.force_login(setup.recruiter)
    assert len([r for r in client.get(ADMIN).context["cl"].result_list if r.kind == K.INTERVIEW]) == 2


def test_an_ics_administrator_sets_a_places_reminder_days_in_the_admin_and_nonsense_is_refused(client):
    from recruitment.models import ReminderSettings
    from roles.models import AccessKind
    from tests.factories import PlaceFactory, member

    place = PlaceFactory(name="Bexley", slug="bexley-settings")
    admin_user = member(AccessKind.ICS_ADMIN, ics=place.ics, username="ics-admin-settings")
    client.force_login(admin_user)
    url = "/admin/recruitment/remindersettings/add/"
    refused = client.post(url, {"place": place.pk, "days_before": "7, fortnight", "review_every_months": ""})
    assert refused.status_code == 200 and "is not a number of days" in refused.content.decode()
    assert not ReminderSettings.objects.exists()
    saved = client.post(url, {"place": place.pk, "days_before": "14,7,1", "review_every_months": "6"})
    assert saved.status_code == 302
    settings_row = ReminderSettings.objects.get(place=place)
    assert (settings_row.days_before, settings_row.review_every_months) == ("14,7,1", 6)
    assert settings_row.history.count() == 1
    other = member(AccessKind.ICS_ADMIN, ics=PlaceFactory().ics, username="other-ics-admin-settings")
    client.force_login(other)
    assert client.get(f"/admin/recruitment/remindersettings/{settings_row.pk}/change/").status_code in (302, 404)


def test_a_reminder_left_sending_by_a_stopped_worker_is_shown_as_failed_not_sent_again(mailoutbox):
    import datetime as dt

    from django.utils import timezone

    from recruitment.models import Reminder
    from recruitment.reminders import sweep
    from tests.factories import PlaceFactory

    place = PlaceFactory(name="Bexley", slug="bexley-stuck")
    stuck = Reminder.objects.create(
        place=place,
        kind=Reminder.Kind.MILESTONE_DUE,
        subject_key="milestone:999",
        due_on=dt.date(2022, 3, 4),
        email="owner@example.nhs.uk",
        subject="Deadline for applications",
        status=Reminder.Status.SENDING,
        attempts=1,
        claimed_at=timezone.now() - dt.timedelta(hours=2),
    )
    fresh = Reminder.objects.create(
        place=place,
        kind=Reminder.Kind.MILESTONE_DUE,
        subject_key="milestone:998",
        due_on=dt.date(2022, 3, 4),
        email="owner@example.nhs.uk",
        subject="Shortlisting",
        status=Reminder.Status.SENDING,
        attempts=1,
        claimed_at=timezone.now(),
    )
    result = sweep(today=dt.date(2022, 3, 4), in_process=True)
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert result.interrupted == 1
    assert stuck.status == Reminder.Status.FAILED and "may or may not have gone out" in stuck.last_error
    assert fresh.status == Reminder.Status.SENDING  # a worker may still be sending it
    assert not mailoutbox
