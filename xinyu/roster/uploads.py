"""Rosters uploaded on the web: checked as files, kept in the database between preview and confirmation.

The app runs with several worker processes: the confirmation may reach another process than the preview,
so the file waits in the table `roster_upload` (never in memory or /tmp). Uploads older than KEEP are
removed whenever a new one is kept; one is confirmed within CONFIRM_WITHIN, and applied once at most.
"""

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session, col

from models import RosterUpload
from xinyu.roster.errors import RosterError, RowError

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")
CONFIRM_WITHIN = timedelta(hours=2)
KEEP = timedelta(days=1)


def checked_name(filename: str, data: bytes) -> str:
    """The file's own name (no folders), once its kind and size are acceptable; RosterError otherwise."""
    name = Path(filename.replace("\\", "/")).name[:200] or "上传文件"
    if Path(name).suffix.lower() not in SUFFIXES:
        raise RosterError([RowError(name, 0, "文件", name, "应为 .csv（UTF-8 或 GBK）或 .xlsx 文件")])
    if not data:
        raise RosterError([RowError(name, 0, "文件", "", "是空文件（请选择名册文件）")])
    if len(data) > MAX_BYTES:
        raise RosterError([RowError(name, 0, "文件", f"超过 {MAX_BYTES // 1024 // 1024} MB",
                                    f"过大（上限 {MAX_BYTES // 1024 // 1024} MB；请分校或分批上传）")])
    return name


@contextmanager
def as_file(name: str, data: bytes) -> Iterator[Path]:
    """The bytes as a file of that name for the importer, only while it reads them (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="xinyu-roster-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def keep_upload(session: Session, *, person_id: int, district_id: int, school_id: int | None, name: str,
                data: bytes, now: datetime) -> RosterUpload:
    """Store the file for its confirmation (the caller commits); older uploads are removed first."""
    session.execute(delete(RosterUpload).where(col(RosterUpload.created_at) < now - KEEP))
    upload = RosterUpload(person_id=person_id, district_id=district_id, school_id=school_id, filename=name,
                          content=data, sha256=hashlib.sha256(data).hexdigest(), created_at=now)
    session.add(upload)
    session.flush()
    return upload


def confirmable(upload: RosterUpload, now: datetime) -> str | None:
    """Why this upload can no longer be confirmed, or None."""
    if upload.applied_at is not None:
        return "该名册已经替换过（同一次上传只能确认一次）；如需再次替换，请重新上传"
    if upload.created_at is None or upload.created_at < now - CONFIRM_WITHIN:
        hours = int(CONFIRM_WITHIN.total_seconds() // 3600)
        return f"预览已过期（须在 {hours} 小时内确认），请重新上传名册"
    if hashlib.sha256(upload.content).hexdigest() != upload.sha256:
        return "保存的名册文件已损坏，请重新上传"
    return None
