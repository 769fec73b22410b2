"""After a schedule is imported: the dates of steps not yet done are counted again on the imported days.

A step's earliest and calendar due dates (and, for an open step, its due date: the later of the
calendar date and the minimum working days after opening) were computed on the estimate (推定) or on
the package; the imported schedule wins, so they are worked out again. Open tasks that still carry
the step's old due date follow it (an extended task, or one with a date of its own, keeps its date).
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from models import Cycle, Step, Task
from xinyu.clock import as_local
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.schedule import due_on_opening, step_dates
from xinyu.cycle.states import CycleStatus, StepStatus, TaskStatus
from xinyu.packs import PackError
from xinyu.statutory import Statutory
from xinyu.workdays import WorkCalendar


@dataclass
class Redated:
    steps: int = 0
    tasks: int = 0


def redate_open_steps(session: Session, book: PackBook, statutory: Statutory, years: set[int]) -> Redated:
    result = Redated()
    calendars: dict[str, WorkCalendar] = {}
    rows = session.exec(select(Step, Cycle).join(Cycle, col(Cycle.id) == col(Step.cycle_id))
                        .where(col(Cycle.status) == CycleStatus.open,
                               col(Step.status).in_([StepStatus.pending, StepStatus.open])))
    for step, cycle in rows:
        try:
            pack = book.pack(cycle.pack, cycle.pack_version)
            rule = pack.step(int(cycle.month[5:7]), step.key)
        except PackError:
            continue  # a step the pack no longer has: its dates stay
        if cycle.pack not in calendars:
            calendars[cycle.pack] = WorkCalendar(pack.calendar.extra_holidays, pack.calendar.extra_workdays,
                                                 statutory=statutory)
        work = calendars[cycle.pack]
        earliest, calendar_due = step_dates(rule, cycle.month, work)
        due = due_on_opening(calendar_due, as_local(step.opened_at).date(), rule, work) if step.opened_at else None
        dates = {step.earliest, step.calendar_due, step.due, earliest, calendar_due, due}
        if not {d.year for d in dates if d is not None} & years:
            continue
        old_due = step.due or step.calendar_due
        changed = (step.calendar_due, step.due) != (calendar_due, due) or (
            step.status == StepStatus.pending and step.earliest != earliest)
        if not changed:
            continue
        result.steps += 1
        if step.status == StepStatus.pending:
            step.earliest = earliest
        step.calendar_due, step.due = calendar_due, due
        new_due = due or calendar_due
        if new_due != old_due:
            for task in session.exec(select(Task).where(
                    Task.cycle_id == cycle.id, Task.step_key == step.key, Task.kind == "step",
                    Task.status == TaskStatus.open, Task.due == old_due, col(Task.carried_over).is_(False))):
                task.due = new_due
                result.tasks += 1
    return result
