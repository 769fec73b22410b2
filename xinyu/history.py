"""A kept record's versions (models/history.py): write one with every change, read them back.

Every write to a ledger entry, a crisis case, a task's evidence or the meeting's minutes calls `record_change`
in the same transaction as the change. `snapshot` turns a row's fields into JSON-safe values (dates as ISO
text), so the history shows the old value exactly as it was. The leader reads it (`revisions`); the history
never leaves the school (no mail, no district view).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models import Person, RecordRevision

Snapshot = dict[str, Any]


def snapshot(row: Any, fields: Iterable[str]) -> Snapshot:
    """The named fields of a row (or a dict) as JSON-safe values."""
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    return {name: _plain(get(name)) for name in fields}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def record_change(session: Session, *, kind: str, record_id: int, school_id: int, by: int | None, now: datetime,
                  action: str, before: Snapshot | None, after: Snapshot | None) -> RecordRevision | None:
    """One version; nothing when an update changed no field (before == after)."""
    if action == "updated" and before == after:
        return None
    revision = RecordRevision(kind=kind, record_id=record_id, school_id=school_id, at=now, by_id=by, action=action,
                              before=before, after=after)
    session.add(revision)
    return revision


@dataclass(frozen=True)
class Revision:
    at: datetime | None
    by: str | None
    action: str
    changed: list[tuple[str, Any, Any]]  # (field, old, new): only the fields that differ


def revisions(session: Session, *, kind: str, record_id: int) -> list[Revision]:
    """The record's versions, oldest first, with the fields each one changed."""
    rows = session.exec(
        select(RecordRevision, Person.name).join(Person, col(Person.id) == col(RecordRevision.by_id), isouter=True)
        .where(RecordRevision.kind == kind, RecordRevision.record_id == record_id)
        .order_by(col(RecordRevision.at), col(RecordRevision.id))
    ).all()
    out = []
    for revision, name in rows:
        before, after = revision.before or {}, revision.after or {}
        names = list(dict.fromkeys([*before, *after]))
        out.append(Revision(at=revision.at, by=name, action=revision.action,
                            changed=[(n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)]))
    return out
