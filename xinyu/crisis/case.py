"""What every write of a crisis case shares: who may write it, its kept fields, its history and audit rows.

Every change writes `xinyu.history.record_change(kind="ledger_c")` and an AuditEntry (ids and field names,
never a name) in the caller's transaction.
"""

from datetime import datetime

from sqlmodel import Session

from models import AuditEntry, CrisisCase
from xinyu.access import Viewer
from xinyu.crisis.access import may_read_case
from xinyu.crisis.history import CASE_FIELDS, FIELD_LABELS, HISTORY_KIND, case_snapshot
from xinyu.cycle.packbook import PackBook
from xinyu.history import Snapshot, record_change


class CrisisCaseError(ValueError):
    """A change to a case that is refused; nothing was written."""


def case_code(case: CrisisCase) -> str:
    return f"C-{case.id}"


def writable_case(session: Session, viewer: Viewer, case_id: int, book: PackBook | None = None) -> CrisisCase:
    """The case, for its handler or a ledger C reader of its school; others are refused (by name, not 404:
    the CLI names the person, the web answers 404 before it gets here)."""
    case = session.get(CrisisCase, case_id, with_for_update=True)
    if case is None:
        raise CrisisCaseError(f"没有危机个案 C-{case_id}")
    if not may_read_case(session, viewer, case, book):
        raise CrisisCaseError(f"{viewer.name}不是个案 C-{case_id} 的处置负责人，也无权查看本校C台账")
    return case


def write_case(session: Session, case: CrisisCase, *, viewer: Viewer, now: datetime, action: str,
               before: Snapshot | None, after: Snapshot, audit: str) -> None:
    """The case's history row and audit row, with the case's updated_at."""
    assert case.id is not None
    case.updated_at = now
    session.add(case)
    record_change(session, kind=HISTORY_KIND, record_id=case.id, school_id=case.school_id, by=viewer.person_id,
                  now=now, action=action, before=before, after=after)
    session.add(AuditEntry(at=now, actor_id=viewer.person_id, action="update_crisis", target=f"crisis:{case.id}",
                           detail=f"case={case.id} school={case.school_id} {audit}"))


__all__ = ["CASE_FIELDS", "FIELD_LABELS", "HISTORY_KIND", "CrisisCaseError", "case_code", "case_snapshot",
           "writable_case", "write_case"]
