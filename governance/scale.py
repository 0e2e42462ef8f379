"""National-scale data for benchmarks and load tests: `manage.py load_scale` (issue 12).

England as it might stand on Monday 30 September 2024 (`AS_OF`): the 42 ICSs of England (their
official names, so none clashes with the demo's "Our Healthier South East London" or "Joined Up
Care Derbyshire"), 200 places named after the boroughs, districts and localities of each ICS, each
ICS with its ICS-wide unit and its template of recommended place roles; 5,000 roles in every state
of the workflow, one place (Manchester) with 1,000 of them and one ICS (Greater Manchester) with
1,500; 50,000 applications with criteria, panels, scores, interviews, offers and contracts;
100,000 milestones in tranche plans and role plans (dates, ranges, weeks commencing, TBC) with the
reminders the sweep sent in the week before `AS_OF`; boards with members, meetings, agenda items,
papers, attendance, decisions citing the roles they authorise, and the engagement that shaped the
roles; budgets for 2022/23 to 2024/25. `small` and `tiny` are the same shape at a fraction.

Why it bypasses the services. Every write in this product normally goes through its service
(`roles.services`, `recruitment.services`, `governance.services`, `recruitment.plans`), which locks
the place and the role, validates, audits and writes one row at a time: at this size that is hours,
not minutes. So this module writes with `bulk_create` in bounded batches (and
`simple_history.utils.bulk_create_with_history`, or the history manager's `bulk_history_create`, for
models that keep history), and writes what the services would have written beside each row: a
legal audit trail per role (`RoleMove`: created, edits, and one row per move, each a move the
model's `MOVES` allows, with the details `roles.services.MoveDetails` records), one history row per
version of each role, the advert rounds each "advertise" move opens with the outcome later moves
give them, application events for every status an application passed through, offers and
contracts behind every appointment, decisions linked to the roles they authorise (the reference on
the role is `governance.citations.label`'s), and the reminders `recruitment.reminders.reminders_due`
wanted on each of the seven days before `AS_OF`. The rules are the models' and the services' own,
imported, not copied: `MOVES`, `MoveDetails.as_json`, `stage_of` and `cost_in_year` (budgets),
`normalise_title` (renamed roles), `rules.quorum` and `rules.tally` (attendance and votes),
`when_problems` (milestone dates), `professions_problem` (who a role is open to).

Reproducible: everything comes from `random.Random(seed)` and fixed dates (no `now()`); timestamps
Django would stamp itself (`auto_now`, `auto_now_add`) are set from the data's own dates. The same
seed and scale give the same rows (their primary keys aside).

The scale set is marked: its ICSs and places have slugs starting `scale-`, its users usernames
starting `scale-`, its people e-mail addresses at `scale.example.org` (fictional, like every name
here). `scale_remove` deletes those rows and everything that hangs off them, and nothing else.

For the benchmark and the load test: `BIG_PLACE_SLUG`, `BIG_ICS_SLUG`, `USERNAMES` (one user per
kind of access, password `DEMO_PASSWORD` or `demo-pass-2022`), `BENCH_USERS`, `load_test_env()` (the
load test's settings, as shell exports) and `AS_OF` (sweep the reminders as on that day with
`manage.py sweep_reminders --today 2024-09-30`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import re
import shlex
import time
import types
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from recruitment import demo as recruitment_demo
from recruitment.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Contract,
    ContractType,
    Criterion,
    EqualityAnswers,
    InterviewSlot,
    Milestone,
    Offer,
    PanelMember,
    PlanStep,
    PlanTemplate,
    Reminder,
    ReminderSettings,
    Score,
    Tranche,
    When,
    when_problems,
)
from recruitment.notices import OUTCOMES
from recruitment.reminders import reminders_due
from roles import demo as roles_demo
from roles.costs import FinancialYear, cost_in_year, peak_sessions
from roles.formatting import day, field_value, money
from roles.models import (
    ICS,
    MOVES,
    RESUME,
    AccessKind,
    AdvertRound,
    BudgetStage,
    Declaration,
    Function,
    Membership,
    Person,
    Place,
    Profession,
    Role,
    RoleMove,
    RoleStatus,
    RoleType,
    SpatialLevel,
    TemplateOmission,
    TemplateRole,
    normalise_title,
    professions_problem,
    stage_of,
)
from roles.models import Budget as BudgetModel
from roles.services import MoveDetails

from . import citations, rules
from . import demo as governance_demo
from .models import (
    AgendaItem,
    Attendance,
    Board,
    BoardMember,
    Decision,
    EngagementEvent,
    ExportLog,
    FeedbackPoint,
    Meeting,
    Organisation,
    Paper,
    Vote,
)

S = RoleStatus
A = ApplicationStatus
C, K, CC = RoleType.CLINICAL, RoleType.CARE, RoleType.CLINICAL_CARE
LONDON = ZoneInfo("Europe/London")

# --- What the benchmark and the load test import ---------------------------------------------------------

PREFIX = "scale-"  # the slugs of the scale set's ICSs and places, and its usernames
EMAIL_DOMAIN = "scale.example.org"  # its people's and users' addresses (fictional)
BIG_ICS_SLUG = "scale-greater-manchester"  # the ICS with 1,500 roles (england)
BIG_PLACE_SLUG = "scale-manchester"  # the place with 1,000 roles (england), in that ICS
USERNAMES = {
    "ics_admin": "scale-ics-admin",  # ICS administrator of the big ICS (admin site too)
    "place_team": "scale-place-team",  # place team member of the big place
    "hr_recruiter": "scale-hr",  # HR recruiter for every place of the big ICS (admin site too)
    "secretariat": "scale-secretariat",  # board secretariat of the big ICS
    "superuser": "scale-superuser",  # sees everything
    "panel_member": "scale-panel",  # sits on some of the big place's recruitment panels
}
# The users `make bench` walks every page as (`governance/management/commands/benchmark.py` reads it).
# Who `manage.py benchmark` walks the site as: a place team member (the place's pages) and the ICS
# administrator (the ICS's pages and the admin); the other users reach the same pages, scoped more
# narrowly (`--users` names them when wanted).
BENCH_USERS = tuple(USERNAMES[kind] for kind in ("place_team", "ics_admin"))
AS_OF = dt.date(2024, 9, 30)  # the data's "today": sweep reminders with --today 2024-09-30
BUDGET_YEARS = (2022, 2023, 2024)  # 2022/23 to 2024/25; the dashboard defaults to the latest budgeted year
DEFAULT_PASSWORD = "demo-pass-2022"
DATA_START = dt.date(2021, 9, 1)  # the first role was proposed on or after this day
REMINDER_DAYS = 7  # the sweeps simulated before AS_OF


@dataclass(frozen=True)
class Scale:
    name: str
    icss: int
    places: int  # boroughs and localities; each ICS also has its ICS-wide unit
    roles: int
    big_place_roles: int
    big_ics_roles: int  # the big place's included
    applications: int
    milestones: int
    chunk: int  # roles written per batch of rows (whole tranches)


SCALES = {
    "england": Scale("england", 42, 200, 5000, 1000, 1500, 50_000, 100_000, 250),
    "small": Scale("small", 6, 24, 600, 150, 250, 6_000, 12_000, 150),
    "tiny": Scale("tiny", 2, 3, 40, 20, 30, 300, 300, 100),
}

# --- The country -------------------------------------------------------------------------------------------

# The 42 ICSs of England by their official names, with places (boroughs, districts, localities);
# 200 places in all. The first is the big ICS and its first place the big place; smaller scales take
# the first ICSs and their places in turn.
# fmt: off
ICSS = [
    ("greater-manchester", "Greater Manchester", "GM", ["Manchester", "Bolton", "Bury", "Oldham", "Rochdale",
        "Salford", "Stockport", "Tameside", "Trafford", "Wigan"]),
    ("sel", "South East London", "SEL", ["Bexley", "Bromley", "Greenwich", "Lambeth", "Lewisham", "Southwark"]),
    ("derbyshire", "Derby and Derbyshire", "DDICB", ["Derby City", "Chesterfield", "Erewash", "High Peak",
        "South Derbyshire"]),
    ("cheshire-merseyside", "Cheshire and Merseyside", "C&M", ["Cheshire East", "Cheshire West", "Halton",
        "Knowsley", "Liverpool", "St Helens", "Sefton", "Warrington", "Wirral"]),
    ("west-yorkshire", "West Yorkshire", "WY", ["Bradford District and Craven", "Calderdale", "Kirklees", "Leeds",
        "Wakefield"]),
    ("kent-medway", "Kent and Medway", "K&M", ["Dartford, Gravesham and Swanley", "Medway and Swale", "East Kent",
        "West Kent"]),
    ("nenc", "North East and North Cumbria", "NENC", ["Newcastle", "Gateshead", "North Tyneside", "South Tyneside",
        "Sunderland", "Northumberland", "County Durham", "Darlington", "Hartlepool", "Stockton-on-Tees",
        "Middlesbrough", "Redcar and Cleveland", "North Cumbria"]),
    ("humber-north-yorkshire", "Humber and North Yorkshire", "HNY", ["Hull", "East Riding of Yorkshire",
        "North Lincolnshire", "North East Lincolnshire", "York", "North Yorkshire"]),
    ("south-yorkshire", "South Yorkshire", "SY", ["Barnsley", "Doncaster", "Rotherham", "Sheffield"]),
    ("lancashire-south-cumbria", "Lancashire and South Cumbria", "L&SC", ["Blackburn with Darwen", "Blackpool",
        "Central Lancashire", "East Lancashire", "South Cumbria"]),
    ("birmingham-solihull", "Birmingham and Solihull", "BSol", ["Birmingham", "Solihull"]),
    ("black-country", "Black Country", "BC", ["Dudley", "Sandwell", "Walsall", "Wolverhampton"]),
    ("coventry-warwickshire", "Coventry and Warwickshire", "C&W", ["Coventry", "Warwickshire North", "Rugby",
        "South Warwickshire"]),
    ("herefordshire-worcestershire", "Herefordshire and Worcestershire", "H&W", ["Herefordshire", "Worcestershire"]),
    ("llr", "Leicester, Leicestershire and Rutland", "LLR", ["Leicester City", "Leicestershire", "Rutland"]),
    ("lincolnshire", "Lincolnshire", "Lincs", ["Lincoln", "East Lindsey", "Boston", "South Holland",
        "North Kesteven"]),
    ("northamptonshire", "Northamptonshire", "Northants", ["North Northamptonshire", "West Northamptonshire"]),
    ("nottinghamshire", "Nottingham and Nottinghamshire", "N&N", ["Nottingham City", "Mid-Nottinghamshire",
        "South Nottinghamshire", "Bassetlaw"]),
    ("shropshire-telford", "Shropshire, Telford and Wrekin", "STW", ["Shropshire", "Telford and Wrekin"]),
    ("staffordshire", "Staffordshire and Stoke-on-Trent", "SSOT", ["Stoke-on-Trent", "North Staffordshire",
        "South East Staffordshire", "Stafford and Surrounds", "Cannock Chase"]),
    ("blmk", "Bedfordshire, Luton and Milton Keynes", "BLMK", ["Bedford Borough", "Central Bedfordshire", "Luton",
        "Milton Keynes"]),
    ("cambridgeshire-peterborough", "Cambridgeshire and Peterborough", "C&P", ["Peterborough", "Cambridge City",
        "Huntingdonshire", "Fenland", "East Cambridgeshire"]),
    ("herts-west-essex", "Hertfordshire and West Essex", "HWE", ["East and North Hertfordshire",
        "South and West Hertfordshire", "West Essex"]),
    ("mid-south-essex", "Mid and South Essex", "MSE", ["Basildon and Brentwood", "Mid Essex", "South East Essex",
        "Thurrock"]),
    ("norfolk-waveney", "Norfolk and Waveney", "N&W", ["Norwich", "North Norfolk", "South Norfolk", "West Norfolk",
        "Great Yarmouth and Waveney", "Breckland"]),
    ("suffolk-ne-essex", "Suffolk and North East Essex", "SNEE", ["Ipswich and East Suffolk", "West Suffolk",
        "North East Essex"]),
    ("ncl", "North Central London", "NCL", ["Barnet", "Camden", "Enfield", "Haringey", "Islington"]),
    ("nel", "North East London", "NEL", ["Barking and Dagenham", "City and Hackney", "Havering", "Newham",
        "Redbridge", "Tower Hamlets", "Waltham Forest"]),
    ("nwl", "North West London", "NWL", ["Brent", "Ealing", "Hammersmith and Fulham", "Harrow", "Hillingdon",
        "Hounslow", "Kensington and Chelsea", "Westminster"]),
    ("swl", "South West London", "SWL", ["Croydon", "Kingston", "Merton", "Richmond", "Sutton", "Wandsworth"]),
    ("bob", "Buckinghamshire, Oxfordshire and Berkshire West", "BOB", ["Buckinghamshire", "Oxfordshire", "Reading",
        "West Berkshire", "Wokingham"]),
    ("frimley", "Frimley", "Frimley", ["North East Hampshire and Farnham", "Surrey Heath", "Slough",
        "Bracknell Forest", "Windsor, Ascot and Maidenhead"]),
    ("hampshire-iow", "Hampshire and Isle of Wight", "HIOW", ["Portsmouth", "Southampton", "Isle of Wight",
        "North and Mid Hampshire", "South West Hampshire", "South East Hampshire"]),
    ("surrey-heartlands", "Surrey Heartlands", "SH", ["Guildford and Waverley", "East Surrey", "North West Surrey",
        "Surrey Downs"]),
    ("sussex", "Sussex", "Sussex", ["Brighton and Hove", "East Sussex", "West Sussex"]),
    ("bsw", "Bath and North East Somerset, Swindon and Wiltshire", "BSW", ["Bath and North East Somerset", "Swindon",
        "Wiltshire"]),
    ("bnssg", "Bristol, North Somerset and South Gloucestershire", "BNSSG", ["Bristol", "North Somerset",
        "South Gloucestershire"]),
    ("cornwall", "Cornwall and the Isles of Scilly", "CIOS", ["Cornwall", "Isles of Scilly"]),
    ("devon", "Devon", "Devon", ["Northern Devon", "Eastern Devon", "Southern Devon", "Western Devon", "Plymouth",
        "Torbay"]),
    ("dorset", "Dorset", "Dorset", ["Bournemouth, Christchurch and Poole", "Dorset"]),
    ("gloucestershire", "Gloucestershire", "Glos", ["Cheltenham", "Gloucester", "Cotswolds", "Forest of Dean",
        "Stroud and Berkeley Vale", "Tewkesbury"]),
    ("somerset", "Somerset", "Somerset", ["Mendip", "Sedgemoor", "Somerset West and Taunton", "South Somerset"]),
]
# fmt: on

# The big place's neighbourhoods (Manchester's wards); other places use compass points and PCNs.
MANCHESTER_NEIGHBOURHOODS = [
    "Ancoats and Beswick", "Ardwick", "Baguley", "Brooklands", "Burnage", "Charlestown", "Cheetham",
    "Chorlton", "Chorlton Park", "Clayton and Openshaw", "Crumpsall", "Deansgate", "Didsbury East",
    "Didsbury West", "Fallowfield", "Gorton and Abbey Hey", "Harpurhey", "Higher Blackley", "Hulme",
    "Levenshulme", "Longsight", "Miles Platting and Newton Heath", "Moss Side", "Moston", "Northenden",
    "Old Moat", "Piccadilly", "Rusholme", "Sharston", "Whalley Range", "Withington", "Woodhouse Park",
    "Blackley", "Newton Heath", "Collyhurst", "Wythenshawe", "Gorton South", "Belle Vue", "Ladybarn",
    "West Didsbury",
]  # fmt: skip

# Recommended place roles an ICS may add to the SEL template's (title, type, functions).
EXTRA_TEMPLATE = [
    ("Frailty including Care Homes", CC, ["care-pathway-transformation"]),
    ("End of Life", CC, ["care-pathway-transformation"]),
    ("Respiratory", C, ["care-pathway-transformation"]),
    ("Cardiovascular Disease", C, ["care-pathway-transformation", "population-health"]),
    ("Sexual and Reproductive Health", C, ["care-pathway-transformation", "population-health"]),
    ("Safeguarding", C, ["quality-safety"]),
    ("Dementia", CC, ["care-pathway-transformation"]),
    ("Digital and Data", CC, ["continuous-improvement"]),
    ("Research and Innovation", CC, ["research-evidence"]),
    ("Social Care Professional Lead", K, ["professional-leadership", "care-standards"]),
    ("Voluntary and Community Sector Partnership", K, ["patient-public-engagement"]),
    ("Prevention and Public Health", CC, ["population-health"]),
    ("Carers", K, ["population-health"]),
    ("Housing and Health", K, ["population-health"]),
    ("Community Pharmacy", C, ["quality-safety"]),
    ("Allied Health Professions", C, ["professional-leadership"]),
    ("Nursing Leadership", C, ["professional-leadership", "workforce-resilience"]),
    ("Care Standards in Care Homes", K, ["care-standards", "quality-safety"]),
    ("Musculoskeletal", C, ["care-pathway-transformation"]),
    ("Stroke", C, ["care-pathway-transformation"]),
]
# What places renamed template roles to (each a rename by `normalise_title`).
RENAMES = {
    "Patient and Public Engagement": "Resident Participation and engagement",
    "Estates/Infrastructure": "Estates and Digital Infrastructure",
    "Population Health Management(PHM)/Inequalities": "Health Inequalities and Population Health",
    "Workforce Strategy, Resilience, Development": "Workforce and Leadership Development",
    "Personalisation including Social Prescribing": "Personalised Care and Social Prescribing",
    "Primary and Community Care including care homes": "Primary and Community Care",
    "LD and Autism": "Learning Disability and Autism",
    "Children & Young People": "Children, Young People and Families",
    "Mental Health": "Mental Health and Wellbeing",
    "Urgent Care": "Urgent and Emergency Care",
    "Planned Care": "Planned Care and Elective Recovery",
    "Medicines Optimisation": "Medicines Safety and Optimisation",
    "Cardiovascular Disease": "Heart Health",
    "Digital and Data": "Digital Transformation",
    "Carers": "Unpaid Carers",
}
# Roles an ICS holds itself (its ICS-wide unit): (title, type, spatial level, functions).
ICS_ROLES = [
    ("CPLG Chair", CC, "leadership-group", ["system-strategy", "professional-leadership"]),
    ("CPLG Vice Chair", CC, "leadership-group", ["system-strategy"]),
    ("Clinical Director: Cancer Alliance", C, "ics", ["care-pathway-transformation"]),
    ("Clinical Lead: Urgent and Emergency Care Network", C, "ics", ["care-pathway-transformation"]),
    (
        "Provider Collaborative Clinical Lead: Mental Health",
        C,
        "provider-collaborative",
        ["care-pathway-transformation"],
    ),
    ("Provider Collaborative Clinical Lead: Acute", C, "provider-collaborative", ["care-pathway-transformation"]),
    ("Primary Care Collaborative Clinical Lead", C, "provider-collaborative", ["system-strategy"]),
    ("Social Care Professional Lead for the ICS", K, "ics", ["professional-leadership", "care-standards"]),
    ("Population Health Clinical Lead", CC, "ics", ["population-health"]),
    ("Digital Clinical Safety Lead", C, "ics", ["quality-safety", "continuous-improvement"]),
    ("Research and Innovation Lead", CC, "ics", ["research-evidence"]),
    ("Children and Young People's Network Clinical Lead", CC, "ics", ["care-pathway-transformation"]),
    ("Maternity and Neonatal System Clinical Lead", C, "ics", ["care-pathway-transformation", "quality-safety"]),
    ("Medicines Optimisation System Lead", C, "ics", ["quality-safety"]),
    ("Workforce Transformation Clinical Lead", CC, "ics", ["workforce-resilience"]),
    ("Personalised Care System Lead", CC, "ics", ["population-health"]),
    ("Health Inequalities Clinical Lead", CC, "ics", ["population-health"]),
    ("Palliative and End of Life Care Network Lead", CC, "ics", ["care-pathway-transformation"]),
    ("Diagnostics Network Clinical Lead", C, "ics", ["care-pathway-transformation"]),
    ("Elective Recovery Clinical Lead", C, "ics", ["care-pathway-transformation"]),
    ("Designated Professional for Safeguarding", C, "ics", ["quality-safety"]),
    ("Quality Improvement Lead", CC, "ics", ["continuous-improvement"]),
    ("Allied Health Professions Council Chair", C, "leadership-group", ["professional-leadership"]),
    ("Nursing and Midwifery Council Chair", C, "leadership-group", ["professional-leadership"]),
]

FIRST_NAMES = [
    "Aisha", "Alex", "Amara", "Amir", "Anita", "Ben", "Bethan", "Carlos", "Chen", "Chloe", "Ciaran", "Daniel",
    "Deepa", "Eilidh", "Emeka", "Emma", "Farah", "Fatima", "Femi", "Grace", "Hannah", "Harjit", "Ifeoma", "Imran",
    "Isla", "Jack", "James", "Jasmine", "Joanna", "Kareem", "Kate", "Kwame", "Laura", "Leila", "Liam", "Lucy",
    "Mariam", "Mark", "Mei", "Mohammed", "Nadia", "Naomi", "Niamh", "Oliver", "Olu", "Priya", "Rachel", "Rajesh",
    "Rhys", "Rosa", "Ruth", "Sade", "Samir", "Sarah", "Sean", "Sofia", "Tariq", "Tom", "Uzma", "Yusuf",
]  # fmt: skip
LAST_NAMES = [
    "Adebayo", "Ahmed", "Ali", "Anderson", "Appiah", "Baker", "Banerjee", "Begum", "Bennett", "Brown", "Campbell",
    "Chan", "Chowdhury", "Clarke", "Collins", "Cooper", "Davies", "Desai", "Edwards", "Evans", "Fernandes", "Fisher",
    "Gallagher", "Ghosh", "Green", "Griffiths", "Hall", "Harris", "Hughes", "Hussain", "Iqbal", "Jackson", "James",
    "Jones", "Kaur", "Kelly", "Khan", "King", "Kowalski", "Lewis", "Li", "Lloyd", "Malik", "Martin", "Mensah",
    "Mistry", "Morgan", "Murphy", "Nowak", "Nwosu", "O'Brien", "Okafor", "Owen", "Patel", "Phillips", "Price",
    "Rahman", "Roberts", "Robinson", "Scott", "Shah", "Singh", "Smith", "Taylor", "Thomas", "Thompson", "Turner",
    "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wood", "Wright", "Yeung", "Young", "Zaman",
]  # fmt: skip

EDIT_REASONS = ["", "", "Agreed at the Task & Finish Group.", "Role description finalised with HR."]
HOLD_REASONS = [
    "Paused while the ICB reviews place budgets for the year.",
    "On hold until the neighbourhood model is agreed.",
    "Paused: the preferred candidate's release from their practice is not yet agreed.",
    "On hold pending the outcome of the organisational change consultation.",
]
WITHDRAW_REASONS = [
    "Merged into a broader role after engagement feedback.",
    "No longer needed: the work moved to the provider collaborative.",
    "Withdrawn: funding was not confirmed for the year.",
    "Withdrawn at the board's request while the role set is reviewed.",
]
NOT_APPOINTED_REASONS = {
    S.SHORTLISTING: "Too few applicants met the essential criteria; the role will be re-advertised.",
    S.INTERVIEWING: "No candidate reached the appointable standard at interview.",
    S.OFFERED: "The offer was declined and no one else was offered.",
}
EARLY_END_REASONS = [
    "Stepped down early to take up a PCN clinical director post.",
    "Left the area; the role will be re-advertised.",
    "Ended early by agreement: the role's work moved into the neighbourhood team.",
]
ITEM_TITLES = [
    ("Minutes and actions of the last meeting", Paper.Ask.NOTE),
    ("Health and Wellbeing Strategy: delivery update", Paper.Ask.DISCUSS),
    ("Place finance report", Paper.Ask.NOTE),
    ("Clinical & Care Professional Leadership: progress report", Paper.Ask.NOTE),
    ("Engagement feedback on the leadership roles", Paper.Ask.CONSIDER),
    ("Neighbourhood teams: design principles", Paper.Ask.DISCUSS),
    ("Quality and safety report", Paper.Ask.NOTE),
    ("Risk register", Paper.Ask.CONSIDER),
]

# --- Small helpers -----------------------------------------------------------------------------------------


def at(day_: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day_, dt.time(hour, minute), tzinfo=LONDON)


def monday(day_: dt.date) -> dt.date:
    return day_ - dt.timedelta(days=day_.weekday())


def first_of_next_month(day_: dt.date) -> dt.date:
    return dt.date(day_.year + (day_.month == 12), day_.month % 12 + 1, 1)


def next_march_31(day_: dt.date, years_after: int = 0) -> dt.date:
    year = day_.year if day_ <= dt.date(day_.year, 3, 31) else day_.year + 1
    return dt.date(year + years_after, 3, 31)


def plain(title: str) -> str:
    """A title without its bracketed asides: "Cancer (including living with and beyond)" -> "Cancer"."""
    return re.sub(r"\s*\([^)]*\)", "", title).strip()


def split(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """`total` shared out by `weights` (largest remainders), each at least `minimum` where it can be."""
    if not weights:
        return []
    floor = min(minimum, total // len(weights))
    rest = total - floor * len(weights)
    whole = sum(weights) or 1.0
    raw = [rest * w / whole for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [p + floor for p in parts]


def legal_trail(states: list[str]) -> bool:
    """Whether a role could move through `states`, from "proposed", by the model's `MOVES`."""
    if not states or states[0] != S.PROPOSED:
        return False
    held = ""
    for before, after in zip(states, states[1:], strict=False):
        allowed = {held if target == RESUME else target for target in MOVES[before]}
        if after not in allowed:
            return False
        held = before if after == S.ON_HOLD else ("" if before == S.ON_HOLD else held)
    return True


