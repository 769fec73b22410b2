"""What the district reads (QD-S2): inspections per school this year against the pack's minimum, open findings.

No student is named here: a finding is refused when it names one (xinyu.inspections.records)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func

from models import District, Inspection, InspectionFinding, School, Task
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import TaskStatus


@dataclass(frozen=True)
class SchoolInspections:
    school_id: int
    school: str
    district: str
    count: int  # inspections that visited the school in the year
    open_findings: int
    minimum: int | None  # the pack's oversight.inspections_per_year; None: the pack sets none
    clause: str | None

    @property
    def short(self) -> bool:
        return self.minimum is not None and self.count < self.minimum

    def as_cli_dict(self) -> dict[str, Any]:
        """The `xinyu inspections --json` contract (keys and their order)."""
        return {"school": self.school, "count": self.count, "open_findings": self.open_findings,
                "district": self.district, "minimum": self.minimum}


@dataclass(frozen=True)
class OpenFinding:
    id: int
    school_id: int
    school: str
    held_on: date
    text: str
    task_id: int  # the newest task of the rectification's carried chain
    due: date
    overdue: bool


def _schools(session: Session, district_ids: set[int] | None) -> list[tuple[int, str, str, str]]:
    query = (sa_select(col(School.id), col(School.name), col(District.name), col(School.pack))
             .join(District, col(District.id) == col(School.district_id))
             .order_by(col(District.name), col(School.name)))
    if district_ids is not None:
        query = query.where(col(School.district_id).in_(sorted(district_ids)))
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def school_inspections(
    session: Session, *, year: int, book: PackBook, district_ids: set[int] | None = None,
) -> list[SchoolInspections]:
    """Every school of the districts (all when None), in two queries however many there are."""
    in_year = and_(col(Inspection.held_on) >= date(year, 1, 1), col(Inspection.held_on) <= date(year, 12, 31))
    counted = session.execute(
        sa_select(col(InspectionFinding.school_id),
                  func.count(func.distinct(case((in_year, col(InspectionFinding.inspection_id))))),
                  func.sum(case((col(InspectionFinding.status) == "open", 1), else_=0)))
        .join(Inspection, col(Inspection.id) == col(InspectionFinding.inspection_id))
        .group_by(col(InspectionFinding.school_id))).all()
    visits = {school_id: n for school_id, n, _ in counted}
    still_open = {school_id: int(n or 0) for school_id, _, n in counted}
    rows = []
    for school_id, school, district, pack_id in _schools(session, district_ids):
        rule = book.pack(pack_id).oversight
        rows.append(SchoolInspections(
            school_id=school_id, school=school, district=district, count=visits.get(school_id, 0),
            open_findings=still_open.get(school_id, 0), minimum=rule.inspections_per_year if rule else None,
            clause=rule.clause if rule else None))
    return rows


def open_findings(session: Session, *, today: date, book: PackBook, district_ids: set[int]) -> list[OpenFinding]:
    """The districts' findings not yet rectified, oldest inspection first, each with the newest task of its
    rectification's carried chain: one query, however many there are."""
    chain = (col(Task.id) == col(InspectionFinding.task_id)) | (col(Task.lineage_id) == col(InspectionFinding.task_id))
    rows = session.execute(
        sa_select(InspectionFinding, col(School.name), col(School.pack), col(Inspection.held_on), col(Task.id),
                  col(Task.due), col(Task.status))
        .join(School, col(School.id) == col(InspectionFinding.school_id))
        .join(Inspection, col(Inspection.id) == col(InspectionFinding.inspection_id))
        .join(Task, chain)
        .where(col(Inspection.district_id).in_(sorted(district_ids)), col(InspectionFinding.status) == "open")
        .order_by(col(Inspection.held_on), col(InspectionFinding.id), col(Task.id)))
    newest: dict[int, OpenFinding] = {}
    for finding, school, pack_id, held_on, task_id, due, status in rows:  # a chain's newest task comes last
        late = status == TaskStatus.open and book.calendar(pack_id).is_overdue(due, today)
        newest[finding.id] = OpenFinding(id=finding.id or 0, school_id=finding.school_id, school=school,
                                         held_on=held_on, text=finding.text, task_id=task_id, due=due, overdue=late)
    return list(newest.values())
