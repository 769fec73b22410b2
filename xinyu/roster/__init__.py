"""Import of staff rosters, student lists and screening results (CSV in UTF-8 or GBK, or XLSX).

    result = import_file(engine, Path("staff.xlsx"))            # one transaction
    result = run_import(session, Path("scores.csv"), school="青岛第五十八中学")  # the caller's transaction

A file with any error raises RosterError listing every error (file, row, column, expected) and
writes nothing; importing the same file twice changes nothing the second time.
"""

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from xinyu.db import transaction
from xinyu.roster.bulk import audit, custom_plans
from xinyu.roster.columns import Kind, kind_of_headers, map_columns
from xinyu.roster.errors import RosterError, RowError
from xinyu.roster.result import Counts, ImportResult
from xinyu.roster.screening import import_screening
from xinyu.roster.staff import import_staff
from xinyu.roster.students import import_students
from xinyu.roster.tables import read_table
from xinyu.roster.within import Within, kept_within
from xinyu.settings import get_settings

__all__ = [
    "Counts",
    "ImportResult",
    "Kind",
    "RosterError",
    "RowError",
    "Within",
    "detect_kind",
    "import_file",
    "run_import",
]

log = logging.getLogger(__name__)


def detect_kind(path: Path | str) -> Kind:
    """Which of the three files this is, from its headers; RosterError when none fits."""
    table = read_table(Path(path))
    kind = kind_of_headers(table.headers)
    if kind is None:
        map_columns(table)  # raises the error that names the file and what its headers should be
        raise AssertionError("unreachable")
    return kind


def run_import(
    session: Session,
    path: Path | str,
    *,
    school: str | None = None,
    pack: str | None = None,
    now: datetime | None = None,
    within: Within | None = None,
    actor_id: int | None = None,
) -> ImportResult:
    """Validate the whole file, then write it and one audit row through `session`; never commits.

    `within`: the one school (or district) the file may name (an upload from the web)."""
    settings = get_settings()
    table = read_table(Path(path))
    columns = map_columns(table)
    with kept_within(within, table, columns), custom_plans(session):
        if columns.kind is Kind.staff:
            result = import_staff(
                session, table, columns, pack=pack, default_pack=settings.default_pack,
            )
        elif columns.kind is Kind.students:
            result = import_students(session, table, columns)
        else:
            result = import_screening(session, table, columns, school=school, now=now)
        audit(session, result, at=now, actor_id=actor_id)
    log.info("导入 %s", result.summary())
    return result


def import_file(
    engine: Engine,
    path: Path | str,
    *,
    school: str | None = None,
    pack: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """run_import in a transaction of its own: all of the file or nothing."""
    with transaction(engine) as session:
        return run_import(session, path, school=school, pack=pack, now=now)
