"""Demo governance on top of `roles.demo` and `recruitment.demo`: the boards, meetings, decisions and
engagement of the seed board papers (shared/seeds).

Facts from the papers:
- The Bexley Strategic Board's terms of reference (30 Sep 2021 paper, Appendix 1): agreed 29 Jul 2021,
  to be reviewed in November 2021; the member organisations of section 3.3 and the named
  representatives of its Appendix 1; the chair is the joint Place Based Director / Director of Adult
  Social Care (Stuart Rowbotham); one vote per organisation on Part 1 matters and the chair's second,
  deciding vote; papers published 7 days before a meeting, minutes shared within 8 days; the
  meeting schedule of section 12; the 30 Sep 2021 Part 1 paper (agenda item 3, for discussion and
  endorsement, its recommendations) and the 27 Jan 2022 Part 2 paper (agenda item 14, "for
  consideration", a late paper by its own account, its recommendations).
- Table 4 of the 27 Jan 2022 paper: the Task & Finish Group launched w/c 31 Jan 2022, the Borough
  Strategic Board update on 24 Feb 2022 and the Borough Strategic Board on 31 Mar 2022.
- Table 2 of the 27 Jan 2022 paper: nine engagement entries and their feedback, as written. The paper
  dates the Sexual Health Commissioner's entry "13th January 2002": a typo for 2022, stored as 2022.
- Joined Up Care Derbyshire's ICP paper of 8 Feb 2023 (item 10, asks the ICP to note): the CPLG's interim
  Chair Avi Bhatia, Vice Chair Penny Blackwell (Place Clinical Lead), three Vice Chairs and a Local
  Authority Vice-Chair placeholder; the ICB Board's approval of the CPLG Chair job description and
  appointment process.

ASSUMPTIONS (the papers do not give these):
- The Bexley board's QUORUM: the terms say it "shall be decided at the first meeting", and the papers
  do not say what was decided. The demo uses 7 of the 14 voting member organisations (a half), with
  no need for the chair to be there (section 4.4 says who chairs in the chair's absence).
- The vice chair (to be "determined at the first meeting") is not named, so none is held.
- The chair's post ("London Borough of Bexley & NHS SEL CCG" in Appendix 1) is held as a
  non-voting organisation: the council and the CCG vote through their own representatives, and the
  chair has the casting vote. Bromley Healthcare is named in Appendix 1 but not in the membership table
  of section 3.3: it is held as a non-voting organisation. The lay member and the non-voting
  attendees (named by title only: the LCP Manager, the Director of System Transformation for Bexley &
  Greenwich, the Acting Director of Integrated Commissioning) represent no organisation.
- Terms of office: from 29 Jul 2021 (the terms' agreement), open-ended, except the Bexley
  representative to the OHSEL ICS Board (to 31 Mar 2022, as Appendix 1 says).
- The review date: 1 Nov 2021 (the terms say "November 2021").
- When papers were published: 23 Sep 2021 for the 30 Sep paper (on time); 25 Jan 2022 for the 27 Jan
  paper (it calls itself late); on time for the rest.
- The 27 Jan 2022 meeting's attendance, and its decision "Endorse the Bexley role set", which the demo
  records as authorising Bexley's 22 roles of Table 3 and the 2022/23 budget of £417,000: the paper
  asks the board to note and consider, and says no final decision was needed then; the minutes are not
  in the papers. Dr Sid Deshmukh's declaration on that item (a GP on the board deciding GP roles, did
  not vote) is ILLUSTRATIVE, showing the register (DOMAIN.md), not a record.
- The 24 Feb 2022 meeting's item and paper ("update", asks note), the 31 Mar 2022 meeting's part
  (Part 2), item and paper; the 24 Mar 2022 meeting (Part 1 in the schedule) has no items in the papers.
- Minutes: not in the papers; the demo records them as shared 7 days after each meeting up to
  24 Mar 2022, and not yet for the 31 Mar 2022 meeting (so the overdue flag shows).
- The LCP Forum's meetings (24 Sep 2021, the Phase 3 launch; 10 Dec 2021, Table 2) and the Task &
  Finish Group's first meeting on Monday 31 Jan 2022 (Table 4 says w/c 31 Jan).
- Derbyshire: which facet each Vice Chair leads (Penny Blackwell the ICP, Place Partnerships, facet)
  and the other two Vice Chairs' names (not given); the interim Chair's term (May 2022, when the
  shadow ICB Board agreed it, to 31 Mar 2023); the ICB Board's decision DATE: the paper says the
  proposals went to "the ICB Board on 16 January" (paragraph 4.6) and does not date the approval
  itself, so the demo dates it 16 Jan 2023; the ICB Board meeting's part and item number, and its
  membership (one organisation, its chair, not named, and Chris Weiner, the paper's sponsor) and
  attendance (both present).
- Each feedback point's action and the roles it is linked to, where the paper does not say (its
  Table 3 and section 3.6 show which roles were added and renamed).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from roles.models import Budget, Declaration, Person, Place, Profession, Role, TemplateRole

from . import engagement, services
from .models import (
    Attendance,
    Board,
    BoardMember,
    Decision,
    EngagementEvent,
    FeedbackPoint,
    Meeting,
    Organisation,
    Paper,
)

Kind, Capacity, Part, Ask = Board.Kind, BoardMember.Capacity, Meeting.Part, Paper.Ask
Action = FeedbackPoint.Action
Status = Attendance.Status
D = dt.date
TWO_PM = dt.time(14, 0)

BEXLEY_BOARD = "Bexley Strategic Board"
TERMS_AGREED = D(2021, 7, 29)
QUORUM = 7  # ASSUMPTION: see the module's docstring
BEXLEY_PURPOSE = (
    "To combine the statutory meeting of the Bexley Borough Based Board (NHS South East London CCG's constitution) "
    "with the Bexley Local Care Partnership (its Memorandum of Understanding): Part 1, the Local Care Partnership "
    "Board, leads system leadership for the outcomes of the Bexley Health & Wellbeing Strategy; Part 2 keeps the "
    "Borough Based Board's statutory duties to 31 March 2022. Consensus wherever possible; in a vote each "
    "organisation has one vote on Part 1 matters, decisions by a simple majority of members present, the Chair "
    "having a second and deciding vote. ASSUMPTION: the quorum \u201cshall be decided at the first meeting\u201d and "
    "the papers do not say what was decided; the demo uses 7 of the 14 voting member organisations."
)

# Section 3.3's member organisations (one vote each), then those only in Appendix 1 or held for the
# chair's joint post (non-voting: ASSUMPTION). (name, is_voting)
BEXLEY_ORGANISATIONS = [
    ("Bexley Care", True),
    ("Bexley Health Neighbourhood Care CiC", True),
    ("Bexley Voluntary Sector Council", True),
    ("Dartford & Gravesham NHS Trust", True),
    ("Greenwich & Bexley Community Hospice", True),
    ("Healthwatch Bexley", True),
    ("Hurley Group", True),
    ("Lewisham & Greenwich NHS Trust", True),
    ("Local Medical Committee", True),
    ("Local Pharmacy Committee", True),
    ("London Borough of Bexley Council", True),
    ("NHS South East London Clinical Commissioning Group – Bexley Place", True),
    ("Oxleas NHS Foundation Trust", True),
    ("Primary Care Networks: APL, Frognal, North Bexley and Erith", True),
    ("London Borough of Bexley & NHS SEL CCG", False),
    ("Bromley Healthcare", False),
]
PCNS = "Primary Care Networks: APL, Frognal, North Bexley and Erith"
CCG = "NHS South East London Clinical Commissioning Group – Bexley Place"

# Appendix 1's named representatives: (name, organisation or None, capacity, job title, profession
# slug or None, term ends). Attendees named by title only are "(name not in the papers)".
BEXLEY_MEMBERS = [
    (
        "Stuart Rowbotham",
        "London Borough of Bexley & NHS SEL CCG",
        Capacity.CHAIR,
        "Place Based Director – Bexley, NHS SEL CCG / Director of Adult Social Care, London Borough of Bexley",
        "social-care",
        None,
    ),
    ("Sarah Burchell", "Bexley Care", Capacity.MEMBER, "", None, None),
    ("Yolanda Dennehy", "Bexley Care", Capacity.MEMBER, "", None, None),
    ("Abi Mogridge", "Bexley Health Neighbourhood Care CiC", Capacity.MEMBER, "", None, None),
    ("Vikki Wilkinson", "Bexley Voluntary Sector Council", Capacity.MEMBER, "", "voluntary-sector", None),
    ("Andrew Hardman", "Bromley Healthcare", Capacity.MEMBER, "", None, None),
    ("Sue Simmons", "Dartford & Gravesham NHS Trust", Capacity.MEMBER, "", None, None),
    ("Kate Heaps", "Greenwich & Bexley Community Hospice", Capacity.MEMBER, "", None, None),
    ("Jayne Garfield-Field", "Healthwatch Bexley", Capacity.MEMBER, "", None, None),
    ("Rylla Baker", "Hurley Group", Capacity.MEMBER, "", None, None),
    ("Sandra Iskander", "Lewisham & Greenwich NHS Trust", Capacity.MEMBER, "", None, None),
    ("Dr Richard Money", "Local Medical Committee", Capacity.MEMBER, "", "gp", None),
    ("Bipin Patel", "Local Pharmacy Committee", Capacity.MEMBER, "", "pharmacist", None),
    ("Dr Anjan Ghosh", "London Borough of Bexley Council", Capacity.MEMBER, "Public Health", "public-health", None),
    ("Stephen Kitchman", "London Borough of Bexley Council", Capacity.MEMBER, "Children's & Young People", None, None),
    ("Diana Braithwaite", CCG, Capacity.MEMBER, "LCP SRO; Borough Director – Operations, NHS SEL CCG", None, None),
    (
        "Dr Sushanta Bhadra",
        CCG,
        Capacity.MEMBER,
        "Bexley Representative to the OHSEL Integrated Care System Board to 31.03.2022",
        "gp",
        D(2022, 3, 31),
    ),
    ("Iain Dimond", "Oxleas NHS Foundation Trust", Capacity.MEMBER, "Chief Operating Officer", None, None),
    ("Dr James Stokes", PCNS, Capacity.MEMBER, "Clinical representative, APL PCN", "gp", None),
    ("Dr William Cotter", PCNS, Capacity.MEMBER, "Clinical representative, Clocktower PCN", "gp", None),
    ("Dr Prem Anand", PCNS, Capacity.MEMBER, "Clinical representative, North Bexley PCN", "gp", None),
    ("Dr Sid Deshmukh", PCNS, Capacity.MEMBER, "Clinical representative, Frognal PCN", "gp", None),
    (
        "Keith Wood",
        None,
        Capacity.MEMBER,
        "Bexley Borough Based Lay Member, Governing Body of NHS SEL CCG",
        None,
        None,
    ),
    (
        "Local Care Partnership Manager (name not in the papers)",
        None,
        Capacity.ATTENDEE,
        "Local Care Partnership Manager, programme lead",
        None,
        None,
    ),
    (
        "Director of System Transformation (name not in the papers)",
        None,
        Capacity.ATTENDEE,
        "Director of System Transformation for Bexley & Greenwich",
        None,
        None,
    ),
    (
        "Acting Director of Integrated Commissioning (name not in the papers)",
        None,
        Capacity.ATTENDEE,
        "Acting Director of Integrated Commissioning",
        None,
        None,
    ),
]

# ASSUMPTION: who came to the 27 Jan 2022 meeting (members not listed sent apologies).
JAN_PRESENT = {
    "Stuart Rowbotham",
    "Sarah Burchell",
    "Abi Mogridge",
    "Vikki Wilkinson",
    "Jayne Garfield-Field",
    "Dr Richard Money",
    "Bipin Patel",
    "Dr Anjan Ghosh",
    "Diana Braithwaite",
    "Iain Dimond",
    "Dr James Stokes",
    "Dr Sid Deshmukh",
    "Keith Wood",
    "Local Care Partnership Manager (name not in the papers)",
}
JAN_DEPUTIES = {"Sandra Iskander": "Deputy for Lewisham & Greenwich NHS Trust (name not in the papers)"}

SEP_RECOMMENDATION = (
    "The Borough Strategic Board Part 1 is asked to: (i) Note the update on the development of OHSEL ICS; "
    "(ii) Endorse the Bexley Phase 3 approach to engage with the Bexley Local Care Partnership membership and key "
    "stakeholders on the proposals; (iii) Final proposals will be submitted to the Borough Strategic Board Part 1 "
    "on 29th October 2021."
)
JAN_RECOMMENDATION = (
    "The Bexley Strategic Board Part 1 is asked to: (i) Note the substantial increase in Clinical and Care "
    "Leadership roles being allocated to 'place' as part of an Integrated Care System. (ii) Consider the proposed "
    "roles for Bexley and the emphasis that roles should accommodate both clinical and non-clinical professionals "
    "from the local Bexley system. (iii) Note that existing clinical lead roles will end on 31st March 2022 in line "
    "with the relevant contracts as per the approval of the Borough Strategic Board on 27th May 2021; (iv) A Task & "
    "Finish Group representing the various sectors of the Local Care Partnership will be set up to further develop "
    "the local model, utilising the monthly Local Care Partnership Forum and reporting the Borough Strategic Board "
    "in February and March; (v) Note that all the above is subject to a significant requirement for Human "
    "Resources support from the central team with role descriptions, recruitment processes and the development of "
    "a different type of contractual arrangement to enable this new model of both clinical and care professionals "
    "leaders. The Bexley Strategic Board Part 2 is asked to note: the above represents a preferred approach for "
    "Bexley and will be subject to agreement by South East London Integrated Care System, primary legislation and "
    "any subsequent NHS England guidance."
)
JAN_DECISION = (
    "Endorse the Bexley role set: the 22 Clinical & Care Professional Leadership roles of Table 3, open to both "
    "clinical and care professionals where their type allows, and the 2022/23 place budget of £417,000 (up from "
    "£217,000), as Bexley's preferred approach, subject to agreement by the South East London ICS, primary "
    "legislation and NHS England guidance."
)
JAN_DECLARATION = (
    "GP in a Bexley Primary Care Network: may apply for the GP-eligible place roles the item decides "
    "(ILLUSTRATIVE: not in the papers)."
)

# (board, held on, part, [(item number, item title, presenter, paper title, asks, author, published on,
# recommendation)], minutes shared on, minutes)
NO_MINUTES = "Demo: the minutes are not in the seed papers."


def _bexley_meetings():
    return [
        (
            BEXLEY_BOARD,
            D(2021, 9, 30),
            Part.PUBLIC,
            [
                (
                    3,
                    "Our Healthier South East London Integrated Care System – Proposals",
                    "Stuart Rowbotham",
                    "ICS proposals and the board's Terms of Reference (Enclosure B, with the Terms of Reference "
                    "@ 29 Jul 2021 as Appendix 1)",
                    Ask.ENDORSE,
                    "Executive sponsor: Stuart Rowbotham; clinical lead: Dr Sid Deshmukh",
                    D(2021, 9, 23),
                    SEP_RECOMMENDATION + " (The paper asks the board to note (i) and endorse (ii).)",
                )
            ],
            D(2021, 10, 7),
            NO_MINUTES,
        ),
        (
            BEXLEY_BOARD,
            D(2022, 1, 27),
            Part.PRIVATE,
            [
                (
                    14,
                    "Clinical & Care Professional Leadership: Bexley Proposals",
                    "Diana Braithwaite",
                    "Our Healthier South East London Integrated Care System – Clinical & Care Professional "
                    "Leadership: Bexley Proposals",
                    Ask.CONSIDER,
                    "Sarah Birch, Head of Primary Care Development, NHS South East London CCG",
                    D(2022, 1, 25),
                    JAN_RECOMMENDATION,
                )
            ],
            D(2022, 2, 3),
            NO_MINUTES + " The attendance and the decision recorded here are ASSUMED (see governance/demo.py).",
        ),
        (
            BEXLEY_BOARD,
            D(2022, 2, 24),
            Part.PRIVATE,
            [
                (
                    1,
                    "Clinical & Care Professional Leadership – Update",
                    "",
                    "Clinical & Care Professional Leadership: update from the Task & Finish Group (Table 4)",
                    Ask.NOTE,
                    "",
                    D(2022, 2, 17),
                    "To note progress against Table 4: role descriptions agreed and signed off on 18 Feb 2022; "
                    "roles advertised on 21 Feb 2022. (ASSUMED wording: the paper is not in the seeds.)",
                )
            ],
            D(2022, 3, 3),
            NO_MINUTES,
        ),
        (BEXLEY_BOARD, D(2022, 3, 24), Part.PUBLIC, [], D(2022, 3, 31), NO_MINUTES),
        (
            BEXLEY_BOARD,
            D(2022, 3, 31),
            Part.PRIVATE,
            [
                (
                    1,
                    "Clinical & Care Professional Leadership – appointments and transition",
                    "",
                    "Clinical & Care Professional Leadership: appointments and transition arrangements",
                    Ask.NOTE,
                    "",
                    D(2022, 3, 24),
                    "To note the outcome of shortlisting (7-11 Mar) and interviews (14-25 Mar), contracts w/c "
                    "28 Mar, and transition arrangements w/c 4 Apr 2022. (ASSUMED wording: Table 4 names the "
                    "meeting, not its paper.)",
                )
            ],
            None,
            "",
        ),
    ]


LCP_FORUM = "Bexley Local Care Partnership Forum"
TASK_AND_FINISH = "Clinical & Care Professional Leadership Task & Finish Group"
JUCD_CPLG = "Joined Up Care Derbyshire Clinical and Professional Leadership Group (CPLG)"
JUCD_ICP = "Joined Up Care Derbyshire Integrated Care Partnership"
JUCD_ICB = "NHS Derby and Derbyshire Integrated Care Board"
CPLG_CHAIR_ROLE = "CPLG Chair"
ICB_APPROVED_ON = D(2023, 1, 16)  # ASSUMPTION: paragraph 4.6's ICB Board date

CPLG_MEMBERS = [
    (
        "Avi Bhatia",
        Capacity.CHAIR,
        "Interim CPLG Chair (to the end of March 2023)",
        None,
        D(2022, 5, 1),
        D(2023, 3, 31),
    ),
    (
        "Penny Blackwell",
        Capacity.VICE_CHAIR,
        "Place Clinical Lead; CPLG Vice Chair, ICP (Place Partnerships) facet (facet ASSUMED)",
        None,
        None,
        None,
    ),
    (
        "CPLG Vice Chair, ICB/NHS (Provider Collaboratives) facet (name not in the paper)",
        Capacity.VICE_CHAIR,
        "Vice Chair sought through expressions of interest from CPLG members (facet ASSUMED)",
        None,
        None,
        None,
    ),
    (
        "CPLG Vice Chair, CCPL Developments facet (name not in the paper)",
        Capacity.VICE_CHAIR,
        "Vice Chair sought through expressions of interest from CPLG members (facet ASSUMED)",
        None,
        None,
        None,
    ),
    (
        "Local Authority Vice Chair (placeholder: not yet appointed)",
        Capacity.VICE_CHAIR,
        "A placeholder CPLG agreed to retain so that it keeps a rounded ICS view",
        None,
        None,
        None,
    ),
]

# Table 2, as written: (date, group or organisation, notes, [(point, action, [Bexley role titles],
# [template role titles], what was done)]). "RETYPE?" is decided from the roles' types (see `_retyped`).
RETYPE = "retype?"
TABLE_2 = [
    (
        D(2021, 12, 9),
        "Governing Body Bexley Lead GPs",
        "",
        [
            (
                "Addition of Frailty role and aligning with care homes",
                Action.ADDED,
                ["Frailty including Care Homes", "Primary and Community Care"],
                ["Other roles e.g. Frailty", "Primary and Community Care including care homes"],
                "Added “Frailty including Care Homes”; care homes moved to it from the template's “Primary and "
                "Community Care including care homes”.",
            ),
            (
                "Addition of LTC Respiratory and cardiovascular",
                Action.ADDED,
                ["LTCs including Respiratory and Cardiovascular"],
                [],
                "Added “LTCs including Respiratory and Cardiovascular” (with neurorehabilitation, section 3.6).",
            ),
            (
                "Addition of local digital role",
                Action.NOTED,
                ["Estates/ IT Infrastructure"],
                ["Estates/Infrastructure"],
                "No separate digital role: IT appears in the title “Estates/ IT Infrastructure” (the link is "
                "ASSUMED: the paper gives no reason for the change).",
            ),
        ],
    ),
    (
        D(2021, 12, 10),
        "Local Care Partnership Forum",
        "",
        [
            ("Support for Frailty role", Action.ADDED, ["Frailty including Care Homes"], [], "Frailty role added."),
            ("End of life role proposed", Action.ADDED, ["End of Life"], [], "Added “End of Life”."),
            ("VSC sector has a lot to offer", Action.NOTED, [], [], ""),
            (
                "Keen to see the care sector represented in these roles bringing change from current model",
                Action.NOTED,
                [],
                [],
                "",
            ),
            ("Need to consider link with the core offer", Action.NOTED, [], [], ""),
            (
                "Special Educational Needs and Disability (SEND) to be mentioned in Children & Young Peoples role",
                Action.NOTED,
                ["Children & Young People"],
                [],
                "SEND is named in the role's description.",
            ),
        ],
    ),
    (
        D(2021, 12, 15),
        "Local Care Partnership Communications & Engagement Group",
        "",
        [
            (
                "Need a role focused on addressing health inequalities",
                Action.NOTED,
                ["Population Health Management/Inequalities"],
                [],
                "Kept the template's Population Health Management/Inequalities role, at 2 sessions.",
            )
        ],
    ),
    (
        D(2021, 12, 16),
        "Local Care Partnership Team",
        "",
        [
            (
                "Will link through existing comms and engagement channels to raise awareness across the sector",
                Action.NOTED,
                [],
                [],
                "",
            ),
            ("Strong alignment with the existing LCP workstream structure", Action.NOTED, [], [], ""),
        ],
    ),
    (
        D(2022, 1, 4),
        "Bexley Training Hub",
        "",
        [
            (
                "Roles need to be offered so are inclusive and supportive of other clinicians applying",
                Action.NOTED,
                [],
                [],
                "",
            ),
            (
                "Nurse leadership needs to be developed",
                Action.NOTED,
                ["Workforce Strategy, Resilience, Development"],
                [],
                "In the Workforce role's description.",
            ),
            (
                "A model of supported release better than backfill",
                Action.NOTED,
                ["Workforce Strategy, Resilience, Development"],
                [],
                "In the Workforce role's description.",
            ),
            ("There needs to be accountability for delivering specified outcomes", Action.NOTED, [], [], ""),
            (
                "Opportunity for supporting career pathways and leadership development throughout the primary "
                "care workforce",
                Action.NOTED,
                [],
                [],
                "",
            ),
        ],
    ),
    (
        D(2022, 1, 10),
        "Bexley Care Senior Leadership Team",
        "",
        [
            ("Need to get the balance of clinicians right – many cover breadth of areas", Action.NOTED, [], [], ""),
            (
                "Still quite focused at so need to think about how to bring social care in – could care providers "
                "be brought into this as well?",
                Action.NOTED,
                [],
                [],
                "",
            ),
            ("Could some roles just be care?", RETYPE, [], [], ""),
            (
                "Resident participation better name than patient and public engagement",
                Action.RENAMED,
                ["Resident Participation and engagement"],
                ["Patient and Public Engagement"],
                "Renamed the template's “Patient and Public Engagement” to “Resident Participation and engagement”.",
            ),
        ],
    ),
    (
        D(2022, 1, 12),
        "Maria Ahmed, London Borough of Bexley, Organisation Development",
        "",
        [("Consideration of flexibility with contracts on how leads could be released", Action.NOTED, [], [], "")],
    ),
    (
        D(2022, 1, 13),
        "Sexual Health Commissioner",
        "The paper dates this entry “13th January 2002”: a typo for 2022 (the log runs from December 2021 to "
        "January 2022), so it is stored as 13 Jan 2022.",
        [
            (
                "Specific ask from OHSEL in relation to inclusion of HIV champion",
                Action.NOTED,
                ["Sexual and Reproductive Health"],
                [],
                "Met by the broader Sexual and Reproductive Health role rather than an HIV champion.",
            ),
            (
                "Given prevalence of HIV in Bexley preference was to have a broader sexual and reproductive "
                "health role",
                Action.ADDED,
                ["Sexual and Reproductive Health"],
                [],
                "Added “Sexual and Reproductive Health”.",
            ),
        ],
    ),
    (
        D(2022, 1, 26),
        "Bexley & Greenwich, System Development Team",
        "",
        [
            ("Supportive of approach", Action.NOTED, [], [], ""),
            (
                "Critical to get a system mindset from leaders that are also very focused on the doing and delivery",
                Action.NOTED,
                [],
                [],
                "",
            ),
            (
                "Infrastructure and development offer important to make the most of this capacity to make change "
                "happen",
                Action.NOTED,
                [],
                [],
                "",
            ),
            ("May need some flex for specific, short-term projects", Action.NOTED, [], [], ""),
        ],
    ),
]


class GovernanceLoader:
    """Creates what is missing and leaves existing rows alone, so it can run on every start; with
    `reset=True` it puts the demo rows back as defined here. Meetings, items, papers, attendance,
    minutes, declarations, decisions and engagement go through `governance.services` and
    `governance.engagement` (as the system: `by=None`); boards, their organisations and members,
    which have no service, are written here as `roles.demo` writes its rows."""

    def __init__(self, *, reset: bool = False):
        self.reset = reset
        self.created = 0
        self.professions = {p.slug: p for p in Profession.objects.all()}

    def upsert(self, model, lookup: dict, defaults: dict):
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **defaults)
            obj._history_user = None
            obj.save()
            self.created += 1
        elif self.reset and any(getattr(obj, name) != value for name, value in defaults.items()):
            for name, value in defaults.items():
                setattr(obj, name, value)
            obj._history_user = None
            obj.save()
        return obj

    @transaction.atomic
    def load(self) -> int:
        bexley = Place.objects.select_related("ics").get(slug="bexley")
        board = self.bexley_board(bexley)
        for spec in _bexley_meetings():
            self.meeting(board, *spec[1:])
        self.january_record(board, bexley)
        self.lcp_groups(bexley)
        self.derbyshire()
        self.engagement(bexley)
        return self.created

    # --- Boards ------------------------------------------------------------------------------------

    def person(self, name: str, profession: str | None, employer: str = "") -> Person:
        person = Person.objects.filter(name=name, email="").first()
        if person is None:
            person = Person(name=name, profession=self.professions.get(profession or ""), employer=employer)
            person._history_user = None
            person.save()
            self.created += 1
        return person

    def bexley_board(self, bexley: Place) -> Board:
        board = self.upsert(
            Board,
            {"place": bexley, "name": BEXLEY_BOARD},
            {
                "kind": Kind.BOROUGH_STRATEGIC_BOARD,
                "purpose": BEXLEY_PURPOSE,
                "terms_agreed_on": TERMS_AGREED,
                "terms_review_on": D(2021, 11, 1),
                "quorum_organisations": QUORUM,
                "quorum_needs_chair": False,
                "one_vote_per_organisation": True,
                "chair_has_casting_vote": True,
                "papers_due_days": 7,
                "minutes_due_days": 8,
            },
        )
        organisations = {
            name: self.upsert(Organisation, {"board": board, "name": name}, {"is_voting": voting, "order": order})
            for order, (name, voting) in enumerate(BEXLEY_ORGANISATIONS, start=1)
        }
        for name, organisation, capacity, title, profession, ends in BEXLEY_MEMBERS:
            self.upsert(
                BoardMember,
                {"board": board, "person": self.person(name, profession, organisation or "")},
                {
                    "organisation": organisations.get(organisation),
                    "capacity": capacity,
                    "job_title": title,
                    "term_starts_on": TERMS_AGREED,
                    "term_ends_on": ends,
                },
            )
        return board

    def meeting(self, board: Board, held_on, part, items, shared_on, minutes) -> Meeting:
        meeting = Meeting.objects.filter(board=board, held_on=held_on, part=part).first()
        if meeting is None or self.reset:
            self.created += meeting is None
            meeting = services.meeting_save(
                board=board, values={"held_on": held_on, "part": part, "starts_at": TWO_PM}, by=None, meeting=meeting
            )
            services.minutes_record(meeting=meeting, minutes=minutes, shared_on=shared_on, by=None)
        for number, title, presenter, paper_title, asks, author, published, recommendation in items:
            item = meeting.items.filter(number=number).first()
            if item is None or self.reset:
                self.created += item is None
                item = services.item_save(
                    meeting=meeting,
                    values={"number": number, "title": title, "presenter": presenter},
                    by=None,
                    item=item,
                )
            paper = item.papers.filter(title=paper_title).first()
            if paper is None or self.reset:
                self.created += paper is None
                services.paper_save(
                    item=item,
                    values={
                        "title": paper_title,
                        "asks": asks,
                        "author": author,
                        "published_on": published,
                        "recommendation": recommendation,
                    },
                    by=None,
                    paper=paper,
                )
        return meeting

    def january_record(self, board: Board, bexley: Place) -> None:
        """The 27 Jan 2022 meeting's attendance (ASSUMED), a GP's declaration (ILLUSTRATIVE) and the
        decision endorsing the Bexley role set (ASSUMED) that authorises the 22 roles and the 2022/23 budget."""
        meeting = Meeting.objects.get(board=board, held_on=D(2022, 1, 27), part=Part.PRIVATE)
        item = meeting.items.get(number=14)
        members = list(board.members.select_related("person"))
        if not meeting.attendance.exists() or self.reset:
            statuses = {}
            for member in members:
                name = member.person.name
                if name in JAN_PRESENT:
                    statuses[member.pk] = (Status.PRESENT, "")
                elif name in JAN_DEPUTIES:
                    statuses[member.pk] = (Status.DEPUTY, JAN_DEPUTIES[name])
                else:
                    statuses[member.pk] = (Status.APOLOGIES, "")
            self.created += len(statuses) - meeting.attendance.count()
            services.attendance_record(meeting=meeting, statuses=statuses, by=None)
        gp = next(m for m in members if m.person.name == "Dr Sid Deshmukh")
        if not Declaration.objects.concerning(item).filter(person=gp.person).exists():
            services.declaration_record(
                member=gp,
                interest=JAN_DECLARATION,
                by=None,
                item=item,
                action=Declaration.Action.DID_NOT_VOTE,
                notes="ILLUSTRATIVE (governance/demo.py): GPs on a board deciding GP roles must declare.",
            )
            self.created += 1
        roles = list(Role.objects.filter(place=bexley, predates_ics_model=False))
        budgets = list(Budget.objects.filter(place=bexley, financial_year=2022))
        decision = item.decisions.filter(text=JAN_DECISION).first()
        if decision is None:
            services.decision_record(item=item, text=JAN_DECISION, by=None, roles=roles, budgets=budgets)
            self.created += 1
        elif self.reset:
            self._links(decision, roles, budgets)

    def _links(self, decision: Decision, roles, budgets) -> None:
        """Put a demo decision's links back (no service edits a recorded decision)."""
        decision._history_user = None
        decision.roles.set(roles)
        decision.budgets.set(budgets)

    def lcp_groups(self, bexley: Place) -> None:
        forum = self.upsert(
            Board,
            {"place": bexley, "name": LCP_FORUM},
            {
                "kind": Kind.LCP_FORUM,
                "purpose": "The monthly forum of the wider Bexley Local Care Partnership membership and key "
                "stakeholders (Terms of Reference 1.2; the Phase 3 engagement launched at its workshop on 24 Sep "
                "2021). It heard the proposals on 10 Dec 2021 (Table 2) and is on Table 4's plan twice (dates TBC).",
            },
        )
        group = self.upsert(
            Board,
            {"place": bexley, "name": TASK_AND_FINISH},
            {
                "kind": Kind.TASK_AND_FINISH,
                "purpose": "Represents the various sectors of the Local Care Partnership to develop the local "
                "Clinical & Care Professional Leadership model, using the monthly LCP Forum and reporting to the "
                "Borough Strategic Board in February and March 2022 (27 Jan 2022 paper, recommendation iv). "
                "Launched w/c 31 Jan 2022 (Table 4).",
                "terms_agreed_on": D(2022, 1, 31),
            },
        )
        for board, held_on, title in (
            (forum, D(2021, 9, 24), "Bexley Local Care Partnership – Phase 3 membership engagement: workshop 1"),
            (forum, D(2021, 12, 10), "Clinical & Care Professional Leadership: the suggested roles (Table 2)"),
            (group, D(2022, 1, 31), "Launch: terms of reference, the roles and the milestone plan (Table 4)"),
        ):
            self.meeting(
                board,
                held_on,
                Part.PUBLIC if board is forum else Part.PRIVATE,
                [(1, title, "", title, Ask.DISCUSS, "", held_on - dt.timedelta(days=7), "")],
                held_on + dt.timedelta(days=7),
                NO_MINUTES + " The date and item are ASSUMED where the papers give only the month or week.",
            )

    def derbyshire(self) -> None:
        jucd = Place.objects.get(slug="jucd-system")
        cplg = self.upsert(
            Board,
            {"place": jucd, "name": JUCD_CPLG},
            {
                "kind": Kind.LEADERSHIP_GROUP,
                "purpose": "The expert group the system recognises and uses for assurance and advice, the "
                "strategic clinical and care professional conscience of Joined Up Care Derbyshire, making "
                "recommendations to the ICB, the ICP and other strategic groups; its remit in three facets: "
                "ICB/NHS (Provider Collaboratives), ICP (Place Partnerships) and CCPL Developments. Interim Chair "
                "arrangements to the end of March 2023, supported by three Vice Chairs and a placeholder for a "
                "Local Authority Vice Chair (ICP paper, 8 Feb 2023).",
                "terms_agreed_on": ICB_APPROVED_ON,
            },
        )
        for name, capacity, title, profession, starts, ends in CPLG_MEMBERS:
            self.upsert(
                BoardMember,
                {"board": cplg, "person": self.person(name, profession)},
                {"capacity": capacity, "job_title": title, "term_starts_on": starts, "term_ends_on": ends},
            )
        icp = self.upsert(
            Board,
            {"place": jucd, "name": JUCD_ICP},
            {
                "kind": Kind.ICP,
                "purpose": "Joined Up Care Derbyshire's Integrated Care Partnership: the broad alliance of "
                "organisations concerned with the health, care and wellbeing of the population.",
            },
        )
        self.meeting(
            icp,
            D(2023, 2, 8),
            Part.PUBLIC,
            [
                (
                    10,
                    "Clinical and Care Professional Leadership Developments: Progress and Forward Plan",
                    "Chris Weiner, Chief Medical Officer, Integrated Care Board",
                    "Clinical and Care Professional Leadership Developments: Progress and Forward Plan",
                    Ask.NOTE,
                    "Sukhi Mahil, JUCD Assistant Director – Workforce Strategy, Planning and Transformation",
                    D(2023, 1, 31),
                    "To note the Clinical and Care Professional Leadership Developments – Progress and Forward Plan "
                    "(and the new CPLG Terms of Reference).",
                )
            ],
            D(2023, 2, 15),
            NO_MINUTES,
        )
        icb = self.upsert(
            Board,
            {"place": jucd, "name": JUCD_ICB},
            {
                "kind": Kind.ICB,
                "purpose": "The Integrated Care Board of Joined Up Care Derbyshire. Its approval of the CPLG Chair "
                "job description and appointment process is reported in the ICP paper of 8 Feb 2023.",
            },
        )
        title = "Clinical and Care Professional Leadership: CPLG Terms of Reference and Chair"
        meeting = self.meeting(
            icb,
            ICB_APPROVED_ON,
            Part.PUBLIC,
            [
                (
                    1,
                    title,
                    "Chris Weiner, Chief Medical Officer",
                    "CPLG Chair Job Description and appointment process (Appendix C)",
                    Ask.APPROVE,
                    "Sukhi Mahil, JUCD Assistant Director – Workforce Strategy, Planning and Transformation",
                    D(2023, 1, 9),
                    "To approve the new CPLG Chair job description and the appointment process: a substantive "
                    "Chair working 2 days a week for a 3-year term.",
                )
            ],
            D(2023, 1, 23),
            NO_MINUTES + " The meeting's date is ASSUMED from paragraph 4.6 of the ICP paper of 8 Feb 2023.",
        )
        # ASSUMED: the ICB Board held as one member organisation, its chair (not named) and its Chief Medical
        # Officer (the paper's sponsor) present, so the meeting is quorate under the default rule.
        organisation = self.upsert(Organisation, {"board": icb, "name": JUCD_ICB}, {"is_voting": True, "order": 1})
        members = [
            self.upsert(
                BoardMember,
                {"board": icb, "person": self.person(name, profession)},
                {"organisation": organisation, "capacity": capacity, "job_title": title},
            )
            for name, capacity, title, profession in (
                ("ICB Chair (name not in the paper)", Capacity.CHAIR, "Chair, NHS Derby and Derbyshire ICB", None),
                ("Chris Weiner", Capacity.MEMBER, "Chief Medical Officer, Integrated Care Board", "doctor"),
            )
        ]
        if not meeting.attendance.exists() or self.reset:
            self.created += len(members) - meeting.attendance.count()
            services.attendance_record(meeting=meeting, statuses={m.pk: (Status.PRESENT, "") for m in members}, by=None)
        item = meeting.items.get(number=1)
        text = (
            "Approve the new CPLG Chair job description and the appointment process: a substantive Chair, "
            "2 days a week for a 3-year term, funded from ICB programme spend."
        )
        roles = list(Role.objects.filter(place=jucd, title=CPLG_CHAIR_ROLE))
        decision = item.decisions.filter(text=text).first()
        if decision is None:
            services.decision_record(item=item, text=text, by=None, roles=roles)
            self.created += 1
        elif self.reset:
            self._links(decision, roles, [])

    # --- Engagement --------------------------------------------------------------------------------

    def _retyped(self, bexley: Place) -> tuple[str, list[Role], list[TemplateRole], str]:
        """“Could some roles just be care?”: retyped if a Bexley role's type differs from its template
        role's, else noted."""
        changed = [
            role
            for role in Role.objects.filter(place=bexley, template_role__isnull=False).select_related("template_role")
            if role.role_type != role.template_role.role_type
        ]
        if changed:
            return (
                Action.RETYPED,
                changed,
                [role.template_role for role in changed],
                "Type changed from the template's: " + ", ".join(role.title for role in changed) + ".",
            )
        return (
            Action.NOTED,
            [],
            [],
            "No role became Care only: every Bexley role kept its template role's type, and the Clinical / Care "
            "roles are open to care professionals.",
        )

    def engagement(self, bexley: Place) -> None:
        roles = {role.title: role for role in Role.objects.filter(place=bexley)}
        templates = {t.title: t for t in TemplateRole.objects.filter(ics=bexley.ics)}
        for held_on, group, notes, points in TABLE_2:
            event = EngagementEvent.objects.filter(place=bexley, held_on=held_on, group=group).first()
            if event is None or self.reset:
                self.created += event is None
                event = engagement.event_save(
                    place=bexley, values={"held_on": held_on, "group": group, "notes": notes}, by=None, event=event
                )
            for order, (text, action, role_titles, template_titles, note) in enumerate(points, start=1):
                point = FeedbackPoint.objects.filter(event=event, order=order).first()
                if point is not None and not self.reset:
                    continue
                linked_roles = [roles[t] for t in role_titles]
                linked_templates = [templates[t] for t in template_titles]
                if action == RETYPE:
                    action, linked_roles, linked_templates, note = self._retyped(bexley)
                self.created += point is None
                engagement.point_save(
                    event=event,
                    values={
                        "text": text,
                        "order": order,
                        "action": action,
                        "action_note": note,
                        "roles": linked_roles,
                        "template_roles": linked_templates,
                    },
                    by=None,
                    point=point,
                )
