"""Crisis fast path (GZ-5.2): completing the same-day task records that the parents were informed."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models import CrisisCase, Task


def record_parents_informed(session: Session, *, task: Task, evidence: dict[str, Any], now: datetime,
                            **_: Any) -> None:
    case = session.get(CrisisCase, task.crisis_case_id) if task.crisis_case_id else None
    if case is None:
        return
    case.parents_informed_at = case.parents_informed_at or now
    case.updated_at = now
