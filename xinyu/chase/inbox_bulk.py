"""Several inbox items at once (签收 or 督办): one transaction, one notice per school, safe to retry.

Items already acknowledged (for 签收) or already under a notice (for 督办) are skipped, not refused: a
retried request changes nothing and sends nothing. Resolved items are skipped too. An id that is not
in the officer's districts refuses the whole request (nothing written).
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from models import AuditEntry, Escalation, RoleAssignment
from xinyu.chase.inbox import InboxError, notice_text, school_notice
from xinyu.cycle.packbook import PackBook
from xinyu.roles import Role

MAX_ITEMS = 500


class NotTheOfficers(InboxError):
    """An id that does not exist or is outside the officer's districts: the whole request is refused."""
  # a page shows 100; a CLI call may name more, but not without limit


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)  # items this request changed
    skipped: dict[int, str] = field(default_factory=dict)  # item → why nothing was done (resolved, already)
    notices: dict[int, int] = field(default_factory=dict)  # school → the notice task issued now

    def counts(self) -> dict[str, int]:
        return {"done": len(self.done), "skipped": len(self.skipped), "notices": len(self.notices)}


def officer_items(session: Session, ids: list[int], by: int, *, district_ids: frozenset[int] | None = None
                  ) -> list[Escalation]:
    """The items, locked, in id order; refused unless every one is in a district `by` is an officer of."""
    wanted = sorted(set(ids))
    if not wanted:
        raise InboxError("请至少选择一项")
    if len(wanted) > MAX_ITEMS:
        raise InboxError(f"一次最多处理 {MAX_ITEMS} 项")
    items = list(session.exec(select(Escalation).where(col(Escalation.id).in_(wanted))
                              .order_by(col(Escalation.id)).with_for_update()))
    missing = sorted(set(wanted) - {i.id for i in items})
    if missing:
        raise NotTheOfficers(f"督办箱中没有第 {missing[0]} 项")
    officer_of = set(session.exec(select(RoleAssignment.district_id).where(
        RoleAssignment.person_id == by, RoleAssignment.role == Role.district_officer)))
    if district_ids is not None:
        officer_of &= set(district_ids)
    if any(i.district_id not in officer_of for i in items):
        raise NotTheOfficers("只有本区县负责人可以处理督办箱事项")
    return items


def _audit(session: Session, *, action: str, by: int, now: datetime, result: BulkResult) -> None:
    detail = {"ids": result.done, "skipped": sorted(result.skipped), **result.counts()}
    if result.notices:
        detail["notice_tasks"] = sorted(result.notices.values())
    session.add(AuditEntry(at=now, actor_id=by, action=action, target=f"escalations:{len(result.done)}",
                           detail=json.dumps(detail)[:2000]))


def acknowledge_many(session: Session, ids: list[int], *, by: int, now: datetime,
                     district_ids: frozenset[int] | None = None) -> BulkResult:
    """签收 each new item; acknowledged and resolved ones are left as they are."""
    result = BulkResult()
    for item in officer_items(session, ids, by, district_ids=district_ids):
        assert item.id is not None
        if item.status == "new":
            item.status, item.acknowledged_at, item.acknowledged_by_id = "acknowledged", now, by
            result.done.append(item.id)
        else:
            result.skipped[item.id] = item.status
    _audit(session, action="inbox_ack", by=by, now=now, result=result)
    return result


def notice_many(session: Session, ids: list[int], *, by: int, workdays: int, text: str, now: datetime,
                book: PackBook, district_ids: frozenset[int] | None = None) -> BulkResult:
    """督办 the items: one notice task and one message per school for its items not yet under a notice."""
    text = notice_text(workdays, text)
    result = BulkResult()
    by_school: dict[int, list[Escalation]] = defaultdict(list)
    for item in officer_items(session, ids, by, district_ids=district_ids):
        assert item.id is not None
        if item.status == "resolved":
            result.skipped[item.id] = "resolved"
        elif item.notice_task_id is not None:
            result.skipped[item.id] = "noticed"
        else:
            by_school[item.school_id].append(item)
    for school_id, items in sorted(by_school.items()):
        task = school_notice(session, items, by=by, workdays=workdays, text=text, now=now, book=book)
        assert task.id is not None
        result.notices[school_id] = task.id
        result.done.extend(i.id for i in items if i.id is not None)
    _audit(session, action="inbox_notice", by=by, now=now, result=result)
    return result
