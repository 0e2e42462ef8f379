"""The board pack's own XLSX writer (`governance.xlsx`) and the PDF's cell wrapping: what they write
is read back as written (openpyxl reads the workbook as Excel would), whatever the text."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from reportlab.pdfbase.pdfmetrics import stringWidth

from governance import renderers, xlsx
from tests.helpers import fuzz


def written(cells_by_row: list[list[str]], **sheet) -> bytes:
    out = io.BytesIO()
    rows = [xlsx.row_xml(n, cells) for n, cells in enumerate(cells_by_row, start=1)]
    xlsx.write(out, [xlsx.Sheet(name=sheet.get("name", "Sheet"), widths=[12, 30], rows=rows, frozen_rows=1)])
    return out.getvalue()


def read_back(content: bytes):
    return load_workbook(io.BytesIO(content)).worksheets[0]


def test_column_letters_run_as_excel_names_them():
    assert [xlsx.column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_text_numbers_and_dates_come_back_as_written_with_their_formats():
    sheet = read_back(
        written(
            [
                [xlsx.text_cell("A1", "Budget", "title"), xlsx.text_cell("B1", "Bexley", "header")],
                [xlsx.number_cell("A2", Decimal("417000.00"), "money"), xlsx.date_cell("B2", dt.date(2022, 4, 4))],
                [xlsx.number_cell("A3", Decimal("1.5"), "sessions"), xlsx.date_cell("B3", dt.date(1900, 3, 1))],
            ]
        )
    )
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 30
    assert sheet["A1"].value == "Budget" and sheet["A1"].font.b and sheet["A1"].font.sz == 13
    assert sheet["B1"].font.b and sheet["B1"].fill.fgColor.rgb == "FFDCE6F1" and sheet["B1"].alignment.wrap_text
    assert sheet["A2"].value == 417000 and sheet["A2"].number_format == '"£"#,##0.00;[Red]-"£"#,##0.00'
    assert sheet["B2"].value == dt.datetime(2022, 4, 4) and sheet["B2"].number_format == "dd/mm/yyyy"
    assert sheet["A3"].value == 1.5 and sheet["A3"].number_format == "0.##"
    assert sheet["B3"].value == dt.datetime(1900, 3, 1)


def test_text_that_looks_like_a_formula_or_markup_stays_text():
    sheet = read_back(written([[xlsx.text_cell("A1", '=HYPERLINK("x")'), xlsx.text_cell("B1", "<b>&amp;</b>")]]))
    assert sheet["A1"].value == '=HYPERLINK("x")' and sheet["A1"].data_type == "s"
    assert sheet["B1"].value == "<b>&amp;</b>"


def test_what_xml_cannot_hold_is_written_as_excels_escapes_and_long_text_is_cut_to_excels_limit():
    content = written(
        [
            [xlsx.text_cell("A1", "bell\x07here"), xlsx.text_cell("B1", "_x0041_ as typed")],
            [xlsx.text_cell("A2", "x" * 40000)],
        ]
    )
    part = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "bell_x0007_here" in part  # Excel shows the character; XML 1.0 cannot hold it
    assert "_x005F_x0041_ as typed" in part  # so Excel shows "_x0041_", not "A"
    assert len(read_back(content)["A2"].value) == xlsx.MAX_CELL_CHARS


def test_sheet_names_with_xml_characters_are_escaped():
    assert read_back(written([[xlsx.text_cell("A1", "x")]], name="Roles & <mix>")).title == "Roles & <mix>"


@fuzz
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
        | st.sampled_from("\t\n "),
        max_size=200,
    ).filter(lambda text: "_x" not in text)
)
def test_any_text_comes_back_as_written(text):
    cells = [xlsx.text_cell("A1", text)] if text else []
    value = read_back(written([cells]))["A1"].value
    assert (value or "") == text


@fuzz
@given(st.text(alphabet=st.sampled_from("abcdefghWMiIl1 -_"), max_size=300), st.integers(min_value=20, max_value=300))
def test_a_pdf_cell_is_broken_into_lines_that_fit_its_width_keeping_every_letter(text, width):
    renderers._fonts()  # the PDF's font, as `render_pdf` registers it
    lines = renderers.wrapped(text, 8, width).split("\n")
    assert all(stringWidth(line, renderers.FONT, 8) <= width or len(line) == 1 for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())
