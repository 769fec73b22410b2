"""A finding closes when its rectification task (or the task it was carried into) is done with its evidence."""

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from models import InspectionFinding, Task
from xinyu.cycle.states import TaskStatus
from xinyu.history import record_change


def close_findings_for_done(session: Session, tasks: Iterable[Task], now: datetime) -> int:
    done = {t.lineage_id or t.id: t for t in tasks if t.status == TaskStatus.done and t.kind == "inspection"}
    if not done:
        return 0
    findings = list(session.exec(select(InspectionFinding).where(col(InspectionFinding.task_id).in_(list(done)),
                                                                 InspectionFinding.status == "open")))
    for finding in findings:
        task = done[finding.task_id]
        finding.status, finding.closed_at = "closed", now
        record_change(session, kind="inspection", record_id=finding.id or 0, school_id=finding.school_id,
                      by=task.completed_by_id, now=now, action="closed", before={"status": "open"},
                      after={"status": "closed", "closed_by_task": task.id})
    return len(findings)
