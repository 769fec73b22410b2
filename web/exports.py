"""Downloads people open in Excel: one workbook of named sheets, a Chinese file name that survives.

Every workbook the web app serves is written here, and no cell of it is ever a formula. Text people typed
(a course topic, a student's or a school's name) that starts with = + - @, a tab or a carriage return
(or a full-width ＝ ＋ － ＠) would be read by Excel, WPS or LibreOffice as a formula, when the file opens
or when someone edits the cell. Such text is written as a string cell with Excel's "quote prefix" (what
typing a leading apostrophe does): the cell shows exactly what was typed, stays text when edited, and
reads back unchanged; OWASP's alternative, a literal leading ' in the value, is right for CSV, which has
no cell types, but would show the apostrophe in a workbook and alter the data. Numbers (ints, floats)
are never text: a negative number stays a number.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="EEF1F4")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


@dataclass
class Sheet:
    title: str  # at most 31 characters, as Excel allows
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])
        _append(ws, sheet.header)
        for cell in ws[1]:
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
        for row in sheet.rows:
            _append(ws, row)
        ws.freeze_panes = "A2"
        for index, name in enumerate(sheet.header, start=1):
            width = max([len(str(name))] + [len(str(r[index - 1])) for r in sheet.rows[:200] if len(r) >= index])
            ws.column_dimensions[get_column_letter(index)].width = min(max(8, width * 2 + 2), 60)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append(ws: Worksheet, values: Sequence[Any]) -> None:
    """One row, its text cells inert (see the module's docstring)."""
    ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type, cell.quotePrefix = "s", True


def download(content: bytes, filename: str, media_type: str) -> Response:
    """An attachment whose UTF-8 name (RFC 5987) shows as Chinese in every current browser."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> Response:
    return download(workbook_bytes(sheets), filename, XLSX)
