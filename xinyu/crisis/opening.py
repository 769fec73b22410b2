"""The crisis fast path (GZ-5.2) and the level-by-level report (GZ-A2.2.7).

Opening a serious or major case in ledger C tells the school at once, outside the monthly rhythm:
the relay (class → grade → school) hears immediately, the handler gets a same-day task to record that
the parents were informed (it climbs the pack's crisis ladder if late), and a major case reaches the
district's inbox at once. Messages name the case by number (C-12), never the student.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models import AuditEntry, ChaseEvent, CrisisCase, Cycle, Escalation, School, Student, Task
from xinyu import links
from xinyu.chase.directory import load_directory
from xinyu.chase.district_digest import queue_district_digests
from xinyu.chase.messages import sms_release
from xinyu.chase.notify import queue_notice
from xinyu.clock import local_date
from xinyu.cycle.org_index import load_org_index
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus
from xinyu.cycle.system_templates import CRISIS_PARENTS
from xinyu.cycle.task_factory import task_row
from xinyu.roles import Role, role_label

CRISIS_LEVELS = ("一般", "严重", "重大")


class CrisisError(ValueError):
    """A case that cannot be opened; nothing was written."""


@dataclass
class CrisisOpened:
    case: CrisisCase
    task_id: int | None = None
    relay: list[str] = field(default_factory=list)  # "班主任 张老师", in the order told
    district_escalation_id: int | None = None


def case_code(case: CrisisCase) -> str:
    return f"C-{case.id}"


def open_crisis_case(
    session: Session, *, school_id: int, student_id: int, level: str, handler_id: int | None, by: int | None,
    now: datetime, book: PackBook,
) -> CrisisOpened:
    if level not in CRISIS_LEVELS:
        raise CrisisError(f"危机等级应为 {' / '.join(CRISIS_LEVELS)} 之一，实为 {level!r}")
    student = session.get(Student, student_id)
    school = session.get(School, school_id)
    if student is None or school is None or student.school_id != school_id:
        raise CrisisError("本校没有这名学生")
    rule = book.pack(school.pack).crisis
    case = CrisisCase(school_id=school_id, student_id=student_id, level=level, handler_id=handler_id,
                      opened_at=now, updated_at=now)
    session.add(case)
    session.flush()
    session.add(AuditEntry(at=now, actor_id=by, action="open_crisis_case", target=f"crisis:{case.id}",
                           detail=f"level={level}"))
    opened = CrisisOpened(case=case)
    if rule is None or level not in rule.fast_path_levels:
        return opened
    cycle = session.exec(select(Cycle).where(Cycle.school_id == school_id, Cycle.status == CycleStatus.open)
                         .order_by(col(Cycle.month).desc())).first()
    if cycle is None:
        raise CrisisError(f"{school.name}没有进行中的月度周期，无法登记快速通道任务")
    code = case_code(case)
    today = local_date(now)
    org = load_org_index(session, [school_id])
    row = task_row(cycle=cycle, key=f"crisis:{case.id}:parents", template=CRISIS_PARENTS, org=org, due=today,
                   now=now, step_id=None, step_key="crisis", kind="crisis", class_id=student.class_id,
                   title=f"当日记录危机个案 {code} 家长通报情况", assignee_id=handler_id, crisis_case_id=case.id)
    (task_id,) = session.execute(insert(Task).returning(col(Task.id)), [row]).scalars().all()
    opened.task_id = task_id
    _relay(session, opened, rule.relay, rule.relay_clause, school, student, now, book,
           urgent=rule.urgent_ignores_quiet_hours, by=by)
    if level in rule.district_levels:
        opened.district_escalation_id = _report_to_district(session, case, task_id, school, now)
        queue_district_digests(session, now=now, book=book, district_ids=[school.district_id],
                               urgent=rule.urgent_ignores_quiet_hours)
    return opened


def _relay(session: Session, opened: CrisisOpened, relay: tuple[Role, ...], clause: str, school: School,
           student: Student, now: datetime, book: PackBook, *, urgent: bool, by: int | None) -> None:
    """Each level of the relay is told at once, class level first (GZ-A2.2.7), and the telling is logged."""
    assert school.id is not None and opened.task_id is not None
    directory = load_directory(session, [school.id])
    code = case_code(opened.case)
    link = links.link("crisis_alert_page", case_id=opened.case.id)  # the relay is not the handler: no task page
    events = []
    told: list[int] = []
    for order, role in enumerate(relay, start=1):
        people = [p for p in directory.of_role(role, school_id=school.id, class_id=student.class_id)
                  if p not in told and p != by]
        contacts = [directory.people[p] for p in people if p in directory.people]
        told.extend(people)
        opened.relay.extend(f"{role_label(role)} {c.name}" for c in contacts)
        events.append({"task_id": opened.task_id, "lineage_id": opened.task_id, "school_id": school.id,
                       "rung": f"relay_{order}_{role.value}"[:32], "occasion": code, "level": "school", "offset": 0,
                       "fired_at": now})
        chase = book.pack(school.pack).chase
        release = now if urgent or chase is None else sms_release(now, chase.quiet_hours)
        queue_notice(
            session, contacts, key=f"crisis:{opened.case.id}:relay{order}",
            subject=f"【心育闭环】紧急：新登记心理危机个案 {code}，请立即处置",
            heading=f"心理危机个案 {code}（逐级报告，{clause}）",
            lines=[f"学校：{school.name}", f"等级：{opened.case.level}（快速通道）",
                   "要求：立即采取措施，第一时间通报家长，今日内在系统中记录通报情况（GZ-5.2）",
                   f"逐级报告：班级 → 年级 → 学校{' → 区县' if opened.case.level == '重大' else ''}"],
            link=link, now=now,
            sms=("crisis_alert", {"school": school.name, "case": code, "link": link}, release))
    session.execute(insert(ChaseEvent), events)


def _report_to_district(session: Session, case: CrisisCase, task_id: int, school: School, now: datetime) -> int:
    assert school.id is not None
    item = Escalation(task_id=task_id, lineage_id=task_id, school_id=school.id, district_id=school.district_id,
                      reason="crisis", occasion=local_date(now).isoformat(), level="district", days_overdue=0,
                      summary=f"{case.level}心理危机个案 {case_code(case)}（逐级报告）", raised_at=now)
    session.add(item)
    session.flush()
    assert item.id is not None
    return item.id
