import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from roles.models import (
    ICS,
    AccessKind,
    Budget,
    Membership,
    Place,
    Role,
    RoleMove,
    RoleType,
    SpatialLevel,
    TemplateRole,
)

PASSWORD = "factory-pass-2022"


class ICSFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ICS
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Test ICS {n}")
    slug = factory.Sequence(lambda n: f"test-ics-{n}")
    short_name = "TICS"
    default_session_rate = Decimal("16400")


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place
        django_get_or_create = ("slug",)

    ics = factory.SubFactory(ICSFactory)
    name = factory.Sequence(lambda n: f"Borough {n}")
    slug = factory.Sequence(lambda n: f"borough-{n}")


class TemplateRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemplateRole

    ics = factory.SubFactory(ICSFactory)
    title = factory.Sequence(lambda n: f"Template role {n}")
    role_type = RoleType.CLINICAL_CARE


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    place = factory.SubFactory(PlaceFactory)
    title = factory.Sequence(lambda n: f"Role {n}")
    role_type = RoleType.CLINICAL_CARE
    spatial_level = factory.LazyFunction(lambda: SpatialLevel.objects.get(slug="place"))
    sessions_per_week = Decimal("1")
    rate_per_session = Decimal("16400")
    start_date = dt.date(2022, 4, 1)
    end_date = dt.date(2023, 3, 31)


class RoleMoveFactory(factory.django.DjangoModelFactory):
    """An audit row made directly (as the demo snapshot does), naming its role's place and title."""

    class Meta:
        model = RoleMove

    role = factory.SubFactory(RoleFactory)
    place = factory.LazyAttribute(lambda row: row.role.place)
    role_title = factory.LazyAttribute(lambda row: row.role.title)
    action = factory.LazyAttribute(lambda row: RoleMove.Action.MOVED if row.from_status else RoleMove.Action.CREATED)
    version = factory.LazyAttribute(lambda row: row.role.version)
    from_status = ""
    to_status = factory.LazyAttribute(lambda row: row.role.status)


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Budget

    place = factory.SubFactory(PlaceFactory)
    financial_year = 2022
    amount = Decimal("417000")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


def member(kind: AccessKind, *, place: Place | None = None, ics: ICS | None = None, **user_fields):
    """A user with one membership; staff when their kind uses the admin site."""
    is_staff = kind in (AccessKind.ICS_ADMIN, AccessKind.HR_RECRUITER)
    user = UserFactory(is_staff=is_staff, **user_fields)
    Membership.objects.create(user=user, kind=kind, place=place, ics=ics)
    return user
