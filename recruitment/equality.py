"""Equality monitoring, reported only in aggregate, with small numbers suppressed.

Applicants' answers (`EqualityAnswers`) are kept apart from their applications and never shown one
by one: not to scorers or panels, not in the admin. This module is the only reader. For each
question it counts applications per answer ("Prefer not to say" is an answer; no answers at all, or
a blank one, is "Not answered") at three stages:

| stage       | counts                                                                     |
|-------------|----------------------------------------------------------------------------|
| applied     | every application received, whatever became of it (withdrawn included)     |
| shortlisted | applications that reached the shortlist (`REACHED_SHORTLIST`)              |
| appointed   | applications that ended in an appointment                                  |

Suppression (`suppress`), column by column, so that nobody can work out a number under 5:

1. **Small numbers.** A count of 1 to 4 is suppressed. 0 is shown: it tells nothing about anyone.
2. **Tiny columns.** If the column's total is 1 to 4, the whole column is suppressed, the total
   and its zeros included (a shown 0 beside a hidden total would narrow who the rest are).
   A column with nobody in it at all shows its zeros.
3. **Secondary suppression.** A reader knows the column's total (it is also shown on the round's
   page) and that a hidden cell is at least 1, as 0 is shown, so the hidden cells must not be
   fixed by what they add up to. They are when one is hidden alone (it is the total less the shown
   cells), when all are 1 (each is at least 1) and when all are 4 (a reader taking every hidden
   cell to be under 5 would be right). While any of those is so, the smallest shown non-zero cell is
   hidden too (the first in row order on a tie); when no shown non-zero cell is left, the first
   shown 0, after which the hidden cells could share the missing number in more than one way.
   If every cell is already hidden, the whole column is suppressed as in rule 2. Only this last
   case hides a total above 4; otherwise every table of a report shows the same totals.
4. **One mark for every hidden cell.** Every suppressed cell shows the same mark, `*`, whether it
   was under 5 or hidden by rule 3. Marking the two differently ("<5" and something else) would
   tell a reader which is which, and with the total that can be enough to work both out (a pair
   adding up to 6, one under 5 and one not, must be 1 and 5); and "<5" on a hidden 12 would be
   untrue.

The tests check these rules with property tests that try every way the hidden cells could add up.
What the rules do not cover: each column is protected on its own, so a difference between two
columns (applied less shortlisted) or between two reports (a place's less one round's) can still
be a small number; it counts people at a step of the process, not one answer's holders.

Each question's table is counted with one GROUP BY query, so a report costs four queries however
many applications it covers. Suppressed numbers never leave this module: a suppressed `Cell` has
no value.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from .models import (
    REACHED_SHORTLIST,
    STAGE_APPLIED,
    STAGE_APPOINTED,
    STAGE_SHORTLISTED,
    Application,
    ApplicationStatus,
    EqualityAnswers,
)

SMALLEST_SHOWN = 5
SUPPRESSED = "*"
NOT_ANSWERED = ""
NOT_ANSWERED_LABEL = "Not answered"

STAGES: tuple[tuple[str, str], ...] = (
    (STAGE_APPLIED, "Applied"),
    (STAGE_SHORTLISTED, "Shortlisted"),
    (STAGE_APPOINTED, "Appointed"),
)
_STAGE_FILTERS = {
    STAGE_APPLIED: None,
    STAGE_SHORTLISTED: Q(status__in=REACHED_SHORTLIST),
    STAGE_APPOINTED: Q(status=ApplicationStatus.APPOINTED),
}


@dataclass(frozen=True)
class Cell:
    """One number in a report: `value` is the count, or None when it is suppressed."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def shown(self) -> str:
        return SUPPRESSED if self.value is None else str(self.value)

    def __str__(self) -> str:
        return self.shown


