"""Downloads people open in Excel: one workbook of named sheets, a Chinese file name that survives."""

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="EEF1F4")


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
        ws.append(list(sheet.header))
        for cell in ws[1]:
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
        for row in sheet.rows:
            ws.append(list(row))
        ws.freeze_panes = "A2"
        for index, name in enumerate(sheet.header, start=1):
            width = max([len(str(name))] + [len(str(r[index - 1])) for r in sheet.rows[:200] if len(r) >= index])
            ws.column_dimensions[get_column_letter(index)].width = min(max(8, width * 2 + 2), 60)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(content: bytes, filename: str, media_type: str) -> Response:
    """An attachment whose UTF-8 name (RFC 5987) shows as Chinese in every current browser."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> Response:
    return download(workbook_bytes(sheets), filename, XLSX)
