"""Factories and a ready-made round for recruitment tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from recruitment.models import Application, Criterion, PanelMember
from recruitment.services import NewApplication, applications_add
from roles.models import AccessKind, AdvertRound, Person, Profession, RoleStatus
from tests.factories import BudgetFactory, RoleFactory, UserFactory, member

OPENS, CLOSES = dt.date(2022, 2, 21), dt.date(2022, 3, 4)  # Table 4: advertised, deadline for applications


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Applicant {n}")
    email = factory.Sequence(lambda n: f"applicant{n}@example.org")


def panel_user(round_: AdvertRound, name: str, *, part=PanelMember.Part.MEMBER):
    """A user who sits on the round's panel (and has no other access)."""
    user = UserFactory(first_name=name.split()[0], last_name=name.split()[-1])
    person = PersonFactory(name=name, email=f"{user.username}@example.nhs.uk", user=user)
    PanelMember.objects.create(round=round_, person=person, part=part)
    return user


class RoundSetup:
    """A Bexley role advertised from 21 Feb to 4 Mar 2022 and now shortlisting, with a recruiter,
    a place team member, two criteria per stage, and `add(n)` to add applications."""

    def __init__(self, place, *, status=RoleStatus.SHORTLISTING, title="Frailty including Care Homes", users=True):
        if users:
            BudgetFactory(place=place, financial_year=2022, amount=Decimal("417000"))
            BudgetFactory(place=place, financial_year=2023, amount=Decimal("417000"))
        self.place = place
        self.role = RoleFactory(
            place=place,
            title=title,
            status=status,
            start_date=dt.date(2022, 5, 3),
            end_date=dt.date(2024, 3, 31),
            description="Leads frailty.",
            description_signed_off_on=dt.date(2022, 2, 18),
        )
        self.round = AdvertRound.objects.create(role=self.role, number=1, opens_on=OPENS, closes_on=CLOSES)
        if users:
            self.recruiter = member(AccessKind.HR_RECRUITER, place=place, username=f"hr-{place.slug}")
            self.team = member(AccessKind.PLACE_TEAM, place=place, username=f"team-{place.slug}")
        self.criteria = [
            Criterion.objects.create(round=self.round, title="Leadership experience", weight=2, max_score=4, order=1),
            Criterion.objects.create(round=self.round, title="System working", weight=1, max_score=4, order=2),
        ]
        self.interview_criteria = [
            Criterion.objects.create(
                round=self.round, stage=Criterion.Stage.INTERVIEW, title="Vision for the role", weight=3, max_score=5
            ),
            Criterion.objects.create(
                round=self.round, stage=Criterion.Stage.INTERVIEW, title="Partnership working", weight=1, max_score=5
            ),
        ]

    @classmethod
    def again(cls, place, n: int) -> RoundSetup:
        """Another role of the same place, recruited by the same recruiter."""
        from django.contrib.auth import get_user_model

        setup = cls(place, title=f"Frailty including Care Homes {n}", users=False)
        users = get_user_model().objects
        setup.recruiter, setup.team = users.get(username=f"hr-{place.slug}"), users.get(username=f"team-{place.slug}")
        return setup

    def add(self, count: int, *, start: int = 1, received_on=dt.date(2022, 3, 1)) -> list[Application]:
        gp = Profession.objects.filter(slug="gp").first()
        status = self.role.status
        if status != RoleStatus.SHORTLISTING:
            type(self.role).objects.filter(pk=self.role.pk).update(status=RoleStatus.SHORTLISTING)
        try:
            return applications_add(
                round=self.round,
                applications=[
                    NewApplication(
                        name=f"Dr Test Applicant {n}",
                        email=f"applicant{n}@example.org",
                        received_on=received_on,
                        statement=f"Statement of applicant {n}: twelve years in frailty care.",
                        profession=gp,
                        employer=f"Test Practice {n}",
                        registration=f"GMC {7000000 + n}",
                    )
                    for n in range(start, start + count)
                ],
                by=self.recruiter,
            )
        finally:
            if status != RoleStatus.SHORTLISTING:
                type(self.role).objects.filter(pk=self.role.pk).update(status=status)
