"""Demo recruitment for Bexley, on top of `roles.demo`: one round run to contract, one in shortlisting.

Facts from the papers (Table 4 of the Bexley paper): roles advertised 21 Feb 2022, applications closed
4 Mar, shortlisting 7-11 Mar, interviews 14-25 Mar, contracts w/c 28 Mar, roles commencing 4 Apr.

ASSUMPTIONS (the papers name no applicants, panels or scores): every applicant, panel member, score,
declared interest and equality answer below is FICTIONAL, with names no one has ("Dr Robin Example")
and addresses at example.org; the criteria and their weights; which candidate declined; the interview
slots' times and rooms. The round run to contract is the Cancer lead's (in post from 4 Apr 2022); the
round in shortlisting is the re-advertised LTCs including Respiratory and Cardiovascular lead's
(round 2, 4-22 Apr 2022), loaded through the services as an HR recruiter would run it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from roles.models import AdvertRound, Declaration, Person, Profession, Role, RoleStatus

from . import plans, services
from .models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Contract,
    Criterion,
    EqualityAnswers,
    InterviewSlot,
    Offer,
    PanelMember,
    PlanStep,
    PlanTemplate,
    Score,
    Tranche,
    When,
)

A = ApplicationStatus
LONDON = ZoneInfo("Europe/London")
PANEL_USERNAME = "panel-member"
CONTRACTED_ROLE = "Cancer (including living with and beyond)"
SHORTLISTING_ROLE = "LTCs including Respiratory and Cardiovascular"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


# The panel: (name, e-mail, part, demo username or None)
PANEL = [
    ("Dr Morgan Chairperson (fictional)", "panel.chair@example.org", PanelMember.Part.CHAIR, None),
    ("Dr Pat Panel (fictional)", "panel-member@example.nhs.uk", PanelMember.Part.MEMBER, PANEL_USERNAME),
    ("Lee Layperson (fictional)", "lay.member@example.org", PanelMember.Part.MEMBER, None),
]

# (name, e-mail, profession slug, employer, registration, received, statement, equality answers)
CANCER_APPLICANTS = [
    (
        "Dr Robin Example",
        "robin.example@example.org",
        "gp",
        "Example Surgery",
        "GMC 0000001",
        dt.date(2022, 3, 1),
        "Ten years as a GP with a special interest in cancer; led our PCN's early diagnosis work.",
        {"age_band": "40_49", "sex": "female", "ethnic_group": "asian", "disability": "no"},
    ),
    (
        "Dr Jo Specimen",
        "jo.specimen@example.org",
        "gp",
        "Specimen Medical Centre",
        "GMC 0000002",
        dt.date(2022, 3, 3),
        "Macmillan GP facilitator for three years; chair of the borough's cancer pathway group.",
        {"age_band": "50_59", "sex": "male", "ethnic_group": "white", "disability": "no"},
    ),
    (
        "Kit Illustration",
        "kit.illustration@example.org",
        "nurse",
        "Sample Community Trust",
        "NMC 00A0001B",
        dt.date(2022, 3, 4),
        "Clinical nurse specialist in oncology; leads living-with-and-beyond cancer clinics.",
        {"age_band": "30_39", "sex": "female", "ethnic_group": "black", "disability": "prefer_not_to_say"},
    ),
    (
        "Dr Sam Placeholder",
        "sam.placeholder@example.org",
        "gp",
        "Example Surgery",
        "GMC 0000004",
        dt.date(2022, 2, 28),
        "Portfolio GP with an interest in screening uptake among under-served communities.",
        {"age_band": "30_39", "sex": "male", "ethnic_group": "mixed", "disability": "no"},
    ),
    (
        "Dr Alex Mock",
        "alex.mock@example.org",
        "pharmacist",
        "Mock Pharmacy Ltd",
        "GPhC 0000005",
        dt.date(2022, 3, 2),
        "Oncology pharmacist; wants to bring medicines optimisation into the cancer pathway.",
        {},
    ),
]

RESPIRATORY_APPLICANTS = [
    (
        "Dr Casey Sample",
        "casey.sample@example.org",
        "gp",
        "Sample Health Centre",
        "GMC 0000011",
        dt.date(2022, 4, 12),
        "Respiratory GP lead for a PCN; set up a community spirometry hub.",
        {"age_band": "40_49", "sex": "female", "ethnic_group": "white", "disability": "no"},
    ),
    (
        "Dr Jamie Dummy",
        "jamie.dummy@example.org",
        "gp",
        "Dummy Lane Practice",
        "GMC 0000012",
        dt.date(2022, 4, 20),
        "Cardiovascular disease prevention champion; runs the practice's hypertension case-finding.",
        {"age_band": "50_59", "sex": "male", "ethnic_group": "asian", "disability": "no"},
    ),
    (
        "Taylor Fictional",
        "taylor.fictional@example.org",
        "nurse",
        "Fictional Community Services",
        "NMC 00A0012B",
        dt.date(2022, 4, 21),
        "Heart failure specialist nurse working across primary and community care.",
        {"age_band": "30_39", "sex": "female", "ethnic_group": "black", "disability": "yes"},
    ),
    (
        "Dr Riley Invented",
        "riley.invented@example.org",
        "gp",
        "Invented Road Surgery",
        "GMC 0000014",
        dt.date(2022, 4, 22),
        "GP with extended role in asthma and COPD; trains practice nurses in inhaler technique.",
        {"age_band": "under_30", "sex": "prefer_not_to_say", "ethnic_group": "prefer_not_to_say", "disability": "no"},
    ),
    (
        "Dr Drew Madeup",
        "drew.madeup@example.org",
        "pharmacist",
        "Madeup Pharmacy",
        "GPhC 0000015",
        dt.date(2022, 4, 25),
        "Respiratory pharmacist; application arrived three days after the closing date.",
        {},
    ),
]

SHORTLISTING_CRITERIA = [
    ("Clinical and care credibility in the field", 3, 0, 4),
    ("Experience of system and partnership working", 2, 0, 4),
    ("Commitment to reducing health inequalities", 2, 0, 4),
]
INTERVIEW_CRITERIA = [
    ("Vision for the role in Bexley", 3, 1, 5),
    ("Leading change across organisations", 2, 1, 5),
]


# Table 4 of the Bexley paper, "Key Milestones & Indicative Timelines", as steps from Monday
# 31 Jan 2022: (title, when, days after the start, days a range lasts, owner's demo username).
# The owners are ASSUMPTIONS (the paper names none): the place team, and the HR recruiter for the
# recruitment steps.
TABLE_4_START = dt.date(2022, 1, 31)
TABLE_4 = [
    ("Task & Finish Group Launched", When.WEEK, 0, 0, "bexley-team"),
    ("Role Descriptions agreed and signed off", When.DATE, 18, 0, "bexley-team"),
    ("Local Care Partnership Forum", When.TBC, 0, 0, "bexley-team"),
    ("Roles advertised", When.DATE, 21, 0, "hr-recruiter"),
    ("Borough Strategic Board – Update", When.DATE, 24, 0, "bexley-team"),
    ("Deadline for applications", When.DATE, 32, 0, "hr-recruiter"),
    ("Local Care Partnership Forum", When.TBC, 0, 0, "bexley-team"),
    ("Shortlisting", When.RANGE, 35, 4, "hr-recruiter"),
    ("Interviews", When.RANGE, 42, 11, "hr-recruiter"),
    ("Borough Strategic Board", When.DATE, 59, 0, "bexley-team"),
    ("Contracts", When.WEEK, 56, 0, "hr-recruiter"),
    ("Transition Arrangements Developed", When.WEEK, 63, 0, "bexley-team"),
    ("Roles Commence", When.DATE, 63, 0, "bexley-team"),
]
TABLE_4_TEMPLATE = "SEL place roles: Bexley's Table 4 (27 Jan 2022)"
TABLE_4_TRANCHE = "Tranche 1: Bexley place roles (Table 4)"
# Done by the demo's snapshot of 4 Apr 2022 (ASSUMPTION: the paper gives the plan, not its progress).
TABLE_4_DONE = {
    "Task & Finish Group Launched",
    "Role Descriptions agreed and signed off",
    "Roles advertised",
    "Borough Strategic Board – Update",
    "Deadline for applications",
    "Shortlisting",
    "Interviews",
    "Borough Strategic Board",
    "Contracts",
}


class RecruitmentLoader:
    def __init__(self, *, reset: bool = False):
        self.reset = reset
        self.created = 0
        self.recruiter = get_user_model().objects.get(username="hr-recruiter")
        self.professions = {p.slug: p for p in Profession.objects.all()}

    @transaction.atomic
    def load(self) -> int:
        cancer = Role.objects.get(place__slug="bexley", title=CONTRACTED_ROLE)
        respiratory = Role.objects.get(place__slug="bexley", title=SHORTLISTING_ROLE)
        self.panel_people = self.load_panel()
        self.run_to_contract(cancer)
        self.shortlisting(respiratory)
        self.table_4_plan(cancer.place)
        return self.created

    def table_4_plan(self, place) -> None:
        """Bexley's Table 4 as a plan template of the SEL ICS, and Bexley's first tranche started from it."""
        template, made = PlanTemplate.objects.get_or_create(
            name=TABLE_4_TEMPLATE,
            defaults={
                "ics": place.ics,
                "description": "The Bexley paper's Table 4, Key Milestones & Indicative Timelines, as steps from "
                "the Task & Finish Group's launch.",
            },
        )
        if made:
            for order, (title, when, offset, length, _owner) in enumerate(TABLE_4, start=1):
                PlanStep.objects.create(
                    template=template, title=title, when_kind=when, offset_days=offset, length_days=length, order=order
                )
            self.created += 1
        if Tranche.objects.filter(place=place, name=TABLE_4_TRANCHE).exists():
            return
        roles = list(Role.objects.filter(place=place, predates_ics_model=False))
        tranche = plans.tranche_start(
            place=place, name=TABLE_4_TRANCHE, template=template, starts_on=TABLE_4_START, by=None, roles=roles
        )
        users = {u.username: u for u in get_user_model().objects.filter(username__in=["bexley-team", "hr-recruiter"])}
        for milestone, (_title, _when, _offset, _length, owner) in zip(
            tranche.milestones.order_by("order"), TABLE_4, strict=True
        ):
            milestone.owner = users.get(owner)
            milestone.done_on = milestone.due_on if milestone.title in TABLE_4_DONE else None
            milestone.save(update_fields=["owner", "done_on"])
        self.created += tranche.milestones.count()

    def load_panel(self) -> list[tuple[Person, str]]:
        User = get_user_model()
        people = []
        for name, email, part, username in PANEL:
            user = None
            if username:
                user = User.objects.filter(username=username).first()
            person = Person.objects.filter(email__iexact=email).first()
            if person is None:
                person = Person.objects.create(name=name, email=email, profession=self.professions["gp"], user=user)
                self.created += 1
            people.append((person, part))
        return people

    def _panel(self, round_: AdvertRound) -> list[PanelMember]:
        return [
            PanelMember.objects.get_or_create(round=round_, person=person, defaults={"part": part})[0]
            for person, part in self.panel_people
        ]

    def _criteria(self, round_: AdvertRound) -> tuple[list[Criterion], list[Criterion]]:
        made = []
        for stage, rows in (
            (Criterion.Stage.SHORTLISTING, SHORTLISTING_CRITERIA),
            (Criterion.Stage.INTERVIEW, INTERVIEW_CRITERIA),
        ):
            made.append(
                [
                    Criterion.objects.get_or_create(
                        round=round_,
                        stage=stage,
                        title=title,
                        defaults={"weight": weight, "min_score": low, "max_score": high, "order": order},
                    )[0]
                    for order, (title, weight, low, high) in enumerate(rows, start=1)
                ]
            )
        return made[0], made[1]

    def _new(self, rows) -> list[services.NewApplication]:
        return [
            services.NewApplication(
                name=name,
                email=email,
                profession=self.professions[profession],
                employer=employer,
                registration=registration,
                received_on=received,
                statement=statement,
                equality=equality,
            )
            for name, email, profession, employer, registration, received, statement, equality in rows
        ]

    def run_to_contract(self, role: Role) -> None:
        """The Cancer lead's round 1, as it ran: written as history (the role is already in post)."""
        round_ = role.advert_rounds.get(number=1)
        if round_.applications.exists():
            return
        round_.advert_text = (
            "Bexley Local Care Partnership seeks a clinical or care professional to lead cancer, including living "
            "with and beyond cancer, for 1 session a week of protected time (fixed term to 31 March 2024)."
        )
        round_.pay_shown = "£16,400 a year per weekly session, pro rata"
        round_.advertised_where = "NHS Jobs; Bexley GP bulletin; LCP Forum members' networks"
        round_.save()
        shortlist_criteria, interview_criteria = self._criteria(round_)
        members = self._panel(round_)
        # Add the applications through the service as if the role were still advertised.
        Role.objects.filter(pk=role.pk).update(status=RoleStatus.ADVERTISED)
        applications = services.applications_add(
            round=round_, applications=self._new(CANCER_APPLICANTS), by=self.recruiter
        )
        Role.objects.filter(pk=role.pk).update(status=RoleStatus.IN_POST)
        self.created += len(applications)
        self._received_when_received(applications)
        robin, jo, kit, sam, alex = applications
        # Shortlisting scores (7-11 Mar): the chair knows Dr Sam Placeholder (same practice as a partner).
        chair, pat, lay = members
        marks = {robin: (4, 3, 3), jo: (4, 4, 3), kit: (3, 3, 4), sam: (2, 2, 3), alex: (2, 1, 2)}
        for application, values in marks.items():
            for member in members:
                for criterion, value in zip(shortlist_criteria, values, strict=True):
                    Score.objects.create(
                        application=application,
                        criterion=criterion,
                        panel_member=member,
                        value=max(0, value - (1 if member is lay and value > 2 else 0)),
                        scored_at=at(dt.date(2022, 3, 9)),
                    )
        Declaration.objects.create(
            person=chair.person,
            about_person=sam.person,
            interest="Works at the same practice as the candidate (Example Surgery).",
            context=round_,
            action=Declaration.Action.EXCLUDED_FROM_SCORING,
            notes="Declared at shortlisting; the chair's scores for this candidate are left out of the total.",
            declared_on=dt.date(2022, 3, 7),
            recorded_by=self.recruiter,
            recorded_at=at(dt.date(2022, 3, 7)),
        )
        self._history(robin, A.RECEIVED, A.SHORTLISTED, dt.date(2022, 3, 11))
        self._history(jo, A.RECEIVED, A.SHORTLISTED, dt.date(2022, 3, 11))
        self._history(kit, A.RECEIVED, A.SHORTLISTED, dt.date(2022, 3, 11))
        self._history(sam, A.RECEIVED, A.NOT_SHORTLISTED, dt.date(2022, 3, 11), "Below the shortlisting threshold.")
        self._history(alex, A.RECEIVED, A.NOT_SHORTLISTED, dt.date(2022, 3, 11), "Below the shortlisting threshold.")
        round_.shortlist_closed_at = at(dt.date(2022, 3, 11), 17)
        round_.save(update_fields=["shortlist_closed_at"])
        # Interviews (14-25 Mar).
        for hour, application in zip((10, 11, 12), (robin, jo, kit), strict=True):
            slot = InterviewSlot.objects.create(
                round=round_,
                starts_at=at(dt.date(2022, 3, 22), hour),
                ends_at=at(dt.date(2022, 3, 22), hour) + dt.timedelta(minutes=45),
                room="Civic Offices, Watling Street, Bexleyheath: meeting room 3",
            )
            application.interview_slot = slot
            application.save(update_fields=["interview_slot"])
            self._history(application, A.SHORTLISTED, A.INTERVIEWED, dt.date(2022, 3, 22))
        interview_marks = {robin: (5, 4), jo: (4, 4), kit: (3, 4)}
        for application, values in interview_marks.items():
            for member in members:
                for criterion, value in zip(interview_criteria, values, strict=True):
                    Score.objects.create(
                        application=application,
                        criterion=criterion,
                        panel_member=member,
                        value=value,
                        scored_at=at(dt.date(2022, 3, 22), 15),
                    )
        # The first offer is declined; the next ranked candidate accepts and signs.
        Offer.objects.create(
            round=round_,
            application=robin,
            status=Offer.Status.DECLINED,
            made_at=at(dt.date(2022, 3, 24)),
            made_by=self.recruiter,
            answered_at=at(dt.date(2022, 3, 25)),
            answered_by=self.recruiter,
        )
        self._history(robin, A.INTERVIEWED, A.OFFERED, dt.date(2022, 3, 24))
        self._history(
            robin,
            A.OFFERED,
            A.NOT_APPOINTED,
            dt.date(2022, 3, 25),
            "Declined the offer: took a PCN clinical director post.",
        )
        second = Offer.objects.create(
            round=round_,
            application=jo,
            status=Offer.Status.ACCEPTED,
            made_at=at(dt.date(2022, 3, 25), 14),
            made_by=self.recruiter,
            answered_at=at(dt.date(2022, 3, 28)),
            answered_by=self.recruiter,
            notes="Next ranked after a decline.",
        )
        self._history(jo, A.INTERVIEWED, A.OFFERED, dt.date(2022, 3, 25), "Next ranked after the offer was declined.")
        Contract.objects.create(
            offer=second,
            contract_type="fixed_term",
            starts_on=role.start_date,
            ends_on=role.end_date,
            sessions_per_week=role.sessions_per_week,
            rate_per_session=role.rate_per_session,
            signed_on=dt.date(2022, 3, 30),
            recorded_by=self.recruiter,
            recorded_at=at(dt.date(2022, 3, 30)),
        )
        self._history(jo, A.OFFERED, A.APPOINTED, dt.date(2022, 3, 30), "Contract signed on 30 Mar 2022.")
        self._history(kit, A.INTERVIEWED, A.NOT_APPOINTED, dt.date(2022, 3, 30), "The post was filled.")
        Role.objects.filter(pk=role.pk).update(appointee=jo.person, appointee_name=jo.person.name)

    def _received_when_received(self, applications) -> None:
        """The history's "received" rows dated as the file says, not as the demo was loaded."""
        for application in applications:
            application.events.filter(kind=ApplicationEvent.Kind.RECEIVED).update(at=at(application.received_on, 9))

    def _history(self, application, from_status, to_status, day, reason=""):
        ApplicationEvent.objects.create(
            application=application,
            kind=ApplicationEvent.Kind.MOVED,
            from_status=from_status,
            to_status=to_status,
            by=self.recruiter,
            at=at(day, 16),
            reason=reason,
        )
        Application.objects.filter(pk=application.pk).update(status=to_status, status_changed_at=at(day, 16))

    def shortlisting(self, role: Role) -> None:
        """The re-advertised round, run through the services: applications in, shortlisting started,
        the panel part-way through scoring anonymously; one late application awaits a decision."""
        round_ = role.advert_rounds.order_by("-number").first()
        if round_ is None or round_.applications.exists() or role.status != RoleStatus.ADVERTISED:
            return
        services.advert_save(
            round=round_,
            values={
                "advert_text": "Re-advertised: lead long-term conditions care for respiratory and cardiovascular "
                "disease in Bexley, 1 session a week.",
                "pay_shown": "£16,400 a year per weekly session, pro rata",
                "advertised_where": "NHS Jobs; Bexley GP and pharmacy bulletins",
            },
            by=self.recruiter,
        )
        shortlist_criteria, _ = self._criteria(round_)
        members = self._panel(round_)
        applications = services.applications_add(
            round=round_, applications=self._new(RESPIRATORY_APPLICANTS), by=self.recruiter
        )
        self.created += len(applications)
        self._received_when_received(applications)
        services.shortlisting_start(round=round_, by=self.recruiter)
        chair = members[0]
        for application, values in zip(applications[:3], ((4, 3, 3), (3, 3, 2), (3, 4, 4)), strict=True):
            for criterion, value in zip(shortlist_criteria, values, strict=True):
                Score.objects.create(application=application, criterion=criterion, panel_member=chair, value=value)


