"""Boards in the browser: a place's boards, a board's terms of reference, members and meetings, a
meeting's agenda, papers, attendance, quorum, declarations and decisions, a decision; and the forms
the secretariat records them with.

Thin, as the other pages are: a board the user cannot see (`access.boards_visible_to`) does not exist
for them (404), and neither does its meetings', items' or decisions'; recording is for those who run
the board's place's boards (`roles.permissions.may_run_boards`, else 403); every write is a
`governance.services` service, and a refusal is its message at its status with nothing written.

A Part 2 (private) meeting's items, papers, declarations and decisions are for `access.may_see_private`
only: anyone else who sees the board sees its date and "Part 2 (private)" in the board's list, and its
meeting and decision pages answer 403 with a page saying it is private (so do its forms, to everyone).
Each page reads a constant number of queries, however many meetings, items or votes it shows.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from roles.formatting import day
from roles.models import Budget, Declaration, Role
from roles.services import ChangeRefused
from roles.views import place_for

from . import access, rules, services
from .board_forms import AttendanceForm, DecisionForm, DeclarationForm, ItemForm, MeetingForm, MinutesForm, PaperForm
from .models import AgendaItem, Attendance, Board, Decision, Meeting, Paper, Vote

PRIVATE = (
    "This is a Part 2 (private) meeting: its papers, items and decisions are for the board's members and secretariat."
)


# --- Access --------------------------------------------------------------------------------------------


def _board_for(request, pk) -> Board:
    return get_object_or_404(access.boards_visible_to(request.user).select_related("place__ics"), pk=pk)


def _meeting_for(request, pk) -> Meeting:
    visible = access.boards_visible_to(request.user)
    return get_object_or_404(Meeting.objects.filter(board__in=visible).select_related("board__place__ics"), pk=pk)


def _item_for(request, pk) -> AgendaItem:
    visible = access.boards_visible_to(request.user)
    return get_object_or_404(
        AgendaItem.objects.filter(meeting__board__in=visible).select_related("meeting__board__place__ics"), pk=pk
    )


def _private_page(request, meeting: Meeting):
    return render(
        request, "governance/meeting_private.html", {"meeting": meeting, "place": meeting.board.place}, status=403
    )


def _must_run(request, meeting_or_board) -> None:
    """403 unless the user records this board; for a private meeting, unless they may also read it."""
    board = getattr(meeting_or_board, "board", meeting_or_board)
    if not access.may_run_boards(request.user, board.place):
        raise PermissionDenied(f"You can follow {board}; its board secretariat records its meetings.")
    if isinstance(meeting_or_board, Meeting) and not access.may_see_meeting_content(request.user, meeting_or_board):
        raise PermissionDenied(PRIVATE)


def _problems(form) -> str:
    return " ".join(problem for problems in form.errors.values() for problem in problems)


# --- Reading -------------------------------------------------------------------------------------------


def place_boards(request, place):
    """The place's boards and groups, and its ICS's own (ICS-wide) ones the user may see."""
    place = place_for(request, place)
    boards = (
        access.boards_visible_to(request.user)
        .filter(Q(place=place) | Q(place__ics_id=place.ics_id, place__is_system_wide=True))
        .select_related("place")
        .annotate(
            organisation_count=Count("organisations", filter=Q(organisations__is_voting=True), distinct=True),
            member_count=Count("members", distinct=True),
            last_meeting=Max("meetings__held_on"),
        )
        .order_by("place__is_system_wide", "name")
    )
    context = {"place": place, "boards": boards, "may_run": access.may_run_boards(request.user, place)}
    return render(request, "governance/board_list.html", context)


class MeetingRow:
    """A meeting on the board's page: flags only where the user may read its content."""

    def __init__(self, meeting: Meeting, readable: bool, today):
        self.meeting, self.readable = meeting, readable
        due = meeting.papers_due_on
        self.papers_late = readable and bool(
            (meeting.unpublished and today > due) or (meeting.last_published and meeting.last_published > due)
        )
        self.minutes_overdue = readable and meeting.minutes_overdue(today)


