"""The demo's school leaders set their monthly meeting (as `xinyu meeting set` does) once its step is open.

The meeting is called for the day the leader's minutes task is planned (xinyu.simulate.people.act_day), at
14:30: the minutes recorded at 15:00 that day (with that date) are the meeting's. Its place is drawn per
school and month; the attendees are the default (leadership group and psychology teachers).
"""

import random
from collections.abc import Callable
from datetime import date, datetime, time

from sqlmodel import Session, col, select

from models import Cycle, Meeting, RoleAssignment, Task
from xinyu.access import load_viewer
from xinyu.clock import SHANGHAI, local_date
from xinyu.cycle import PackBook
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.meetings.held import MeetingSetup, set_meeting
from xinyu.roles import Role

PLACES = ("行政楼三楼会议室", "学校会议室", "心理辅导中心团体辅导室", "图书馆报告厅")
STARTS = time(14, 30)

# When the person holding a task does it: (task, its origin cycle) → the day (the simulated people's plan).
ActDay = Callable[[Task, Cycle], date]


def set_due_meetings(session: Session, *, now: datetime, book: PackBook, act_day: ActDay, seed: int) -> int:
    """Every open cycle whose minutes task exists and whose meeting has no time yet gets one; how many."""
    today = local_date(now)
    rows = session.exec(
        select(Task, Cycle).join(Cycle, col(Cycle.id) == col(Task.origin_cycle_id))
        .where(col(Cycle.status) == CycleStatus.open, col(Task.status) == TaskStatus.open,
               col(Task.cycle_id) == col(Task.origin_cycle_id)).order_by(col(Task.id))).all()
    count = 0
    for task, cycle in rows:
        template = book.template(cycle.pack, cycle.month, task.step_key, task.template, version=cycle.pack_version)
        if template.action != "meeting_minutes":
            continue
        meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).first()
        if meeting is not None and meeting.starts_at is not None:
            continue
        leader = session.exec(select(RoleAssignment.person_id).where(
            RoleAssignment.school_id == cycle.school_id, RoleAssignment.role == Role.leader)
            .order_by(col(RoleAssignment.id))).first()
        viewer = load_viewer(session, leader) if leader is not None else None
        if viewer is None:
            continue
        work = book.calendar(cycle.pack, cycle.pack_version)
        day = max(act_day(task, cycle), work.next_workday_after(today))  # people act at 15:00 on a working day
        place = random.Random(f"{seed}:{cycle.school_id}:{cycle.month}:place").choice(PLACES)
        setup = MeetingSetup(starts_at=datetime.combine(day, STARTS, SHANGHAI), place=place)
        set_meeting(session, viewer, cycle=cycle, setup=setup, now=now)
        count += 1
    return count


__all__ = ["set_due_meetings"]
