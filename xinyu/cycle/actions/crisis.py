"""Crisis fast path (GZ-5.2): completing the same-day task records that the parents were informed."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models import CrisisCase, Task
from xinyu.clock import SHANGHAI
from xinyu.cycle.evidence import EvidenceError


def record_parents_informed(session: Session, *, task: Task, evidence: dict[str, Any], now: datetime,
                            **_: Any) -> None:
    case = session.get(CrisisCase, task.crisis_case_id) if task.crisis_case_id else None
    if case is None:
        return
    case.parents_informed_at = case.parents_informed_at or informed_at(evidence.get("informed_at"), now)
    case.updated_at = now


def informed_at(text: Any, now: datetime) -> datetime:
    """The time the handler says the parents were told (Asia/Shanghai); not in the future."""
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("/", "-"))
    except ValueError:
        raise EvidenceError(f"“通报时间”应为 YYYY-MM-DD HH:MM，实为 {text!r}") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    if moment > now:
        raise EvidenceError(f"“通报时间” {text} 晚于现在")
    return moment
