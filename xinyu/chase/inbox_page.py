"""One page of a district officer's inbox (QD-S2): the items, the counts by status, the schools to filter by.

A fixed handful of queries per page however many items there are: the items (one joined query), their
carried chains (one), the counts by status (one) and the district's schools (one).
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import School
from xinyu.access import AccessDenied
from xinyu.chase.inbox import INBOX_STATUSES, InboxFilter, InboxItem, count_escalations, inbox_items
from xinyu.cycle.packbook import PackBook

PAGE_SIZE = 100
# What the status tabs show: `open` (new or acknowledged) is where an officer's work is.
STATUS_VIEWS: dict[str, tuple[str, ...]] = {
    "open": ("new", "acknowledged"), "new": ("new",), "acknowledged": ("acknowledged",),
    "resolved": ("resolved",), "all": INBOX_STATUSES,
}
STATUS_LABELS = {"new": "待处理", "acknowledged": "已签收", "resolved": "已办结"}
VIEW_LABELS = {"open": "未办结", "new": "待处理", "acknowledged": "已签收", "resolved": "已办结", "all": "全部"}
REASON_LABELS = {"overdue": "逾期", "crisis": "危机个案"}


@dataclass(frozen=True)
class SchoolRef:
    id: int
    name: str


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int  # items matching the filters, over all pages
    page: int
    pages: int
    page_size: int
    counts: dict[str, int]  # by status, under the other filters
    schools: list[SchoolRef]  # the officer's schools, for the filter


def district_schools(session: Session, district_ids: frozenset[int]) -> list[SchoolRef]:
    rows = session.exec(select(School.id, School.name).where(col(School.district_id).in_(sorted(district_ids)))
                        .order_by(col(School.name), col(School.id)))
    return [SchoolRef(id=i, name=n) for i, n in rows if i is not None]


def inbox_page(
    session: Session, *, district_ids: frozenset[int], today: date, book: PackBook, status: str = "open",
    school_id: int | None = None, level: str | None = None, reason: str | None = None, order: str = "overdue",
    page: int = 1, page_size: int = PAGE_SIZE,
) -> InboxPage:
    """The officer's districts' items; a school outside them is refused as if it did not exist."""
    if not district_ids:
        raise AccessDenied("not a district officer")
    schools = district_schools(session, district_ids)
    if school_id is not None and school_id not in {s.id for s in schools}:
        raise AccessDenied(f"school {school_id}")
    where = InboxFilter(district_ids=district_ids, statuses=STATUS_VIEWS[status], school_id=school_id,
                        level=level, reason=reason)
    counts = count_escalations(session, where)
    total = sum(counts[s] for s in where.statuses)
    pages = max(1, -(-total // page_size))
    items = inbox_items(session, today=today, book=book, where=where, order=order, limit=page_size,
                        offset=(page - 1) * page_size) if total else []
    return InboxPage(items=items, total=total, page=page, pages=pages, page_size=page_size, counts=counts,
                     schools=schools)


def officer_item(session: Session, *, district_ids: frozenset[int], escalation_id: int, today: date,
                 book: PackBook) -> InboxItem:
    """One item of the officer's districts; any other id is refused as if it did not exist."""
    found = inbox_items(session, today=today, book=book,
                        where=InboxFilter(district_ids=district_ids, ids=(escalation_id,))) if district_ids else []
    if not found:
        raise AccessDenied(f"escalation {escalation_id}")
    return found[0]


@dataclass(frozen=True)
class StepGroup:
    step: str
    step_label: str
    items: list[InboxItem]


@dataclass(frozen=True)
class SchoolGroup:
    """One school's items on the page, by step; counts for the group's heading."""

    school_id: int
    school: str
    steps: list[StepGroup]

    @property
    def items(self) -> list[InboxItem]:
        return [i for s in self.steps for i in s.items]

    @property
    def count(self) -> int:
        return sum(len(s.items) for s in self.steps)

    @property
    def count_new(self) -> int:
        return sum(1 for i in self.items if i.status == "new")

    @property
    def most_days(self) -> int:
        return max((i.days_overdue for i in self.items), default=0)

    @property
    def crisis(self) -> bool:
        return any(i.reason == "crisis" for i in self.items)


def group_items(items: list[InboxItem]) -> list[SchoolGroup]:
    """The page's items by school, then by step, in the page's order (the first item of each decides)."""
    schools: dict[int, tuple[str, dict[str, list[InboxItem]]]] = {}
    for item in items:
        _, steps = schools.setdefault(item.school_id, (item.school, {}))
        steps.setdefault(item.step, []).append(item)
    return [SchoolGroup(school_id=school_id, school=name,
                        steps=[StepGroup(step=key, step_label=found[0].step_label, items=found)
                               for key, found in steps.items()])
            for school_id, (name, steps) in schools.items()]
