"""Recording an inspection (QD-S2): each finding becomes a notice and a rectification task for the school's
leader, with its own due date (working days of the pack's calendar) and the pack's ladder for its kind."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models import Cycle, District, Inspection, InspectionFinding, School, Task
from xinyu import links
from xinyu.chase.messages import short_date, sms_release
from xinyu.chase.notify import queue_notice
from xinyu.chase.people import contacts_of, holds_role
from xinyu.clock import local_date
from xinyu.cycle.org_index import load_org_index
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus
from xinyu.cycle.system_templates import INSPECTION
from xinyu.cycle.task_factory import task_row
from xinyu.history import record_change, snapshot
from xinyu.privacy import school_masker
from xinyu.roles import Role
from xinyu.text_input import check_text

KIND = "inspection"  # Task.kind: the chase climbs the pack's ladder_for_kind["inspection"] (default otherwise)
MAX_TEXT = 500
WORKDAYS = (1, 30)
FINDING_FIELDS = ("inspection_id", "school_id", "text", "workdays", "task_id", "status")


class InspectionError(ValueError):
    """A refused inspection record; nothing was written."""


@dataclass(frozen=True)
class FindingInput:
    school_id: int
    text: str


def record_inspection(
    session: Session, *, district_id: int, held_on: date, inspector_id: int, findings: list[FindingInput],
    workdays: int, now: datetime, book: PackBook, by: int | None = None,
) -> tuple[Inspection, list[InspectionFinding]]:
    """One inspection and its findings; every check runs before the first write."""
    district = session.get(District, district_id)
    if district is None:
        raise InspectionError(f"没有区县 #{district_id}")
    if not holds_role(session, inspector_id, Role.district_officer, district_id=district_id):
        raise InspectionError(f"巡查人不是{district.name}的区县负责人")
    by = inspector_id if by is None else by
    if not holds_role(session, by, Role.district_officer, district_id=district_id):
        raise InspectionError(f"只有{district.name}的区县负责人可以登记专项巡查")
    today = local_date(now)
    if held_on > today:
        raise InspectionError(f"巡查日期 {held_on} 晚于今天（{today}）")
    if not WORKDAYS[0] <= workdays <= WORKDAYS[1]:
        raise InspectionError(f"整改期限应为 {WORKDAYS[0]}–{WORKDAYS[1]} 个工作日")
    if not findings:
        raise InspectionError("请至少填写一所学校的巡查发现")
    checked = [(_school(session, f.school_id, district), _text(session, f)) for f in findings]
    cycles = {school.id: _open_cycle(session, school) for school, _ in checked}
    inspection = Inspection(district_id=district_id, held_on=held_on, inspector_id=inspector_id, recorded_at=now)
    session.add(inspection)
    session.flush()
    org = load_org_index(session, [s.id for s, _ in checked if s.id is not None])
    rows = []
    for index, (school, text) in enumerate(checked, start=1):
        cycle = cycles[school.id]
        due = book.calendar(school.pack, cycle.pack_version).add_workdays(today, workdays)
        row = task_row(cycle=cycle, key=f"inspection:{inspection.id}:{index}", template=INSPECTION, org=org,
                       due=due, now=now, step_id=None, step_key="inspection", kind=KIND,
                       title=f"{INSPECTION.title}：{text}"[:200])
        (task_id,) = session.execute(insert(Task).returning(col(Task.id)), [row]).scalars().all()
        finding = InspectionFinding(inspection_id=inspection.id or 0, school_id=school.id or 0, text=text,
                                    workdays=workdays, task_id=task_id, status="open")
        session.add(finding)
        session.flush()
        record_change(session, kind="inspection", record_id=finding.id or 0, school_id=school.id or 0, by=by,
                      now=now, action="created", before=None,
                      after={**snapshot(finding, FINDING_FIELDS), "held_on": held_on.isoformat(),
                             "due": due.isoformat()})
        _notify(session, school=school, finding=finding, held_on=held_on, due=due, now=now, book=book,
                version=cycle.pack_version)
        rows.append(finding)
    return inspection, rows


def _school(session: Session, school_id: int, district: District) -> School:
    school = session.get(School, school_id)
    if school is None:
        raise InspectionError(f"没有学校 #{school_id}")
    if school.district_id != district.id:
        raise InspectionError(f"{school.name}不属于{district.name}")
    return school


def _text(session: Session, finding: FindingInput) -> str:
    text = check_text(finding.text, "巡查发现", multiline=True, error=InspectionError).strip()
    if not text:
        raise InspectionError("巡查发现不能为空")
    if len(text) > MAX_TEXT:
        raise InspectionError(f"巡查发现不超过 {MAX_TEXT} 字（现为 {len(text)} 字）")
    # The finding is read in the district's views and sent in messages: it names problems, never a student.
    if school_masker(session, finding.school_id).mask(text) != text:
        raise InspectionError("巡查发现中含有学生姓名或学号，请改写为不指向具体学生的表述")
    return text


def _open_cycle(session: Session, school: School) -> Cycle:
    cycle = session.exec(select(Cycle).where(Cycle.school_id == school.id, Cycle.status == CycleStatus.open)
                         .order_by(col(Cycle.month).desc())).first()
    if cycle is None:
        raise InspectionError(f"{school.name}没有进行中的月度周期，无法下发整改任务")
    return cycle


def _notify(session: Session, *, school: School, finding: InspectionFinding, held_on: date, due: date,
            now: datetime, book: PackBook, version: str) -> None:
    """The notice (通报) to the school's leader: email and SMS, the link opens the rectification task."""
    assert school.id is not None
    link = links.link("task_page", task_id=finding.task_id)
    quiet = book.pack(school.pack, version).chase
    queue_notice(
        session, contacts_of(session, Role.leader, school_id=school.id), key=f"inspection:{finding.id}",
        subject=f"【心育督办】{school.name}收到专项巡查整改通知，{short_date(due)}前整改", heading="专项巡查整改通知",
        lines=[f"巡查日期：{held_on.isoformat()}", f"发现问题：{finding.text}",
               f"整改期限：{due.isoformat()}（{finding.workdays}个工作日）"],
        link=link, now=now,
        sms=("district_notice", {"school": school.name, "due": short_date(due), "link": link},
             sms_release(now, quiet.quiet_hours) if quiet else now),
    )
