"""Helpers of the domain-core tests: a clock, table snapshots, lookups, a month driver and record builders."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import select as select_rows
from sqlmodel import Session, SQLModel, col, select

from models import CourseRecord, CrisisCase, Cycle, ScreeningRecord, Step, Student, Task
from tests.factories import SchoolFixture
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook, advance, complete_task
from xinyu.cycle.states import TaskStatus
from xinyu.packs import TaskTemplate


def at(day: str | date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in Asia/Shanghai, the clock every decision of the core takes as a parameter."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(value.year, value.month, value.day, hour, minute, tzinfo=SHANGHAI)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key: equal snapshots mean nothing was written."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            query = select_rows(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in conn.execute(query)]
    return rows


def counts(engine: Engine) -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot(engine).items()}


def cycle_of(session: Session, school_id: int, month: str) -> Cycle:
    return session.exec(select(Cycle).where(Cycle.school_id == school_id, Cycle.month == month)).one()


def steps_of(session: Session, cycle_id: int | None) -> dict[str, Step]:
    steps = session.exec(select(Step).where(Step.cycle_id == cycle_id).order_by(col(Step.order)))
    return {s.key: s for s in steps}


def tasks_of(session: Session, cycle_id: int | None, *, template: str | None = None, status: str | None = None,
             kind: str | None = None) -> list[Task]:
    query = select(Task).where(Task.cycle_id == cycle_id).order_by(col(Task.id))
    if template is not None:
        query = query.where(Task.template == template)
    if status is not None:
        query = query.where(Task.status == status)
    if kind is not None:
        query = query.where(Task.kind == kind)
    return list(session.exec(query))


def sample_evidence(template: TaskTemplate, day: date) -> dict[str, Any]:
    """A valid answer to every required field of a task's form."""
    values = {"int": "0", "bool": "是", "date": day.isoformat(), "text": "已按要求完成"}
    return {
        f.name: (f.choices[0] if f.type == "choice" else values[f.type]) for f in template.evidence if f.required
    }


def finish_blocking_tasks(session: Session, book: PackBook, cycle: Cycle, step_key: str, now: datetime) -> None:
    """Complete the step's blocking tasks (by their assignees) until the step has none left open."""
    while True:
        open_tasks = [t for t in tasks_of(session, cycle.id, status=TaskStatus.open)
                      if t.step_key == step_key and t.blocks_step]
        if not open_tasks:
            return
        for task in open_tasks:
            template = book.template(cycle.pack, cycle.month, task.step_key, task.template)
            complete_task(session, task_id=task.id or 0, values=sample_evidence(template, now.date()), now=now,
                          book=book)


def drive_to(session: Session, book: PackBook, school_id: int, month: str, step_key: str, *,
             hour: int = 10) -> datetime:
    """Advance the school's month step by step, each on its earliest day, until `step_key` has opened."""
    first = date.fromisoformat(f"{month}-01")
    advance(session, now=at(first, hour), book=book, school_ids=[school_id])
    cycle = cycle_of(session, school_id, month)
    for step in steps_of(session, cycle.id).values():
        now = at(step.earliest, hour)
        advance(session, now=now, book=book, school_ids=[school_id])
        if step.key == step_key:
            return now
        finish_blocking_tasks(session, book, cycle, step.key, now)
    raise AssertionError(f"no step {step_key} in {month}")


def add_course_records(session: Session, school_id: int, class_id: int | None, *kinds: str,
                       held_on: date = date(2026, 10, 15)) -> None:
    for kind in kinds:
        session.add(CourseRecord(school_id=school_id, class_id=class_id or 0, held_on=held_on, kind=kind,
                                 topic="认识情绪", periods=1))
    session.flush()


def add_crisis_cases(session: Session, school: SchoolFixture, names: list[str]) -> list[CrisisCase]:
    """Students with these names, each screened (ledger A) and an open crisis case (ledger C)."""
    cases = []
    for number, name in enumerate(names, start=1):
        student = Student(school_id=school.id, class_id=school.classes[0].id or 0, student_no=f"2026{number:04d}",
                          name=name, gender="男")
        session.add(student)
        session.flush()
        assert student.id is not None
        session.add(ScreeningRecord(school_id=school.id, student_id=student.id, screened_on=date(2026, 9, 20),
                                    scale="MHT", total_score=70.0, level="重度", method="online"))
        case = CrisisCase(school_id=school.id, student_id=student.id, level="严重",
                          handler_id=school.people["psych_teacher"].id, opened_at=at("2026-09-25", 14))
        session.add(case)
        cases.append(case)
    session.flush()
    return cases
