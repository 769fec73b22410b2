"""The school's monthly report to the district (QD-G4 feedback): counts and rates, no student names."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models import CrisisCase, Cycle, LedgerReview, School, Step, Task
from xinyu.clock import as_local
from xinyu.courses import ClassCourseStatus, class_statuses
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import LABELS, StepStatus, TaskStatus
from xinyu.render import render


@dataclass
class StepLine:
    label: str
    status: str
    due: str
    done_on: str
    on_time: bool | None


def render_monthly_report(
    session: Session, *, cycle: Cycle, book: PackBook, now: datetime, evidence: dict[str, Any],
    classes: list[ClassCourseStatus] | None = None,
) -> tuple[str, str]:
    """`classes`: the school's "1+1" statuses if the caller has them already (loaded for a batch)."""
    school = session.get(School, cycle.school_id)
    assert school is not None and school.id is not None
    pack, work = book.pack(cycle.pack), book.calendar(cycle.pack)
    month_number = int(cycle.month[5:])
    steps = []
    for step in session.exec(select(Step).where(Step.cycle_id == cycle.id).order_by(col(Step.order))):
        due = step.due or step.calendar_due
        done_on = as_local(step.done_at).date() if step.done_at else None
        steps.append(StepLine(
            label=pack.step(month_number, step.key).label, status=LABELS[step.status], due=due.isoformat(),
            done_on=done_on.isoformat() if done_on else "—",
            on_time=(done_on <= due) if done_on else None if step.status != StepStatus.done else False,
        ))
    tasks = list(session.exec(select(Task).where(Task.cycle_id == cycle.id)))
    done = [t for t in tasks if t.status == TaskStatus.done]
    on_time = [t for t in done if t.completed_at and as_local(t.completed_at).date() <= t.due]
    if classes is None:
        classes = class_statuses(session, school_id=school.id, month=cycle.month, pack=pack, work=work)
    cases = Counter(session.exec(
        select(CrisisCase.level).where(CrisisCase.school_id == school.id, col(CrisisCase.closed_at).is_(None))
    ).all())
    reviews = list(session.exec(select(LedgerReview).where(LedgerReview.cycle_id == cycle.id)))
    body = render(
        "monthly_report.txt.j2", school=school.name, month=cycle.month, steps=steps,
        tasks_total=len(tasks), tasks_done=len(done), tasks_on_time=len(on_time),
        tasks_carried_in=sum(1 for t in tasks if t.carried_over),
        tasks_open=sum(1 for t in tasks if t.status == TaskStatus.open),
        classes=len(classes), classes_ok=sum(1 for c in classes if c.ok),
        classes_at_risk=sum(1 for c in classes if c.semester_at_risk),
        open_cases=dict(cases), ledgers_reviewed=sorted(r.ledger for r in reviews),
        summary=evidence.get("summary", ""), issues=evidence.get("issues", ""),
        written_on=as_local(now).date().isoformat(),
    )
    return school.name, body
