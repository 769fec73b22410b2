"""Crisis fast path (GZ-5.2): completing the same-day task records that the parents were informed.

The case keeps the time in its own fields and in its dated log (a 家长通报 entry, JL-6), with a history row
(kind ledger_c); when the log itself completed the task (xinyu.crisis.log), the entry is already there.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from models import CrisisAction, CrisisCase, Task
from xinyu.clock import SHANGHAI, as_local
from xinyu.crisis.history import HISTORY_KIND, case_snapshot
from xinyu.cycle.evidence import EvidenceError
from xinyu.history import record_change

if TYPE_CHECKING:
    from xinyu.cycle.actions.facts import BatchFacts


def record_parents_informed(session: Session, *, task: Task, evidence: dict[str, Any], now: datetime,
                            facts: "BatchFacts | None" = None, **_: Any) -> None:
    case = session.get(CrisisCase, task.crisis_case_id) if task.crisis_case_id else None
    if case is None or case.id is None:
        return
    if case.parents_informed_at is not None:  # already recorded (by the log): nothing new to keep
        return
    before = case_snapshot(case, action=None)
    moment = informed_at(evidence.get("informed_at"), now)
    case.parents_informed_at = moment
    case.updated_at = now
    if facts is not None:  # ledger C's counts of the school, if read already in this batch, are read again
        facts.ledger_changed("C", case.school_id)
    method = evidence.get("method") if evidence.get("method") in ("面谈", "电话", "微信") else None
    session.add(CrisisAction(case_id=case.id, school_id=case.school_id, kind="家长通报", at=moment,
                             by_id=task.completed_by_id, note=str(evidence.get("note") or "")[:2000], method=method,
                             created_at=now))
    session.add(case)
    record_change(session, kind=HISTORY_KIND, record_id=case.id, school_id=case.school_id, by=task.completed_by_id,
                  now=now, action="updated", before=before,
                  after=case_snapshot(case, action=f"家长通报（{as_local(moment):%Y-%m-%d %H:%M}）"))


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
