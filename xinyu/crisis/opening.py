"""The crisis fast path (GZ-5.2) and the level-by-level report (GZ-A2.2.7).

Opening a serious or major case in ledger C tells the school at once, outside the monthly rhythm:
the relay (class → grade → school, and the district's officers for the pack's district levels) hears
immediately, the handler gets a same-day task to record that the parents were informed (it climbs the
pack's crisis ladder if late), and a major case reaches the district's inbox at once (it stays there until
the case is closed). A case opened by someone else than its handler (a homeroom teacher raising a concern)
goes to the handler at once. With no handler named, the school's handler is the pack's `handler_role`
(the psychology teacher). Messages name the case by number (C-12), never the student.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models import AuditEntry, ChaseEvent, CrisisCase, Cycle, Escalation, RoleAssignment, School, Student, Task
from xinyu import links
from xinyu.chase.directory import load_directory
from xinyu.chase.district_digest import queue_district_digests
from xinyu.chase.messages import sms_release
from xinyu.chase.notify import queue_notice
from xinyu.clock import local_date
from xinyu.crisis.case import HISTORY_KIND, case_code, case_snapshot
from xinyu.crisis.hotline import crisis_sms, hotline_lines
from xinyu.cycle.org_index import load_org_index
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus
from xinyu.cycle.system_templates import CRISIS_PARENTS
from xinyu.cycle.task_factory import task_row
from xinyu.history import record_change
from xinyu.packs import CrisisRule
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
    if handler_id is None:
        handler_id = default_handler(session, school_id, rule.handler_role if rule else Role.psych_teacher)
    case = CrisisCase(school_id=school_id, student_id=student_id, level=level, handler_id=handler_id,
                      opened_by_id=by, opened_at=now, updated_at=now)
    session.add(case)
    session.flush()
    assert case.id is not None
    session.add(AuditEntry(at=now, actor_id=by, action="open_crisis_case", target=f"crisis:{case.id}",
                           detail=f"level={level}"))
    record_change(session, kind=HISTORY_KIND, record_id=case.id, school_id=school_id, by=by, now=now,
                  action="created", before=None, after=case_snapshot(case))
    opened = CrisisOpened(case=case)
    fast = rule is not None and level in rule.fast_path_levels
    if handler_id is not None and handler_id != by:
        _tell_handler(session, case, school, handler_id, now, sms=fast, rule=rule)
    if rule is None or level not in rule.fast_path_levels:
        return opened
    cycle = _open_cycle(session, school_id)
    if cycle is None:  # the scheduler has not opened this month yet: the same reconciler opens it now
        from xinyu.cycle.reconcile import advance

        advance(session, now=now, book=book, school_ids=[school_id])
        cycle = _open_cycle(session, school_id)
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
    relay = tuple(r for r in rule.relay if r != Role.district_officer or level in rule.district_levels)
    _relay(session, opened, relay, rule.relay_clause, school, student, now, book,
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
    rule = book.pack(school.pack).crisis
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
                   "要求：" + RELAY_ASKS.get(role, RELAY_ASKS[Role.leader]),
                   f"逐级报告：{' → '.join(RELAY_LEVELS.get(r, role_label(r)) for r in relay)}",
                   "打开链接可查看个案编号、等级与对您的要求（不含学生信息）", *hotline_lines(rule)],
            link=link, now=now,
            sms=(*crisis_sms(rule, {"school": school.name, "case": code, "link": link}), release))
    session.execute(insert(ChaseEvent), events)


def _open_cycle(session: Session, school_id: int) -> Cycle | None:
    return session.exec(select(Cycle).where(Cycle.school_id == school_id, Cycle.status == CycleStatus.open)
                        .order_by(col(Cycle.month).desc())).first()


RELAY_LEVELS = {Role.homeroom: "班级", Role.grade_head: "年级", Role.leader: "学校", Role.district_officer: "区县"}
# What each level of the relay is asked to do (the message and the alert page say the same).
RELAY_ASKS = {
    Role.homeroom: "立即采取措施，做好学生的安全看护与情绪稳定，配合处置负责人第一时间通报家长（GZ-5.2）",
    Role.grade_head: "协调本年级力量配合处置，督促今日内通报家长并在系统中记录（GZ-5.2）",
    Role.leader: "立即组织干预与会商研判，确保今日内通报家长并在系统中记录（GZ-5.2）",
    Role.district_officer: "知悉并跟踪该个案，督促学校落实干预、转介与复学；个案结案前督办箱中的本事项保持未办结",
}


def default_handler(session: Session, school_id: int, role: Role) -> int | None:
    """The school's handler when nobody is named: the first holder of the pack's handler role, else the leader."""
    for wanted in (role, Role.leader):
        found = session.exec(select(RoleAssignment.person_id).where(
            RoleAssignment.school_id == school_id, RoleAssignment.role == wanted).order_by(col(RoleAssignment.id))
        ).first()
        if found is not None:
            return found
    return None


def _tell_handler(session: Session, case: CrisisCase, school: School, handler_id: int, now: datetime, *,
                  sms: bool, rule: CrisisRule | None) -> None:
    """The case goes to its handler at once (a concern raised by a homeroom teacher or grade head)."""
    assert school.id is not None and case.id is not None
    directory = load_directory(session, [school.id], roles=(), people=[handler_id])
    contact = directory.people.get(handler_id)
    if contact is None:
        return
    code = case_code(case)
    link = links.link("crisis_case_page", school_id=school.id, case_id=case.id)
    queue_notice(session, [contact], key=f"crisis:{case.id}:handler", now=now, link=link,
                 subject=f"【心育闭环】心理危机个案 {code} 交由您处置",
                 heading=f"心理危机个案 {code}（{case.level}）",
                 lines=[f"学校：{school.name}", f"等级：{case.level}", "请尽快打开C台账中的个案，记录处置情况（JL-6）",
                        *hotline_lines(rule)],
                 sms=(*crisis_sms(rule, {"school": school.name, "case": code, "link": link}), now) if sms else None)


def _report_to_district(session: Session, case: CrisisCase, task_id: int, school: School, now: datetime) -> int:
    assert school.id is not None
    item = Escalation(task_id=task_id, lineage_id=task_id, school_id=school.id, district_id=school.district_id,
                      reason="crisis", occasion=local_date(now).isoformat(), level="district", days_overdue=0,
                      summary=f"{case.level}心理危机个案 {case_code(case)}（逐级报告）", raised_at=now)
    session.add(item)
    session.flush()
    assert item.id is not None
    return item.id
