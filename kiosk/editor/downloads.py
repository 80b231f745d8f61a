"""Files the editor's pages hand out: CSV that Excel opens with the Chinese intact, and a download response."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(cell):
    """Text that Excel would run as a formula (a visitor's search for =HYPERLINK(…)) gets a leading ' and stays text."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell


def excel_csv(header: list[str], rows: Iterable[Iterable]) -> str:
    """CSV with a byte-order mark (Excel reads UTF-8 only with one), formula-like cells made inert."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([inert(cell) for cell in row])
    return out.getvalue()


def download(body: bytes | str, mimetype: str, filename: str) -> Response:
    """A file to save, its Chinese name intact (RFC 5987)."""
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}
    )