def board_detail(request, pk):
    board = _board_for(request, pk)
    today = timezone.localdate()
    members = list(board.members.select_related("person", "organisation").order_by("organisation__order", "capacity"))
    organisations = list(board.organisations.all())
    standing = Declaration.objects.filter(
        context_type__isnull=True, person__in=[m.person_id for m in members]
    ).select_related("person")
    meetings = (
        board.meetings.annotate(
            paper_count=Count("items__papers"),
            unpublished=Count("items__papers", filter=Q(items__papers__published_on__isnull=True)),
            last_published=Max("items__papers__published_on"),
        )
        .select_related("board")
        .order_by("-held_on", "part")
    )
    may_private = access.may_see_private(request.user, board)
    context = {
        "board": board,
        "place": board.place,
        "today": today,
        "members": members,
        "organisations": organisations,
        "standing": list(standing),
        "meetings": [MeetingRow(m, may_private or not m.is_private, today) for m in meetings],
        "may_run": access.may_run_boards(request.user, board.place),
        "meeting_form": MeetingForm(),
    }
    return render(request, "governance/board_detail.html", context)


def _decisions(queryset):
    return queryset.select_related("item").prefetch_related(
        Prefetch("votes", queryset=Vote.objects.select_related("organisation", "cast_by__person")),
        # All a decision shows of the roles it authorises: a link to each, by its title.
        Prefetch("roles", queryset=Role.objects.select_related("place").only("pk", "title", "place__slug")),
        # Each budget is written with its place's name ("Bexley 2022/23"): read with it, not one query a budget.
        Prefetch("budgets", queryset=Budget.objects.select_related("place")),
    )


def _with_tallies(decisions: list[Decision], board: Board) -> list[tuple[Decision, rules.Tally | None]]:
    rows = []
    for decision in decisions:
        result = None
        if decision.by_vote:
            result = rules.tally(
                board=board, votes=list(decision.votes.all()), casting_vote=decision.casting_vote, chair_present=True
            )
        rows.append((decision, result))
    return rows


def meeting_detail(request, pk):
    meeting = _meeting_for(request, pk)
    if not access.may_see_meeting_content(request.user, meeting):
        return _private_page(request, meeting)
    board, today = meeting.board, timezone.localdate()
    items = list(
        meeting.items.prefetch_related(
            Prefetch("papers", queryset=Paper.objects.order_by("pk")),
            Prefetch("decisions", queryset=_decisions(Decision.objects.order_by("pk")), to_attr="decision_list"),
        )
    )
    declarations: dict[int, list] = {}
    for declaration in Declaration.objects.concerning(*items).select_related("person").order_by("pk"):
        declarations.setdefault(declaration.context_id, []).append(declaration)
    for item in items:
        item.meeting = meeting  # for the papers' late flags, without reading the meeting again
        for paper in item.papers.all():
            paper.item = item
            paper.late = paper.is_late(today)
        item.declaration_list = declarations.get(item.pk, [])
        item.decision_rows = _with_tallies(item.decision_list, board)
    attendance = list(meeting.attendance.select_related("member__person", "member__organisation"))
    organisations = list(board.organisations.all())
    quorum = rules.quorum(board=board, organisations=organisations, attendance=attendance)
    context = {
        "meeting": meeting,
        "board": board,
        "place": board.place,
        "today": today,
        "items": items,
        "attendance": attendance,
        "quorum": quorum,
        "minutes_overdue": meeting.minutes_overdue(today),
        "may_run": access.may_run_boards(request.user, board.place),
        "item_form": ItemForm(),
    }
    return render(request, "governance/meeting_detail.html", context)


def decision_detail(request, pk):
    visible = access.boards_visible_to(request.user)
    decision = get_object_or_404(
        _decisions(Decision.objects.filter(item__meeting__board__in=visible)).select_related(
            "item__meeting__board__place__ics", "recorded_by"
        ),
        pk=pk,
    )
    meeting = decision.item.meeting
    if not access.may_see_meeting_content(request.user, meeting):
        return _private_page(request, meeting)
    declarations = list(Declaration.objects.concerning(decision.item).select_related("person").order_by("pk"))
    ((_, result),) = _with_tallies([decision], meeting.board)
    context = {
        "decision": decision,
        "meeting": meeting,
        "board": meeting.board,
        "place": meeting.board.place,
        "tally": result,
        "declarations": declarations,
    }
    return render(request, "governance/decision_detail.html", context)


