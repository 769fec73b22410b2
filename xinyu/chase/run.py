"""The chase (QD-S1, QD-S2): every open task climbs its pack's ladder as the working days pass.

One run, in the caller's transaction: find the rungs due today, record each as a ChaseEvent (unique,
so a second run fires nothing), raise escalation levels and district inbox items, and queue one
digest per person (email + at most one SMS), one post per school or district group robot.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import ChaseEvent, Cycle, Escalation, Task
from notifications.outbox import queue_rows
from xinyu.chase.calendar import ChaseCalendar, chase_calendar
from xinyu.chase.directory import Directory, load_directory
from xinyu.chase.ladder import Firing, higher_level, rungs_to_fire
from xinyu.chase.messages import DigestItem, person_digest_rows, robot_row
from xinyu.chase.titles import TitleGuard
from xinyu.clock import local_date
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.db import among
from xinyu.links import link
from xinyu.locks import lock_schools
from xinyu.roles import Role, role_label
from xinyu.settings import get_settings

SECTION_OF_LEVEL = {"reminder": "mine", "school": "school", "district": "district"}


class OpenTask(NamedTuple):
    id: int
    lineage_id: int | None
    school_id: int
    kind: str
    due: date
    assignee_id: int | None
    acknowledged_at: datetime | None
    escalation_level: str
    title: str
    class_id: int | None
    role: str
    pack: str
    pack_version: str  # the task's cycle runs to its end on this stored version: its ladder and quiet hours

    @property
    def rules(self) -> tuple[str, str]:
        return self.pack, self.pack_version

    @property
    def lineage(self) -> int:
        return self.lineage_id or self.id


@dataclass
class FiredLine:
    """What the CLI prints: one rung fired for one task, and who was told."""

    school: str
    task_id: int
    title: str
    rung: str
    level: str
    offset: int
    due: date
    told: list[str]


@dataclass
class ChaseResult:
    tasks_checked: int = 0
    reminders: int = 0
    school_escalations: int = 0
    district_escalations: int = 0
    people_told: int = 0
    messages: int = 0
    fired: list[FiredLine] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


def run_chase(
    session: Session, *, now: datetime, book: PackBook, school_ids: Iterable[int] | None = None
) -> ChaseResult:
    today = local_date(now)
    school_ids = list(school_ids) if school_ids is not None else None
    lock_schools(session, school_ids, chase_at=now)  # a second chaser waits here, then finds the rungs fired
    result = ChaseResult()
    calendars: dict[tuple[str, str], ChaseCalendar] = {}
    candidates: list[tuple[OpenTask, int]] = []
    for task in open_tasks(session, school_ids):
        result.tasks_checked += 1
        chase = book.pack(*task.rules).chase
        if chase is None:
            continue
        if task.rules not in calendars:
            calendars[task.rules] = chase_calendar(book, *task.rules)
        calendar = calendars[task.rules]
        if not calendar.is_chase_day(today):
            continue  # holidays, weekends and vacations: the ladder pauses
        offset = calendar.offset(task.due, today)
        if offset >= chase.ladder(task.kind)[0].at:
            candidates.append((task, offset))
    fired = _fired(session, [t.lineage for t, _ in candidates])
    firings = []
    for task, offset in candidates:
        ladder = book.pack(*task.rules).chase.ladder(task.kind)  # type: ignore[union-attr]
        seen = fired.get(task.lineage, set())
        acknowledged = task.acknowledged_at is not None
        estimated = calendars[task.rules].work.crosses_estimated(task.due, today)
        nudged = ("nudge", today.isoformat()) in seen  # a leader's 催办 today (xinyu.chase.nudge) was the reminder
        for firing in rungs_to_fire(ladder, offset=offset, due=task.due, today=today, fired=seen,
                                    acknowledged=acknowledged):
            if nudged and firing.rung.level == "reminder":
                continue
            if estimated and firing.rung.level == "district":
                continue  # counted across an estimated (推定) year: not to the district; it catches up once imported
            firings.append((task, firing))
    if firings:
        # Only whom the firing rungs tell (the leader stands in for a missing assignee) and the tasks' classes.
        roles = {Role.leader.value} | {n for _, f in firings for n in f.rung.notify if n != "assignee"}
        directory = load_directory(session, {t.school_id for t, _ in firings}, roles=roles,
                                   class_ids={t.class_id for t, _ in firings if t.class_id is not None},
                                   people={t.assignee_id for t, _ in firings if t.assignee_id is not None})
        _record(session, firings, now, directory, result)
        _notify(session, firings, now, today, book, directory, result)
    return result


def open_tasks(session: Session, school_ids: Iterable[int] | None = None, *,
               task_ids: Iterable[int] | None = None) -> list[OpenTask]:
    """The open tasks of open cycles, by school, due date and id.

    Two queries joined here rather than one SQL join: planned from statistics older than a month's tasks (a
    run's first batches, before any ANALYZE), the join ran as a nested loop over every open cycle probing the
    task table, 48 s a batch at 10,000 schools; the task query alone stays an index scan whatever the
    statistics say."""
    query = (
        sa_select(col(Task.id), col(Task.lineage_id), col(Task.school_id), col(Task.kind), col(Task.due),
                  col(Task.assignee_id), col(Task.acknowledged_at), col(Task.escalation_level), col(Task.title),
                  col(Task.class_id), col(Task.role), col(Task.cycle_id))
        .where(col(Task.status) == TaskStatus.open)
        .order_by(col(Task.school_id), col(Task.due), col(Task.id))
    )
    if school_ids is not None:
        query = query.where(among(session, Task.school_id, school_ids))
    if task_ids is not None:
        query = query.where(among(session, Task.id, task_ids))
    rows = session.execute(query).all()
    rules: dict[int, tuple[str, str]] = {}
    cycle_ids = sorted({row.cycle_id for row in rows})
    for part in range(0, len(cycle_ids), 5000):
        rules.update((cycle_id, (pack, version)) for cycle_id, pack, version in session.execute(
            sa_select(col(Cycle.id), col(Cycle.pack), col(Cycle.pack_version))
            .where(among(session, Cycle.id, cycle_ids[part:part + 5000]), col(Cycle.status) == CycleStatus.open)))
    return [OpenTask._make((*row[:-1], *rules[row.cycle_id])) for row in rows if row.cycle_id in rules]


def _fired(session: Session, lineages: list[int]) -> dict[int, set[tuple[str, str]]]:
    """What each chain has fired already: (rung, occasion) pairs."""
    fired: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for part in range(0, len(lineages), 5000):
        rows = session.exec(select(ChaseEvent.lineage_id, ChaseEvent.rung, ChaseEvent.occasion)
                            .where(among(session, ChaseEvent.lineage_id, lineages[part:part + 5000])))
        for lineage, rung, occasion in rows:
            fired[lineage].add((rung, occasion))
    return fired


def _record(session: Session, firings: list[tuple[OpenTask, Firing]], now: datetime, directory: Directory,
            result: ChaseResult) -> None:
    """The ladder's log, the tasks' escalation levels and the district inbox, written in bulk."""
    session.execute(insert(ChaseEvent), [
        {"task_id": t.id, "lineage_id": t.lineage, "school_id": t.school_id, "rung": f.rung.key,
         "occasion": f.occasion, "level": f.rung.level, "offset": f.offset, "fired_at": now}
        for t, f in firings
    ])
    levels: dict[int, str] = {}
    escalations = []
    for task, firing in firings:
        level = firing.rung.level
        result.reminders += level == "reminder"
        result.school_escalations += level == "school"
        result.district_escalations += level == "district"
        if level == "reminder":
            continue
        levels[task.id] = higher_level(levels.get(task.id, task.escalation_level), level)
        if level == "district":
            escalations.append({
                "task_id": task.id, "lineage_id": task.lineage, "school_id": task.school_id,
                "district_id": directory.district_of(task.school_id), "reason": "overdue",
                "occasion": firing.occasion, "level": "district", "days_overdue": firing.offset,
                "summary": inbox_summary(task, directory),
                "raised_at": now, "notified_at": None, "status": "new", "acknowledged_at": None,
                "acknowledged_by_id": None, "notice_task_id": None, "resolved_at": None, "resolution": None,
            })
    changed = [{"id": i, "escalation_level": lv} for i, lv in levels.items()]
    if changed:
        session.execute(update(Task), changed)
    if escalations:
        session.execute(insert(Escalation), escalations)


def inbox_summary(task: OpenTask, directory: Directory) -> str:
    """What the district sees of a task: the work, the class (not a student) and the role."""
    where = directory.class_labels.get(task.class_id or 0)
    title = TitleGuard.public_title(task.kind, task.title)
    return f"{title}｜{where + '｜' if where else ''}{role_label(task.role)}"[:200]


def _notify(session: Session, firings: list[tuple[OpenTask, Firing]], now: datetime, today: date, book: PackBook,
            directory: Directory, result: ChaseResult) -> None:
    """Digests for the people of the schools; the district's officers hear from the district digest."""
    base_url = get_settings().base_url
    titles = TitleGuard(session)
    per_person: dict[int, list[DigestItem]] = defaultdict(list)
    robots: dict[int, list[tuple[str, str]]] = defaultdict(list)  # school → (event key, line)
    quiet_by_person = {}
    for task, firing in firings:
        school = directory.schools[task.school_id]
        event_key = f"{task.lineage}:{firing.rung.key}:{firing.occasion}"
        if firing.rung.level == "district":
            public = TitleGuard.public_title(task.kind, task.title)
            result.fired.append(FiredLine(school.name, task.id, public, firing.rung.label, firing.rung.level,
                                          firing.offset, task.due, ["区县督办箱"]))
            continue
        people = _targets(task, firing, directory)
        assignee = directory.people.get(task.assignee_id or 0)
        item = DigestItem(
            event_key=event_key, section=SECTION_OF_LEVEL[firing.rung.level], task_id=task.id, school=school.name,
            title=titles.internal(task.school_id, task.kind, task.title),
            class_label=directory.class_labels.get(task.class_id or 0), role_label=role_label(task.role),
            assignee=assignee.name if assignee else None, due=task.due, offset=firing.offset,
            rung_label=firing.rung.label, channels=firing.rung.channels)
        for person_id in people:
            per_person[person_id].append(item)
            quiet_by_person[person_id] = book.pack(*task.rules).chase.quiet_hours  # type: ignore[union-attr]
        if "robot" in firing.rung.channels:
            robots[task.school_id].append((event_key, f"{TitleGuard.public_title(task.kind, task.title)}"
                                                      f"｜{role_label(task.role)}｜逾期{firing.offset}个工作日"))
        result.fired.append(FiredLine(school.name, task.id, item.title, firing.rung.label, firing.rung.level,
                                      firing.offset, task.due, [directory.people[p].name for p in people
                                                                if p in directory.people]))
    rows: list[dict[str, Any]] = []
    for person_id, items in per_person.items():
        contact = directory.people.get(person_id)
        if contact is not None:
            rows.extend(person_digest_rows(contact, items, now=now, today=today, quiet=quiet_by_person[person_id],
                                           base_url=base_url))
    result.people_told += len(per_person)
    for school_id, entries in robots.items():
        school = directory.schools[school_id]
        if school.robot_url:
            digest = hashlib.sha1("|".join(sorted(k for k, _ in entries)).encode()).hexdigest()[:16]
            rows.append(robot_row(school.robot_url, key=f"chase-robot:{today}:s{school_id}:{digest}",
                                  title=f"{school.name}：{len(entries)}项心育工作逾期升级至组长",
                                  lines=[line for _, line in entries], now=now,
                                  link=link("school_board_page", base_url=base_url, school_id=school_id)))
    result.messages += queue_rows(session, rows)


def _targets(task: OpenTask, firing: Firing, directory: Directory) -> list[int]:
    """Who a rung tells: the assignee (the school leader if the task has none), or a role's holders."""
    people: list[int] = []
    for target in firing.rung.notify:
        if target == "assignee":
            found = [task.assignee_id] if task.assignee_id else directory.of_role(Role.leader, school_id=task.school_id)
        else:
            found = directory.of_role(target, school_id=task.school_id, class_id=task.class_id)
        people.extend(p for p in found if p not in people)
    return people