class Column(dict[str, Cell]):
    """A suppressed column: a cell per row key, in the order given, and `total`."""

    def __init__(self, cells: dict[str, Cell], total: Cell):
        super().__init__(cells)
        self.total = total

    def __eq__(self, other) -> bool:
        if isinstance(other, Column):
            return dict.__eq__(self, other) and self.total == other.total
        return dict.__eq__(self, other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Column({dict.__repr__(self)}, total={self.total!r})"


def _must_hide_more(counts: dict[str, int], hidden: set[str]) -> bool:
    """Whether the hidden cells could be worked out from what they add up to: one alone, or all at
    the least (1) or the most (4) a small number can be."""
    values = {counts[key] for key in hidden}
    return len(hidden) == 1 or values == {1} or values == {SMALLEST_SHOWN - 1}


def suppress(counts: dict[str, int]) -> Column:
    """The column of `counts` (row key -> count, in row order) as it may be shown: see the
    module's docstring for the rules."""
    if any(count < 0 for count in counts.values()):
        raise ValueError(f"Counts cannot be negative: {counts}.")
    total = sum(counts.values())
    if total == 0:
        return Column({key: Cell(0) for key in counts}, Cell(0))
    hidden = {key for key, count in counts.items() if 0 < count < SMALLEST_SHOWN}
    if total >= SMALLEST_SHOWN:
        order = list(counts)
        while _must_hide_more(counts, hidden):
            shown = [key for key in order if key not in hidden]
            if not shown:
                break
            nonzero = [key for key in shown if counts[key] > 0]
            # The smallest shown non-zero cell; a zero only when no non-zero cell is left to hide.
            hidden.add(min(nonzero, key=lambda key: (counts[key], order.index(key))) if nonzero else shown[0])
    if total < SMALLEST_SHOWN or _must_hide_more(counts, hidden):
        return Column({key: Cell(None) for key in counts}, Cell(None))
    return Column({key: Cell(None if key in hidden else count) for key, count in counts.items()}, Cell(total))


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]  # one per stage, in `STAGES` order


@dataclass(frozen=True)
class QuestionTable:
    question: str
    label: str
    rows: tuple[Row, ...]
    totals: tuple[Cell, ...]  # one per stage


@dataclass(frozen=True)
class EqualityReport:
    """Tables of suppressed counts, one per question: rows are the answers, columns the stages."""

    stages: tuple[tuple[str, str], ...]
    tables: tuple[QuestionTable, ...]  # one per question, in `EqualityAnswers.QUESTIONS` order


def question_choices(question: str) -> list[tuple[str, str]]:
    """The rows of a question's table: its answers ("Prefer not to say" among them), then not answered."""
    field = EqualityAnswers._meta.get_field(question)
    return [*((str(key), str(label)) for key, label in field.choices), (NOT_ANSWERED, NOT_ANSWERED_LABEL)]


def _counts(applications: QuerySet[Application], question: str) -> dict[str, dict[str, int]]:
    """Stage -> answer -> count of applications, in one GROUP BY query."""
    answer_field = f"equality_answers__{question}"
    grouped = (
        applications.order_by()
        .values(answer=Coalesce(F(answer_field), Value(NOT_ANSWERED)))
        .annotate(**{stage: Count("pk", filter=condition) for stage, condition in _STAGE_FILTERS.items()})
    )
    rows = [key for key, _ in question_choices(question)]
    counts = {stage: dict.fromkeys(rows, 0) for stage, _ in STAGES}
    for group in grouped:
        # An answer that is no longer a choice cannot be reported as one: it counts as not answered.
        answer = group["answer"] if group["answer"] in counts[STAGE_APPLIED] else NOT_ANSWERED
        for stage, _ in STAGES:
            counts[stage][answer] += group[stage]
    return counts


def equality_report(applications: QuerySet[Application]) -> EqualityReport:
    """The equality answers of `applications`, counted per question and stage and suppressed.

    Four queries (one per question), however many applications there are.
    """
    tables = []
    for question in EqualityAnswers.QUESTIONS:
        counts = _counts(applications, question)
        columns = {stage: suppress(counts[stage]) for stage, _ in STAGES}
        rows = tuple(
            Row(key=key, label=label, cells=tuple(columns[stage][key] for stage, _ in STAGES))
            for key, label in question_choices(question)
        )
        label = str(EqualityAnswers._meta.get_field(question).verbose_name)
        tables.append(
            QuestionTable(
                question=question,
                label=label[:1].upper() + label[1:],
                rows=rows,
                totals=tuple(columns[stage].total for stage, _ in STAGES),
            )
        )
    return EqualityReport(stages=STAGES, tables=tuple(tables))
