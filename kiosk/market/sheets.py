"""The company file as a spreadsheet: importing an .xlsx or .csv row by row (every row accepted or rejected with
its row number and the reason, never skipped in silence) and exporting the file in the same columns, so an export
imports again unchanged."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook

from indexer.errors import KioskError

from ..editor.downloads import FORMULA_START
from ..training.trainer.tables import Column, Row, Table
from .companies import FIELDS, LABELS, Company, CompanyError, checked
from .database import MarketDB

IN_MARKET, SCORE = "入驻物业超市", "最近综合得分"  # in the export for reading; an import leaves them alone
READ_ONLY = (IN_MARKET, SCORE)
MAX_ROWS = 2000
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
KINDS = ("xlsx", "csv")
BY_LABEL = {label: key for key, label in LABELS.items()}


class SheetError(KioskError):
    """The file as a whole cannot be read (not a spreadsheet, no header row, a column no one knows); the message
    says what to do, in Chinese."""


@dataclass
class Report:
    """What an import did: the rows accepted (row number, company, 新增 or 更新 or 无变化) and rejected (row number,
    reason)."""

    accepted: list[tuple[int, str, str]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as a person reads it, one line a row, rejected rows first."""
        return [f"第 {number} 行：未导入，{reason}" for number, reason in self.rejected] + [
            f"第 {number} 行：{action}「{name}」" for number, name, action in self.accepted
        ]


def kind_of(filename: str) -> str:
    """xlsx or csv from a file's name; SheetError for another."""
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind not in KINDS:
        raise SheetError(f"「{filename[:60]}」不是 .xlsx 或 .csv 文件：请用 Excel 另存为其中一种再导入")
    return kind


def read_rows(body: bytes, kind: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a spreadsheet as (row number, {field key: text}); the header row is row 1."""
    table = _xlsx_table(body) if kind == "xlsx" else _csv_table(body)
    if not table or not any(cell.strip() for cell in table[0][1]):
        raise SheetError("文件是空的：第一行应当是列名（企业名称、备案号……）")
    header = [cell.strip() for cell in table[0][1]]
    unknown = [title for title in header if title and title not in BY_LABEL and title not in READ_ONLY]
    if unknown:
        raise SheetError(f"不认识的列「{_printable(unknown[0])[:30]}」：列名应当是 {'、'.join(LABELS.values())}")
    missing = [LABELS[key] for key in ("name", "registration") if LABELS[key] not in header]
    if missing:
        raise SheetError(f"缺少「{missing[0]}」这一列")
    if len(table) - 1 > MAX_ROWS:
        raise SheetError(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件")
    rows = []
    for number, cells in table[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line between blocks of rows is not a row
        values = {BY_LABEL[title]: cell for title, cell in zip(header, cells, strict=False) if title in BY_LABEL}
        rows.append((number, values))
    return rows


def _printable(text: str) -> str:
    return "".join(char for char in text if char.isprintable())


def _csv_table(body: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = body.decode("gb18030")  # Excel on a Chinese Windows saves CSV this way
        except UnicodeDecodeError:
            raise SheetError("CSV 文件的编码认不出：请在 Excel 里另存为「CSV UTF-8」") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SheetError(f"CSV 文件的格式不对（{exc}）：请在 Excel 里另存为「CSV UTF-8」") from None
    return [(number, [_uninert(cell) for cell in record]) for number, record in enumerate(records, 1)]


def _uninert(cell: str) -> str:
    """A cell the export made inert ('=…) as it was."""
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1] in "".join(FORMULA_START) else cell


def _xlsx_table(body: bytes) -> list[tuple[int, list[str]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            if sum(part.file_size for part in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise SheetError("Excel 文件解压后太大：请只保留企业档案这一张表")
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except SheetError:
        raise
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds for a file that is not a workbook)
        raise SheetError("这不是能打开的 Excel 文件（.xlsx）：请用 Excel 另存为 .xlsx 或 CSV 再导入") from None
    try:
        sheet = book.worksheets[0]
        table = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            if number > MAX_ROWS + 1:
                table.append((number, ["…"]))
                break
            table.append((number, [_cell(value) for value in row]))
        return table
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a registration number Excel took for a number
    return str(value)


def import_rows(db: MarketDB, rows: list[tuple[int, dict[str, str]]], actor: str, at: float) -> Report:
    """Add or update (matched by 备案号) each row that passes the checks; report every row either way."""
    report = Report()
    seen: dict[str, int] = {}
    for number, values in rows:
        try:
            company = checked(values)
            if company.registration in seen:
                raise CompanyError(f"备案号「{company.registration}」和第 {seen[company.registration]} 行重复")
            stored = db.by_registration(company.registration)
            holder = db.by_name(company.name)
            if holder is not None and (stored is None or holder.id != stored.id):
                raise CompanyError(f"企业名称「{company.name}」已经用在备案号「{holder.registration}」上")
        except CompanyError as exc:
            report.rejected.append((number, str(exc)))
            continue
        seen[company.registration] = number
        if stored is None:
            db.save(company, actor, "import", at)
            report.accepted.append((number, company.name, "新增"))
        else:
            _, note = db.save(Company(**{**company.__dict__, "id": stored.id}), actor, "import", at)
            report.accepted.append((number, company.name, "更新" if note else "无变化"))
    return report


def import_file(db: MarketDB, body: bytes, filename: str, actor: str, at: float) -> Report:
    """Import a spreadsheet by its name's kind; SheetError when the file as a whole cannot be read."""
    return import_rows(db, read_rows(body, kind_of(filename)), actor, at)


def export_table(companies: list[Company], scores: dict[int, float | None]) -> Table:
    """The file in the import's columns, and whether each is in the market and its latest combined score."""
    columns = (*(Column(item.label, max_width=60) for item in FIELDS), Column(IN_MARKET), Column(SCORE))
    rows = []
    for company in companies:
        texts = company.texts()
        score = scores.get(company.id)
        extra = ("是" if company.in_market else "否", "" if score is None else f"{score:g}")
        rows.append(Row(tuple(texts[item.key] for item in FIELDS) + extra))
    return Table("market", "物业企业档案", columns, rows, empty="还没有企业。")
