"""board_hooks: what boards register with recruitment when Django starts: the board reminders, through
recruitment's one reminder mechanism (`recruitment.reminders.REMINDER_SOURCES`).

| kind            | on which day                                                  | to whom                    |
|-----------------|---------------------------------------------------------------|----------------------------|
| papers_due      | the day a meeting's papers are due (`Meeting.papers_due_on`)  | the place's secretariat    |
|                 | while a paper is unpublished or none is added yet; the day    |                            |
|                 | after, while any paper is still unpublished                   |                            |
| minutes_overdue | the day after the minutes were due (`Meeting.minutes_due_on`),| the same                   |
|                 | then every 7 days until `minutes_shared_on` is set            |                            |

A meeting's dates are read on the morning of the sweep (moving the meeting moves its reminders); a
sweep missed for a day or two is made up by the next, as recruitment's are. One query for the meetings.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from recruitment.models import Reminder
from recruitment.reminders import CATCH_UP_DAYS, OVERDUE_EVERY_DAYS, reminder_source
from roles.formatting import day
from roles.models import AccessKind

from .models import Meeting

SECRETARIAT = frozenset({AccessKind.SECRETARIAT})
LONGEST_PAPERS_DAYS = 60  # the most `Board.papers_due_days` allows


def _minutes_day(today: dt.date, due: dt.date) -> dt.date | None:
    """The latest day of the minutes' overdue schedule (the day after `due`, then weekly) not after
    today, if it fell in the catch-up window."""
    first = due + dt.timedelta(days=1)
    if today < first:
        return None
    on = first + dt.timedelta(days=((today - first).days // OVERDUE_EVERY_DAYS) * OVERDUE_EVERY_DAYS)
    return on if (today - on).days <= CATCH_UP_DAYS else None


@reminder_source
def board_reminders(builder) -> None:
    today = builder.today
    meetings = (
        Meeting.objects.filter(
            Q(held_on__gte=today, held_on__lte=today + dt.timedelta(days=LONGEST_PAPERS_DAYS + 1))
            | Q(minutes_shared_on__isnull=True, held_on__lt=today)
        )
        .annotate(
            paper_count=Count("items__papers"),
            unpublished=Count("items__papers", filter=Q(items__papers__published_on__isnull=True)),
        )
        .order_by()
        .values(
            "pk",
            "held_on",
            "part",
            "minutes_shared_on",
            "paper_count",
            "unpublished",
            "board__name",
            "board__place_id",
            "board__place__name",
            "board__papers_due_days",
            "board__minutes_due_days",
        )
    )
    for row in meetings:
        held_on, board, place = row["held_on"], row["board__name"], row["board__place__name"]
        what = f"{board}, {day(held_on)} ({Meeting.Part(row['part']).label})"
        key, place_id = f"meeting:{row['pk']}", row["board__place_id"]
        nobody = f"{place} has no board secretariat to tell: give someone that access."
        papers_due = held_on - dt.timedelta(days=row["board__papers_due_days"])
        unpublished, total = row["unpublished"], row["paper_count"]
        if held_on >= today:
            on = builder.latest_day(papers_due, (0,), until=held_on)
            if on and (unpublished or not total):
                state = f"{unpublished} of {total} not yet published" if total else "no papers added yet"
                builder.add(
                    Reminder.Kind.PAPERS_DUE,
                    key,
                    on,
                    place_id,
                    SECRETARIAT,
                    f"Papers due today: {what}",
                    f"The papers for {what} are due today, {papers_due:%A} {day(papers_due)}, "
                    f"{row['board__papers_due_days']} days before the meeting: {state}.\n\n"
                    "Publish them and record the date published on the meeting's page.",
                    nobody=nobody,
                )
            late = builder.latest_day(papers_due + dt.timedelta(days=1), (0,), until=held_on)
            if late and unpublished:
                builder.add(
                    Reminder.Kind.PAPERS_DUE,
                    key,
                    late,
                    place_id,
                    SECRETARIAT,
                    f"Papers late: {what}",
                    f"The papers for {what} were due on {papers_due:%A} {day(papers_due)}: "
                    f"{unpublished} of {total} still not published.\n\n"
                    "Publish them and record the date published on the meeting's page: they will show as late.",
                    nobody=nobody,
                )
        if row["minutes_shared_on"] is None and held_on < today:
            minutes_due = held_on + dt.timedelta(days=row["board__minutes_due_days"])
            on = _minutes_day(today, minutes_due)
            if on:
                late_by = (on - minutes_due).days
                builder.add(
                    Reminder.Kind.MINUTES_OVERDUE,
                    key,
                    on,
                    place_id,
                    SECRETARIAT,
                    f"Minutes overdue by {late_by} day{'s' if late_by != 1 else ''}: {what}",
                    f"The minutes of {what} were due on {minutes_due:%A} {day(minutes_due)}, "
                    f"{row['board__minutes_due_days']} days after the meeting, and are not recorded as shared. "
                    f"You will be reminded every {OVERDUE_EVERY_DAYS} days until they are.\n\n"
                    "Record the minutes and the day they went to members on the meeting's page.",
                    nobody=nobody,
                )
