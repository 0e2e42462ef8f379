"""`load_demo`: the seed figures, and running it twice gives the same rows."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from roles.models import Budget, Place, Role, RoleType, TemplateRole

pytestmark = pytest.mark.django_db


def row_counts():
    return {
        model.__name__: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("roles", "recruitment", "auth")
    }


def test_load_demo_twice_gives_the_same_rows_and_prints_the_users():
    out = StringIO()
    call_command("load_demo", "--password", "pw-for-test", stdout=out)
    first = row_counts()
    call_command("load_demo", "--password", "pw-for-test", stdout=StringIO())
    assert row_counts() == first
    printed = out.getvalue()
    for username in ("ics-admin", "bexley-team", "hr-recruiter", "secretariat", "panel-member"):
        assert username in printed
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request=request, username=username, password="pw-for-test") is not None
    assert "password: pw-for-test" in printed


def test_load_demo_keeps_a_users_edit_unless_reset():
    call_command("load_demo", stdout=StringIO())
    role = Role.objects.get(place__slug="bexley", title="End of Life")
    Role.objects.filter(pk=role.pk).update(sessions_per_week=3)
    call_command("load_demo", stdout=StringIO())
    assert Role.objects.get(pk=role.pk).sessions_per_week == Decimal("3")
    call_command("load_demo", "--reset", stdout=StringIO())
    assert Role.objects.get(pk=role.pk).sessions_per_week == Decimal("1")


def test_the_seed_figures(demo):
    sel = Place.objects.get(slug="bexley").ics
    assert sel.name == "Our Healthier South East London"
    assert sorted(sel.places.values_list("name", flat=True)) == [
        "Bexley",
        "Bromley",
        "Greenwich",
        "Lambeth",
        "Lewisham",
        "Southwark",
    ]
    assert TemplateRole.objects.filter(ics=sel).count() == 19  # Table 1
    table3 = Role.objects.filter(place__slug="bexley", predates_ics_model=False)
    assert table3.count() == 22  # Table 3
    assert table3.filter(template_role__isnull=False).count() == 18
    assert (
        table3.get(title="Resident Participation and engagement").template_role.title == "Patient and Public Engagement"
    )
    assert table3.get(title="Sexual and Reproductive Health").role_type == RoleType.CLINICAL
    budgets = dict(Budget.objects.filter(place__slug="bexley").values_list("financial_year", "amount"))
    assert budgets == {2021: Decimal("217000.00"), 2022: Decimal("417000.00")}
    assert Budget.objects.get(place__slug="bexley", financial_year=2021).session_cap == Decimal("11")
    critical = Role.objects.filter(place__slug="bexley", is_critical=True).values_list("title", flat=True)
    assert sorted(critical) == ["Safeguarding GP (CCG)", "Urgent Care Clinical Lead (CCG)"]
    chair = Role.objects.get(title="CPLG Chair")
    assert chair.place.ics.name == "Joined Up Care Derbyshire"
    assert chair.sessions_per_week == Decimal("4") and chair.wte == Decimal("0.4")  # 2 days a week
    assert (chair.start_date, chair.end_date) == (dt.date(2023, 4, 1), dt.date(2026, 3, 31))  # 3-year term


def test_the_demo_holds_a_round_run_to_contract_and_one_in_shortlisting():
    from recruitment.models import Application, ApplicationStatus, Offer
    from roles.models import Declaration, RoleStatus

    call_command("load_demo", stdout=StringIO())
    cancer = Role.objects.get(place__slug="bexley", title="Cancer (including living with and beyond)")
    contracted = cancer.advert_rounds.get(number=1)
    assert cancer.appointee.name == cancer.appointee_name == "Dr Jo Specimen"
    assert list(contracted.offers.order_by("made_at").values_list("status", flat=True)) == [
        Offer.Status.DECLINED,
        Offer.Status.ACCEPTED,
    ]
    assert Declaration.objects.filter(context_id=contracted.pk, about_person__name="Dr Sam Placeholder").exists()
    respiratory = Role.objects.get(place__slug="bexley", title="LTCs including Respiratory and Cardiovascular")
    assert respiratory.status == RoleStatus.SHORTLISTING
    shortlisting = respiratory.advert_rounds.get(number=2)
    assert shortlisting.is_anonymous and shortlisting.applications.count() == 5
    assert [a.is_late for a in Application.objects.filter(round=shortlisting).order_by("candidate_number")] == [
        False,
        False,
        False,
        False,
        True,
    ]
    assert not Application.objects.filter(round=shortlisting).exclude(status=ApplicationStatus.RECEIVED).exists()
    call_command("load_demo", "--reset", stdout=StringIO())
    assert Role.objects.get(pk=respiratory.pk).advert_rounds.get(number=2).applications.count() == 5


def test_the_demo_holds_bexleys_table_4_plan_as_the_paper_writes_it():
    from recruitment.models import Milestone

    call_command("load_demo", stdout=StringIO())
    shown = [
        (m.title, m.shown_when)
        for m in Milestone.objects.filter(tranche__name="Tranche 1: Bexley place roles (Table 4)").order_by("order")
    ]
    assert shown == [
        ("Task & Finish Group Launched", "w/c 31 Jan 2022"),
        ("Role Descriptions agreed and signed off", "18 Feb 2022"),
        ("Local Care Partnership Forum", "TBC"),
        ("Roles advertised", "21 Feb 2022"),
        ("Borough Strategic Board – Update", "24 Feb 2022"),
        ("Deadline for applications", "4 Mar 2022"),
        ("Local Care Partnership Forum", "TBC"),
        ("Shortlisting", "7-11 Mar 2022"),
        ("Interviews", "14-25 Mar 2022"),
        ("Borough Strategic Board", "31 Mar 2022"),
        ("Contracts", "w/c 28 Mar 2022"),
        ("Transition Arrangements Developed", "w/c 4 Apr 2022"),
        ("Roles Commence", "4 Apr 2022"),
    ]