@contextmanager
def explicit_timestamps():
    """Let the data set `auto_now`/`auto_now_add` fields itself (from its own dates) while it writes,
    so that the same seed gives the same rows; Django's stamping is put back afterwards."""
    switched = []
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.DateField) and (model_field.auto_now or model_field.auto_now_add):
                switched.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in switched:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


# --- The plan: what will be written, decided before any row is ---------------------------------------------


@dataclass(eq=False)
class Step:
    """One audit row of a role: created, an edit, or a move."""

    action: str
    from_status: str
    to_status: str
    day: dt.date
    who: str  # "team" or "hr"
    reason: str = ""
    edit: str = ""  # for edits: "sign_off" or "sessions"


@dataclass(eq=False)
class RoundPlan:
    number: int
    opens: dt.date
    closes: dt.date = None
    advert_days: int = 14
    shortlisting_on: dt.date | None = None
    shortlist_closed_on: dt.date | None = None
    offered_on: dt.date | None = None
    contracted_on: dt.date | None = None
    ended_on: dt.date | None = None  # closed unfilled or withdrawn
    ended_by: str = ""  # "", "contracted", "not_appointed", "withdrawn"
    stopped_at: str = ""  # where recruitment stands if the role was then held or withdrawn
    current: bool = False
    applications: int = 0
    interview_day: dt.date | None = None
    appointee: Person | None = None  # for the round that filled the role: who the contract goes to

    @property
    def reached(self) -> str:
        for state, when in (
            (S.CONTRACTED, self.contracted_on),
            (S.OFFERED, self.offered_on),
            (S.INTERVIEWING, self.shortlist_closed_on),
            (S.SHORTLISTING, self.shortlisting_on),
        ):
            if when:
                return state
        return S.ADVERTISED


@dataclass(eq=False)
class RolePlan:
    place: PlacePlan
    title: str
    role_type: str
    level: str
    functions: list[str]
    professions: list[str]
    template: TemplatePlan | None
    variation: str  # adopted, renamed, retyped, added, ics
    variation_reason: str
    description: str
    sessions: Decimal
    rate: Decimal
    is_critical: bool
    status: str = S.PROPOSED
    states: list[str] = field(default_factory=list)
    days: list[dt.date] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    rounds: list[RoundPlan] = field(default_factory=list)
    held_from: str = ""
    sign_off: dt.date | None = None
    first_sessions: Decimal | None = None
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    contract_end: dt.date | None = None
    approved_on: dt.date | None = None
    decision: DecisionPlan | None = None
    milestones: int = 0
    feedback: FeedbackPlan | None = None
    appointee: Person | None = None
    stamps: list[dt.datetime] = field(default_factory=list)  # when each of `steps` was made
    obj: Role | None = None

    @property
    def created_on(self) -> dt.date:
        return self.days[0]


@dataclass(eq=False)
class TemplatePlan:
    title: str
    role_type: str
    functions: list[str]
    order: int
    obj: TemplateRole | None = None


@dataclass(eq=False)
class FeedbackPlan:
    text: str
    action: str
    note: str
    group: str
    held_on: dt.date
    roles: list[RolePlan] = field(default_factory=list)
    templates: list[TemplatePlan] = field(default_factory=list)


@dataclass(eq=False)
class DecisionPlan:
    meeting: MeetingPlan
    roles: list[RolePlan] = field(default_factory=list)
    budgets: list[int] = field(default_factory=list)  # financial years
    obj: Decision | None = None


@dataclass(eq=False)
class MeetingPlan:
    board: BoardPlan
    held_on: dt.date
    part: int
    approvals: DecisionPlan | None = None
    budget_years: list[int] = field(default_factory=list)
    obj: Meeting | None = None


@dataclass(eq=False)
class BoardPlan:
    place: PlacePlan
    name: str
    kind: str
    meetings: list[MeetingPlan] = field(default_factory=list)
    approves: bool = False
    obj: Board | None = None


@dataclass(eq=False)
class PlacePlan:
    ics: ICSPlan
    name: str
    slug: str
    system_wide: bool
    role_count: int = 0
    team: str = ""  # username of the place team member
    requires_board_decision: bool = False
    neighbourhoods: list[str] = field(default_factory=list)
    roles: list[RolePlan] = field(default_factory=list)
    omissions: list[tuple[TemplatePlan, str]] = field(default_factory=list)
    feedback: list[FeedbackPlan] = field(default_factory=list)
    boards: list[BoardPlan] = field(default_factory=list)
    tranches: list[list[RolePlan]] = field(default_factory=list)
    tranche_count: int = 0
    budget_objs: dict = field(default_factory=dict)
    obj: Place | None = None

    @property
    def approving_board(self) -> BoardPlan:
        return next(board for board in self.boards if board.approves)


@dataclass(eq=False)
class ICSPlan:
    key: str
    name: str
    short: str
    slug: str
    rate: Decimal
    target_weeks: int
    admin: str
    hr: str
    secretariat: str
    places: list[PlacePlan] = field(default_factory=list)
    unit: PlacePlan | None = None
    templates: list[TemplatePlan] = field(default_factory=list)
    obj: ICS | None = None

    @property
    def all_places(self) -> list[PlacePlan]:
        return [*self.places, self.unit]