def clear() -> None:
    """Remove the demo's recruitment rows (for `load_demo --reset`), so the rounds and the plan can be made again."""
    from .models import Milestone

    tranche = Tranche.objects.filter(place__slug="bexley", name=TABLE_4_TRANCHE)
    Milestone.history.filter(tranche_id__in=tranche.values("pk")).delete()
    for milestone in Milestone.objects.filter(tranche__in=tranche):
        milestone.roles.clear()
    Milestone.objects.filter(tranche__in=tranche).delete()
    tranche.delete()
    rounds = AdvertRound.objects.filter(
        role__place__slug="bexley", role__title__in=[CONTRACTED_ROLE, SHORTLISTING_ROLE]
    )
    applications = Application.objects.filter(round__in=rounds)
    EqualityAnswers.objects.filter(application__in=applications).delete()
    Score.objects.filter(application__in=applications).delete()
    ApplicationEvent.objects.filter(application__in=applications).delete()
    Contract.objects.filter(offer__round__in=rounds).delete()
    Offer.objects.filter(round__in=rounds).delete()
    people = list(applications.values_list("person_id", flat=True))
    applications.update(interview_slot=None)
    Role.objects.filter(appointee_id__in=people).update(appointee=None)
    applications.delete()
    InterviewSlot.objects.filter(round__in=rounds).delete()
    Score.objects.filter(criterion__round__in=rounds).delete()
    Criterion.objects.filter(round__in=rounds).delete()
    PanelMember.objects.filter(round__in=rounds).delete()
    Declaration.objects.filter(about_person_id__in=people).delete()
    Person.objects.filter(pk__in=people, applications__isnull=True, panels__isnull=True).delete()


def panel_user(password: str, reset: bool = False):
    """The demo panel member: signs in to score, and has no other access."""
    User = get_user_model()
    user = User.objects.filter(username=PANEL_USERNAME).first()
    if user is None or reset:
        user = user or User(username=PANEL_USERNAME)
        user.first_name, user.last_name, user.email = "Pat", "Panel", "panel-member@example.nhs.uk"
        user.set_password(password)
        user.save()
    return user
