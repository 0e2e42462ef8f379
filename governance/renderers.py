"""A board pack in the formats the secretariat uses: XLSX, CSV (zipped) and PDF.

Each renderer reads a `reports.Pack` (the declared tables) and writes into a
`tempfile.SpooledTemporaryFile`: small packs stay in memory, large ones spill to disk, and the view
serves the file with `FileResponse` in chunks, so the file is never held twice. Every text cell goes
through `roles.exports.safe_cell` in every format, so a cell that begins with = + - @ is shown,
never run as a formula.

| kind     | XLSX                               | CSV                   | PDF                 |
|----------|------------------------------------|-----------------------|---------------------|
| money    | number, "£#,##0.00" format         | 417000.00             | £417,000.00         |
| date     | date cell, dd/mm/yyyy              | 2022-04-04            | 4 Apr 2022          |
| sessions | number, "0.##"                     | 1.5                   | 1.5                 |
| percent  | number, "0%"                       | 25%                   | 25%                 |
| yes/no   | Yes / No                           | Yes / No              | Yes / No            |
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

from roles.exports import safe_cell
from roles.formatting import day, money, sessions

from . import reports, xlsx
from .reports import DATE, INTEGER, MONEY, PERCENT, SESSIONS, YES_NO, Pack

AUTHOR = "Clinical & Care Professional Leadership"
SPOOL_BYTES = 8 * 1024 * 1024  # packs up to 8 MB stay in memory; larger ones go to a temporary file

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
    "pdf": "application/pdf",
}
EXTENSIONS = {"xlsx": "xlsx", "csv": "zip", "pdf": "pdf"}


def spooled():
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def text_of(kind: str, value) -> str:
    """A value as a person reads it (the PDF's cells)."""
    if value is None or value == "":
        return ""
    if kind == MONEY:
        return money(value)
    if kind == DATE:
        return day(value)
    if kind == SESSIONS:
        return sessions(value)
    if kind == PERCENT:
        return f"{Decimal(value) * 100:.0f}%"
    if kind == YES_NO:
        return "Yes" if value else "No"
    return str(safe_cell(value) if isinstance(value, str) else value)


def csv_value(kind: str, value):
    if value is None:
        return ""
    if kind == MONEY:
        return f"{Decimal(value):.2f}"
    if kind == DATE:
        return value.isoformat()
    if kind == SESSIONS:
        return sessions(value)
    if kind == PERCENT:
        return f"{Decimal(value) * 100:.0f}%"
    if kind == YES_NO:
        return "Yes" if value else "No"
    return safe_cell(value) if isinstance(value, str) else value


# --- XLSX ----------------------------------------------------------------------------------------

XLSX_STYLES = {  # a column's kind: its cell style in `governance.xlsx`
    MONEY: "money",
    DATE: "date",
    SESSIONS: "sessions",
    PERCENT: "percent",
    INTEGER: "integer",
}


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    base, n = name, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def _xlsx_cell(kind: str):
    """How a column's values become cells: numbers and dates as such in their format, text as text
    (never a formula), yes/no as words, and no cell for a missing value."""
    style = XLSX_STYLES.get(kind, "plain")

    def text(ref, value):
        if value is None or value == "":
            return None
        return xlsx.text_cell(ref, safe_cell(value) if isinstance(value, str) else str(value))

    def number(ref, value):
        if isinstance(value, str):  # a suppressed count ("*")
            return text(ref, value)
        return None if value is None else xlsx.number_cell(ref, value, style)

    def date(ref, value):
        return None if value is None else xlsx.date_cell(ref, value)

    def yes_no(ref, value):
        return None if value is None else xlsx.text_cell(ref, "Yes" if value else "No")

    if kind == DATE:
        return date
    if kind == YES_NO:
        return yes_no
    if kind in XLSX_STYLES or kind == reports.COUNT:
        return number
    return text


def _xlsx_sheet(table, subtitle: str, used: set[str]) -> xlsx.Sheet:
    columns = table.columns
    letters = [xlsx.column_letter(i) for i in range(len(columns))]
    cells = [_xlsx_cell(c.kind) for c in columns]

    def rows():
        title = [xlsx.text_cell("A1", f"{table.report.title} – {subtitle}", "title")]
        if table.report.note:
            title.append(xlsx.text_cell("B1", table.report.note))
        yield xlsx.row_xml(1, title)
        yield xlsx.row_xml(
            2, (xlsx.text_cell(f"{x}2", c.heading, "header") for x, c in zip(letters, columns, strict=True))
        )
        for number, row in enumerate(table.rows, start=3):
            yield xlsx.row_xml(number, xlsx.cells_of(number, row, cells, letters))

    return xlsx.Sheet(
        name=_sheet_name(table.report.title, used),
        widths=[min(c.chars + 2, 60) for c in columns],
        rows=rows(),
        frozen_rows=2,
    )


def render_xlsx(pack: Pack, out) -> None:
    """A sheet per table: a title row (table, scope, as of), a frozen header row, real numbers, dates
    and £ cells, written a row at a time (`governance.xlsx`, which says why not a library)."""
    used: set[str] = set()
    xlsx.write(
        out,
        (_xlsx_sheet(table, pack.subtitle, used) for table in pack.tables),
        title=f"{reports.TITLE} – {pack.subtitle}",
        author=AUTHOR,
    )


# --- CSV -----------------------------------------------------------------------------------------


def render_csv(pack: Pack, out) -> None:
    """A zip of one CSV per table (UTF-8 with a byte order mark, so Excel reads it as UTF-8): the
    header row, then the rows; dates as YYYY-MM-DD and money as plain numbers."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, table in enumerate(pack.tables, start=1):
            with archive.open(f"{number:02d}-{table.report.key}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow([column.heading for column in table.columns])
                for row in table.rows:
                    writer.writerow([csv_value(c.kind, v) for c, v in zip(table.columns, row, strict=True)])
                text.flush()
                text.detach()


# --- PDF -----------------------------------------------------------------------------------------

FONT, FONT_BOLD = "Vera", "VeraBd"  # shipped with reportlab: nothing to install, and it has £ and −


def _fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))


def _numbered_canvas(footer: str):
    """A canvas that writes "Page N of M" once it knows M (the pages are kept until the end)."""
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width, _height = self._pagesize
                self.setFont(FONT, 7.5)
                self.drawString(28, 18, footer)
                self.drawRightString(width - 28, 18, f"Page {self._pageNumber} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


# The most rows a table shows in the PDF, the paper a board reads; the XLSX and CSV hold every row.
# (A national-scale place has 20,000 milestones: 500 pages that took half a minute to lay out.)
PDF_ROWS = 300
# The height a table row may take on a page (A4 landscape, less the margins, the repeated header row
# and the table's heading), in points.
FRAME_LINES_HEIGHT = 380
CUT = " … (cut to fit the page: the XLSX and CSV exports hold the whole text)"


def fitted(text: str, per_line: int, most_lines: int) -> str:
    """`text` as it can stand in one cell of a PDF page: a row taller than a page cannot be laid out
    (a decision authorising hundreds of roles lists them all), so a cell that would wrap to more
    than `most_lines` lines of `per_line` characters is cut, saying where the whole text is."""
    per_line = max(per_line, 1)
    lines = text.split("\n")
    if sum(max(1, -(-len(line) // per_line)) for line in lines) <= most_lines:
        return text
    kept, used = [], 0
    room = most_lines - 2  # the note says where the rest is
    for line in lines:
        wraps = max(1, -(-len(line) // per_line))
        if used + wraps > room:
            kept.append(line[: max(0, (room - used) * per_line - 10)])
            break
        kept.append(line)
        used += wraps
    return "\n".join(kept).rstrip() + CUT


def wrapped(text: str, size: float, width: float) -> str:
    """`text` broken into lines that fit `width` points in the cell font, a word too long for a line
    broken between its letters: a plain string with line breaks, which a table lays out and draws
    many times faster than a paragraph (a pack has thousands of cells that wrap)."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines = []
    for line in simpleSplit(text, FONT, size, width):
        while len(line) > 1 and stringWidth(line, FONT, size) > width:
            cut = len(line) - 1
            while cut > 1 and stringWidth(line[:cut], FONT, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return "\n".join(lines)


def render_pdf(pack: Pack, out) -> None:
    """A4 landscape, as a board paper: the title, the place or ICS, the date; each table under its
    heading with its header row repeated on every page it runs over; "Page N of M" in the footer.
    Wide tables get a smaller font."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    _fonts()
    page = landscape(A4)
    margin = 28
    width = page[0] - 2 * margin
    doc = SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=36,
        title=reports.TITLE,
        author=AUTHOR,
        subject=pack.subtitle,
    )
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=4)
    subtitle = ParagraphStyle("subtitle", fontName=FONT, fontSize=11, leading=14, spaceAfter=10)
    heading = ParagraphStyle("heading", fontName=FONT_BOLD, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4)
    note = ParagraphStyle("note", fontName=FONT, fontSize=8, leading=10, spaceAfter=4, textColor=colors.grey)
    story = [
        Paragraph(escape(reports.TITLE), title),
        Paragraph(escape(pack.subtitle), subtitle),
        Paragraph(escape(f"Made on {day(pack.made_at.date())} from the live data."), note),
    ]
    for table in pack.tables:
        size = 8 if len(table.columns) <= 8 else 7 if len(table.columns) <= 12 else 6
        cell = ParagraphStyle("cell", fontName=FONT, fontSize=size, leading=size + 2)
        head = ParagraphStyle("head", parent=cell, fontName=FONT_BOLD)
        total = sum(c.chars for c in table.columns)
        widths = [width * c.chars / total for c in table.columns]
        # Text broken into lines only where it may not fit on one (by a count of characters first).
        fits = [int(w / (size * 0.62)) for w in widths]
        room = [w - 6 for w in widths]  # less the cell's padding
        most_lines = int(FRAME_LINES_HEIGHT / (size + 2))  # a row may not be taller than a page
        data = [[Paragraph(escape(c.heading), head) for c in table.columns]]
        for row in table.rows[:PDF_ROWS]:
            line = []
            for column, value, fit, points in zip(table.columns, row, fits, room, strict=True):
                text = fitted(text_of(column.kind, value), fit, most_lines)
                line.append(text if len(text) <= fit and "\n" not in text else wrapped(text, size, points))
            data.append(line)
        empty = len(data) == 1
        if empty:
            data.append(["None as of this date.", *[""] * (len(table.columns) - 1)])
        grid = LongTable(data, colWidths=widths, repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 1), (-1, -1), FONT, size, size + 2),
                    *([("SPAN", (0, 1), (-1, 1))] if empty else []),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DCE6F1")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        story.append(Paragraph(escape(table.report.title), heading))
        if table.report.note:
            story.append(Paragraph(escape(table.report.note), note))
        story.append(grid)
        if len(table.rows) > PDF_ROWS:
            more = len(table.rows) - PDF_ROWS
            story.append(
                Paragraph(
                    escape(
                        f"The first {PDF_ROWS:,} of {len(table.rows):,} rows: the other {more:,} are in the XLSX "
                        "and CSV exports of this pack."
                    ),
                    note,
                )
            )
        story.append(Spacer(1, 6))
    footer = f"{reports.TITLE} – {pack.subtitle}"
    doc.build(story, canvasmaker=_numbered_canvas(footer))


RENDERERS = {"xlsx": render_xlsx, "csv": render_csv, "pdf": render_pdf}


def render(pack: Pack, fmt: str):
    """The pack in `fmt`, in a spooled temporary file rewound to its start."""
    out = spooled()
    try:
        RENDERERS[fmt](pack, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def filename(pack: Pack, fmt: str) -> str:
    return f"board-pack-{pack.scope.slug}-{pack.as_of:%Y-%m-%d}.{EXTENSIONS[fmt]}"