class Planner:
    """Decides every role's story, every round's applicants and every plan's milestones, with one
    random generator, before anything is written."""

    def __init__(self, scale: Scale, seed: int):
        self.scale, self.rng = scale, random.Random(seed)
        self.icss: list[ICSPlan] = []

    # The country

    def plan(self) -> list[ICSPlan]:
        self._country()
        self._roles()
        self._applications()
        self._governance()
        self._milestones()
        return self.icss

    def _country(self) -> None:
        rng, scale = self.rng, self.scale
        chosen = ICSS[: scale.icss]
        queues = [list(places) for *_, places in chosen]
        picked: list[list[str]] = [[] for _ in chosen]
        while sum(map(len, picked)) < scale.places:
            for index, queue in enumerate(queues):
                if queue and sum(map(len, picked)) < scale.places:
                    picked[index].append(queue.pop(0))
        for index, (key, name, short, _places) in enumerate(chosen):
            big = index == 0
            ics = ICSPlan(
                key=key,
                name=name,
                short=short,
                slug=f"{PREFIX}{key}",
                rate=Decimal("16400") if key == "sel" or rng.random() < 0.6 else Decimal(rng.choice([15800, 17000])),
                target_weeks=rng.choice([8, 8, 8, 6, 10]),
                admin=USERNAMES["ics_admin"] if big else f"{PREFIX}admin-{key}",
                hr=USERNAMES["hr_recruiter"] if big else f"{PREFIX}hr-{key}",
                secretariat=USERNAMES["secretariat"] if big else f"{PREFIX}secretariat-{key}",
            )
            for position, place_name in enumerate(picked[index]):
                slug = f"{PREFIX}{slugify(place_name)}"
                place = PlacePlan(
                    ics=ics,
                    name=place_name,
                    slug=slug,
                    system_wide=False,
                    team=USERNAMES["place_team"] if big and position == 0 else f"{PREFIX}team-{slugify(place_name)}",
                    requires_board_decision=rng.random() < 0.5,
                )
                place.neighbourhoods = (
                    list(MANCHESTER_NEIGHBOURHOODS)
                    if slug == BIG_PLACE_SLUG
                    else [f"{place_name} {side}" for side in ("North", "South", "East", "West", "Central")]
                    + [f"{place_name} PCN {n}" for n in range(1, 9)]
                )
                ics.places.append(place)
            ics.unit = PlacePlan(
                ics=ics,
                name=f"{name} ICS-wide (ICB programme spend)",
                slug=f"{PREFIX}{key}-ics-wide",
                system_wide=True,
                team=ics.admin,
                requires_board_decision=True,
            )
            ics.templates = self._template(ics)
            self.icss.append(ics)
        self._role_counts()

    def _template(self, ics: ICSPlan) -> list[TemplatePlan]:
        rng = self.rng
        if ics.key == "sel":
            rows = [(title, kind, fns) for title, kind, fns in roles_demo.SEL_TEMPLATE]
        else:
            base = [
                (plain(title) if "TBC" in title else title, kind, fns)
                for title, kind, fns in roles_demo.SEL_TEMPLATE
                if not title.startswith("Other roles")
            ]
            for _ in range(rng.randint(0, 4)):
                base.pop(rng.randrange(len(base)))
            rows = base + rng.sample(EXTRA_TEMPLATE, rng.randint(2, 6))
        return [TemplatePlan(title, kind, fns, order) for order, (title, kind, fns) in enumerate(rows, start=1)]

    def _role_counts(self) -> None:
        scale = self.scale
        big_ics = self.icss[0]
        big_place = big_ics.places[0]
        big_place.role_count = scale.big_place_roles
        others = [*big_ics.places[1:], big_ics.unit]
        for place, count in zip(
            others,
            split(scale.big_ics_roles - scale.big_place_roles, [self._weight(p) for p in others], 2),
            strict=True,
        ):
            place.role_count = count
        rest = [place for ics in self.icss[1:] for place in ics.all_places]
        for place, count in zip(
            rest, split(scale.roles - scale.big_ics_roles, [self._weight(p) for p in rest], 2), strict=True
        ):
            place.role_count = count

    def _weight(self, place: PlacePlan) -> float:
        return self.rng.uniform(0.25, 0.45) if place.system_wide else self.rng.uniform(0.6, 1.6)

    # Roles

    def _roles(self) -> None:
        rng = self.rng
        places = [place for ics in self.icss for place in ics.all_places]
        specs = {place.slug: self._role_specs(place) for place in places}
        total = sum(len(v) for v in specs.values())
        weights = {
            S.PROPOSED: 12, S.APPROVED: 8, S.ADVERTISED: 8, S.SHORTLISTING: 5, S.INTERVIEWING: 5, S.OFFERED: 3,
            S.CONTRACTED: 4, S.IN_POST: 30, S.ENDED: 9, S.ON_HOLD: 4, S.NOT_APPOINTED: 5, S.WITHDRAWN: 7,
        }  # fmt: skip
        statuses = list(S.values) + rng.choices(list(weights), list(weights.values()), k=total - len(S.values))
        rng.shuffle(statuses)
        # The big place shows every state, whatever the scale.
        head = list(S.values)
        rest = iter(statuses)
        for place in places:
            for index, role in enumerate(specs[place.slug]):
                if place.slug == BIG_PLACE_SLUG and index < len(head):
                    role.status = head[index]
                else:
                    role.status = next(rest)
                self._story(role)
            place.roles = sorted(specs[place.slug], key=lambda r: (r.created_on, r.title))

    def _role_specs(self, place: PlacePlan) -> list[RolePlan]:
        rng, ics = self.rng, place.ics
        want = place.role_count
        roles: list[RolePlan] = []
        if place.system_wide:
            pool = list(ICS_ROLES)
            rng.shuffle(pool)
            localities = [p.name for p in ics.places]
            for n in range(want):
                title, kind, level, fns = pool[n % len(pool)]
                if n >= len(pool):
                    title = f"{title} ({localities[(n // len(pool) - 1) % len(localities)]} locality)"
                roles.append(self._role(place, title, kind, level, fns, None, "ics", ""))
            return roles
        templates = list(ics.templates)
        rng.shuffle(templates)
        adopted: list[RolePlan] = []
        for template in templates:
            roll = rng.random()
            if roll < 0.07 or template.title.startswith("Other roles"):
                place.omissions.append((template, self._omission_reason(place, template)))
                continue
            title, kind, variation, reason = template.title, template.role_type, "adopted", ""
            if roll < 0.17 and template.title in RENAMES:
                title, variation = RENAMES[template.title], "renamed"
                assert normalise_title(title) != normalise_title(template.title), title  # the comparison agrees
            elif roll < 0.21 and kind == CC:
                kind, variation = rng.choice([C, K]), "retyped"
                reason = (
                    f"Made {RoleType(kind).label} only: {place.name} already has the other professions' voice "
                    "through its neighbourhood teams."
                )
            level = "place"
            adopted.append(self._role(place, title, kind, level, template.functions, template, variation, reason))
        pool = [row for row in EXTRA_TEMPLATE if row[0] not in {t.title for t in ics.templates}]
        additions = [
            self._role(place, title, kind, "place", fns, None, "added", "")
            for title, kind, fns in rng.sample(pool, min(len(pool), rng.randint(1, 4)))
        ]
        roles = adopted + additions
        while len(roles) > want:
            dropped = roles.pop(rng.randrange(len(roles)))
            if dropped.template is not None:
                place.omissions.append((dropped.template, self._omission_reason(place, dropped.template)))
        if len(roles) < want:
            omitted = {id(template) for template, _ in place.omissions}
            themes = [(plain(t.title), t.role_type, t.functions, t) for t in ics.templates if id(t) not in omitted]
            themes += [(title, kind, fns, None) for title, kind, fns in EXTRA_TEMPLATE]
            combos = [(theme, nb) for nb in place.neighbourhoods for theme in themes]
            taken = {r.title for r in roles}
            for (title, kind, fns, template), nb in rng.sample(combos, len(combos)):
                if len(roles) >= want:
                    break
                name = f"{title} ({nb} neighbourhood)"
                if name in taken:
                    continue
                taken.add(name)
                variation = "added" if template is None else "adopted"
                # a bracketed neighbourhood is an aside: the comparison counts the role as the template's
                assert template is None or normalise_title(name) == normalise_title(template.title), name
                roles.append(self._role(place, name, kind, "organisation", fns, template, variation, ""))
        return roles

    def _omission_reason(self, place: PlacePlan, template: TemplatePlan) -> str:
        return self.rng.choice(
            [
                f"{place.name} covers {template.title} through the ICS-wide network lead.",
                f"Not adopted yet: {place.name}'s Task & Finish Group will revisit it next year.",
                f"Merged into a broader {place.name} role after engagement.",
                "",
            ]
        )

    def _role(self, place, title, kind, level, functions, template, variation, reason) -> RolePlan:
        rng = self.rng
        if kind == C:
            professions = rng.choice([["gp"], ["gp", "doctor", "nurse", "pharmacist", "psychologist", "ahp"], []])
            if not professions:
                professions = ["gp", "nurse", "pharmacist"]
        elif kind == K:
            professions = rng.choice([[], ["social-care", "voluntary-sector", "care-provider"]])
        else:
            professions = [] if rng.random() < 0.8 else ["gp", "nurse", "social-care", "voluntary-sector"]
        sessions = Decimal(rng.choice(["1", "1", "1", "1", "2", "2", "2", "0.5", "3", "4"]))
        if place.system_wide:
            sessions = Decimal(rng.choice(["2", "3", "4", "4"]))
        rate = place.ics.rate if rng.random() < 0.9 else Decimal(rng.choice([14800, 18500]))
        unit = f"{place.ics.name}" if place.system_wide else f"the {place.name} Local Care Partnership"
        plural = "" if sessions == 1 else "s"
        description = (
            f"Leads {title} for {unit}, with {sessions.normalize():f} session{plural} a week of protected time: "
            "works in an embedded way with the relevant groups to deliver improvement and transformation rather "
            "than governance and oversight, and is open to clinical and care professionals from the local system "
            "where the role's type allows."
        )
        return RolePlan(
            place=place,
            title=title[:200],
            role_type=kind,
            level=level,
            functions=list(functions),
            professions=professions,
            template=template,
            variation=variation,
            variation_reason=reason,
            description=description,
            sessions=sessions,
            rate=rate,
            is_critical=rng.random() < 0.03,
        )

    # A role's story: a legal path through the workflow ending in its state, with dates

    def _trail(self, status: str) -> list[str]:
        rng = self.rng
        main = [S.PROPOSED, S.APPROVED, S.ADVERTISED, S.SHORTLISTING, S.INTERVIEWING, S.OFFERED, S.CONTRACTED]
        main += [S.IN_POST, S.ENDED]

        def failed_round() -> list[str]:
            fail_at = rng.choice([S.SHORTLISTING, S.INTERVIEWING, S.INTERVIEWING, S.OFFERED])
            return main[2 : main.index(fail_at) + 1] + [S.NOT_APPOINTED]

        if status == S.NOT_APPOINTED:
            path = main[:2] + failed_round()
        elif status in (S.ON_HOLD, S.WITHDRAWN):
            stop = rng.choices(
                [S.PROPOSED, S.APPROVED, S.ADVERTISED, S.SHORTLISTING, S.INTERVIEWING, S.OFFERED, S.NOT_APPOINTED],
                [5, 4, 3, 2, 2, 1, 2],
            )[0]
            path = main[:2] + failed_round() if stop == S.NOT_APPOINTED else main[: main.index(stop) + 1]
            if status == S.WITHDRAWN and rng.random() < 0.3:
                path.append(S.ON_HOLD)
            path.append(status)
        else:
            path = main[: main.index(status) + 1]
            if len(path) > 2 and rng.random() < 0.15:
                path = main[:2] + failed_round() + path[2:]
        if rng.random() < 0.07:
            spots = [
                i
                for i, state in enumerate(path[:-1])
                if state not in (S.CONTRACTED, S.IN_POST, S.ENDED, S.WITHDRAWN, S.ON_HOLD) and path[i + 1] != S.ON_HOLD
            ]
            if spots:
                i = rng.choice(spots)
                path[i + 1 : i + 1] = [S.ON_HOLD, path[i]]
        assert legal_trail(path), path
        return path

    def _gap(self, before: str, after: str, advert_days: int) -> int:
        rng = self.rng
        if before == S.ON_HOLD:
            return rng.randint(21, 150)
        if after == S.ON_HOLD:
            return rng.randint(5, 60)
        if after == S.WITHDRAWN:
            return rng.randint(5, 90)
        if after == S.NOT_APPOINTED:
            return rng.randint(3, 21)
        return {
            (S.PROPOSED, S.APPROVED): rng.randint(14, 70),
            (S.APPROVED, S.ADVERTISED): rng.randint(7, 45),
            (S.NOT_APPOINTED, S.ADVERTISED): rng.randint(14, 45),
            (S.ADVERTISED, S.SHORTLISTING): advert_days + rng.randint(1, 4),
            (S.SHORTLISTING, S.INTERVIEWING): rng.randint(5, 12),
            (S.INTERVIEWING, S.OFFERED): rng.randint(7, 20),
            (S.OFFERED, S.CONTRACTED): rng.randint(7, 28),
            (S.CONTRACTED, S.IN_POST): rng.randint(14, 60),
            (S.IN_POST, S.ENDED): rng.randint(365, 900),
        }[(before, after)]

    LAST_WINDOW = {
        S.PROPOSED: 180, S.APPROVED: 150, S.ADVERTISED: 20, S.SHORTLISTING: 12, S.INTERVIEWING: 20, S.OFFERED: 14,
        S.CONTRACTED: 40, S.IN_POST: 950, S.ENDED: 550, S.NOT_APPOINTED: 75, S.ON_HOLD: 240, S.WITHDRAWN: 900,
    }  # fmt: skip

    def _story(self, role: RolePlan) -> None:
        rng = self.rng
        states = self._trail(role.status)
        advert_days = [rng.randint(14, 21) for _ in states]
        gaps = [self._gap(a, b, advert_days[i]) for i, (a, b) in enumerate(zip(states, states[1:], strict=False))]
        room = (AS_OF - dt.timedelta(days=1) - DATA_START).days
        if sum(gaps) > room:  # squeeze a long story into the years the data covers
            factor = room / sum(gaps)
            gaps = [max(1, int(g * factor)) for g in gaps]
        span = sum(gaps)
        if role.status == S.ENDED and rng.random() < 0.6:
            last = rng.choice([dt.date(2023, 3, 31), dt.date(2024, 3, 31)])
            if (last - DATA_START).days < span:
                last = AS_OF - dt.timedelta(days=rng.randint(1, 120))
        else:
            window = min(self.LAST_WINDOW[role.status], room - span)
            last = AS_OF - dt.timedelta(days=rng.randint(1, max(1, window)))
        days = [last]
        for gap in reversed(gaps):
            days.insert(0, days[0] - dt.timedelta(days=gap))
        if days[0] < DATA_START:
            shift = (DATA_START - days[0]).days
            days = [d + dt.timedelta(days=shift) for d in days]
        role.states, role.days = states, days
        self._steps(role, advert_days)

    def _steps(self, role: RolePlan, advert_days: list[int]) -> None:
        rng = self.rng
        states, days = role.states, role.days
        steps = [Step(RoleMove.Action.CREATED, "", S.PROPOSED, days[0], "team")]
        approved = S.APPROVED in states
        # The role description is signed off (an edit) before approval; some proposals already are.
        if approved or rng.random() < 0.4:
            limit = days[states.index(S.APPROVED)] if approved else AS_OF
            low, high = days[0] + dt.timedelta(days=1), limit - dt.timedelta(days=1)
            if high >= low:
                role.sign_off = low + dt.timedelta(days=rng.randint(0, (high - low).days))
                if rng.random() < 0.1:
                    role.first_sessions = role.sessions + Decimal("1")
                    steps.append(
                        Step(RoleMove.Action.EDITED, S.PROPOSED, S.PROPOSED, role.sign_off, "team", "", "sessions")
                    )
                steps.append(
                    Step(
                        RoleMove.Action.EDITED,
                        S.PROPOSED,
                        S.PROPOSED,
                        role.sign_off,
                        "team",
                        rng.choice(EDIT_REASONS),
                        "sign_off",
                    )
                )
            elif approved:  # approved the day after it was proposed: signed off at once
                role.sign_off = days[0]
        rounds: list[RoundPlan] = []
        held = ""
        for i in range(1, len(states)):
            before, after, when = states[i - 1], states[i], days[i]
            who = (
                "hr" if after in (S.SHORTLISTING, S.INTERVIEWING, S.OFFERED, S.CONTRACTED, S.NOT_APPOINTED) else "team"
            )
            reason = ""
            current = rounds[-1] if rounds else None
            if after == S.ON_HOLD:
                reason, held = rng.choice(HOLD_REASONS), before
                if current and not current.ended_by:
                    current.stopped_at = before
            elif before == S.ON_HOLD and after != S.WITHDRAWN:
                held = ""
            elif after == S.WITHDRAWN:
                reason = rng.choice(WITHDRAW_REASONS)
                if current and not current.ended_by:
                    current.ended_by, current.ended_on = "withdrawn", when
                    current.stopped_at = current.stopped_at or before
            elif after == S.APPROVED:
                role.approved_on = when
            elif after == S.ADVERTISED and before != S.ON_HOLD:
                rounds.append(RoundPlan(number=len(rounds) + 1, opens=when, advert_days=advert_days[i]))
            elif after == S.SHORTLISTING:
                current.shortlisting_on = when
            elif after == S.INTERVIEWING:
                current.shortlist_closed_on = when
            elif after == S.OFFERED:
                current.offered_on = when
            elif after == S.CONTRACTED:
                current.contracted_on, current.ended_by = when, "contracted"
            elif after == S.NOT_APPOINTED:
                reason = NOT_APPOINTED_REASONS[before]
                current.ended_by, current.ended_on, current.stopped_at = "not_appointed", when, before
            elif after == S.ENDED:
                reason = ""  # set below once the contract's end is known
            steps.append(Step(RoleMove.Action.MOVED, before, after, when, who, reason))
        role.held_from = held if role.status == S.ON_HOLD else ""
        steps.sort(key=lambda step: step.day)  # an edit may fall after a hold; creation stays first
        status = S.PROPOSED
        for step in steps:  # an edit records the state the role was in when it was made
            if step.action == RoleMove.Action.EDITED:
                step.from_status = step.to_status = status
            status = step.to_status
        for index, round_ in enumerate(rounds):
            round_.current = index == len(rounds) - 1 and not round_.ended_by
            natural = round_.opens + dt.timedelta(days=round_.advert_days)
            if round_.shortlisting_on:
                round_.closes = max(round_.opens, min(natural, round_.shortlisting_on - dt.timedelta(days=1)))
            else:
                round_.closes = natural
            if round_.shortlist_closed_on:
                latest = round_.offered_on or round_.ended_on or (AS_OF + dt.timedelta(days=12))
                first = round_.shortlist_closed_on + dt.timedelta(days=rng.randint(3, 10))
                if round_.current and role.status == S.INTERVIEWING and rng.random() < 0.25:
                    first = AS_OF + dt.timedelta(days=1)  # interviews tomorrow: the sweep's interview reminders
                round_.interview_day = min(first, latest - dt.timedelta(days=1))
                if round_.interview_day < round_.shortlist_closed_on:
                    round_.interview_day = None
        role.rounds, role.steps = rounds, steps
        self._dates(role)

    def _dates(self, role: RolePlan) -> None:
        """Planned dates while recruiting; the contract's once there is one (an early end shortens it)."""
        rng = self.rng
        anchor = role.approved_on or role.days[0]
        start = first_of_next_month(anchor + dt.timedelta(days=rng.randint(60, 150)))
        if role.rounds:
            start = max(start, first_of_next_month(role.rounds[-1].closes + dt.timedelta(days=30)))
        end = next_march_31(start, rng.choice([1, 1, 2]))
        if role.status == S.PROPOSED and rng.random() < 0.2:
            end = None
        latest_close = max((r.closes for r in role.rounds), default=None)
        if end and latest_close and end < latest_close + dt.timedelta(days=180):
            end = next_march_31(latest_close + dt.timedelta(days=180))
        role.planned_start, role.planned_end = start, end
        role.start, role.end = start, end
        if S.CONTRACTED in role.states:
            contracted = role.days[role.states.index(S.CONTRACTED)]
            if S.IN_POST in role.states:
                contract_start = role.days[role.states.index(S.IN_POST)]
            else:
                contract_start = max(contracted + dt.timedelta(days=14), AS_OF + dt.timedelta(days=rng.randint(1, 60)))
            if S.ENDED in role.states:
                ended = role.days[role.states.index(S.ENDED)]
                if rng.random() < 0.85:
                    contract_end = ended
                else:
                    contract_end = ended + dt.timedelta(days=rng.randint(60, 400))
                    role.steps[-1].reason = rng.choice(EARLY_END_REASONS)
                role.start, role.end, role.contract_end = contract_start, ended, contract_end
            else:
                contract_end = contract_start + dt.timedelta(days=rng.choice([730, 1095]) - 1)
                if rng.random() < 0.7 or contract_end <= AS_OF + dt.timedelta(days=30):
                    contract_end = next_march_31(max(contract_start, AS_OF) + dt.timedelta(days=30), rng.choice([0, 1]))
                role.start, role.end, role.contract_end = contract_start, contract_end, contract_end

    # Applications: exactly the scale's number, shared out over the rounds

    def _applications(self) -> None:
        rng = self.rng
        rounds = [r for ics in self.icss for place in ics.all_places for role in place.roles for r in role.rounds]
        minimum = [4 if r.shortlist_closed_on else 2 if r.shortlisting_on else 0 for r in rounds]
        target = self.scale.applications
        if sum(minimum) > target:
            minimum = [min(m, 1) for m in minimum]
        weights = [rng.uniform(0.5, 1.5) * (0.6 if r.current and r.reached == S.ADVERTISED else 1.0) for r in rounds]
        extra = split(target - sum(minimum), weights)
        for round_, low, more in zip(rounds, minimum, extra, strict=True):
            round_.applications = low + more

    # Governance: each place's boards and meetings, and the decisions that approved its roles

    def _governance(self) -> None:
        rng = self.rng
        for ics in self.icss:
            for place in ics.all_places:
                if place.system_wide:
                    place.boards = [
                        self._board(place, f"{ics.name} Integrated Care Board", Board.Kind.ICB, 2, approves=True),
                        self._board(place, f"{ics.name} Integrated Care Partnership", Board.Kind.ICP, 6),
                        self._board(
                            place,
                            f"{ics.name} Clinical and Care Professional Leadership Group",
                            Board.Kind.LEADERSHIP_GROUP,
                            3,
                        ),
                    ]
                else:
                    place.boards = [
                        self._board(
                            place, f"{place.name} Strategic Board", Board.Kind.BOROUGH_STRATEGIC_BOARD, 2, approves=True
                        ),
                        self._board(place, f"{place.name} Local Care Partnership Forum", Board.Kind.LCP_FORUM, 4),
                    ]
                    if rng.random() < 0.4:
                        place.boards.append(
                            self._board(
                                place,
                                f"{place.name} Clinical & Care Professional Leadership Task & Finish Group",
                                Board.Kind.TASK_AND_FINISH,
                                0,
                            )
                        )
                board = place.approving_board
                for role in place.roles:
                    if role.approved_on is None:
                        continue
                    meeting = max(
                        (m for m in board.meetings if m.held_on < role.approved_on),
                        key=lambda m: m.held_on,
                        default=None,
                    )
                    if meeting is None:
                        meeting = board.meetings[0]
                        role.approved_on = max(role.approved_on, meeting.held_on + dt.timedelta(days=1))
                    if meeting.approvals is None:
                        meeting.approvals = DecisionPlan(meeting=meeting)
                    meeting.approvals.roles.append(role)
                    role.decision = meeting.approvals
                for year in BUDGET_YEARS:
                    meeting = min(
                        (m for m in board.meetings if m.held_on >= dt.date(year, 3, 1)), key=lambda m: m.held_on
                    )
                    meeting.budget_years.append(year)
                self._engagement(place)

    def _board(self, place: PlacePlan, name: str, kind: str, every: int, approves: bool = False) -> BoardPlan:
        """A board meeting every `every` months (0: six weekly meetings of a Task & Finish Group)."""
        rng = self.rng
        board = BoardPlan(place=place, name=name, kind=kind, approves=approves)
        if every == 0:
            first = monday(DATA_START + dt.timedelta(days=rng.randint(90, 200)))
            dates = [first + dt.timedelta(weeks=2 * n) for n in range(6)]
        else:
            dates = []
            month = dt.date(2021, 8, 1)
            while month <= dt.date(2024, 11, 1):
                # the last Thursday of the month
                last = first_of_next_month(month) - dt.timedelta(days=1)
                dates.append(last - dt.timedelta(days=(last.weekday() - 3) % 7))
                for _ in range(every):
                    month = first_of_next_month(month)
        for n, held_on in enumerate(dates):
            part = Meeting.Part.PRIVATE if kind == Board.Kind.BOROUGH_STRATEGIC_BOARD and n % 2 else Meeting.Part.PUBLIC
            board.meetings.append(MeetingPlan(board=board, held_on=held_on, part=part))
        return board

    def _engagement(self, place: PlacePlan) -> None:
        """The engagement behind the place's changes to the template: a point for each local addition and
        rename, and points noted, from Table 2's kinds of groups."""
        rng = self.rng
        groups = [
            "Local Care Partnership Forum",
            f"{place.name} Training Hub",
            f"{place.name} GP Leads",
            f"{place.name} Care Senior Leadership Team",
            "LCP Communications & Engagement Group",
            f"Healthwatch {place.name}",
            "System Development Team",
        ]
        noted = [
            (text.replace("Bexley", place.name), "")
            for _date, _group, _notes, points in governance_demo.TABLE_2
            for text, action, *_ in points
            if action == FeedbackPoint.Action.NOTED
        ]
        events = sorted(
            (DATA_START + dt.timedelta(days=rng.randint(0, 300)), group)
            for group in rng.sample(groups, rng.randint(2, 5))
        )
        for role in place.roles:
            if role.variation not in ("added", "renamed"):
                continue
            held_on, group = rng.choice(events)
            if role.variation == "added":
                text = f"Addition of a {plain(role.title)} role"
                point = FeedbackPlan(text, FeedbackPoint.Action.ADDED, f"Added “{role.title}”.", group, held_on, [role])
                role.variation_reason = f"Added: “{text}” ({group}, {day(held_on)})."
            else:
                old = role.template.title
                text = f"{role.title} better name than {old.lower()}"
                point = FeedbackPlan(
                    text,
                    FeedbackPoint.Action.RENAMED,
                    f"Renamed the template's “{old}” to “{role.title}”.",
                    group,
                    held_on,
                    [role],
                    [role.template],
                )
                role.variation_reason = f"Renamed: “{text}” ({group}, {day(held_on)})."
            role.feedback = point
            place.feedback.append(point)
        for held_on, group in events:
            for text, note in rng.sample(noted, min(len(noted), rng.randint(1, 3))):
                place.feedback.append(FeedbackPlan(text, FeedbackPoint.Action.NOTED, note, group, held_on))
        place.feedback.sort(key=lambda p: (p.held_on, p.group))

    # Milestones: tranche plans (Table 4) and each role's own steps, exactly the scale's number in all

    def _milestones(self) -> None:
        rng = self.rng
        tranche_steps = 0
        roles = []
        for ics in self.icss:
            for place in ics.all_places:
                group: list[RolePlan] = []
                cap = rng.randint(2, 6)
                for role in place.roles:
                    if group and (len(group) >= cap or (role.created_on - group[0].created_on).days > 120):
                        place.tranches.append(group)
                        group, cap = [], rng.randint(2, 6)
                    group.append(role)
                if group:
                    place.tranches.append(group)
                tranche_steps += len(place.tranches) * len(recruitment_demo.TABLE_4)
                roles += place.roles
        budget = max(0, self.scale.milestones - tranche_steps)
        natural = [len(role_steps(role)) for role in roles]
        if sum(natural) <= budget:
            extra = split(budget - sum(natural), [max(1, months_in_post(r)) if r.start else 0.01 for r in roles])
            for role, count, more in zip(roles, natural, extra, strict=True):
                role.milestones = count + more
        else:
            cap = max(c for c in range(max(natural) + 1) if sum(min(n, c) for n in natural) <= budget)
            left = budget - sum(min(n, cap) for n in natural)
            for role, count in zip(roles, natural, strict=True):
                role.milestones = min(count, cap)
                if left and count > cap:
                    role.milestones += 1
                    left -= 1


