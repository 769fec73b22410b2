"""Ledger A from the web (QD-3): a screening results file uploaded on the ledger A page.

The same checks and the same error table as `xinyu import` (xinyu.roster): every wrong row is named by file,
row and column, and a file with any error writes nothing. The page's school is the only school the file may
fill: a 学校 column naming another school is an error of that row.
"""

import tempfile
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from models import District, School
from xinyu.roster.bulk import audit
from xinyu.roster.columns import Kind, map_columns
from xinyu.roster.errors import RosterError, RowError
from xinyu.roster.result import ImportResult
from xinyu.roster.screening import import_screening
from xinyu.roster.tables import cell_text, read_table

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")


def import_screening_upload(session: Session, *, school: School, filename: str, data: bytes,
                            now: datetime) -> ImportResult:
    """Validate the whole file, then write it and one audit row through `session` (the caller commits)."""
    name = Path(filename.replace("\\", "/")).name or "上传文件"
    if Path(name).suffix.lower() not in SUFFIXES:
        raise RosterError([RowError(name, 0, "文件", name, "应为 .csv 或 .xlsx 文件（测评机构导出的结果表）")])
    if not data:
        raise RosterError([RowError(name, 0, "文件", "", "是空文件")])
    if len(data) > MAX_BYTES:
        raise RosterError([RowError(name, 0, "文件", f"{len(data) // 1024} KB",
                                    f"超过 {MAX_BYTES // 1024 // 1024} MB（请分批导入）")])
    with tempfile.TemporaryDirectory(prefix="xinyu-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        table = read_table(path)
        columns = map_columns(table)
        if columns.kind is not Kind.screening:
            raise RosterError([RowError(name, 1, "表头", "", f"是{columns.kind.label}文件，不是测评结果文件"
                                        "（应含 学号、测评日期、量表、总分、预警等级 列）")])
        if "school" in columns.index:
            errors = columns.errors()
            for number, cells in columns.records(table):
                named = cell_text(cells.get("school"))
                if named and named != school.name:
                    errors.add(number, "school", named, f"不是本校（本页面只能导入“{school.name}”的测评结果）")
            errors.raise_if_any()
        district = session.get(District, school.district_id)
        option = f"{district.name}/{school.name}" if district else school.name
        result = import_screening(session, table, columns, school=option, now=now)
    audit(session, result, at=now)
    return result
