"""The simulated people of `xinyu simulate`: teachers finish their tasks (some late), homeroom teachers
record their lessons, district officers work their inbox.

Every draw is seeded by what it is about (a task, a class and month, an inbox item and day), so a run is
repeatable whatever the order of the days or the batches. Plans are drawn once and kept: a task's
"the day its person acts" for as long as it is open, a month's lessons for the month.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import CourseRecord, Cycle, Escalation, RoleAssignment, SchoolClass, Task
from xinyu.chase.inbox import acknowledge, issue_notice
from xinyu.clock import SHANGHAI, local_date
from xinyu.cycle import PackBook
from xinyu.cycle.completion import Completion, complete_tasks
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.months import month_range
from xinyu.roles import Role
from xinyu.simulation import auto_evidence, decisions_text
from xinyu.workdays import WorkCalendar

VERY_LATE_SHARE = 0.2  # of the late tasks, those that slip past the district rung (5 working days)
ACK_RATE = 0.6  # new inbox items an officer acknowledges on a given working morning
NOTICE_RATE = 0.3  # acknowledged items still open after 3 working days that get a notice (督办)
NOTICE_WORKDAYS = 5
# A task acts at most 2 working days before its due date: those due later than this are not looked at.
LOOKAHEAD = timedelta(days=16)
CHUNK = 5000


def task_identity(school_id: int, month: str, step_key: str, template: str, kind: str, class_id: int | None,
                  assignee_id: int | None) -> str:
    """What a task is about, not its row id: the same plan whichever worker inserted it first, and the same
    for a task carried into the next month (it keeps its origin month)."""
    return f"{school_id}:{month}:{step_key}:{template}:{kind}:{class_id}:{assignee_id}"


@dataclass(frozen=True)
class Lateness:
    """How late people are: `rate` of the tasks late, by 1–4 working days, or (`very_late_share` of those)
    by `very_late_days` (the ladder then climbs to the district)."""

    rate: float
    very_late_share: float = VERY_LATE_SHARE
    very_late_days: tuple[int, int] = (6, 15)


def act_day(identity: str, due: date, work: WorkCalendar, seed: int, late_rate: float,
            lateness: Lateness | None = None) -> date:
    """The day the task's person does it: up to 2 working days early, or late by 1–4 working days, or now
    and then by 6–15 (the ladder then climbs to the district); `lateness`, when given, instead of late_rate."""
    profile = lateness or Lateness(rate=late_rate)
    plan = random.Random(f"{seed}:{identity}")
    if plan.random() < profile.rate:
        offset = (plan.randint(*profile.very_late_days) if plan.random() < profile.very_late_share
                  else plan.randint(1, 4))
    else:
        offset = -plan.randint(0, 2)
    return work.add_workdays(due, offset)


@dataclass
class DayWork:
    completed: int = 0
    late: int = 0
    lessons: int = 0
    acknowledged: int = 0
    notices: int = 0


@dataclass
class People:
    book: PackBook
    seed: int
    late_rate: float
    skip_rate: float = 0.1  # a class misses its lesson or its activity now and then ("1+1" shortfalls)
    default_pack: str = "qingdao"  # whose calendar says which days people work and officers count
    # When given: how late the tasks a step waits for are (instead of late_rate), and how late those no step
    # waits for (meeting decisions, "1+1" rectifications, notices, date windows) are: follow-up work may slip
    # more often than the month's steps, without holding the school's month up.
    steps: Lateness | None = None
    followups: Lateness | None = None
    _plans: dict[int, tuple[date, date]] = field(default_factory=dict)  # task → (due, act day)
    _lessons: dict[str, dict[date, list[dict[str, Any]]]] = field(default_factory=dict)  # month → day → rows
    _officers: dict[int, int] = field(default_factory=dict)  # district → officer

    @property
    def work_calendar(self) -> WorkCalendar:
        return self.book.calendar(self.default_pack)

    # teachers

    def work(self, session: Session, now: datetime) -> DayWork:
        """Everyone whose plan says "today" completes their open task, with plausible evidence."""
        today = local_date(now)
        result = DayWork()
        rows = session.execute(
            sa_select(col(Task.id), col(Task.due), col(Cycle.pack), col(Cycle.pack_version), col(Task.blocks_step),
                      col(Task.school_id),
                      col(Cycle.month),
                      col(Task.step_key), col(Task.template), col(Task.kind), col(Task.class_id),
                      col(Task.assignee_id))
            .join(Cycle, col(Cycle.id) == col(Task.origin_cycle_id))
            .where(col(Task.status) == TaskStatus.open, col(Task.due) <= today + LOOKAHEAD)).all()
        plans, due_today = {}, []
        for task_id, due, pack, version, blocks, *about in rows:
            work = self.book.calendar(pack, version)
            known = self._plans.get(task_id)
            day = known[1] if known and known[0] == due else act_day(task_identity(*about), due, work, self.seed,
                                                                    self.late_rate, self._lateness(blocks))
            plans[task_id] = (due, day)
            if day <= today and work.is_workday(today):
                due_today.append(task_id)
        self._plans = plans  # only the open ones are kept
        for part in range(0, len(due_today), CHUNK):
            completions, late = self._completions(session, due_today[part:part + CHUNK], today)
            complete_tasks(session, completions=completions, now=now, book=self.book)
            result.completed += len(completions)
            result.late += late
        return result

    def act_day_of(self, task: Task, origin: Cycle) -> date:
        """The day the person holding `task` (made in `origin`'s month) does it."""
        about = task_identity(task.school_id, origin.month, task.step_key, task.template, task.kind, task.class_id,
                              task.assignee_id)
        return act_day(about, task.due, self.book.calendar(origin.pack, origin.pack_version), self.seed,
                       self.late_rate, self._lateness(task.blocks_step))

    def _lateness(self, blocks_step: bool) -> Lateness | None:
        return self.followups if not blocks_step and self.followups is not None else self.steps

    def _completions(self, session: Session, ids: list[int], today: date) -> tuple[list[Completion], int]:
        completions, late = [], 0
        query = (select(Task, Cycle).join(Cycle, col(Cycle.id) == col(Task.origin_cycle_id))
                 .where(col(Task.id).in_(ids)).order_by(col(Task.id)))
        rows = session.exec(query).all()
        leaders = self._leaders(session, {task.school_id for task, _ in rows if not task.assignee_id})
        for task, origin in rows:
            work = self.book.calendar(origin.pack, origin.pack_version)
            about = task_identity(task.school_id, origin.month, task.step_key, task.template, task.kind,
                                  task.class_id, task.assignee_id)
            rng = random.Random(f"{self.seed}:{about}:evidence")
            template = self.book.template(origin.pack, origin.month, task.step_key, task.template,
                                          version=origin.pack_version)
            values = auto_evidence(template.evidence, rng, today)
            if template.action == "meeting_minutes":
                values["decisions"] = decisions_text(today, work)
            by = None if task.assignee_id else leaders.get(task.school_id)
            completions.append(Completion(task_id=task.id or 0, values=values, by=by))
            late += work.is_overdue(task.due, today)
        return completions, late

    def _leaders(self, session: Session, school_ids: set[int]) -> dict[int, int]:
        """A task nobody holds the role for is done by the school's leader (组长, the first appointed): one
        query for the schools of the day's unassigned tasks."""
        leaders: dict[int, int] = {}
        wanted = sorted(school_ids)
        for part in range(0, len(wanted), CHUNK):
            for school_id, person_id in session.exec(
                    select(RoleAssignment.school_id, RoleAssignment.person_id).where(
                        col(RoleAssignment.school_id).in_(wanted[part:part + CHUNK]),
                        RoleAssignment.role == Role.leader).order_by(col(RoleAssignment.id))):
                if school_id is not None:
                    leaders.setdefault(school_id, person_id)
        return leaders

    # homeroom teachers

    def lessons(self, session: Session, today: date) -> int:
        """The "1+1" lessons and activities classes held today (QD-T5), from the month's plan."""
        month = f"{today:%Y-%m}"
        if month not in self._lessons:
            plan = self._lesson_plan(session, month)
            if plan is None:
                return 0  # the month is not open yet: nothing to record against
            self._lessons = {month: plan}
        rows = self._lessons[month].get(today, [])
        if rows:
            session.execute(insert(CourseRecord), rows)
        return len(rows)

    def _lesson_plan(self, session: Session, month: str) -> dict[date, list[dict[str, Any]]] | None:
        """The same draws as xinyu.simulation.course_plan, with the month's working days worked out once."""
        classes = session.exec(
            select(SchoolClass.id, SchoolClass.school_id, Cycle.pack, Cycle.pack_version)
            .join(Cycle, col(Cycle.school_id) == col(SchoolClass.school_id))
            .where(Cycle.month == month, Cycle.status == CycleStatus.open).order_by(col(SchoolClass.id))).all()
        if not classes:
            return None
        first, last = month_range(month)
        plan: dict[date, list[dict[str, Any]]] = defaultdict(list)
        workdays_of: dict[tuple[str, str], list[date]] = {}
        for class_id, school_id, pack_id, version in classes:
            pack = self.book.pack(pack_id, version)
            if pack.variant_for_month(first.month) == "vacation":
                continue
            if (pack_id, version) not in workdays_of:
                work = self.book.calendar(pack_id, version)
                workdays_of[(pack_id, version)] = [first + timedelta(days=n) for n in range((last - first).days + 1)
                                        if work.is_workday(first + timedelta(days=n))]
            workdays, kinds = workdays_of[(pack_id, version)], list(pack.course_rule.kinds)
            rng = random.Random(f"{self.seed}:{class_id}:{month}:courses")
            for kind in ("lesson", "activity"):
                if workdays and rng.random() >= self.skip_rate:
                    day = rng.choice(workdays[:-3] or workdays)
                    plan[day].append({
                        "school_id": school_id, "class_id": class_id, "held_on": day,
                        "kind": kind if kind in kinds else kinds[0 if kind == "lesson" else -1],
                        "topic": "认识情绪，学会调节" if kind == "lesson" else "心理拓展活动", "periods": 1,
                        "recorded_by_id": None})
        return dict(plan)

    # district officers

    def inbox(self, session: Session, now: datetime) -> DayWork:
        """Officers acknowledge most new items within a day or two and send notices for lingering ones."""
        today = local_date(now)
        result = DayWork()
        items = session.exec(select(Escalation).where(
            Escalation.status != "resolved", col(Escalation.raised_at) < datetime.combine(today, datetime.min.time(),
                                                                                        SHANGHAI))
            .order_by(col(Escalation.id))).all()
        for item in items:
            assert item.id is not None
            officer = self._officer(session, item.district_id)
            if officer is None:
                continue
            # Seeded by what the item is about, not its id (ids depend on which worker inserted first).
            draw = random.Random(f"{self.seed}:{item.school_id}:{item.summary}:{item.occasion}:{today}").random()
            if item.status == "new" and draw < ACK_RATE:
                acknowledge(session, escalation_id=item.id, by=officer, now=now)
                result.acknowledged += 1
            elif (item.status == "acknowledged" and item.notice_task_id is None and item.reason == "overdue"
                  and item.acknowledged_at is not None and draw < NOTICE_RATE
                  and self.work_calendar.workdays_between(local_date(item.acknowledged_at), today) >= 3):
                issue_notice(session, escalation_id=item.id, by=officer, workdays=NOTICE_WORKDAYS, now=now,
                             book=self.book, text="逾期事项请于5个工作日内整改到位并报区县")
                result.notices += 1
        return result

    def _officer(self, session: Session, district_id: int) -> int | None:
        if district_id not in self._officers:
            found = session.exec(select(RoleAssignment.person_id).where(
                RoleAssignment.district_id == district_id, RoleAssignment.role == Role.district_officer)
                .order_by(col(RoleAssignment.id))).first()
            if found is None:
                return None
            self._officers[district_id] = found
        return self._officers[district_id]