def months_in_post(role: RolePlan) -> int:
    if S.IN_POST not in role.states:
        return 0
    until = min(role.end or AS_OF, AS_OF + dt.timedelta(days=60))
    return max(0, (until.year - role.start.year) * 12 + until.month - role.start.month)


# A role's own plan: (title, when, what it hangs on, days after it, days a range lasts, who owns it).
ROLE_STEPS = [
    ("Role description drafted", When.DATE, "created", 0, 0, "team"),
    ("Role description signed off", When.DATE, "sign_off", 0, 0, "team"),
    ("Board approval", When.DATE, "approved", 0, 0, "team"),
    ("Advert drafted", When.WEEK, "advertised", -7, 0, "hr"),
    ("Advert live", When.DATE, "advertised", 0, 0, "hr"),
    ("Applications close", When.DATE, "closes", 0, 0, "hr"),
    ("Shortlisting", When.RANGE, "closes", 1, 4, "hr"),
    ("LCP Forum briefing", When.TBC, "", 0, 0, "team"),
    ("Interviews", When.RANGE, "interviews", 0, 2, "hr"),
    ("Offer made", When.DATE, "offered", 0, 0, "hr"),
    ("References and occupational health", When.RANGE, "offered", 2, 10, "hr"),
    ("Contract signed", When.WEEK, "contracted", 0, 0, "hr"),
    ("Induction", When.WEEK, "start", 0, 0, "team"),
    ("Starts in post", When.DATE, "start", 0, 0, "team"),
    ("Three-month review", When.DATE, "start", 91, 0, "team"),
    ("Six-month review", When.DATE, "start", 182, 0, "team"),
    ("Annual appraisal", When.DATE, "start", 365, 0, "team"),
    ("Second annual appraisal", When.DATE, "start", 730, 0, "team"),
    ("End-of-term review", When.DATE, "end", -90, 0, "team"),
    ("Leaves post", When.DATE, "end", 0, 0, "team"),
]


def role_events(role: RolePlan) -> dict[str, tuple[dt.date | None, bool]]:
    """When each thing a role's plan hangs on happened (True) or is planned (False)."""
    states, days = role.states, role.days
    last_round = role.rounds[-1] if role.rounds else None

    def happened(state):
        return days[len(states) - 1 - states[::-1].index(state)] if state in states else None

    planned = max(AS_OF + dt.timedelta(days=14), days[-1] + dt.timedelta(days=14))
    events = {"created": (days[0], True)}
    events["sign_off"] = (role.sign_off, True) if role.sign_off else (planned, False)
    approved = happened(S.APPROVED)
    events["approved"] = (approved, True) if approved else (planned + dt.timedelta(days=14), False)
    if last_round:
        events["advertised"] = (last_round.opens, True)
        events["closes"] = (last_round.closes, last_round.closes < AS_OF)
        if last_round.interview_day:
            events["interviews"] = (last_round.interview_day, last_round.interview_day < AS_OF)
        else:
            events["interviews"] = (last_round.closes + dt.timedelta(days=14), False)
        events["offered"] = (
            (last_round.offered_on, True)
            if last_round.offered_on
            else (
                events["interviews"][0] + dt.timedelta(days=7),
                False,
            )
        )
        events["contracted"] = (
            (last_round.contracted_on, True)
            if last_round.contracted_on
            else (
                events["offered"][0] + dt.timedelta(days=21),
                False,
            )
        )
    else:
        base = events["approved"][0]
        events["advertised"] = (base + dt.timedelta(days=21), False)
        events["closes"] = (base + dt.timedelta(days=35), False)
        events["interviews"] = (base + dt.timedelta(days=49), False)
        events["offered"] = (base + dt.timedelta(days=56), False)
        events["contracted"] = (base + dt.timedelta(days=77), False)
    in_post = happened(S.IN_POST)
    events["start"] = (role.start, bool(in_post))
    events["end"] = (role.end, S.ENDED in states) if role.end else (None, False)
    return events


def role_steps(role: RolePlan) -> list[tuple]:
    """The role's own milestones: (title, when, starts, ends, done, owner), in order. A withdrawn role
    keeps the steps it reached; one not yet in post, those up to its start."""
    events = role_events(role)
    contracted = S.CONTRACTED in role.states
    rows = []
    for title, when, hangs_on, offset, length, owner in ROLE_STEPS:
        if hangs_on in ("end",) and not (contracted and role.end):
            continue
        if title in ("Three-month review", "Six-month review", "Annual appraisal", "Second annual appraisal"):
            if S.IN_POST not in role.states:
                continue
            if role.end and role.start + dt.timedelta(days=offset) > role.end:
                continue
        if when == When.TBC:
            rows.append((title, when, None, None, None, owner))
            continue
        base, happened = events[hangs_on]
        if base is None:
            continue
        starts = base + dt.timedelta(days=offset)
        if when == When.WEEK:
            starts = monday(starts)
        ends = starts + dt.timedelta(days=length) if when == When.RANGE else None
        due = ends or (starts + dt.timedelta(days=4) if when == When.WEEK else starts)
        done = None
        if happened and due < AS_OF:
            done = min(due, AS_OF - dt.timedelta(days=1))
        elif not happened and role.status == S.WITHDRAWN:
            continue
        rows.append((title, when, starts, ends, done, owner))
    return rows


# --- Writing ----------------------------------------------------------------------------------------------


def _through(model, name):
    return getattr(model, name).through


# The order rows are written in: every row after the rows it points to.
ORDER = [
    get_user_model(),
    ICS,
    Place,
    Membership,
    TemplateRole,
    _through(TemplateRole, "functions"),
    PlanTemplate,
    PlanStep,
    ReminderSettings,
    BudgetModel,
    Person,
    Board,
    Organisation,
    BoardMember,
    Meeting,
    AgendaItem,
    Paper,
    Attendance,
    Decision,
    Vote,
    EngagementEvent,
    FeedbackPoint,
    _through(FeedbackPoint, "roles"),
    _through(FeedbackPoint, "template_roles"),
    Role,
    _through(Role, "functions"),
    _through(Role, "eligible_professions"),
    RoleMove,
    AdvertRound,
    Criterion,
    PanelMember,
    InterviewSlot,
    Application,
    EqualityAnswers,
    ApplicationEvent,
    Score,
    Offer,
    Contract,
    Tranche,
    _through(Tranche, "roles"),
    Milestone,
    _through(Milestone, "roles"),
    TemplateOmission,
    _through(Decision, "roles"),
    _through(Decision, "budgets"),
    Declaration,
    Reminder,
]
RANK = {model: index for index, model in enumerate(ORDER)}
# Models whose history also records many-to-many fields, and the fields, whose snapshot is written beside
# each history row. Not milestones': their 140,000 links to roles would add as many history rows again
# for a snapshot no page reads (the admin's history of a milestone shows its fields).
M2M_HISTORY = {
    TemplateRole: ("functions",),
    FeedbackPoint: ("roles", "template_roles"),
    Decision: ("roles", "budgets"),
}


