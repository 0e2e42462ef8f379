"""Demo catalogue from the seed board papers (shared/seeds), as it stood on 4 April 2022.

Facts from the papers: the ICSs and places; Table 1 (the SEL template, 19 roles) and Table 3
(Bexley's 22 roles) with their types; the £16,400 session rate; Bexley's budgets of £217,000
(11 sessions, 2021/22) and £417,000 (2022/23); the interim GP clinical lead contracts of
1 July 2021 to 31 March 2022 within the 11 sessions; the Urgent Care lead and Safeguarding GP
continuing past 31 March 2022 (until the CCG closed on 1 July 2022); role descriptions signed off
on 18 February 2022 and roles commencing on 4 April 2022 (Table 4); the engagement feedback behind
Bexley's changes (Table 2); Derbyshire's CPLG Chair at 2 days a week (4 sessions) for a 3-year term.

ASSUMPTIONS (the papers do not give these): sessions per week for each role (2 for the LCP lead,
the 0.2 WTE per LCP of the SEL pack, and for three broad roles; 1 for the others); how the 11
interim sessions split between leads; a two-year fixed term to 31 March 2024 for the new roles;
which roles had been filled by 4 April 2022 and the later start dates of the rest; a second advert
round (4 to 22 April 2022) for the roles still advertised; appointees' names (not given); the functions
each role serves; the wording of role descriptions the papers do not quote (composed from the
paper's principles in `role_description`); the CPLG Chair's dates (1 April 2023 to 31 March 2026)
and its rate (£16,400).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import (
    ICS,
    AccessKind,
    AdvertRound,
    Budget,
    Function,
    Membership,
    Place,
    Profession,
    Role,
    RoleMove,
    RoleStatus,
    RoleType,
    SpatialLevel,
    TemplateOmission,
    TemplateRole,
)

C, K, CC = RoleType.CLINICAL, RoleType.CARE, RoleType.CLINICAL_CARE
S = RoleStatus
SEL_PLACES = ["Bexley", "Bromley", "Greenwich", "Lambeth", "Lewisham", "Southwark"]
RATE = Decimal("16400")

# Table 1: OHSEL recommended 'place' roles, with the functions each serves (assumed).
SEL_TEMPLATE = [
    ("LCP Clinical/Care Professional Lead", CC, ["system-strategy", "professional-leadership"]),
    ("Cancer (including living with and beyond)", C, ["care-pathway-transformation"]),
    ("Quality and Safety (*TBC)", C, ["quality-safety"]),
    ("LTC including Diabetes and Obesity", C, ["care-pathway-transformation"]),
    ("Planned Care", C, ["care-pathway-transformation"]),
    ("Urgent Care", C, ["care-pathway-transformation"]),
    ("Children & Young People", CC, ["care-pathway-transformation"]),
    ("Mental Health", CC, ["care-pathway-transformation"]),
    ("Medicines Optimisation", C, ["care-pathway-transformation", "quality-safety"]),
    ("Estates/Infrastructure", CC, ["continuous-improvement"]),
    ("Maternity", CC, ["care-pathway-transformation"]),
    ("Primary and Community Care including care homes", C, ["care-pathway-transformation"]),
    ("LD and Autism", CC, ["care-pathway-transformation", "population-health"]),
    ("Personalisation including Social Prescribing", CC, ["population-health"]),
    ("Diagnostics", C, ["care-pathway-transformation"]),
    ("Patient and Public Engagement", CC, ["patient-public-engagement"]),
    ("Workforce Strategy, Resilience, Development", CC, ["workforce-resilience"]),
    ("Population Health Management(PHM)/Inequalities", CC, ["population-health"]),
    ("Other roles e.g. Frailty", CC, ["care-pathway-transformation"]),
]

ADVERTISED_ON = dt.date(2022, 2, 21)  # Table 4: roles advertised
APPLICATIONS_CLOSE = dt.date(2022, 3, 4)  # Table 4: deadline for applications
READVERTISED_ON, READVERTISED_CLOSE = dt.date(2022, 4, 4), dt.date(2022, 4, 22)  # assumed
ADVERTISED_OR_LATER = {
    RoleStatus.ADVERTISED,
    RoleStatus.SHORTLISTING,
    RoleStatus.INTERVIEWING,
    RoleStatus.OFFERED,
    RoleStatus.CONTRACTED,
    RoleStatus.IN_POST,
    RoleStatus.NOT_APPOINTED,
}
NEW_END = dt.date(2024, 3, 31)
AS_AT = dt.datetime(2022, 4, 4, 9, 0, tzinfo=ZoneInfo("Europe/London"))  # the demo's snapshot
COMMENCE = dt.date(2022, 4, 4)
SIGNED_OFF = dt.date(2022, 2, 18)

# Table 3: Bexley's proposed roles. (title, type, template title or None, sessions, status, start,
# functions, reason for differing from the template, description)
BEXLEY_ROLES = [
    (
        "LCP Clinical/Care Professional Lead",
        CC,
        "LCP Clinical/Care Professional Lead",
        "2",
        S.IN_POST,
        COMMENCE,
        ["system-strategy", "professional-leadership"],
        "",
        "Leads the Bexley Local Care Partnership's clinical and care professional community; "
        "0.2 WTE per LCP as in the SEL pack.",
    ),
    (
        "Cancer (including living with and beyond)",
        C,
        "Cancer (including living with and beyond)",
        "1",
        S.IN_POST,
        COMMENCE,
        ["care-pathway-transformation"],
        "",
        "",
    ),
    (
        "Quality and Safety",
        C,
        "Quality and Safety (*TBC)",
        "1",
        S.PROPOSED,
        dt.date(2022, 10, 1),
        ["quality-safety"],
        "",
        "Quality and safety roles are still being engaged on by the CCG Chief Nurse (SEL proposal, Jan 2022).",
    ),
    (
        "LTCs including Diabetes and Obesity",
        C,
        "LTC including Diabetes and Obesity",
        "1",
        S.IN_POST,
        COMMENCE,
        ["care-pathway-transformation"],
        "",
        "",
    ),
    ("Planned Care", C, "Planned Care", "1", S.IN_POST, COMMENCE, ["care-pathway-transformation"], "", ""),
    ("Urgent Care", C, "Urgent Care", "1", S.IN_POST, COMMENCE, ["care-pathway-transformation"], "", ""),
    (
        "Children & Young People",
        CC,
        "Children & Young People",
        "1",
        S.IN_POST,
        COMMENCE,
        ["care-pathway-transformation"],
        "",
        "Includes Special Educational Needs and Disability (SEND), as the LCP Forum asked on 10 Dec 2021.",
    ),
    ("Mental Health", CC, "Mental Health", "1", S.IN_POST, COMMENCE, ["care-pathway-transformation"], "", ""),
    (
        "Medicines Optimisation",
        C,
        "Medicines Optimisation",
        "1",
        S.IN_POST,
        COMMENCE,
        ["care-pathway-transformation", "quality-safety"],
        "",
        "",
    ),
    (
        "Estates/ IT Infrastructure",
        CC,
        "Estates/Infrastructure",
        "1",
        S.PROPOSED,
        dt.date(2022, 10, 1),
        ["continuous-improvement"],
        "IT added to the title. The paper gives no reason; the Governing Body Bexley Lead GPs asked for a local "
        "digital role on 9 Dec 2021.",
        "",
    ),
    ("Maternity", CC, "Maternity", "1", S.OFFERED, dt.date(2022, 5, 3), ["care-pathway-transformation"], "", ""),
    (
        "Primary and Community Care",
        C,
        "Primary and Community Care including care homes",
        "2",
        S.IN_POST,
        COMMENCE,
        ["care-pathway-transformation"],
        "Care homes moved to the Frailty role, as the Governing Body Bexley Lead GPs asked on 9 Dec 2021 "
        '("Addition of Frailty role and aligning with care homes").',
        "",
    ),
    (
        "LD and Autism",
        CC,
        "LD and Autism",
        "1",
        S.OFFERED,
        dt.date(2022, 5, 3),
        ["care-pathway-transformation", "population-health"],
        "",
        "",
    ),
    (
        "Personalisation including Social Prescribing",
        CC,
        "Personalisation including Social Prescribing",
        "1",
        S.INTERVIEWING,
        dt.date(2022, 5, 3),
        ["population-health"],
        "",
        "",
    ),
    (
        "Diagnostics",
        C,
        "Diagnostics",
        "1",
        S.NOT_APPOINTED,
        dt.date(2022, 7, 1),
        ["care-pathway-transformation"],
        "",
        "",
    ),
    (
        "Resident Participation and engagement",
        CC,
        "Patient and Public Engagement",
        "1",
        S.ADVERTISED,
        dt.date(2022, 7, 1),
        ["patient-public-engagement"],
        'Renamed: "Resident participation better name than patient and public engagement" '
        "(Bexley Care Senior Leadership Team, 10 Jan 2022).",
        "",
    ),
    (
        "Workforce Strategy, Resilience, Development",
        CC,
        "Workforce Strategy, Resilience, Development",
        "1",
        S.INTERVIEWING,
        dt.date(2022, 5, 3),
        ["workforce-resilience"],
        "",
        "Nurse leadership needs to be developed; a model of supported release is better than backfill "
        "(Bexley Training Hub, 4 Jan 2022).",
    ),
    (
        "Population Health Management/Inequalities",
        CC,
        "Population Health Management(PHM)/Inequalities",
        "2",
        S.IN_POST,
        COMMENCE,
        ["population-health"],
        "",
        '"Need a role focused on addressing health inequalities" (LCP Communications & Engagement Group, 15 Dec 2021).',
    ),
    (
        "Frailty including Care Homes",
        CC,
        None,
        "2",
        S.IN_POST,
        COMMENCE,
        ["care-pathway-transformation"],
        'Added: "Addition of Frailty role and aligning with care homes" (Governing Body Bexley Lead GPs, 9 Dec 2021); '
        '"Support for Frailty role" (Local Care Partnership Forum, 10 Dec 2021).',
        "",
    ),
    (
        "End of Life",
        CC,
        None,
        "1",
        S.IN_POST,
        COMMENCE,
        ["care-pathway-transformation"],
        'Added: "End of life role proposed" (Local Care Partnership Forum, 10 Dec 2021).',
        "",
    ),
    (
        "LTCs including Respiratory and Cardiovascular",
        C,
        None,
        "1",
        S.ADVERTISED,
        dt.date(2022, 7, 1),
        ["care-pathway-transformation"],
        'Added: "Addition of LTC Respiratory and cardiovascular" (Governing Body Bexley Lead GPs, 9 Dec 2021); '
        "a significant Bexley workstream with neurorehabilitation.",
        "",
    ),
    (
        "Sexual and Reproductive Health",
        C,
        None,
        "1",
        S.APPROVED,
        dt.date(2022, 7, 1),
        ["care-pathway-transformation", "population-health"],
        "Added: given the prevalence of HIV in Bexley, a broader sexual and reproductive health role rather than the "
        "HIV champion OHSEL asked for (Sexual Health Commissioner, 13 Jan 2022).",
        "",
    ),
]

# The CCG's interim GP clinical leads within the 11 budgeted sessions (1 Jul 2021 to 31 Mar 2022);
# the Urgent Care lead and Safeguarding GP continued until the CCG closed.
INTERIM_START = dt.date(2021, 7, 1)
CCG_CLOSED = dt.date(2022, 6, 30)
BEXLEY_INTERIM = [
    (
        "Urgent Care Clinical Lead (CCG)",
        "2",
        CCG_CLOSED,
        S.IN_POST,
        True,
        "Supports the co-production of the Review of Urgent Care; a critical role that continues until the CCG closes.",
    ),
    (
        "Safeguarding GP (CCG)",
        "1",
        CCG_CLOSED,
        S.IN_POST,
        True,
        "Statutory safeguarding requirements; a critical role that continues until the CCG closes.",
    ),
    ("GP Clinical Lead 1 (CCG interim contract)", "2", dt.date(2022, 3, 31), S.ENDED, False, ""),
    ("GP Clinical Lead 2 (CCG interim contract)", "2", dt.date(2022, 3, 31), S.ENDED, False, ""),
    ("GP Clinical Lead 3 (CCG interim contract)", "2", dt.date(2022, 3, 31), S.ENDED, False, ""),
    ("GP Clinical Lead 4 (CCG interim contract)", "2", dt.date(2022, 3, 31), S.ENDED, False, ""),
]

NOT_ADOPTED = {
    "Other roles e.g. Frailty": "A placeholder in the template; Bexley named its own additions instead: "
    "Frailty including Care Homes, End of Life, LTCs including Respiratory and Cardiovascular, "
    "Sexual and Reproductive Health.",
}

DEMO_USERS = [
    # username, first, last, kind, scope ("ics:<slug>" or "place:<slug>"), is_staff
    ("ics-admin", "Ida", "Administrator", AccessKind.ICS_ADMIN, ["ics:sel"], True),
    ("bexley-team", "Bea", "Bexley", AccessKind.PLACE_TEAM, ["place:bexley"], False),
    ("hr-recruiter", "Hari", "Recruiter", AccessKind.HR_RECRUITER, ["place:bexley", "place:greenwich"], True),
    ("secretariat", "Sam", "Secretariat", AccessKind.SECRETARIAT, ["place:bexley"], False),
]


def role_description(title: str, sessions: str) -> str:
    """A place role's description in the paper's words, for roles whose description the paper does not quote."""
    plural = "" if sessions == "1" else "s"
    return (
        f"Leads {title} for the Bexley Local Care Partnership, with {sessions} session{plural} a week of protected "
        "time: works in an embedded way with the relevant groups to deliver improvement and transformation rather "
        "than governance and oversight, and is open to clinical and care professionals from the local Bexley system "
        "where the role's type allows (Bexley proposals, Borough Strategic Board, 27 Jan 2022)."
    )


class Loader:
    """Creates what is missing and leaves existing rows alone, so it can run on every start.

    With `reset=True` it puts the demo rows back as defined here (other rows are untouched).
    """

    def __init__(self, *, reset: bool = False, password: str):
        self.reset = reset
        self.password = password
        self.functions = {f.slug: f for f in Function.objects.all()}
        self.created = 0

    def upsert(self, model, lookup: dict, defaults: dict, m2m: dict | None = None):
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model.objects.create(**lookup, **defaults)
            self.created += 1
        elif self.reset:
            for field, value in defaults.items():
                setattr(obj, field, value)
            obj.save()
        else:
            return obj
        for field, values in (m2m or {}).items():
            getattr(obj, field).set(values)
        return obj

    def record(self, role: Role):
        """The audit row and advert rounds behind a demo role's state, from Table 4's dates."""
        if role.moves.exists() and not self.reset:
            return
        role.moves.all().delete()
        role.advert_rounds.all().delete()
        RoleMove.objects.create(
            role=role,
            place=role.place,
            role_title=role.title,
            action=RoleMove.Action.CREATED,
            version=role.version,
            from_status="",
            to_status=role.status,
            at=AS_AT,
            reason="Demo data: the state the roles were in on 4 April 2022 (see roles/demo.py).",
        )
        if role.status in ADVERTISED_OR_LATER:
            first = AdvertRound.objects.create(
                role=role, number=1, opens_on=ADVERTISED_ON, closes_on=APPLICATIONS_CLOSE
            )
            if role.status in (S.IN_POST, S.CONTRACTED):
                first.outcome = AdvertRound.Outcome.APPOINTED
            elif role.status in (S.NOT_APPOINTED, S.ADVERTISED):
                first.outcome = AdvertRound.Outcome.NOT_APPOINTED
            first.save()
            if role.status == S.ADVERTISED:
                AdvertRound.objects.create(role=role, number=2, opens_on=READVERTISED_ON, closes_on=READVERTISED_CLOSE)
        if role.status in (S.IN_POST, S.CONTRACTED) and not role.appointee_name:
            role.appointee_name = "Appointed (name not in the papers)"
            role.save(update_fields=["appointee_name"])

    def fns(self, slugs):
        return [self.functions[s] for s in slugs]

    @transaction.atomic
    def load(self):
        levels = {s.slug: s for s in SpatialLevel.objects.all()}
        clinical = list(Profession.objects.filter(is_clinical=True))
        gp = list(Profession.objects.filter(slug="gp"))

        sel = self.upsert(
            ICS,
            {"slug": "sel"},
            {"name": "Our Healthier South East London", "short_name": "SEL", "default_session_rate": RATE},
        )
        places = {
            name.lower(): self.upsert(Place, {"slug": name.lower()}, {"ics": sel, "name": name}) for name in SEL_PLACES
        }
        templates = {}
        for order, (title, role_type, functions) in enumerate(SEL_TEMPLATE, start=1):
            templates[title] = self.upsert(
                TemplateRole,
                {"ics": sel, "title": title},
                {"role_type": role_type, "order": order},
                {"functions": self.fns(functions)},
            )
        bexley = places["bexley"]
        self.upsert(
            Budget,
            {"place": bexley, "financial_year": 2021},
            {
                "amount": Decimal("217000"),
                "session_cap": Decimal("11"),
                "notes": "11 clinical sessions a week at £16.4k a session (SEL CCG merger allocation). "
                "Clinical Lead roles will not exceed the SEL allocated and budgeted 11 sessions.",
            },
        )
        self.upsert(
            Budget,
            {"place": bexley, "financial_year": 2022},
            {
                "amount": Decimal("417000"),
                "session_cap": None,
                "notes": "Proposed rise from £217k to £417k to release a range of clinical and care professionals "
                "(Bexley Strategic Board, 27 Jan 2022).",
            },
        )
        for title, sessions, end, status, critical, description in BEXLEY_INTERIM:
            interim = self.upsert(
                Role,
                {"place": bexley, "title": title},
                {
                    "role_type": C,
                    "spatial_level": levels["place"],
                    "sessions_per_week": Decimal(sessions),
                    "rate_per_session": RATE,
                    "start_date": INTERIM_START,
                    "end_date": end,
                    "status": status,
                    "is_critical": critical,
                    "description": description,
                    "predates_ics_model": True,
                },
                {"functions": self.fns(["care-pathway-transformation"]), "eligible_professions": gp},
            )
            self.record(interim)
        for title, role_type, template, sessions, status, start, functions, reason, description in BEXLEY_ROLES:
            role = self.upsert(
                Role,
                {"place": bexley, "title": title},
                {
                    "role_type": role_type,
                    "spatial_level": levels["place"],
                    "sessions_per_week": Decimal(sessions),
                    "rate_per_session": RATE,
                    "start_date": start,
                    "end_date": NEW_END,
                    "status": status,
                    "template_role": templates[template] if template else None,
                    "variation_reason": reason,
                    "description": description or role_description(title, sessions),
                    "description_signed_off_on": None if status == S.PROPOSED else SIGNED_OFF,
                },
                {"functions": self.fns(functions), "eligible_professions": clinical if role_type == C else []},
            )
            self.record(role)
        for title, reason in NOT_ADOPTED.items():
            self.upsert(TemplateOmission, {"place": bexley, "template_role": templates[title]}, {"reason": reason})

        jucd = self.upsert(
            ICS,
            {"slug": "jucd"},
            {"name": "Joined Up Care Derbyshire", "short_name": "JUCD", "default_session_rate": RATE},
        )
        derbyshire = self.upsert(
            Place,
            {"slug": "jucd-system"},
            {"ics": jucd, "name": "Derbyshire ICS-wide (ICB programme spend)", "is_system_wide": True},
        )
        chair = self.upsert(
            Role,
            {"place": derbyshire, "title": "CPLG Chair"},
            {
                "role_type": CC,
                "spatial_level": levels["leadership-group"],
                "sessions_per_week": Decimal("4"),
                "rate_per_session": RATE,
                "start_date": dt.date(2023, 4, 1),
                "end_date": dt.date(2026, 3, 31),
                "status": S.APPROVED,
                "description_signed_off_on": dt.date(2023, 2, 8),
                "description": "Substantive Chair of the Clinical and Professional Leadership Group, 2 days a week for "
                "a 3-year term: embeds the distributed leadership model and makes CPLG the system's "
                "clinical and care professional conscience, advising the ICB and ICP. The ICB Board "
                "approved the job description and appointment process (reported to the ICP on 8 Feb 2023).",
            },
            {"functions": self.fns(["system-strategy", "professional-leadership"])},
        )
        self.record(chair)
        self.load_users({"sel": sel, "jucd": jucd}, places)
        return self.created

    def load_users(self, icss, places):
        User = get_user_model()
        for username, first, last, kind, scopes, is_staff in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None or self.reset:
                user = user or User(username=username)
                user.first_name, user.last_name, user.is_staff = first, last, is_staff
                user.email = f"{username}@example.nhs.uk"
                user.set_password(self.password)
                user.save()
                self.created += 1
            for scope in scopes:
                kind_of_scope, slug = scope.split(":")
                target = (
                    {"ics": icss[slug], "place": None}
                    if kind_of_scope == "ics"
                    else {"ics": None, "place": places[slug]}
                )
                if not Membership.objects.filter(user=user, kind=kind, **target).exists():
                    Membership.objects.create(user=user, kind=kind, **target)
                    self.created += 1
