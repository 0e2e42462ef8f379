"""A plan's timeline as a picture: server-rendered SVG, readable without JavaScript.

One row per milestone, in the plan's order: a dot for a date, a bar for a range or a week commencing
(Monday to Friday), a hollow dashed ring labelled "TBC" for a time still to be confirmed, placed
between its neighbours. Done is green with a tick, pending blue, late red with "!", and every row
also says its time and status in words, so colour is never the only cue. A dashed line marks today
(at the edge, with an arrow, when today is outside the plan). The picture is `role="img"` with a
`<title>` and a `<desc>` summing it up; the page puts the full text alternative, a table of the same
milestones, next to it.

`timeline_svg` is a pure function of the milestones and the day: it reads no database (it needs each
milestone's title, `when_kind`, dates and `done_on`), so a page passes rows it has already read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape

from roles.formatting import day

from .models import When, is_late

DONE, PENDING, LATE, TBC = "done", "pending", "late", "tbc"
COLOURS = {DONE: "#007f3b", PENDING: "#005eb8", LATE: "#d5281b", TBC: "#4c6272"}
INK, GRID, FAINT, BAND, TODAY = "#212b32", "#aeb7bd", "#e8edee", "#f6f8f9", "#330072"
HALO = 'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'  # text stays legible over lines

WIDTH = 1000
LABEL_X, CHART_X0, CHART_X1 = 8, 330, WIDTH - 16
TOP, ROW = 74, 28
TITLE_CHARS = 46
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


def status_at(*, done_on: dt.date | None, due_on: dt.date | None, today: dt.date) -> str:
    """Done, late, pending with a date, or pending and still to be confirmed, from a milestone's done
    day and the day it falls due (`Milestone.due_on`, stored as `falls_due_on`; None while TBC): the
    one rule the picture, the pages and the board pack share."""
    if done_on:
        return DONE
    if due_on is None:
        return TBC
    return LATE if is_late(done_on=done_on, due_on=due_on, today=today) else PENDING


def status_of(milestone, today: dt.date) -> str:
    return status_at(done_on=milestone.done_on, due_on=milestone.due_on, today=today)


def label_of(status: str, done_on: dt.date | None) -> str:
    """A status in words: "Done on 18 Feb 2022", "Late", "Pending", "Pending (date TBC)"."""
    if status == DONE:
        return f"Done on {day(done_on)}"
    return {LATE: "Late", PENDING: "Pending", TBC: "Pending (date TBC)"}[status]


def status_label(milestone, today: dt.date) -> str:
    return label_of(status_of(milestone, today), milestone.done_on)


def _span(milestone) -> tuple[dt.date, dt.date] | None:
    """The days a milestone covers (inclusive); None while TBC."""
    start = milestone.starts_on
    if milestone.when_kind == When.TBC or start is None:
        return None
    if milestone.when_kind == When.RANGE and milestone.ends_on:
        return start, milestone.ends_on
    if milestone.when_kind == When.WEEK:
        return start, start + dt.timedelta(days=4)
    return start, start


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _months(lo: dt.date, hi: dt.date, every: int) -> list[dt.date]:
    first = dt.date(lo.year, lo.month, 1)
    out = []
    while first <= hi:
        if first > lo and (first.month - 1) % every == 0:
            out.append(first)
        first = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return out


class _Scale:
    """Days to x: the plan's days, a little either side, and today when it is near."""

    def __init__(self, spans: list[tuple[dt.date, dt.date]], today: dt.date):
        if spans:
            lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
        else:
            lo, hi = today - dt.timedelta(days=14), today + dt.timedelta(days=14)
        reach = max(21, (hi - lo).days // 2)
        if lo - dt.timedelta(days=reach) <= today <= hi + dt.timedelta(days=reach):
            lo, hi = min(lo, today), max(hi, today)
        if (hi - lo).days < 14:
            middle = lo + (hi - lo) / 2
            lo, hi = middle - dt.timedelta(days=7), middle + dt.timedelta(days=7)
        self.lo, self.hi = lo - dt.timedelta(days=3), hi + dt.timedelta(days=4)
        self.days = (self.hi - self.lo).days
        self.per_day = (CHART_X1 - CHART_X0) / self.days

    def x(self, value: dt.date) -> float:
        """The left edge of a day."""
        return CHART_X0 + (value - self.lo).days * self.per_day

    def middle(self, value: dt.date) -> float:
        return self.x(value) + self.per_day / 2


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _attrs(**values) -> str:
    return " ".join(f'{name.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for name, v in values.items())


def _tag(name: str, body: str = "", **values) -> str:
    attrs = _attrs(**values)
    return f"<{name} {attrs}>{body}</{name}>" if body else f"<{name} {attrs}/>"


def _text(content: str, **values) -> str:
    return f"<text {_attrs(**values)}>{content}</text>"


def _mark(status: str, span, x: float, y: float, scale: _Scale) -> tuple[str, float, float]:
    """The shape for one milestone, and the x where it starts and ends (for its label)."""
    colour = COLOURS[status]
    if span is None:  # TBC: a hollow dashed ring with a question mark
        ring = _tag(
            "circle", cx=_n(x), cy=_n(y), r=7, fill="#ffffff", stroke=colour, stroke_width=2, stroke_dasharray="3 2"
        )
        mark = ring + _text("?", x=_n(x), y=_n(y + 4), text_anchor="middle", font_size=10, fill=colour)
        return mark, x - 7, x + 7
    start, end = span
    if start == end:
        cx = scale.middle(start)
        mark = _tag("circle", cx=_n(cx), cy=_n(y), r=7, fill=colour)
        left, right = cx - 7, cx + 7
    else:
        left, right = scale.x(start), scale.x(end + dt.timedelta(days=1))
        right = max(right, left + 6)
        mark = _tag("rect", x=_n(left), y=_n(y - 7), width=_n(right - left), height=14, rx=3, fill=colour)
        cx = left + 8 if right - left >= 16 else (left + right) / 2
    if status == DONE:
        tick = f"M{_n(cx - 3.5)} {_n(y)} l2.5 2.5 l4.5 -5"
        mark += _tag("path", d=tick, fill="none", stroke="#ffffff", stroke_width=2, stroke_linecap="round")
    elif status == LATE:
        mark += _text("!", x=_n(cx), y=_n(y + 4), text_anchor="middle", font_size=11, font_weight=700, fill="#ffffff")
    return mark, left, right


def _tbc_positions(spans: list, scale: _Scale) -> dict[int, float]:
    """Where each TBC milestone sits: midway between its dated neighbours in the plan's order."""
    middles = [None if s is None else (scale.x(s[0]) + scale.x(s[1] + dt.timedelta(days=1))) / 2 for s in spans]
    positions = {}
    for i, middle in enumerate(middles):
        if middle is not None:
            continue
        before = next((m for m in reversed(middles[:i]) if m is not None), None)
        after = next((m for m in middles[i + 1 :] if m is not None), None)
        if before is not None and after is not None:
            positions[i] = (before + after) / 2
        elif before is not None:
            positions[i] = min(before + 24, CHART_X1 - 8)
        elif after is not None:
            positions[i] = max(after - 24, CHART_X0 + 8)
        else:
            positions[i] = CHART_X0 + 24
    return positions


def _legend() -> str:
    parts, x = [], LABEL_X
    for status, word in ((DONE, "Done"), (PENDING, "Pending"), (LATE, "Late"), (TBC, "Date to be confirmed")):
        colour = COLOURS[status]
        if status == TBC:
            ring = {"fill": "#ffffff", "stroke": colour, "stroke_width": 2, "stroke_dasharray": "3 2"}
            parts.append(_tag("circle", cx=_n(x + 6), cy=16, r=6, **ring))
        else:
            parts.append(_tag("circle", cx=_n(x + 6), cy=16, r=6, fill=colour))
        parts.append(_text(word, x=_n(x + 17), y=20, font_size=12, fill=INK))
        x += 28 + 7.2 * len(word)
    parts.append(_tag("rect", x=_n(x), y=10, width=22, height=12, rx=3, fill=COLOURS[PENDING]))
    parts.append(_text("Range or week", x=_n(x + 28), y=20, font_size=12, fill=INK))
    x += 28 + 7.2 * len("Range or week") + 10
    parts.append(_tag("line", x1=_n(x), y1=9, x2=_n(x), y2=23, stroke=TODAY, stroke_width=2, stroke_dasharray="4 3"))
    parts.append(_text("Today", x=_n(x + 6), y=20, font_size=12, fill=INK))
    return "".join(parts)


def _axis(scale: _Scale, bottom: float) -> str:
    parts = [_tag("line", x1=CHART_X0, y1=TOP - 10, x2=CHART_X1, y2=TOP - 10, stroke=GRID)]
    if scale.days <= 140:
        monday = scale.lo + dt.timedelta(days=(7 - scale.lo.weekday()) % 7)
        while monday < scale.hi:
            x = _n(scale.x(monday))
            parts.append(_tag("line", x1=x, y1=TOP - 10, x2=x, y2=bottom, stroke=FAINT))
            monday += dt.timedelta(days=7)
    every = 1 if scale.days <= 500 else 3 if scale.days <= 1500 else 12
    for first in _months(scale.lo, scale.hi, every):
        x = scale.x(first)
        parts.append(_tag("line", x1=_n(x), y1=TOP - 22, x2=_n(x), y2=bottom, stroke=GRID))
        if x < CHART_X1 - 40:
            parts.append(_text(f"{first:%b %Y}", x=_n(x + 4), y=TOP - 14, font_size=12, fill=INK))
    return "".join(parts)


def _today(scale: _Scale, today: dt.date, bottom: float) -> str:
    if today < scale.lo:
        x, words, anchor = CHART_X0, f"← Today, {day(today)}: before this plan", "start"
    elif today >= scale.hi:
        x, words, anchor = CHART_X1, f"Today, {day(today)}: after this plan →", "end"
    else:
        x = scale.middle(today)
        words = f"Today, {day(today)}"
        anchor = "end" if x > CHART_X1 - 160 else "start"
    text_x = x - 4 if anchor == "end" else x + 4
    line = _tag(
        "line", x1=_n(x), y1=TOP - 24, x2=_n(x), y2=bottom + 4, stroke=TODAY, stroke_width=2, stroke_dasharray="5 4"
    )
    label = _text(
        escape(words), x=_n(text_x), y=_n(bottom + 18), text_anchor=anchor, font_size=12, font_weight=600, fill=TODAY
    )
    return f'<g class="today" data-date="{today.isoformat()}">{line}{label}</g>'


def _summary(milestones: list, statuses: list[str], spans: list, today: dt.date) -> str:
    count = {s: statuses.count(s) for s in (DONE, PENDING, LATE, TBC)}
    dated = [s for s in spans if s]
    when = f" from {day(min(s for s, _ in dated))} to {day(max(e for _, e in dated))}" if dated else ""
    size = f"{len(milestones)} milestone{'' if len(milestones) == 1 else 's'}"
    return (
        f"{size}{when}: {count[DONE]} done, {count[LATE]} late, {count[PENDING]} pending with a date, "
        f"{count[TBC]} still to be dated (TBC). Today is {day(today)}. Dots are single days; bars are date ranges "
        "and weeks commencing (Monday to Friday); hollow dashed rings are dates to be confirmed. "
        "The table of milestones beside the picture gives the same in words."
    )


def timeline_svg(milestones: Iterable, today: dt.date, *, title: str = "Plan timeline", ident: str = "timeline") -> str:
    """The plan's timeline as an SVG element (a string of markup, every text escaped)."""
    rows = list(milestones)
    spans = [_span(m) for m in rows]
    statuses = [status_of(m, today) for m in rows]
    scale = _Scale([s for s in spans if s], today)
    tbc_x = _tbc_positions(spans, scale)
    bottom = TOP + max(len(rows), 1) * ROW
    height = bottom + 30
    ident = escape(ident)

    bands = [_tag("rect", x=0, y=TOP + i * ROW, width=WIDTH, height=ROW, fill=BAND) for i in range(0, len(rows), 2)]
    body = [_legend(), *bands, _axis(scale, bottom), _today(scale, today, bottom)]
    if not rows:
        body.append(_text("No milestones yet.", x=LABEL_X, y=TOP + 18, font_size=13, fill=INK))
    for i, (milestone, span, status) in enumerate(zip(rows, spans, statuses, strict=True)):
        top = TOP + i * ROW
        y = top + ROW / 2
        words = f"{milestone.shown_when} · {status_label(milestone, today)}"
        parts = [_text(escape(_shorten(milestone.title, TITLE_CHARS)), x=LABEL_X, y=_n(y + 4), font_size=13, fill=INK)]
        mark, left, right = _mark(status, span, tbc_x.get(i, 0.0), y, scale)
        parts.append(mark)
        width = 6.6 * len(words)
        if right + 8 + width <= CHART_X1 or left - 8 - width < CHART_X0:
            anchor, text_x = "start", right + 8
        else:
            anchor, text_x = "end", left - 8
        when_text = escape(milestone.shown_when)
        status_text = escape(status_label(milestone, today))
        parts.append(
            f'<text x="{_n(text_x)}" y="{_n(y + 4)}" font-size="12" text-anchor="{anchor}" fill="{INK}" {HALO}>'
            f'{when_text} · <tspan font-weight="600" fill="{COLOURS[status]}">{status_text}</tspan></text>'
        )
        tooltip = escape(f"{milestone.title}: {words}")
        body.append(f'<g class="milestone milestone-{status}"><title>{tooltip}</title>{"".join(parts)}</g>')

    summary = escape(_summary(rows, statuses, spans, today))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-svg" id="{ident}" role="img" '
        f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="{WIDTH}" height="{_n(height)}" font-family="{escape(FONT)}">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{summary}</desc>'
        f"{''.join(body)}</svg>"
    )
