"""The desk's monthly report as a file for the street office and the centre (Excel or CSV, through the trainer's
table writers): one row per request registered that month. Names and phones only when an admin asks for them."""

from __future__ import annotations

import datetime as dt

from ..training.trainer.export import csv_text, workbook
from ..training.trainer.tables import Column, Row, Table, local_time
from .database import Request
from .states import KIND_NAMES, LEVEL_NAMES, STATUS_NAMES

COLUMNS = (
    Column("受理号", max_width=10),
    Column("类型"),
    Column("类别"),
    Column("社区"),
    Column("乡镇/街道"),
    Column("物业公司"),
    Column("现在所在"),
    Column("状态"),
    Column("登记时间", "datetime"),
    Column("期限", "datetime"),
    Column("答复时间", "datetime"),
    Column("评价"),
    Column("重大问题会诊"),
    Column("重新办理"),
)
CONTACT_COLUMNS = (Column("姓名"), Column("电话"))


def month_span(month: str) -> tuple[float, float]:
    """The first moment of a month (YYYY-MM, local time) and of the next; ValueError for another text."""
    start = dt.datetime.strptime(month, "%Y-%m")
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start.timestamp(), following.timestamp()


def monthly_table(requests: list[Request], month: str, with_contacts: bool) -> Table:
    """The month's requests, oldest first, without names and phones unless ``with_contacts``."""
    rows = []
    for found in sorted(requests, key=lambda r: r.created):
        values = (
            found.number,
            KIND_NAMES[found.kind],
            found.category,
            found.community,
            found.town,
            found.company,
            LEVEL_NAMES[found.level],
            STATUS_NAMES[found.status],
            local_time(found.created),
            local_time(found.due),
            local_time(found.answered),
            found.rating,
            "是" if found.joint else "",
            "是" if found.reopened else "",
        )
        rows.append(Row(values + ((found.name, found.phone) if with_contacts else ())))
    columns = COLUMNS + (CONTACT_COLUMNS if with_contacts else ())
    return Table("desk", f"{month} 咨询和调处", columns, rows, empty="这个月没有登记。")


def as_file(table: Table, kind: str) -> bytes:
    """The table as .xlsx or .csv bytes."""
    return workbook([table]) if kind == "xlsx" else csv_text(table).encode("utf-8")
