"""A streaming XLSX writer for the board pack's tables: each row goes into the zip as it comes.

Why not a library: a national-scale ICS pack has 34,000 rows (270,000 cells). openpyxl took 4.2 s
to write them and XlsxWriter, the fastest we measured (pyexcelerate was no better), 1.7–1.9 s:
every cell costs them 6–15 µs of Python. The pack has to be ready in under 2 s, reading its data
included. Everything a pack needs is small and fixed (a few cell styles, column widths, a frozen
header, text, numbers and dates), so the rows are written here as SpreadsheetML at about 1 µs a
cell; openpyxl, which reads what we write in the tests, and LibreOffice open it as any workbook.

Text is always a text cell (inline string), never a formula. Characters XML cannot hold are
written as Excel's `_xHHHH_` escapes, and a cell holds at most Excel's 32,767 characters.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

MAX_CELL_CHARS = 32767
EXCEL_EPOCH = dt.date(1899, 12, 30)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")

# The cell styles a pack uses, by name: (font, fill, number format, wrap at the top).
STYLES: dict[str, tuple[str, str, str, bool]] = {
    "plain": ("", "", "", False),
    "title": ("title", "", "", False),
    "header": ("bold", "header", "", True),
    "money": ("", "", '"£"#,##0.00;[Red]-"£"#,##0.00', False),
    "date": ("", "", "dd/mm/yyyy", False),
    "sessions": ("", "", "0.##", False),
    "percent": ("", "", "0%", False),
    "integer": ("", "", "0", False),
}
_STYLE_INDEX = {name: index for index, name in enumerate(STYLES)}
_FONTS = {"": 0, "bold": 1, "title": 2}
_FILLS = {"": 0, "header": 2}  # 0 and 1 are the two fills every workbook starts with


def column_letter(index: int) -> str:
    """A, B, … Z, AA, … for a 0-based column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@functools.lru_cache(maxsize=8192)  # a pack repeats its statuses, places, functions and titles by the thousand
def _text_xml(text: str) -> str:
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS]
    text = escape(text)
    if _NOT_XML.search(text):
        text = _NOT_XML.sub(lambda m: f"_x{ord(m[0]):04X}_" if len(m[0]) == 1 else "_x005F" + m[0], text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<is><t{space}>{text}</t></is>"


def _style_attr(style: str) -> str:
    return f' s="{_STYLE_INDEX[style]}"' if style != "plain" else ""


def text_cell(ref: str, value: str, style: str = "plain") -> str:
    return f'<c r="{ref}"{_style_attr(style)} t="inlineStr">{_text_xml(value)}</c>'


def number_cell(ref: str, value, style: str = "plain") -> str:
    return f'<c r="{ref}"{_style_attr(style)}><v>{value}</v></c>'


def date_cell(ref: str, value: dt.date, style: str = "date") -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    return number_cell(ref, (value - EXCEL_EPOCH).days, style)


@dataclass
class Sheet:
    name: str
    widths: list[float]
    rows: Iterable[str]  # each row's cells as XML, from `row_xml`
    frozen_rows: int = 0


def row_xml(number: int, cells: Iterable[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def cells_of(number: int, values: Iterable, writers: list[Callable[[str, object], str | None]], letters: list[str]):
    """The row's cells: each value written by its column's writer (None writes no cell)."""
    for letter, write, value in zip(letters, writers, values, strict=True):
        cell = write(f"{letter}{number}", value)
        if cell is not None:
            yield cell


def _sheet_xml_head(sheet: Sheet, selected: bool) -> str:
    view = ' tabSelected="1"' if selected else ""
    if sheet.frozen_rows:
        top = f"A{sheet.frozen_rows + 1}"
        pane = (
            f'<pane ySplit="{sheet.frozen_rows}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
        )
    else:
        pane = ""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{width:g}" customWidth="1"/>' for i, width in enumerate(sheet.widths, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheetViews><sheetView workbookViewId="0"{view}>{pane}</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"{f'<cols>{cols}</cols>' if cols else ''}<sheetData>"
    )


def _styles_xml() -> str:
    formats = {code: 164 + i for i, code in enumerate(dict.fromkeys(c for _f, _l, c, _w in STYLES.values() if c))}
    num_fmts = "".join(f'<numFmt numFmtId="{n}" formatCode={quoteattr(code)}/>' for code, n in formats.items())
    xfs = []
    for font, fill, code, wrap in STYLES.values():
        attrs = f'numFmtId="{formats.get(code, 0)}" fontId="{_FONTS[font]}" fillId="{_FILLS[fill]}"'
        attrs += ' borderId="0" xfId="0"'
        attrs += ' applyNumberFormat="1"' if code else ""
        attrs += ' applyFont="1"' if font else ""
        attrs += ' applyFill="1"' if fill else ""
        align = '<alignment vertical="top" wrapText="1"/>' if wrap else ""
        xfs.append(f'<xf {attrs} applyAlignment="1">{align}</xf>' if wrap else f"<xf {attrs}/>")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>'
        '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="13"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDCE6F1"/><bgColor indexed="64"/></patternFill></fill>'
        "</fills>"
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", errors="replace")  # a lone surrogate (never valid text) becomes "?"


def write(out, sheets: Iterable[Sheet], *, title: str = "", author: str = "") -> None:
    """The workbook, into the binary file `out`: a sheet at a time, a row at a time."""
    names = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number, sheet in enumerate(sheets, start=1):
            names.append(sheet.name)
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as raw:
                raw.write(_encoded(_sheet_xml_head(sheet, selected=number == 1)))
                batch = []
                for row in sheet.rows:
                    batch.append(row)
                    if len(batch) == 500:
                        raw.write(_encoded("".join(batch)))
                        batch = []
                raw.write(_encoded("".join(batch) + "</sheetData></worksheet>"))
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(names) + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
            'Target="docProps/core.xml"/></Relationships>',
        )
        archive.writestr(
            "docProps/core.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator></cp:coreProperties>",
        )
        sheet_list = "".join(
            f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(names, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheet_list}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(names) + 1)
        )
        styles_id = len(names) + 1
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}"
            f'<Relationship Id="rId{styles_id}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        archive.writestr("xl/styles.xml", _styles_xml())
