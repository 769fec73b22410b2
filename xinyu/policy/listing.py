"""`xinyu pack list`: every stored version, who installed it, and which schools and open cycles use it."""

from collections import Counter
from typing import Any

from sqlmodel import Session, col, select

from models import Cycle, PackVersion, School
from xinyu.clock import as_local
from xinyu.cycle.states import CycleStatus


def pack_rows(session: Session) -> list[dict[str, Any]]:
    """One row per stored version. schools: for the newest version, the schools given that pack (their next month
    opens on it); for an older one, the schools with an open cycle on it. open_cycles: open cycles on that version."""
    versions = list(session.exec(select(PackVersion).order_by(col(PackVersion.pack_id), col(PackVersion.version))))
    newest = {v.pack_id: v.version for v in versions}
    assigned = Counter(session.exec(select(School.pack)))
    open_cycles: Counter[tuple[str, str]] = Counter()
    open_schools: dict[tuple[str, str], set[int]] = {}
    for pack, version, school_id in session.exec(select(Cycle.pack, Cycle.pack_version, Cycle.school_id)
                                                 .where(Cycle.status == CycleStatus.open)):
        open_cycles[(pack, version)] += 1
        open_schools.setdefault((pack, version), set()).add(school_id)
    rows = []
    for v in versions:
        key = (v.pack_id, str(v.version))
        schools = assigned[v.pack_id] if v.version == newest[v.pack_id] else len(open_schools.get(key, ()))
        rows.append({"id": v.pack_id, "version": v.version, "label": v.label,
                     "installed_at": as_local(v.installed_at).isoformat(timespec="seconds"),
                     "installed_by": v.installed_by, "content_hash": v.content_hash, "schools": schools,
                     "open_cycles": open_cycles[key]})
    return rows