# --- Recording -----------------------------------------------------------------------------------------


def _form_page(request, form, *, title: str, back: str, meeting=None, board=None, status=200, intro: str = ""):
    board = board or meeting.board
    context = {
        "form": form,
        "title": title,
        "back": back,
        "meeting": meeting,
        "board": board,
        "place": board.place,
        "intro": intro,
    }
    return render(request, "governance/meeting_form.html", context, status=status)


def _save(request, form, save, *, done, then, page):
    """Run `save()` for a valid form: on success say `done(saved)` and go to `then` (a URL, or a
    function of what was saved); on a refusal show the form again with the service's message at its
    status. An invalid form is shown again (400)."""
    if not form.is_valid():
        messages.error(request, "Nothing was saved: " + _problems(form))
        return page(400)
    try:
        saved = save()
    except ChangeRefused as error:
        messages.error(request, f"Nothing was saved: {error}")
        return page(error.status)
    messages.success(request, done(saved))
    return redirect(then(saved) if callable(then) else then)


def meeting_new(request, pk):
    board = _board_for(request, pk)
    _must_run(request, board)
    form = MeetingForm(request.POST or None)
    back = reverse("governance:board_detail", args=[board.pk])

    def page(status=200):
        return _form_page(request, form, title=f"Add a meeting of {board}", back=back, board=board, status=status)

    if request.method != "POST":
        return page()

    return _save(
        request,
        form,
        lambda: services.meeting_save(board=board, values=form.service_values(), by=request.user),
        done=lambda meeting: f"The meeting on {day(meeting.held_on)} is added: add its agenda below.",
        then=lambda meeting: reverse("governance:meeting_detail", args=[meeting.pk]),
        page=page,
    )


def meeting_edit(request, pk):
    meeting = _meeting_for(request, pk)
    _must_run(request, meeting)
    form = MeetingForm(request.POST or None, meeting=meeting)
    back = reverse("governance:meeting_detail", args=[meeting.pk])

    def page(status=200):
        return _form_page(request, form, title=f"Edit {meeting}", back=back, meeting=meeting, status=status)

    if request.method != "POST":
        return page()
    return _save(
        request,
        form,
        lambda: services.meeting_save(
            board=meeting.board, values=form.service_values(), by=request.user, meeting=meeting
        ),
        done=lambda meeting: "The meeting is saved.",
        then=back,
        page=page,
    )


def item_new(request, pk):
    meeting = _meeting_for(request, pk)
    _must_run(request, meeting)
    form = ItemForm(request.POST or None)
    back = reverse("governance:meeting_detail", args=[meeting.pk])

    def page(status=200):
        return _form_page(request, form, title="Add an agenda item", back=back, meeting=meeting, status=status)

    if request.method != "POST":
        return page()
    return _save(
        request,
        form,
        lambda: services.item_save(meeting=meeting, values=form.service_values(), by=request.user),
        done=lambda item: f"Item {item.number} is added.",
        then=back,
        page=page,
    )


def paper_new(request, pk):
    item = _item_for(request, pk)
    meeting = item.meeting
    _must_run(request, meeting)
    form = PaperForm(request.POST or None, request.FILES or None)
    back = reverse("governance:meeting_detail", args=[meeting.pk]) + f"#item-{item.pk}"

    def page(status=200):
        return _form_page(request, form, title=f"Add a paper to item {item}", back=back, meeting=meeting, status=status)

    if request.method != "POST":
        return page()
    return _save(
        request,
        form,
        lambda: services.paper_save(item=item, values=form.service_values(), by=request.user),
        done=lambda paper: f"“{paper.title}” is added.",
        then=back,
        page=page,
    )