def _has_history(model) -> bool:
    return hasattr(model, "history") and hasattr(model.history, "bulk_history_create")


class Writer:
    """Rows waiting to be written, per model, written in `ORDER` with `bulk_create` in batches.

    A model with history gets one history row per object (`_history_date`, `_history_user`), written
    with `bulk_create_with_history`; a role gets one per version (`_versions`); a model whose history
    keeps many-to-many fields gets the snapshot of those fields beside each history row. Decisions'
    history waits until the roles they authorise are written (`decisions_history`)."""

    def __init__(self, batch_size: int = 2000):
        self.batch_size = batch_size
        self.pending: dict = defaultdict(list)
        self.counts: Counter = Counter()
        self.seconds: Counter = Counter()  # time spent writing each table (its history included)
        self.history_rows: dict = {}  # (model, pk) -> its history rows, for the m2m snapshots

    def add(self, obj):
        self.pending[type(obj)].append(obj)
        return obj

    def extend(self, objs: Iterable):
        for obj in objs:
            self.add(obj)

    def flush(self) -> None:
        for model in sorted(self.pending, key=RANK.__getitem__):
            objs = self.pending.pop(model)
            if objs:
                self._write(model, objs)
        self.history_rows = {k: v for k, v in self.history_rows.items() if k[0] is Decision}

    def _write(self, model, objs: list) -> None:
        started = time.perf_counter()
        self._insert(model, objs)
        self.seconds[model._meta.label] += time.perf_counter() - started

    def _insert(self, model, objs: list) -> None:
        for obj in objs:
            target = getattr(obj, "_context_obj", None)
            if target is not None:
                obj.context_id = target.pk
        label = model._meta.label
        if model is Role:
            model.objects.bulk_create(objs, batch_size=self.batch_size)
            self._role_history(objs)
        elif model in M2M_HISTORY and model is not Decision:
            model.objects.bulk_create(objs, batch_size=self.batch_size)
            rows = model.history.bulk_history_create(objs, batch_size=self.batch_size)
            self.counts[model.history.model._meta.label] += len(rows)
            for obj, row in zip(objs, rows, strict=True):
                self.history_rows[(model, obj.pk)] = [row]
        elif _has_history(model) and model is not Decision:
            bulk_create_with_history(objs, model, batch_size=self.batch_size)
            self.counts[model.history.model._meta.label] += len(objs)
        else:
            model.objects.bulk_create(objs, batch_size=self.batch_size)
        self.counts[label] += len(objs)
        self._m2m_history(model, objs)

    def _m2m_history(self, through, rows: list) -> None:
        for owner, names in M2M_HISTORY.items():
            for name in names:
                if _through(owner, name) is not through:
                    continue
                historical = getattr(owner.history.model, name).model
                source = getattr(owner, name).field.m2m_field_name()
                copies = []
                for row in rows:
                    for history in self.history_rows.get((owner, getattr(row, f"{source}_id")), []):
                        values = {f.attname: getattr(row, f.attname) for f in through._meta.concrete_fields}
                        copies.append(historical(history_id=history.pk, **values))
                historical.objects.bulk_create(copies, batch_size=self.batch_size)
                self.counts[historical._meta.label] += len(copies)

    def _role_history(self, roles: list[Role]) -> None:
        """One history row per version of each role: what it was after its creation, each edit and each move."""
        tracked = [f.attname for f in Role.history.model.tracked_fields]
        rows = {"+": [], "~": []}
        for role in roles:
            for moment, user, kind, reason, overrides in role._versions:
                values = {name: getattr(role, name) for name in tracked}
                values.update(overrides)
                rows[kind].append(
                    types.SimpleNamespace(
                        **values, _history_date=moment, _history_user=user, _change_reason=reason, pk=role.pk
                    )
                )
        for kind, items in rows.items():
            made = Role.history.bulk_history_create(items, batch_size=self.batch_size, update=kind == "~")
            self.counts[Role.history.model._meta.label] += len(made)

    def decisions_history(self, decisions: list[Decision]) -> None:
        """History for decisions, once their roles and budgets are linked: one row each with both snapshots."""
        rows = Decision.history.bulk_history_create(decisions, batch_size=self.batch_size)
        self.counts[Decision.history.model._meta.label] += len(rows)
        for decision, row in zip(decisions, rows, strict=True):
            self.history_rows[(Decision, decision.pk)] = [row]
        for name in M2M_HISTORY[Decision]:
            through = _through(Decision, name)
            links = list(through.objects.filter(decision_id__in=[d.pk for d in decisions]).order_by("pk"))
            self._m2m_history(through, links)
        self.history_rows = {}


@dataclass
class Loaded:
    """What a load made: rows per model, how long it took (removing an earlier set included), who can
    sign in, and what `--replace` removed first."""

    scale: Scale
    seed: int
    counts: dict
    seconds: float
    users: list[tuple[str, str]]
    removed: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # seconds per table written, and per phase


