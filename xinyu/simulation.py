"""People doing their work, for the demo, the benchmark and (later) `xinyu simulate`.

Each task's behaviour is drawn from a generator seeded by what the task is (school, month, step, class,
assignee; not its id), so a run is repeatable whatever order the days and the batches run in: some
people finish early, some on the day, some late.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from models import (
    CourseRecord,
    CrisisCase,
    Cycle,
    KeyStudentPlan,
    RoleAssignment,
    SchoolClass,
    ScreeningRecord,
    TalkRecord,
    Task,
)
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.cycle.completion import Completion, complete_tasks
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.months import month_range
from xinyu.packs import EvidenceField
from xinyu.roles import Role
from xinyu.workdays import WorkCalendar

# What people write in the pack's text fields, by field name; counts and codes only, never a student's name.
SAMPLE_TEXT: dict[str, tuple[str, ...]] = {
    "note": ("本月无异常变动", "已按要求核对更新", "新增情况已建档，持续关注", "同学关系紧张1例，已与家长沟通"),
    "summary": ("各班按计划完成摸排与课程，重点学生均有专人跟进",
                "本月完成全员心理测评与结果反馈，台账按时更新",
                "组织心理健康主题班会，家校沟通覆盖重点关爱学生家庭"),
    "issues": ("无", "兼职心理教师课时紧张，需统筹安排", "需区县协调转介医院绿色通道"),
    "minutes": ("研判本月测评预警与重点关爱学生情况，部署“1+1”课程补足与家校沟通工作",
                "通报四类台账更新情况，讨论危机个案转介与复学衔接，明确各班责任人"),
}
DEFAULT_TEXT = ("已按要求完成",)


@dataclass
class DayResult:
    completed: int = 0
    late: int = 0
    lessons: int = 0


def auto_evidence(fields: tuple[EvidenceField, ...], rng: random.Random, today: date) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        if field.type == "int":
            values[field.name] = str(rng.choices(range(4), (50, 30, 15, 5))[0])
        elif field.type == "bool":
            values[field.name] = "是"
        elif field.type == "date":
            values[field.name] = today.isoformat()
        elif field.type == "choice":
            values[field.name] = rng.choice(field.choices)
        elif field.type == "file":  # files are uploads, not values; the sample world attaches none
            continue
        elif field.type == "students":  # nobody picked: the simulation keeps ledger B itself
            values[field.name] = ""
        elif field.name == "informed_at":  # a crisis case's parents told: a moment, not a sentence
            values[field.name] = f"{today.isoformat()} 09:00"
        elif field.name != "decisions":
            values[field.name] = rng.choice(SAMPLE_TEXT.get(field.name, DEFAULT_TEXT))
    return values


def decisions_text(today: date, work: WorkCalendar) -> str:
    return "\n".join([
        f"为新增重点关爱学生制定成长指导方案｜专职心理教师｜{work.add_workdays(today, 5)}",
        f"对未达标班级开展“1+1”补课督导｜副组长｜{work.add_workdays(today, 7)}",
    ])


def task_identity(task: Task, origin: Cycle) -> str:
    """Who must do what, for which month: the same whatever ids the rows got (batches on several workers
    insert in another order), and the same when the task is carried into the next month."""
    return (f"{task.school_id}:{origin.month}:{task.step_key}:{task.template}:{task.kind}:"
            f"{task.class_id}:{task.assignee_id}")


TaskIdentity = Callable[[Task, Cycle], str]


def acts_on(task: Task, origin: Cycle, today: date, work: WorkCalendar, seed: int, late_rate: float,
            identity: TaskIdentity = task_identity) -> bool:
    """Whether the person responsible does this task today (a fixed plan per task)."""
    plan = random.Random(f"{seed}:{identity(task, origin)}")
    late = plan.random() < late_rate
    offset = plan.randint(1, 4) if late else -plan.randint(0, 2)
    return today >= work.add_workdays(task.due, offset) and work.is_workday(today)


def simulate_work(
    session: Session, *, now: datetime, book: PackBook, seed: int, late_rate: float,
    school_ids: list[int] | None = None, identity: TaskIdentity = task_identity,
) -> DayResult:
    """Everyone whose plan says "today" completes their open task, with plausible evidence.

    The cycles are not moved here: the day's scheduled `advance` does that, as in production.
    """
    today = now.astimezone(SHANGHAI).date()
    query = (select(Task, Cycle).join(Cycle, col(Cycle.id) == col(Task.origin_cycle_id))
             .where(Task.status == TaskStatus.open).order_by(col(Task.id)))
    if school_ids is not None:
        query = query.where(col(Task.school_id).in_(school_ids))
    result = DayResult()
    completions = []
    for task, origin in session.exec(query):
        work = book.calendar(origin.pack, origin.pack_version)
        if not acts_on(task, origin, today, work, seed, late_rate, identity):
            continue
        rng = random.Random(f"{seed}:{identity(task, origin)}:evidence")
        template = book.template(origin.pack, origin.month, task.step_key, task.template, version=origin.pack_version)
        values = auto_evidence(template.evidence, rng, today)
        if template.action == "meeting_minutes":
            values["decisions"] = decisions_text(today, work)
        completions.append(Completion(task_id=task.id or 0, values=values))
        result.late += work.is_overdue(task.due, today)
    if completions:
        complete_tasks(session, completions=completions, now=now, book=book)
    result.completed = len(completions)
    return result


def course_plan(class_id: int, month: str, work: WorkCalendar, seed: int, skip_rate: float) -> list[tuple[date, str]]:
    """The days a class holds its lesson and its activity this month; some classes miss one."""
    rng = random.Random(f"{seed}:{class_id}:{month}:courses")
    first, last = month_range(month)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    workdays = [d for d in days if work.is_workday(d)]
    plan = []
    for kind in ("lesson", "activity"):
        if workdays and rng.random() >= skip_rate:
            plan.append((rng.choice(workdays[:-3] or workdays), kind))
    return plan


def record_courses(
    session: Session, *, today: date, book: PackBook, seed: int, skip_rate: float, school_ids: list[int] | None = None,
) -> int:
    """Homeroom teachers record the lessons and activities their class held today (QD-T5)."""
    month = f"{today.year:04d}-{today.month:02d}"
    query = (select(SchoolClass, Cycle.pack, Cycle.pack_version)
             .join(Cycle, col(Cycle.school_id) == col(SchoolClass.school_id))
             .where(Cycle.month == month, Cycle.status == CycleStatus.open))
    if school_ids is not None:
        query = query.where(col(SchoolClass.school_id).in_(school_ids))
    rows = []
    for school_class, pack_id, version in session.exec(query):
        pack = book.pack(pack_id, version)
        if pack.variant_for_month(today.month) == "vacation":
            continue
        kinds = list(pack.course_rule.kinds)
        for day, kind in course_plan(school_class.id or 0, month, book.calendar(pack_id, version), seed, skip_rate):
            if day == today:
                actual = kind if kind in kinds else kinds[0 if kind == "lesson" else -1]
                rows.append({"school_id": school_class.school_id, "class_id": school_class.id, "held_on": today,
                             "kind": actual, "topic": "认识情绪，学会调节" if kind == "lesson" else "心理拓展活动",
                             "periods": 1, "recorded_by_id": None})
    if rows:
        session.execute(insert(CourseRecord), rows)
    return len(rows)


def record_ledger_entries(session: Session, *, now: datetime) -> int:
    """After the screening results arrive, the psychology teacher works through ledgers B–D (QD-2, QD-4):
    a 一生一案 plan and a talk for each student at 中度/重度, and a crisis case for each 重度 student."""
    today = now.astimezone(SHANGHAI).date()
    latest: dict[int, ScreeningRecord] = {}
    for record in session.exec(select(ScreeningRecord).order_by(col(ScreeningRecord.screened_on))):
        latest[record.student_id] = record
    teachers = dict(session.exec(select(RoleAssignment.school_id, RoleAssignment.person_id)
                                 .where(RoleAssignment.role == Role.psych_teacher)).all())
    planned = set(session.exec(select(KeyStudentPlan.student_id)))
    entries: list[SQLModel] = []
    for record in latest.values():
        if record.level not in ("中度", "重度") or record.student_id in planned:
            continue
        by = teachers.get(record.school_id)
        school, student = record.school_id, record.student_id
        entries.append(KeyStudentPlan(
            school_id=school, student_id=student, mentor_id=by, opened_on=today, created_at=now, updated_at=now,
            reason="测评预警", difficulties="测评预警，情绪困扰", growth_advice="每两周谈心一次，家校同步关注"))
        entries.append(TalkRecord(
            school_id=school, student_id=student, kind="谈心", held_on=today, by_id=by,
            summary="测评后首次谈心，已告知家长", created_at=now, updated_at=now))
        if record.level == "重度":
            entries.append(CrisisCase(
                school_id=school, student_id=student, level="一般", handler_id=by, opened_at=now,
                parents_informed_at=now, updated_at=now))
    session.add_all(entries)
    return len(entries)