def meeting_attendance(request, pk):
    meeting = _meeting_for(request, pk)
    _must_run(request, meeting)
    members = list(
        meeting.board.members.select_related("person", "organisation").order_by("organisation__order", "capacity")
    )
    recorded = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    form = AttendanceForm(request.POST or None, members=members, recorded=recorded)
    back = reverse("governance:meeting_detail", args=[meeting.pk])

    def page(status=200):
        return _form_page(
            request,
            form,
            title="Record the attendance",
            back=back,
            meeting=meeting,
            status=status,
            intro="The quorum is worked out from it: a member present, or represented by a deputy, counts for "
            "their organisation.",
        )

    if request.method != "POST":
        return page()
    return _save(
        request,
        form,
        lambda: services.attendance_record(meeting=meeting, statuses=form.statuses(), by=request.user),
        done=lambda rows: "The attendance is recorded.",
        then=back,
        page=page,
    )


def meeting_minutes(request, pk):
    meeting = _meeting_for(request, pk)
    _must_run(request, meeting)
    form = MinutesForm(request.POST or None, meeting=meeting)
    back = reverse("governance:meeting_detail", args=[meeting.pk])

    def page(status=200):
        intro = f"Due by {day(meeting.minutes_due_on)}, {meeting.board.minutes_due_days} days after the meeting."
        return _form_page(
            request, form, title="Record the minutes", back=back, meeting=meeting, status=status, intro=intro
        )

    if request.method != "POST":
        return page()
    return _save(
        request,
        form,
        lambda: services.minutes_record(
            meeting=meeting,
            minutes=form.cleaned_data["minutes"],
            shared_on=form.cleaned_data["shared_on"],
            by=request.user,
        ),
        done=lambda meeting: "The minutes are recorded.",
        then=back,
        page=page,
    )


def _declare(request, *, board: Board, item: AgendaItem | None, back: str, meeting=None):
    form = DeclarationForm(request.POST or None, board=board, item=item)
    title = f"Record a declaration of interest in item {item}" if item else "Record a standing declaration of interest"

    def page(status=200):
        return _form_page(request, form, title=title, back=back, meeting=meeting, board=board, status=status)

    if request.method != "POST":
        return page()

    def save():
        data = form.cleaned_data
        return services.declaration_record(
            member=data["member"],
            interest=data["interest"],
            action=data["action"],
            notes=data["notes"],
            item=item,
            by=request.user,
        )

    return _save(request, form, save, done=lambda d: "The declaration is recorded.", then=back, page=page)


def declaration_new(request, pk):
    item = _item_for(request, pk)
    meeting = item.meeting
    _must_run(request, meeting)
    back = reverse("governance:meeting_detail", args=[meeting.pk]) + f"#item-{item.pk}"
    return _declare(request, board=meeting.board, item=item, back=back, meeting=meeting)


def standing_declaration_new(request, pk):
    board = _board_for(request, pk)
    _must_run(request, board)
    back = reverse("governance:board_detail", args=[board.pk]) + "#standing"
    return _declare(request, board=board, item=None, back=back)


def decision_new(request, pk):
    item = _item_for(request, pk)
    meeting = item.meeting
    _must_run(request, meeting)
    board = meeting.board
    organisations = list(board.organisations.all())
    form = DecisionForm(request.POST or None, board=board, organisations=organisations)
    back = reverse("governance:meeting_detail", args=[meeting.pk]) + f"#item-{item.pk}"
    attendance = list(meeting.attendance.select_related("member__organisation"))
    quorum = rules.quorum(board=board, organisations=organisations, attendance=attendance)

    def page(status=200):
        return _form_page(
            request,
            form,
            title=f"Record a decision on item {item}",
            back=back,
            meeting=meeting,
            status=status,
            intro=quorum.sentence,
        )

    if request.method != "POST":
        return page()

    def save():
        data = form.cleaned_data
        return services.decision_record(
            item=item,
            text=data["text"],
            by_vote=data["by_vote"],
            votes=form.votes(),
            casting_vote=data["casting_vote"],
            inquorate=data["inquorate"],
            outcome=data["outcome"],
            roles=list(data["roles"]),
            budgets=list(data["budgets"]),
            by=request.user,
        )

    return _save(
        request,
        form,
        save,
        done=lambda decision: f"The decision is recorded: {decision.get_outcome_display()}.",
        then=lambda decision: reverse("governance:decision_detail", args=[decision.pk]),
        page=page,
    )