class Loader:
    """Writes the plan: per ICS its structure and governance, then its roles a batch of whole tranches at
    a time, then what needs all of its roles (omissions, engagement, decisions' links); the reminders
    last."""

    def __init__(self, scale: Scale, seed: int, password: str):
        self.scale, self.seed = scale, seed
        self.rng = random.Random(f"{seed}-rows")
        self.password = password
        self.writer = Writer()
        self.functions = {f.slug: f for f in Function.objects.all()}
        self.levels = {s.slug: s for s in SpatialLevel.objects.all()}
        self.professions = {p.slug: p for p in Profession.objects.all()}
        self.clinical = [p for p in self.professions.values() if p.is_clinical]
        self.care = [p for p in self.professions.values() if not p.is_clinical]
        self.users: dict[str, object] = {}
        self.email_counter = 0
        self.round_type = ContentType.objects.get_for_model(AdvertRound)
        self.item_type = ContentType.objects.get_for_model(AgendaItem)
        # Scores and application events, kept as values until their applications have keys: built then
        # with plain ids, which is much cheaper than with related objects (see `_later`).
        self.scores: list[tuple] = []
        self.events: list[tuple] = []

    def load(self) -> Loaded:
        started = time.perf_counter()
        icss = Planner(self.scale, self.seed).plan()
        phases = {"phase: planning": time.perf_counter() - started}
        self.first_ics = icss[0]
        with explicit_timestamps():
            self._users(icss)
            for ics in icss:
                self._ics(ics)
            written = time.perf_counter()
            self._reminders(icss)
            phases["phase: reminders (7 days of reminders_due)"] = time.perf_counter() - written
        # Fresh statistics, so the planner does not read a million new rows by the estimates of none.
        analysed = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        phases["phase: ANALYZE"] = time.perf_counter() - analysed
        phases["phase: all"] = time.perf_counter() - started
        timings = {**phases, **dict(self.writer.seconds.most_common())}
        return Loaded(
            scale=self.scale,
            seed=self.seed,
            counts=dict(sorted(self.writer.counts.items())),
            seconds=time.perf_counter() - started,
            users=self.user_scopes,
            timings={label: round(seconds, 2) for label, seconds in timings.items()},
        )

    # People and users

    def _email(self, name: str) -> str:
        self.email_counter += 1
        local = slugify(name.replace("Dr ", "")).replace("-", ".")
        return f"{local}.{self.email_counter}@{EMAIL_DOMAIN}"

    def person(self, profession=None, *, user=None, employer: str = "", made: dt.date = DATA_START) -> Person:
        rng = self.rng
        profession = profession or rng.choice(list(self.professions.values()))
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if profession.slug in ("gp", "doctor"):
            name = f"Dr {name}"
        registration = ""
        if profession.slug in ("gp", "doctor"):
            registration = f"GMC {rng.randint(1000000, 9999999)}"
        elif profession.slug == "nurse":
            registration = f"NMC {rng.randint(10, 99)}A{rng.randint(1000, 9999)}B"
        elif profession.slug == "pharmacist":
            registration = f"GPhC {rng.randint(2000000, 2999999)}"
        person = Person(
            name=name,
            email=self._email(name),
            profession=profession,
            employer=employer,
            registration=registration,
            user=user,
            created_at=at(made, 9),
        )
        person._history_date, person._history_user = at(made, 9), None
        return self.writer.add(person)

    def _users(self, icss: list[ICSPlan]) -> None:
        User = get_user_model()
        hashed = make_password(self.password)
        joined = at(DATA_START, 9)
        specs = [(USERNAMES["superuser"], "Sasha", "Superuser", True, True)]
        specs.append((USERNAMES["panel_member"], "Parveen", "Panel", False, False))
        for ics in icss:
            specs += [
                (ics.admin, "Ira", f"Administrator ({ics.short})", True, False),
                (ics.hr, "Harley", f"Recruiter ({ics.short})", True, False),
                (ics.secretariat, "Sol", f"Secretariat ({ics.short})", False, False),
            ]
            for place in ics.places:
                specs.append((place.team, "Taylor", f"Team ({place.name})", False, False))
        for username, first, last, staff, superuser in specs:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@{EMAIL_DOMAIN}",
                is_staff=staff,
                is_superuser=superuser,
                password=hashed,
                date_joined=joined,
            )
            self.users[username] = self.writer.add(user)
        self.writer.flush()
        big = icss[0]
        self.user_scopes = [
            (USERNAMES["ics_admin"], f"ICS administrator: {big.name} ({big.slug}), every place in it; admin site"),
            (USERNAMES["place_team"], f"Place team member: {big.places[0].name} ({big.places[0].slug})"),
            (USERNAMES["hr_recruiter"], f"HR recruiter: every place of {big.name}; admin site"),
            (USERNAMES["secretariat"], f"Board secretariat: {big.name}, every place in it"),
            (USERNAMES["superuser"], "Superuser: everything"),
            (USERNAMES["panel_member"], f"Panel member: some of {big.places[0].name}'s recruitment rounds"),
        ]

    def user(self, username: str):
        return self.users[username]

    def by(self, role: RolePlan, who: str):
        return self.user(role.place.ics.hr if who == "hr" else role.place.team)

    # One ICS

    def _ics(self, ics: ICSPlan) -> None:
        w, rng = self.writer, self.rng
        self.budget_decisions: list[Decision] = []
        self.decision_links: list[tuple[Decision, RolePlan]] = []
        name = ics.name
        if ICS.objects.filter(name=name).exists():  # taken by another data set: keep both apart
            name = f"{name} (scale set)"
        ics.obj = w.add(
            ICS(
                name=name,
                short_name=ics.short,
                slug=ics.slug,
                default_session_rate=ics.rate,
                time_to_hire_target_weeks=ics.target_weeks,
            )
        )
        ics.obj._history_date, ics.obj._history_user = at(DATA_START, 9), None
        for place in ics.all_places:
            place.obj = w.add(
                Place(
                    ics=ics.obj,
                    name=place.name,
                    slug=place.slug,
                    is_system_wide=place.system_wide,
                    requires_board_decision=place.requires_board_decision,
                )
            )
            place.obj._history_date, place.obj._history_user = at(DATA_START, 9, 30), None
        memberships = [
            (ics.admin, AccessKind.ICS_ADMIN, ics.obj, None),
            (ics.hr, AccessKind.HR_RECRUITER, ics.obj, None),
            (ics.secretariat, AccessKind.SECRETARIAT, ics.obj, None),
        ] + [(place.team, AccessKind.PLACE_TEAM, None, place.obj) for place in ics.places]
        for username, kind, scope_ics, scope_place in memberships:
            membership = w.add(Membership(user=self.user(username), kind=kind, ics=scope_ics, place=scope_place))
            membership._history_date, membership._history_user = at(DATA_START, 10), None
        for template in ics.templates:
            template.obj = w.add(
                TemplateRole(ics=ics.obj, title=template.title, role_type=template.role_type, order=template.order)
            )
            template.obj._history_date, template.obj._history_user = at(DATA_START, 11), self.user(ics.admin)
        w.extend(
            _through(TemplateRole, "functions")(templaterole=t.obj, function=self.functions[slug])
            for t in ics.templates
            for slug in t.functions
        )
        plan = w.add(
            PlanTemplate(
                ics=ics.obj,
                name=f"{ics.name}: place roles plan ({ics.slug})",
                description="The steps of the Bexley paper's Table 4 (Key Milestones & Indicative Timelines), as "
                "days from the Task & Finish Group's launch.",
            )
        )
        w.extend(
            PlanStep(template=plan, title=title, when_kind=when, offset_days=offset, length_days=length, order=order)
            for order, (title, when, offset, length, _owner) in enumerate(recruitment_demo.TABLE_4, start=1)
        )
        for place in ics.all_places:
            self._budgets(place)
            if rng.random() < 0.3:
                w.add(
                    ReminderSettings(
                        place=place.obj,
                        days_before=rng.choice(["7,1", "14,7,1", "7,3,1"]),
                        review_every_months=rng.choice([None, 6, 12]),
                    )
                )._history_date = at(DATA_START, 12)
        w.flush()
        for place in ics.all_places:
            self._governance(place)
        w.flush()
        self._pools(ics)
        w.flush()
        for place in ics.all_places:
            for tranches in self._chunks(place):
                self._roles(place, tranches)
                w.flush()
        for place in ics.all_places:
            self._after_roles(place)
        w.extend(
            _through(Decision, "roles")(decision=decision, role=role.obj) for decision, role in self.decision_links
        )
        w.flush()
        decisions = [
            meeting.approvals.obj
            for place in ics.all_places
            for board in place.boards
            for meeting in board.meetings
            if meeting.approvals and meeting.approvals.obj
        ] + self.budget_decisions
        self.writer.decisions_history(decisions)

    def _chunks(self, place: PlacePlan):
        chunk: list[list[RolePlan]] = []
        size = 0
        for tranche in place.tranches:
            chunk.append(tranche)
            size += len(tranche)
            if size >= self.scale.chunk:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    # Budgets: three financial years, sized on what the roles take

    def _budgets(self, place: PlacePlan) -> None:
        rng = self.rng
        place.budget_objs = {}
        on_cost = rng.choice([Decimal("0"), Decimal("0"), Decimal("13.8"), Decimal("20.5")])
        for year in BUDGET_YEARS:
            fy = FinancialYear(year)
            counted = [
                role
                for role in place.roles
                if stage_of(role.status, role.held_from) in (BudgetStage.COMMITTED, BudgetStage.PIPELINE)
            ]
            spend = sum(
                (
                    cost_in_year(
                        sessions=r.sessions,
                        rate_per_session=r.rate,
                        start=r.start,
                        end=r.end,
                        year=fy,
                        on_cost_percent=on_cost,
                    ).total
                    for r in counted
                ),
                Decimal(0),
            )
            factor = Decimal(str(rng.choice([1.05, 1.15, 1.2, 1.3, 1.4, 0.95]) if spend else 1))
            amount = max(Decimal("50000"), (spend * factor / 1000).to_integral_value(ROUND_CEILING) * 1000)
            cap = None
            if rng.random() < 0.25:
                peak = peak_sessions([(r.sessions, r.start, r.end) for r in counted], fy)
                cap = max(Decimal("11"), (peak * Decimal("1.1")).to_integral_value(ROUND_CEILING))
            budget = self.writer.add(
                BudgetModel(
                    place=place.obj,
                    financial_year=year,
                    amount=amount,
                    session_cap=cap,
                    on_cost_percent=on_cost,
                    notes=f"{fy} allocation for clinical and care professional leadership, agreed with "
                    f"{place.ics.name} ICB.",
                )
            )
            budget._history_date = at(dt.date(year, 2, 15), 11)
            budget._history_user = self.user(place.ics.admin)
            place.budget_objs[year] = budget

    # Governance

    def _governance(self, place: PlacePlan) -> None:
        w, rng = self.writer, self.rng
        ics = place.ics
        admin_person = None
        if place.system_wide and ics is self.first_ics:
            admin_person = self.person(self.professions["gp"], user=self.user(USERNAMES["ics_admin"]))
        people = [self.person(employer=f"{place.name} partner organisation") for _ in range(14)]
        for board in place.boards:
            board.obj = w.add(
                Board(
                    place=place.obj,
                    name=board.name,
                    kind=board.kind,
                    purpose=f"The {board.name}'s terms of reference: {Board.Kind(board.kind).label.lower()} for "
                    f"{place.name}, consensus wherever possible and one vote per member organisation.",
                    terms_agreed_on=board.meetings[0].held_on - dt.timedelta(days=28),
                    terms_review_on=board.meetings[0].held_on + dt.timedelta(days=365),
                    quorum_organisations=1,
                    quorum_needs_chair=rng.random() < 0.3,
                    papers_due_days=7,
                    minutes_due_days=8,
                )
            )
            board.obj._history_date, board.obj._history_user = (
                at(board.meetings[0].held_on - dt.timedelta(days=28)),
                None,
            )
            if place.system_wide:
                names = [f"{ics.name} ICB", f"{ics.name} local authorities", "Acute provider collaborative",
                         "Mental health provider collaborative", "Primary care collaborative", "Healthwatch",
                         "Voluntary, community and social enterprise alliance"]  # fmt: skip
            else:
                names = [f"{place.name} Council", f"{place.name} GP Federation", f"Healthwatch {place.name}",
                         f"{place.name} Voluntary Sector Council", "Local Medical Committee",
                         "Local Pharmacy Committee", f"{place.name} Community Health Services",
                         f"{ics.name} ICB – {place.name} place", f"{place.name} Primary Care Networks"]  # fmt: skip
            names = names[: rng.randint(max(3, len(names) - 3), len(names))]
            organisations = [
                w.add(Organisation(board=board.obj, name=name, is_voting=True, order=order))
                for order, name in enumerate(names, start=1)
            ]
            organisations.append(w.add(Organisation(board=board.obj, name="Chair's office", is_voting=False, order=99)))
            for organisation in organisations:
                organisation._history_date = board.obj._history_date
            board.obj.quorum_organisations = max(1, (len(organisations) - 1) // 2)
            seats = []
            chosen = rng.sample(people, min(len(people), len(organisations) + 3))
            for index, person in enumerate(chosen):
                if index == 0:
                    capacity, organisation = BoardMember.Capacity.CHAIR, organisations[-1]
                elif index == 1:
                    capacity, organisation = BoardMember.Capacity.VICE_CHAIR, organisations[0]
                elif index < len(organisations):
                    capacity, organisation = BoardMember.Capacity.MEMBER, organisations[index - 1]
                else:
                    capacity, organisation = BoardMember.Capacity.ATTENDEE, None
                seat = w.add(
                    BoardMember(
                        board=board.obj,
                        person=person,
                        organisation=organisation,
                        capacity=capacity,
                        job_title=f"{BoardMember.Capacity(capacity).label}, {organisation or place.name}",
                        term_starts_on=board.obj.terms_agreed_on,
                    )
                )
                seat._history_date = board.obj._history_date
                seats.append(seat)
            if admin_person is not None and board.kind == Board.Kind.LEADERSHIP_GROUP:
                seat = w.add(
                    BoardMember(
                        board=board.obj,
                        person=admin_person,
                        organisation=organisations[0],
                        capacity=BoardMember.Capacity.MEMBER,
                        job_title="ICS administrator",
                    )
                )
                seat._history_date = board.obj._history_date
                seats.append(seat)
            board.seats, board.organisations = seats, organisations
        w.flush()
        for board in place.boards:
            for meeting in board.meetings:
                self._meeting(place, board, meeting)
        w.flush()  # the meetings first: what they hold is written with their keys
        for board in place.boards:
            for meeting in board.meetings:
                self._meeting_record(place, board, meeting)
        w.flush()

    def _meeting(self, place: PlacePlan, board: BoardPlan, plan: MeetingPlan) -> None:
        w, rng = self.writer, self.rng
        held = plan.held_on
        past = held < AS_OF
        shared = None
        if past and (AS_OF - held).days > 14 and rng.random() < 0.98:
            shared = held + dt.timedelta(days=rng.randint(3, 8))
        meeting = w.add(
            Meeting(
                board=board.obj,
                held_on=held,
                starts_at=dt.time(14, 0) if rng.random() < 0.7 else dt.time(10, 0),
                part=plan.part,
                location=rng.choice(["Town Hall, committee room 2", "Microsoft Teams", "Civic Centre, room 4"]),
                minutes=f"Minutes of the {board.name}, {day(held)}: the items below were discussed and the decisions "
                "recorded."
                if shared
                else "",
                minutes_shared_on=shared,
            )
        )
        meeting._history_date, meeting._history_user = (
            at(held - dt.timedelta(days=21)),
            self.user(place.ics.secretariat),
        )
        plan.obj = meeting

    def _meeting_record(self, place: PlacePlan, board: BoardPlan, plan: MeetingPlan) -> None:
        """A meeting's agenda, papers, attendance and decisions."""
        w, rng = self.writer, self.rng
        meeting, held = plan.obj, plan.held_on
        past = held < AS_OF
        items = []
        for number, (title, asks) in enumerate(rng.sample(ITEM_TITLES, rng.randint(2, 4)), start=1):
            items.append((number, title, asks, None))
        number = len(items)
        if plan.approvals:
            number += 1
            items.append(
                (number, "Clinical and care professional leadership roles for approval", Paper.Ask.APPROVE, "approve")
            )
        for year in plan.budget_years:
            number += 1
            items.append(
                (
                    number,
                    f"Clinical and care professional leadership budget {FinancialYear(year)}",
                    Paper.Ask.APPROVE,
                    year,
                )
            )
        attendance = []
        if past:
            for seat in board.seats:
                roll = rng.random()
                status = (
                    Attendance.Status.PRESENT
                    if roll < 0.8
                    else Attendance.Status.DEPUTY
                    if roll < 0.85
                    else Attendance.Status.APOLOGIES
                    if roll < 0.96
                    else Attendance.Status.ABSENT
                )
                row = Attendance(
                    meeting_id=meeting.pk,
                    member=seat,
                    status=status,
                    deputy_name=f"Deputy for {seat.person.name}" if status == Attendance.Status.DEPUTY else "",
                )
                attendance.append(row)
            quorum = rules.quorum(board=board.obj, organisations=board.organisations, attendance=attendance)
            for row in attendance:
                if quorum.is_quorate:
                    break
                if not row.counts:
                    row.status = Attendance.Status.PRESENT
                    quorum = rules.quorum(board=board.obj, organisations=board.organisations, attendance=attendance)
            for row in attendance:
                row._history_date = at(held, 17)
                row._history_user = self.user(place.ics.secretariat)
            w.extend(attendance)
        secretariat = self.user(place.ics.secretariat)
        for number, title, asks, what in items:
            item = w.add(
                AgendaItem(meeting=meeting, number=number, title=title, presenter=rng.choice(board.seats).person.name)
            )
            item._history_date, item._history_user = meeting._history_date, secretariat
            if rng.random() < 0.9 or what:
                published = None  # papers of meetings still to come are not out yet
                if past:
                    published = held - dt.timedelta(
                        days=rng.randint(7, 10) if rng.random() < 0.92 else rng.randint(2, 6)
                    )
                paper = w.add(
                    Paper(
                        item=item,
                        title=f"{title} ({place.name})",
                        asks=asks,
                        recommendation=f"The board is asked to {Paper.Ask(asks).label.lower()} the paper.",
                        author=rng.choice(board.seats).person.name,
                        published_on=published,
                    )
                )
                paper._history_date, paper._history_user = at(published or held - dt.timedelta(days=10)), secretariat
            if not past or what is None:
                continue
            if what == "approve":
                roles = plan.approvals.roles
                titles = ", ".join(r.title for r in roles[:5]) + (
                    f" and {len(roles) - 5} more" if len(roles) > 5 else ""
                )
                plural = "s" if len(roles) != 1 else ""
                text = f"Approve {len(roles)} clinical and care professional leadership role{plural}: {titles}."
            else:
                budget = place.budget_objs[what]
                text = (
                    f"Approve {place.name}'s clinical and care professional leadership budget for "
                    f"{FinancialYear(what)}: {money(budget.amount)}."
                )
            decision = self._decision(board, meeting, item, attendance, text, secretariat, declare=what == "approve")
            if what == "approve":
                plan.approvals.obj = decision
                self.decision_links += [(decision, role) for role in plan.approvals.roles]  # once the roles exist
            else:
                self.budget_decisions.append(decision)
                w.add(_through(Decision, "budgets")(decision=decision, budget=place.budget_objs[what]))

    def _decision(self, board, meeting, item, attendance, text, secretariat, *, declare: bool) -> Decision:
        w, rng = self.writer, self.rng
        by_vote = not declare and rng.random() < 0.25
        decision = Decision(
            item=item,
            text=text,
            outcome=Decision.Outcome.AGREED,
            by_vote=by_vote,
            recorded_by=secretariat,
            recorded_at=at(meeting.held_on + dt.timedelta(days=1), 11),
        )
        decision._history_date, decision._history_user = decision.recorded_at, secretariat
        w.add(decision)
        if by_vote:
            votes, seen = [], set()
            for row in attendance:
                if rules.counts_for_organisation(row) and row.member.organisation_id not in seen:
                    seen.add(row.member.organisation.pk)
                    choice = rng.choices([Vote.Choice.FOR, Vote.Choice.ABSTAIN, Vote.Choice.AGAINST], [8, 1, 1])[0]
                    votes.append(
                        Vote(decision=decision, organisation=row.member.organisation, cast_by=row.member, choice=choice)
                    )
            if votes and not rules.tally(board=board.obj, votes=votes).carried:
                for vote in votes:
                    vote.choice = Vote.Choice.FOR
            for vote in votes:
                vote._history_date, vote._history_user = decision.recorded_at, secretariat
            w.extend(votes)
            decision.by_vote = bool(votes)
        elif declare and rng.random() < 0.15:
            gps = [row.member for row in attendance if row.counts and row.member.person.profession.slug == "gp"]
            if gps:
                member = rng.choice(gps)
                declaration = Declaration(
                    person=member.person,
                    interest="GP in a local Primary Care Network: may apply for the GP-eligible roles it decides.",
                    context_type=self.item_type,
                    action=Declaration.Action.DID_NOT_VOTE,
                    notes="GPs on a board deciding GP roles declare; took no part in the decision.",
                    declared_on=meeting.held_on,
                    recorded_by=secretariat,
                    recorded_at=at(meeting.held_on, 14),
                )
                declaration._context_obj = item
                declaration._history_date, declaration._history_user = declaration.recorded_at, secretariat
                w.add(declaration)
        return decision

    # Applicants and panels

    def _pools(self, ics: ICSPlan) -> None:
        rng = self.rng
        rounds = [r for place in ics.all_places for role in place.roles for r in role.rounds]
        biggest = max((r.applications for r in rounds), default=0) + 5
        wanted = int(sum(r.applications for r in rounds) * 0.45)  # most apply to two rounds or more
        self.clinical_pool = [
            self.person(rng.choice(self.clinical), employer=f"{ics.name} general practice", made=DATA_START)
            for _ in range(max(biggest, math.ceil(wanted * 0.75)))
        ]
        self.care_pool = [
            self.person(rng.choice(self.care), employer=f"{ics.name} local authority", made=DATA_START)
            for _ in range(max(biggest, math.ceil(wanted * 0.35)))
        ]
        self.panel_pool = [self.person(rng.choice(self.clinical), employer=f"{ics.name} ICB") for _ in range(12)]
        self.lay_pool = [self.person(self.professions["other-care"], employer="Lay member") for _ in range(5)]
        if ics is self.first_ics:
            self.panel_person = self.person(self.professions["gp"], user=self.user(USERNAMES["panel_member"]))
        else:
            self.panel_person = None

    # Roles, a batch of tranches at a time

    def _roles(self, place: PlacePlan, tranches: list[list[RolePlan]]) -> None:
        w = self.writer
        roles = [role for tranche in tranches for role in tranche]
        for role in roles:
            self._role(role)
        w.flush()
        for role in roles:
            obj = role.obj
            w.extend(_through(Role, "functions")(role=obj, function=self.functions[s]) for s in role.functions)
            w.extend(
                _through(Role, "eligible_professions")(role=obj, profession=self.professions[s])
                for s in role.professions
            )
            self._moves(role)
            for round_ in role.rounds:
                self._round(role, round_)
        w.flush()
        self._later()
        self._tranches(place, tranches)

    def _later(self) -> None:
        """The scores and application events of the applications just written."""
        self.writer.extend(
            Score(application_id=a.pk, criterion_id=c.pk, panel_member_id=m.pk, value=value, scored_at=when)
            for a, c, m, value, when in self.scores
        )
        self.writer.extend(
            ApplicationEvent(
                application_id=a.pk,
                kind=kind,
                from_status=before,
                to_status=to,
                by_id=by,
                at=when,
                reason=reason,
                details=details,
            )
            for a, kind, before, to, by, when, reason, details in self.events
        )
        self.scores, self.events = [], []

    def _role(self, role: RolePlan) -> None:
        appointee = None
        contracted = next((r for r in role.rounds if r.ended_by == "contracted"), None)
        if contracted is not None:
            appointee = self._pick(role, 1)[0]
            contracted.appointee = appointee
        role.appointee = appointee
        stamps = self._times(role)
        obj = Role(
            place=role.place.obj,
            title=role.title,
            role_type=role.role_type,
            spatial_level=self.levels[role.level],
            sessions_per_week=role.sessions,
            rate_per_session=role.rate,
            start_date=role.start,
            end_date=role.end,
            description=role.description,
            description_signed_off_on=role.sign_off,
            template_role=role.template.obj if role.template else None,
            variation_reason=role.variation_reason,
            status=role.status,
            held_from=role.held_from,
            board_decision=self._reference(role) if role.decision else "",
            appointee_name=appointee.name if appointee and role.status in (S.CONTRACTED, S.IN_POST, S.ENDED) else "",
            appointee=appointee if role.status in (S.CONTRACTED, S.IN_POST, S.ENDED) else None,
            is_critical=role.is_critical,
            version=len(role.steps),
            created_at=stamps[0],
            updated_at=stamps[-1],
        )
        role.obj, role.stamps = obj, stamps
        problem = professions_problem(role.role_type, [self.professions[s] for s in role.professions])
        assert problem is None, problem
        obj._versions = self._versions(role)
        self.writer.add(obj)

    def _reference(self, role: RolePlan) -> str:
        """The approving decision's reference, as `governance.citations` writes it on the role it authorises."""
        plan = role.decision
        if not hasattr(plan, "reference"):
            label = citations.label(plan.obj, private_words=False)
            plan.reference = label[: Role._meta.get_field("board_decision").max_length]
        return plan.reference

    def _times(self, role: RolePlan) -> list[dt.datetime]:
        """A time of day for each audit row, in order."""
        rng = self.rng
        stamps, previous = [], None
        for step in role.steps:
            stamp = at(step.day, rng.randint(9, 16), rng.choice([0, 10, 20, 30, 40, 50]))
            if previous and stamp <= previous:
                stamp = previous + dt.timedelta(minutes=7)
            stamps.append(stamp)
            previous = stamp
        return stamps

    def _versions(self, role: RolePlan) -> list[tuple]:
        """What the role was after each audit row: (when, by, "+"/"~", reason, the fields that differed then)."""
        final_appointee = role.appointee if role.status in (S.CONTRACTED, S.IN_POST, S.ENDED) else None
        current = {
            "status": S.PROPOSED,
            "held_from": "",
            "board_decision": "",
            "appointee_name": "",
            "appointee_id": None,
            "start_date": role.planned_start,
            "end_date": role.planned_end,
            "description_signed_off_on": None,
            "sessions_per_week": role.first_sessions or role.sessions,
        }
        versions = []
        for index, (step, stamp) in enumerate(zip(role.steps, role.stamps, strict=True)):
            if step.action == RoleMove.Action.EDITED:
                if step.edit == "sign_off":
                    current["description_signed_off_on"] = role.sign_off
                else:
                    current["sessions_per_week"] = role.sessions
            elif step.action == RoleMove.Action.MOVED:
                after, before = step.to_status, step.from_status
                current["status"] = after
                if after == S.ON_HOLD:
                    current["held_from"] = before
                elif before == S.ON_HOLD or after == S.WITHDRAWN:
                    current["held_from"] = ""
                if after == S.APPROVED:
                    current["board_decision"] = self._reference(role)
                if after == S.CONTRACTED:
                    person = role.appointee
                    current.update(
                        appointee_name=person.name,
                        appointee_id=person.pk,
                        start_date=role.start,
                        end_date=role.contract_end,
                    )
                if after == S.NOT_APPOINTED:
                    current.update(appointee_name="", appointee_id=None)
                if after == S.ENDED:
                    current["end_date"] = role.end
            kind = "+" if index == 0 else "~"
            versions.append((stamp, self.by(role, step.who), kind, step.reason, dict(current)))
        final = versions[-1][4]
        assert final["status"] == role.status and final["appointee_id"] == (
            final_appointee.pk if final_appointee else None
        )
        return versions

    def _moves(self, role: RolePlan) -> None:
        w = self.writer
        obj = role.obj
        sessions_field = Role._meta.get_field("sessions_per_week")
        sign_off_field = Role._meta.get_field("description_signed_off_on")
        for version, (step, stamp) in enumerate(zip(role.steps, role.stamps, strict=True), start=1):
            details = {}
            if step.action == RoleMove.Action.EDITED:
                if step.edit == "sign_off":
                    change = (sign_off_field, "description_signed_off_on", None, role.sign_off)
                else:
                    change = (sessions_field, "sessions_per_week", role.first_sessions, role.sessions)
                model_field, name, old, new = change
                details = {
                    "changes": [
                        {
                            "field": str(model_field.verbose_name),
                            "name": name,
                            "old": field_value(model_field, old),
                            "new": field_value(model_field, new),
                        }
                    ]
                }
            elif step.action == RoleMove.Action.MOVED:
                details = self._move_details(role, step).as_json()
            w.add(
                RoleMove(
                    role_id=obj.pk,
                    place_id=obj.place_id,
                    role_title=role.title,
                    action=step.action,
                    version=version,
                    from_status=step.from_status,
                    to_status=step.to_status,
                    by_id=self.by(role, step.who).pk,
                    at=stamp,
                    reason=step.reason,
                    details=details,
                )
            )

    def _move_details(self, role: RolePlan, step: Step) -> MoveDetails:
        after, before = step.to_status, step.from_status
        if after == S.APPROVED:
            return MoveDetails(decision_id=role.decision.obj.pk)
        if after == S.ADVERTISED and before != S.ON_HOLD:
            round_ = next(r for r in role.rounds if r.opens == step.day)
            return MoveDetails(opens_on=round_.opens, closes_on=round_.closes)
        if after == S.CONTRACTED:
            return MoveDetails(
                appointee=role.appointee,
                contract_start=role.start,
                contract_end=role.contract_end,
                sessions_per_week=role.sessions,
                rate_per_session=role.rate,
            )
        return MoveDetails()

    def _pick(self, role: RolePlan, count: int) -> list[Person]:
        rng = self.rng
        if role.role_type == C:
            pool = self.clinical_pool
        elif role.role_type == K:
            pool = self.care_pool
        else:
            pool = self.clinical_pool if rng.random() < 0.7 else self.care_pool
        return rng.sample(pool, min(count, len(pool)))

    # A round: its criteria, panel, applications and what became of them

    def _round(self, role: RolePlan, plan: RoundPlan) -> None:
        w, rng = self.writer, self.rng
        place = role.place
        hr = self.user(place.ics.hr)
        if plan.ended_by == "contracted":
            outcome = AdvertRound.Outcome.APPOINTED
        elif plan.ended_by == "not_appointed":
            outcome = AdvertRound.Outcome.NOT_APPOINTED
        elif plan.ended_by == "withdrawn":
            outcome = AdvertRound.Outcome.WITHDRAWN
        else:
            outcome = AdvertRound.Outcome.OPEN
        opened = role.stamps[
            [i for i, s in enumerate(role.steps) if s.to_status == S.ADVERTISED and s.day == plan.opens][0]
        ]
        round_ = w.add(
            AdvertRound(
                role=role.obj,
                number=plan.number,
                opens_on=plan.opens,
                closes_on=plan.closes,
                outcome=outcome,
                advert_text=f"{place.name} seeks a clinical or care professional to lead {plain(role.title)}, for "
                f"{role.sessions.normalize():f} session{'s' * (role.sessions != 1)} a week of protected time.",
                pay_shown=f"{money(role.rate, pennies=False)} a year per weekly session, pro rata",
                advertised_where=rng.choice(
                    [
                        "NHS Jobs; the GP bulletin",
                        "NHS Jobs; LCP Forum members' networks",
                        "NHS Jobs; the ICB's website",
                    ]
                ),
                shortlist_closed_at=at(plan.shortlist_closed_on, 9) if plan.shortlist_closed_on else None,
                created_at=opened,
            )
        )
        round_._history_date, round_._history_user = opened, self.by(role, "team")
        criteria = {Criterion.Stage.SHORTLISTING: [], Criterion.Stage.INTERVIEW: []}
        for stage, rows in (
            (Criterion.Stage.SHORTLISTING, recruitment_demo.SHORTLISTING_CRITERIA),
            (Criterion.Stage.INTERVIEW, recruitment_demo.INTERVIEW_CRITERIA),
        ):
            for order, (title, weight, low, high) in enumerate(rows, start=1):
                criteria[stage].append(
                    w.add(
                        Criterion(
                            round=round_,
                            stage=stage,
                            title=title.replace("Bexley", place.name),
                            weight=weight,
                            min_score=low,
                            max_score=high,
                            order=order,
                        )
                    )
                )
        panel_people = [*rng.sample(self.panel_pool, 2), rng.choice(self.lay_pool)]
        if self.panel_person is not None and place.slug == BIG_PLACE_SLUG and rng.random() < 0.15:
            panel_people[1] = self.panel_person
        panel = [
            w.add(
                PanelMember(
                    round=round_,
                    person=person,
                    part=PanelMember.Part.CHAIR if index == 0 else PanelMember.Part.MEMBER,
                    added_at=opened,
                )
            )
            for index, person in enumerate(panel_people)
        ]
        RoundWriter(self, role, plan, round_, criteria, panel, hr).write()

    # Plans

    def _tranches(self, place: PlacePlan, tranches: list[list[RolePlan]]) -> None:
        """The chunk's tranches, then their plans: Table 4's steps for the tranche (each about all of its
        roles, as `recruitment.plans.tranche_start` makes them) and each role's own steps."""
        w = self.writer
        made = []
        for roles in tranches:
            start = monday(roles[0].created_on)
            place.tranche_count += 1
            name = f"Tranche {place.tranche_count}: {start:%B %Y} roles"
            tranche = w.add(Tranche(place_id=place.obj.pk, name=name, created_at=at(start, 9)))
            w.extend(_through(Tranche, "roles")(tranche=tranche, role_id=role.obj.pk) for role in roles)
            made.append((tranche, start, roles))
        w.flush()
        linked = []
        for tranche, start, roles in made:
            linked += self._plan(place, tranche, start, roles)
        w.flush()
        w.extend(
            _through(Milestone, "roles")(milestone_id=milestone.pk, role_id=role.obj.pk)
            for milestone, roles in linked
            for role in roles
        )

    def _plan(self, place: PlacePlan, tranche: Tranche, start: dt.date, roles: list[RolePlan]) -> list[tuple]:
        rng = self.rng
        team, hr = self.user(place.team), self.user(place.ics.hr)
        owners = {"bexley-team": team, "hr-recruiter": hr, "team": team, "hr": hr}
        linked = []
        for order, (title, when, offset, length, owner) in enumerate(recruitment_demo.TABLE_4, start=1):
            starts = None if when == When.TBC else start + dt.timedelta(days=offset)
            if when == When.WEEK:
                starts = monday(starts)
            ends = starts + dt.timedelta(days=length) if when == When.RANGE else None
            due = Milestone(when_kind=when, starts_on=starts, ends_on=ends).due_on
            done = None
            if due and due < AS_OF and rng.random() < 0.92:
                done = min(due + dt.timedelta(days=rng.randint(0, 3)), AS_OF - dt.timedelta(days=1))
            who = owners[owner] if rng.random() < 0.9 else None
            linked.append((self._milestone(place, tranche, title, when, starts, ends, done, order, who, start), roles))
        for role in roles:
            steps = role_steps(role)
            for number, (title, when, starts, ends, done, owner) in enumerate(steps[: role.milestones], start=1):
                who = owners[owner] if rng.random() < 0.9 else None
                title = f"{role.title}: {title}"[:200]
                milestone = self._milestone(
                    place, tranche, title, when, starts, ends, done, 20 + number, who, role.created_on
                )
                linked.append((milestone, [role]))
            for n in range(role.milestones - len(steps)):  # monthly check-ins with a leader in post
                when_on = first_of_next_month(role.start) + dt.timedelta(days=31 * n)
                when_on = dt.date(when_on.year, when_on.month, 15)
                done = when_on if when_on < AS_OF and rng.random() < 0.9 else None
                title = f"{role.title}: monthly check-in ({when_on:%b %Y})"[:200]
                milestone = self._milestone(
                    place, tranche, title, When.DATE, when_on, None, done, 50, team, role.created_on
                )
                linked.append((milestone, [role]))
        return linked

    def _milestone(self, place, tranche, title, when, starts, ends, done, order, owner, made: dt.date) -> Milestone:
        problems = when_problems(when, starts, ends)
        assert not problems, (title, problems)
        milestone = Milestone(
            place_id=place.obj.pk,
            tranche_id=tranche.pk,
            title=title,
            when_kind=when,
            starts_on=starts,
            ends_on=ends,
            done_on=done,
            order=order,
            owner_id=owner.pk if owner else None,
        )
        milestone._history_date, milestone._history_user = at(made, 12), owner
        return self.writer.add(milestone)

    # What needs all of a place's roles

    def _after_roles(self, place: PlacePlan) -> None:
        w = self.writer
        for template, reason in place.omissions:
            omission = w.add(TemplateOmission(place=place.obj, template_role=template.obj, reason=reason))
            omission._history_date, omission._history_user = (
                at(DATA_START + dt.timedelta(days=60)),
                self.user(place.team),
            )
        events = {}
        points = []
        for order, plan in enumerate(place.feedback, start=1):
            key = (plan.held_on, plan.group)
            if key not in events:
                event = EngagementEvent(
                    place=place.obj, held_on=plan.held_on, group=plan.group, created_at=at(plan.held_on, 16)
                )
                event._history_date, event._history_user = at(plan.held_on, 16), self.user(place.team)
                events[key] = w.add(event)
            point = FeedbackPoint(
                event=events[key], order=order, text=plan.text, action=plan.action, action_note=plan.note
            )
            point._history_date, point._history_user = at(plan.held_on, 17), self.user(place.team)
            points.append((w.add(point), plan))
        for point, plan in points:
            w.extend(_through(FeedbackPoint, "roles")(feedbackpoint=point, role=r.obj) for r in plan.roles)
            w.extend(
                _through(FeedbackPoint, "template_roles")(feedbackpoint=point, templaterole=t.obj)
                for t in plan.templates
            )

    # Reminders the sweeps sent in the week before AS_OF

    def _reminders(self, icss: list[ICSPlan]) -> None:
        w = self.writer
        places = {place.obj.pk for ics in icss for place in ics.all_places}
        made: set[tuple] = set()
        for back in range(REMINDER_DAYS, 0, -1):
            today = AS_OF - dt.timedelta(days=back)
            rows = []
            for wanted in sorted(reminders_due(today), key=lambda r: r.key):
                if wanted.place_id not in places or wanted.key in made:
                    continue
                made.add(wanted.key)
                claimed = at(today, 6, 0)
                rows.append(
                    Reminder(
                        place_id=wanted.place_id,
                        kind=wanted.kind,
                        subject_key=wanted.subject_key,
                        due_on=wanted.due_on,
                        recipient_id=wanted.recipient_id,
                        email=wanted.email,
                        subject=wanted.subject,
                        body=wanted.body,
                        status=Reminder.Status.FAILED if wanted.problem else Reminder.Status.SENT,
                        attempts=1,
                        last_error=wanted.problem,
                        created_at=claimed,
                        claimed_at=claimed + dt.timedelta(minutes=1),
                        sent_at=None if wanted.problem else claimed + dt.timedelta(minutes=2),
                    )
                )
            w.extend(rows)
            w.flush()


SHORTLISTERS = 2  # the panel's chair and one member shortlist; all three interview


class RoundWriter:
    """One advert round's applications, as its recruitment ran: who applied, the shortlisting decisions
    and scores, interviews, offers and the contract, with an event for every change."""

    def __init__(self, loader: Loader, role: RolePlan, plan: RoundPlan, round_, criteria, panel, hr):
        self.loader, self.w, self.rng = loader, loader.writer, loader.rng
        self.role, self.plan, self.round, self.criteria, self.panel, self.hr = role, plan, round_, criteria, panel, hr

    def event(self, application, kind, when, *, before="", status="", reason="", details=None):
        """An application's history row (written once the application has its key: `Loader._later`)."""
        self.loader.events.append((application, kind, before, status, self.hr.pk, when, reason, details or {}))
        if status:
            application.status, application.status_changed_at = status, when

    def move(self, application, to, when, reason="", told=None):
        """Move an application, with its event; the applicant is told (`notices.OUTCOMES`) at `told`, or
        five minutes later, unless `told` is False (shortlisting decisions are told when it closes)."""
        self.event(application, ApplicationEvent.Kind.MOVED, when, before=application.status, status=to, reason=reason)
        if to in OUTCOMES and told is not False:
            self.event(
                application,
                ApplicationEvent.Kind.TOLD,
                told or when + dt.timedelta(minutes=5),
                details={"what": to, "to": "applicant", "sent": True, "problem": ""},
            )

    def write(self) -> None:
        plan, rng, role = self.plan, self.rng, self.role
        count = plan.applications
        if count == 0:
            return
        appointee = plan.appointee
        people = self.loader._pick(role, count + 1)
        people = [p for p in people if p is not appointee][: count - (appointee is not None)]
        if appointee is not None:
            people.insert(rng.randrange(len(people) + 1), appointee)
        last_day = min(plan.closes, AS_OF - dt.timedelta(days=1))
        if plan.ended_by == "withdrawn" and plan.ended_on:
            last_day = min(last_day, plan.ended_on)
        last_day = max(last_day, plan.opens)
        span = (last_day - plan.opens).days
        apps = []
        for number, person in enumerate(people, start=1):
            received = plan.opens + dt.timedelta(days=rng.randint(0, span))
            late = plan.shortlisting_on and rng.random() < 0.05 and person is not appointee
            if late:
                received = plan.closes + dt.timedelta(
                    days=rng.randint(1, max(1, (plan.shortlisting_on - plan.closes).days))
                )
            application = Application(
                round=self.round,
                person=person,
                candidate_number=number,
                statement=f"{rng.choice(['Ten', 'Six', 'Fifteen', 'Three'])} years in {person.employer}; "
                f"keen to lead {plain(role.title).lower()} across {role.place.name}.",
                received_on=received,
                status=A.RECEIVED,
                created_by=self.hr,
                created_at=at(received, 9, rng.randint(0, 59)),
                status_changed_at=at(received, 9),
            )
            application.quality = rng.gauss(0, 1)
            self.w.add(application)
            apps.append(application)
        self.apps = apps
        # The application of the person the role's contract goes to (the plan chose them), if any.
        self.chosen = next((a for a in apps if appointee is not None and a.person is appointee), None)
        self.slots = []
        self._slots()
        # Events, scores and answers need the applications' keys: they follow in the same flush.
        for application in apps:
            self.event(
                application,
                ApplicationEvent.Kind.RECEIVED,
                application.created_at,
                details={"late": application.received_on > plan.closes},
            )
            if application.received_on > plan.closes and plan.shortlisting_on and rng.random() < 0.7:
                accepted = at(plan.shortlisting_on, 11)
                application.late_accepted_at = accepted
                self.event(
                    application,
                    ApplicationEvent.Kind.LATE_ACCEPTED,
                    accepted,
                    reason="Held up by the applicant's e-mail provider; accepted.",
                    details={"received_on": application.received_on.isoformat()},
                )
            if rng.random() < 0.65:
                answers = EqualityAnswers(
                    application=application,
                    age_band=rng.choice([c for c, _ in EqualityAnswers.AGE_BANDS] + [""]),
                    sex=rng.choice([c for c, _ in EqualityAnswers.SEXES] + [""]),
                    ethnic_group=rng.choice([c for c, _ in EqualityAnswers.ETHNIC_GROUPS]),
                    disability=rng.choice([c for c, _ in EqualityAnswers.YES_NO]),
                )
                self.w.add(answers)
        self._story()

    def _slots(self) -> None:
        plan = self.plan
        if not plan.shortlist_closed_on or not plan.interview_day:
            return
        room = f"{self.role.place.name} LCP offices: meeting room {self.rng.randint(1, 6)}"
        for n in range(6):
            starts = at(plan.interview_day, 10) + dt.timedelta(minutes=50 * n)
            self.slots.append(
                self.w.add(
                    InterviewSlot(
                        round=self.round,
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(minutes=45),
                        room=room,
                        video_link="https://meet.example.org/leadership-interviews" if n % 2 else "",
                    )
                )
            )

    def score(self, application, stage: str, when: dt.datetime, scorers: int = 3) -> None:
        """The first `scorers` of the panel score the application on the stage's criteria."""
        rng = self.rng
        for member in self.panel[:scorers]:
            for criterion in self.criteria[stage]:
                middle = (criterion.min_score + criterion.max_score) / 2
                spread = (criterion.max_score - criterion.min_score) / 4
                value = round(middle + application.quality * spread + rng.gauss(0, 0.6))
                value = max(criterion.min_score, min(criterion.max_score, value))
                self.loader.scores.append((application, criterion, member, value, when))

    def _story(self) -> None:
        plan, rng = self.plan, self.rng
        apps = self.apps
        appointee = self.chosen
        withdrawn = 0
        for application in apps:  # a few withdraw before any decision
            if rng.random() < 0.04 and application is not appointee and withdrawn < len(apps) - 3:
                limit = plan.shortlisting_on or plan.ended_on or AS_OF
                when = application.received_on + dt.timedelta(days=rng.randint(1, 5))
                if when < limit:
                    self.move(application, A.WITHDRAWN, at(when, 12), "The applicant withdrew.")
                    withdrawn += 1
        live = [a for a in apps if a.status == A.RECEIVED]
        if not plan.shortlisting_on:
            return
        ranked = sorted(live, key=lambda a: (a is not appointee, -a.quality))
        eligible = [a for a in ranked if not (a.received_on > plan.closes and a.late_accepted_at is None)] or ranked[:1]
        decide_until = plan.shortlist_closed_on or plan.ended_on or AS_OF
        decide_day = plan.shortlisting_on + dt.timedelta(days=max(0, (decide_until - plan.shortlisting_on).days // 2))
        decide_at = at(min(decide_day, AS_OF - dt.timedelta(days=1)), 15)
        if plan.shortlist_closed_on:
            keep = min(len(eligible), rng.randint(2, 5))
            shortlisted = eligible[:keep]
            closed = at(plan.shortlist_closed_on, 9)
            for application in ranked:
                if application in eligible:
                    self.score(
                        application, Criterion.Stage.SHORTLISTING, decide_at - dt.timedelta(hours=4), SHORTLISTERS
                    )
                to = A.SHORTLISTED if application in shortlisted else A.NOT_SHORTLISTED
                self.move(application, to, min(decide_at, closed - dt.timedelta(hours=1)), told=closed)
            self._interviews(shortlisted)
            return
        # Shortlisting still going (or stopped there): part decided.
        share = rng.uniform(0.3, 0.8) if plan.ended_by != "not_appointed" else 1.0
        decided = ranked[: int(len(ranked) * share)]
        for position, application in enumerate(ranked):
            if application in decided:
                self.score(application, Criterion.Stage.SHORTLISTING, decide_at - dt.timedelta(hours=4), SHORTLISTERS)
                if application in eligible and position < max(1, len(ranked) * 0.4):
                    self.move(application, A.SHORTLISTED, decide_at, told=False)
                else:
                    self.move(application, A.NOT_SHORTLISTED, decide_at, told=False)
            elif rng.random() < 0.5:
                self.score(application, Criterion.Stage.SHORTLISTING, decide_at, 1)
        if plan.ended_by == "not_appointed":
            self._close_unfilled()
        if not plan.ended_by and rng.random() < 0.03 and len(apps) > 1:
            self._declare(rng.choice(apps))

    def _interviews(self, shortlisted) -> None:
        plan, rng = self.plan, self.rng
        closed = at(plan.shortlist_closed_on, 9)
        for application, slot in zip(shortlisted, self.slots, strict=False):
            application.interview_slot = slot
            self.event(
                application, ApplicationEvent.Kind.BOOKED, closed + dt.timedelta(hours=2), details={"slot": str(slot)}
            )
        if rng.random() < 0.03:
            self._declare(rng.choice(shortlisted))
        interviewed = []
        if plan.interview_day and plan.interview_day < AS_OF:
            done_at = at(plan.interview_day, 17)
            for application in shortlisted:
                if rng.random() < 0.05 and len(shortlisted) > 1 and application is not self.chosen:
                    application.interview_slot = None
                    self.move(application, A.WITHDRAWN, done_at - dt.timedelta(days=1), "The applicant withdrew.")
                    continue
                self.move(application, A.INTERVIEWED, done_at)
                self.score(application, Criterion.Stage.INTERVIEW, done_at - dt.timedelta(hours=1))
                interviewed.append(application)
        if plan.offered_on and interviewed:
            self._offers(sorted(interviewed, key=lambda a: -a.quality))
        elif plan.ended_by == "not_appointed":
            self._close_unfilled()

    def _offers(self, ranked) -> None:
        plan, rng, w = self.plan, self.rng, self.w
        made_at = at(plan.offered_on, 12)
        appointee = self.chosen
        first = ranked[0]
        if appointee is not None and first is not appointee and appointee in ranked:
            ranked.remove(appointee)
            ranked.insert(0 if rng.random() < 0.7 else 1, appointee)
            first = ranked[0]
        declined = len(ranked) > 1 and (first is not appointee if appointee else rng.random() < 0.15)
        if plan.ended_by == "not_appointed" or made_at + dt.timedelta(days=2) >= at(AS_OF, 0):
            declined = False
        offer = w.add(Offer(round=self.round, application=first, made_at=made_at, made_by=self.hr))
        self.move(first, A.OFFERED, made_at)
        if declined:
            answered = made_at + dt.timedelta(days=2)
            offer.status, offer.answered_at, offer.answered_by = Offer.Status.DECLINED, answered, self.hr
            self.move(first, A.NOT_APPOINTED, answered, "Declined the offer.")
            first = ranked[1]
            offer = w.add(
                Offer(
                    round=self.round,
                    application=first,
                    made_at=answered + dt.timedelta(hours=2),
                    made_by=self.hr,
                    notes="Next ranked after a decline.",
                )
            )
            self.move(first, A.OFFERED, answered + dt.timedelta(hours=2), "Next ranked after the offer was declined.")
        assert not plan.contracted_on or first is appointee, self.role.title
        if plan.contracted_on:
            signed = at(plan.contracted_on, 11)
            accepted = max(offer.made_at + dt.timedelta(hours=1), signed - dt.timedelta(days=rng.randint(1, 5)))
            accepted = min(accepted, signed - dt.timedelta(minutes=30))
            offer.status, offer.answered_at, offer.answered_by = Offer.Status.ACCEPTED, accepted, self.hr
            self.event(first, ApplicationEvent.Kind.OFFER_ACCEPTED, accepted)
            role = self.role
            w.add(
                Contract(
                    offer=offer,
                    contract_type=rng.choice(
                        [ContractType.FIXED_TERM, ContractType.FIXED_TERM, ContractType.SESSIONAL]
                    ),
                    starts_on=role.start,
                    ends_on=role.contract_end,
                    sessions_per_week=role.sessions,
                    rate_per_session=role.rate,
                    signed_on=plan.contracted_on,
                    recorded_by=self.hr,
                    recorded_at=signed,
                )
            )
            self.move(first, A.APPOINTED, signed, f"Contract signed on {day(plan.contracted_on)}.")
            self._others_not_appointed(signed + dt.timedelta(minutes=10), "The post was filled.")
        elif plan.ended_by == "not_appointed":
            answered = at(plan.ended_on, 10)
            offer.status, offer.answered_at, offer.answered_by = Offer.Status.DECLINED, answered, self.hr
            self.move(first, A.NOT_APPOINTED, answered, "Declined the offer.")
            self._close_unfilled()
        elif plan.ended_by == "withdrawn":
            offer.status, offer.answered_at, offer.answered_by = Offer.Status.WITHDRAWN, at(plan.ended_on, 10), self.hr

    def _others_not_appointed(self, when, reason) -> None:
        for application in self.apps:
            if application.status in (A.RECEIVED, A.SHORTLISTED, A.INTERVIEWED, A.OFFERED):
                to = A.NOT_SHORTLISTED if application.status == A.RECEIVED else A.NOT_APPOINTED
                self.move(application, to, when, reason)

    def _close_unfilled(self) -> None:
        plan = self.plan
        self._others_not_appointed(at(plan.ended_on, 11), NOT_APPOINTED_REASONS.get(plan.stopped_at, "Not appointed."))

    def _declare(self, application) -> None:
        chair = self.panel[0]
        when = at(self.plan.shortlisting_on or self.plan.opens, 10)
        declaration = Declaration(
            person=chair.person,
            about_person=application.person,
            interest="Works at the same practice as the candidate.",
            context_type=self.loader.round_type,
            action=Declaration.Action.EXCLUDED_FROM_SCORING,
            notes="Declared at shortlisting; the chair's scores for this candidate are left out of the total.",
            declared_on=when.date(),
            recorded_by=self.hr,
            recorded_at=when,
        )
        declaration._context_obj = self.round
        declaration._history_date, declaration._history_user = when, self.hr
        self.w.add(declaration)


# --- Loading, refusing, removing --------------------------------------------------------------------------


class AlreadyLoaded(Exception):
    """The scale set is in the database already: nothing was changed."""


def scale_present() -> dict[str, int]:
    """What of a scale set is in the database (all zero when none is)."""
    return {
        "ICSs": ICS.objects.filter(slug__startswith=PREFIX).count(),
        "places": Place.objects.filter(ics__slug__startswith=PREFIX).count(),
        "roles": Role.objects.filter(place__ics__slug__startswith=PREFIX).count(),
        "users": get_user_model().objects.filter(username__startswith=PREFIX).count(),
        "people": Person.objects.filter(email__iendswith=f"@{EMAIL_DOMAIN}").count(),
    }


def scale_load(
    *, scale: str = "england", seed: int = 1, replace: bool = False, password: str = DEFAULT_PASSWORD
) -> Loaded:
    """Load the scale set in one transaction: all of it, or nothing. If one is loaded already it is
    refused (`AlreadyLoaded`) unless `replace`, which removes it first (`scale_remove`)."""
    if scale not in SCALES:
        raise ValueError(f"“{scale}” is not a scale: choose one of {', '.join(SCALES)}.")
    started = time.perf_counter()
    with transaction.atomic():
        present = scale_present()
        removed = {}
        if any(present.values()):
            if not replace:
                found = ", ".join(f"{count:,} {what}" for what, count in present.items() if count)
                raise AlreadyLoaded(
                    f"The scale set is already loaded ({found}): run `manage.py load_scale --replace` to remove it "
                    "and load it again. Nothing was changed."
                )
            removed = scale_remove()
        removing = time.perf_counter() - started
        loaded = Loader(SCALES[scale], seed, password).load()
        committing = time.perf_counter()
    # PostgreSQL checks the deferred foreign keys of every row written at the commit.
    loaded.timings = {"phase: removing the earlier set": round(removing, 2), **loaded.timings}
    loaded.timings["phase: commit"] = round(time.perf_counter() - committing, 2)
    loaded.removed = removed
    loaded.seconds = time.perf_counter() - started
    return loaded


def _history_of(model, live, places=None):
    """The history rows of the rows in `live` (and, for a model with a place, of any of the places' rows
    deleted since), so that removing the set leaves no history behind."""
    history = model.history.model.objects.all()
    wanted = Q(**{f"{model._meta.pk.attname}__in": live.values("pk")})
    if places is not None and any(f.name == "place" for f in model._meta.fields):
        wanted |= Q(place_id__in=places.values("pk"))
    return history.filter(wanted)


def _m2m_histories(model) -> list:
    """The tables in which `model`'s history keeps its many-to-many fields (the app writes them whenever a
    service sets such a field, whether or not this data set wrote any)."""
    found = []
    for m2m_field in model._meta.many_to_many:
        historical = getattr(model.history.model, m2m_field.name, None)
        m2m = getattr(historical, "model", None)
        if m2m is not None and any(f.name == "m2m_history_id" for f in m2m._meta.fields):
            found.append(m2m)
    return found


def scale_remove() -> dict[str, int]:
    """Delete the scale set and what hangs off it (its places', ICSs', people's and users' rows, and their
    history), children first, with direct deletes: no signals, so no history rows are made for the deletes.
    Rows of other data (the demo's) are never touched; a demo row that points at the scale set would make
    the delete fail, and the caller's transaction keep everything."""
    User = get_user_model()
    icss = ICS.objects.filter(slug__startswith=PREFIX)
    places = Place.objects.filter(ics__in=icss)
    roles = Role.objects.filter(place__in=places)
    rounds = AdvertRound.objects.filter(role__in=roles)
    applications = Application.objects.filter(round__in=rounds)
    boards = Board.objects.filter(place__in=places)
    meetings = Meeting.objects.filter(board__in=boards)
    items = AgendaItem.objects.filter(meeting__in=meetings)
    decisions = Decision.objects.filter(item__in=items)
    people = Person.objects.filter(email__iendswith=f"@{EMAIL_DOMAIN}")
    users = User.objects.filter(username__startswith=PREFIX)
    declarations = Declaration.objects.filter(
        Q(person__in=people)
        | Q(about_person__in=people)
        | Q(context_type=ContentType.objects.get_for_model(AgendaItem), context_id__in=items.values("pk"))
        | Q(context_type=ContentType.objects.get_for_model(AdvertRound), context_id__in=rounds.values("pk"))
    )
    steps = [
        Reminder.objects.filter(Q(place__in=places) | Q(recipient__in=users)),
        ExportLog.objects.filter(Q(place__in=places) | Q(ics__in=icss)),
        Vote.objects.filter(decision__in=decisions),
        declarations,
        decisions,
        Attendance.objects.filter(meeting__in=meetings),
        Paper.objects.filter(item__in=items),
        items,
        meetings,
        BoardMember.objects.filter(board__in=boards),
        Organisation.objects.filter(board__in=boards),
        boards,
        FeedbackPoint.objects.filter(event__place__in=places),
        EngagementEvent.objects.filter(place__in=places),
        Milestone.objects.filter(place__in=places),
        Tranche.objects.filter(place__in=places),
        ReminderSettings.objects.filter(place__in=places),
        PlanStep.objects.filter(template__ics__in=icss),
        PlanTemplate.objects.filter(ics__in=icss),
        Score.objects.filter(application__in=applications),
        EqualityAnswers.objects.filter(application__in=applications),
        ApplicationEvent.objects.filter(application__in=applications),
        Contract.objects.filter(offer__round__in=rounds),
        Offer.objects.filter(round__in=rounds),
        applications,
        InterviewSlot.objects.filter(round__in=rounds),
        PanelMember.objects.filter(round__in=rounds),
        Criterion.objects.filter(round__in=rounds),
        RoleMove.objects.filter(place__in=places),
        rounds,
        roles,
        TemplateOmission.objects.filter(place__in=places),
        TemplateRole.objects.filter(ics__in=icss),
        BudgetModel.objects.filter(place__in=places),
        Membership.objects.filter(Q(place__in=places) | Q(ics__in=icss) | Q(user__in=users)),
        places,
        icss,
        people,
    ]
    removed: Counter = Counter()
    for queryset in steps:
        model = queryset.model
        if _has_history(model):
            history = _history_of(model, queryset, places)
            for m2m in _m2m_histories(model):
                snapshot = m2m.objects.filter(history_id__in=history.values("pk"))
                removed[m2m._meta.label] += snapshot._raw_delete(snapshot.db)
            removed[history.model._meta.label] += history._raw_delete(history.db)
        for m2m_field in model._meta.many_to_many:
            through = m2m_field.remote_field.through
            link = through.objects.filter(**{f"{m2m_field.m2m_field_name()}__in": queryset.values("pk")})
            removed[through._meta.label] += link._raw_delete(link.db)
        removed[model._meta.label] += queryset._raw_delete(queryset.db)
    found = list(users)
    if found:
        removed[User._meta.label] += len(found)
        users.delete()  # through the ORM: their sessions' admin log entries and group links go with them
    return {label: count for label, count in sorted(removed.items()) if count}


def load_test_env() -> str:
    """The load test's settings as shell exports (scripts/load-test.sh `eval`s them): the big place, its
    users and their password; each taken from the environment instead where it is set there.

    The place team member, the ICS administrator, the HR recruiter, the board secretariat and the
    superuser read the place's pages; those who may also read the ICS's own pages (`LOAD_ICS`)."""
    ics = BIG_ICS_SLUG
    kinds = ("place_team", "ics_admin", "hr_recruiter", "secretariat", "superuser")
    values = {
        "LOAD_PLACE": BIG_PLACE_SLUG,
        "LOAD_ICS": ics,
        "LOAD_USERS": ",".join(USERNAMES[kind] for kind in kinds),
        "LOAD_PASSWORD": os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD),
    }
    return "export " + " ".join(
        f"{name}={shlex.quote(os.environ.get(name) or value)}" for name, value in values.items()
    )
