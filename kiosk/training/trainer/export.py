"""The trainer's tables as files for the street office: an Excel workbook (one sheet per table, a frozen header
row, columns as wide as their contents, times as Excel times, numbers as numbers) or a CSV that Excel opens with
the Chinese intact, like the editor's statistics exports."""

from __future__ import annotations

import io
import unicodedata

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ...editor.downloads import excel_csv
from ..durations import EXCEL_FORMAT, excel_days
from .tables import Table, cell_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {
    "datetime": "yyyy-mm-dd hh:mm",
    "date": "yyyy-mm-dd",
    "duration": EXCEL_FORMAT,
    "percent": "0.0",
    "int": "0",
}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F3E9DC")  # the editor's --soft
SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", ""))
MIN_WIDTH = 8
WIDTH_SAMPLE = 1000  # rows measured for a column's width; a long list is as wide as its first thousand rows


def workbook(tables: list[Table], base_url: str = "") -> bytes:
    """An .xlsx with one sheet per table, named by its title; links to this server get ``base_url`` in front."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(sheet_name(table.title))
        for number, column in enumerate(table.columns, 1):
            cell = sheet.cell(1, number, column.title)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(vertical="center")
        for row_number, row in enumerate(table.rows, 2):
            for number, (column, value) in enumerate(zip(table.columns, row.values, strict=True), 1):
                _write(sheet.cell(row_number, number), column.kind, value, base_url)
        for number, column in enumerate(table.columns, 1):
            sample = table.rows[:WIDTH_SAMPLE]
            texts = [column.title, *(cell_text(column.kind, row.values[number - 1]) for row in sample)]
            width = max(MIN_WIDTH, max(display_width(text) for text in texts) + 2)
            sheet.column_dimensions[get_column_letter(number)].width = min(width, column.max_width)
        sheet.freeze_panes = "A2"
        if table.rows:
            sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(cell, kind: str, value, base_url: str) -> None:
    if value is None:
        return
    if kind == "link":
        _text(cell, value.text)
        cell.hyperlink = base_url + value.url if value.url.startswith("/") else value.url
        cell.style = "Hyperlink"
    elif isinstance(value, str):
        _text(cell, value)
    else:
        cell.value = excel_days(value) if kind == "duration" else value
        if kind in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[kind]


def _text(cell, text: str) -> None:
    """Text stays text: a learner named "=1+1" is not a formula, and characters Excel cannot hold are dropped."""
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.data_type = "s"


def sheet_name(title: str) -> str:
    """A title as Excel allows a sheet's name: without []:*?/\\ and at most 31 characters."""
    return title.translate(SHEET_FORBIDDEN)[:31] or "Sheet"


def display_width(text: str) -> int:
    """Columns a text takes in Excel: two for each Chinese character, one for others."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def csv_text(table: Table) -> str:
    """A table as CSV with a byte-order mark (Excel reads UTF-8 only with one) and the page's own cell texts;
    cells Excel would run as formulas are made inert the way the statistics exports do it."""
    return excel_csv(
        [column.title for column in table.columns],
        (
            [cell_text(column.kind, value) for column, value in zip(table.columns, row.values, strict=True)]
            for row in table.rows
        ),
    )
