"""The month board in pages (QD-S1 及时掌握进展): one school's steps, who is late, what was carried over;
and the district's schools × steps for its officers.

Staff of the whole school see everything; class-scope staff the step overview and their own classes'
(and their own) late work; district officers counts, roles, classes and due dates: never a person's or a
student's name, and free-text titles only as the kind of work.
"""

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import case, false, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import Cycle, District, Person, School, SchoolClass, Step, Task
from xinyu.access import Viewer, visible_class_ids
from xinyu.board import LEGEND
from xinyu.chase.calendar import chase_calendar
from xinyu.chase.titles import TitleGuard
from xinyu.clock import as_local
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import StepStatus, TaskStatus
from xinyu.cycle.system_templates import FREE_TEXT_TITLES
from xinyu.grades import grade_label
from xinyu.months import month_of
from xinyu.packs import Pack
from xinyu.roles import role_label
from xinyu.statutory import PAGE_MAX_AGE, sync_calendar
from xinyu.task_views import CRISIS_KIND, guard_titles, step_label
from xinyu.workdays import WorkCalendar

StepState = Literal["done", "open", "overdue", "pending", "carried"]
View = Literal["school", "class", "officer"]
OTHER_STEP = "other"  # tasks outside the month's steps (crisis, district notices) are counted here


class Cell(BaseModel):
    status: StepState
    text: str  # as the CLI board prints it: ✔ 10-16 迟 / ● 截止 10-20 / ⚠ 逾期 10-13 / · 10-22 / ↪ 已结转
    due: date
    done_on: date | None
    late: bool  # done after its due date


class StepRow(BaseModel):
    key: str
    label: str
    clause: str
    earliest: date | None
    cell: Cell | None  # None for the row of other work
    tasks: int
    done: int
    open: int  # open, not overdue
    overdue: int
    carried: int  # moved on into next month


class LateItem(BaseModel):
    task_id: int | None  # None for officers (no link to a page they may not open)
    step: str
    step_label: str
    title: str
    role_label: str
    class_label: str | None
    due: date
    days_overdue: int  # working days, vacations not counted (as the ladder counts)
    escalation_level: Literal["none", "school", "district"]
    carried_over: bool


class LateGroup(BaseModel):
    who: str  # the person (staff), or the role (officers)
    role_label: str
    class_label: str | None
    most_days: int
    items: list[LateItem]


class CarriedItem(BaseModel):
    task_id: int | None
    step_label: str
    title: str
    role_label: str
    class_label: str | None
    origin_month: str
    due: date  # the original due date, kept when carried
    status: Literal["open", "overdue", "done", "carried"]  # carried: passed on again into the month after


class SchoolBoard(BaseModel):
    school_id: int
    school: str
    month: str
    months: list[str]  # months with a cycle, newest first
    view: View
    cycle_status: Literal["open", "closed"] | None  # None: no cycle for that month
    variant: str | None
    steps: list[StepRow]
    open_tasks: int
    overdue_tasks: int
    carried_in: int
    late: list[LateGroup]
    carried: list[CarriedItem]
    legend: str = LEGEND


def cell(step: Step, work: WorkCalendar, today: date) -> Cell:
    due = step.due or step.calendar_due
    shown = cell_of(step.status, due, _local_day(step.done_at), work.is_overdue(due, today))
    if work.is_estimated(due) and shown.status != "carried":
        shown.text += " 推定"  # that year's holiday schedule is not imported: the date is estimated
    return shown


def _local_day(moment: datetime | None) -> date | None:
    return as_local(moment).date() if moment else None


def cell_of(status: str, due: date, done_on: date | None, past_due: bool) -> Cell:
    """A step's cell, worded as the CLI board words it (xinyu.board.step_cell): ✔ 10-16 迟, ● 截止 10-20, …"""
    done_on = done_on if status == StepStatus.done else None
    late = done_on is not None and done_on > due
    if done_on is not None:
        return Cell(status="done", text=f"✔ {done_on:%m-%d}" + (" 迟" if late else ""), due=due, done_on=done_on,
                    late=late)
    if status == StepStatus.open:
        return Cell(status="overdue" if past_due else "open", text=f"⚠ 逾期 {due:%m-%d}" if past_due else
                    f"● 截止 {due:%m-%d}", due=due, done_on=None, late=False)
    if status == StepStatus.carried:
        return Cell(status="carried", text="↪ 已结转", due=due, done_on=None, late=False)
    return Cell(status="pending" if status == StepStatus.pending else "done", text=f"· {due:%m-%d}", due=due,
                done_on=None, late=False)


def _rule(pack: Pack, number: int, key: str) -> tuple[str, str]:
    """A step's label and clause; the key itself for a step the pack no longer has (a pack changed mid-year)."""
    try:
        rule = pack.step(number, key)
    except StopIteration:
        return key, ""
    return rule.label, rule.clause


def default_month(session: Session, school_ids: list[int], today: date) -> str:
    """The latest month with a cycle that has started by today; this month if there is none."""
    latest = session.exec(select(func.max(Cycle.month)).where(col(Cycle.school_id).in_(school_ids),
                                                             Cycle.month <= month_of(today))).one()
    return latest or month_of(today)


def school_board(session: Session, viewer: Viewer, school: School, *, month: str | None, today: date,
                 book: PackBook) -> SchoolBoard:
    """The board of one school; the caller has checked that the viewer is its staff or its district's officer."""
    sync_calendar(session, PAGE_MAX_AGE)  # 推定 marks follow a schedule imported meanwhile
    assert school.id is not None
    view: View = ("school" if viewer.sees_whole_school(school.id) else
                  "class" if viewer.sees_school_as_staff(school.id) else "officer")
    months = sorted(set(session.exec(select(Cycle.month).where(Cycle.school_id == school.id))), reverse=True)
    month = month or default_month(session, [school.id], today)
    cycle = session.exec(select(Cycle).where(Cycle.school_id == school.id, Cycle.month == month)).first()
    board = SchoolBoard(school_id=school.id, school=school.name, month=month, months=months, view=view,
                        cycle_status=None, variant=None, steps=[], open_tasks=0, overdue_tasks=0, carried_in=0,
                        late=[], carried=[])
    if cycle is None or cycle.id is None:
        return board
    board.cycle_status = "closed" if cycle.status == "closed" else "open"
    board.variant = cycle.variant
    work = book.calendar(cycle.pack, cycle.pack_version)
    pack = book.pack(cycle.pack, cycle.pack_version)
    steps = list(session.exec(select(Step).where(Step.cycle_id == cycle.id).order_by(col(Step.order))))
    tasks = _cycle_tasks(session, cycle.id)
    cutoff = work.overdue_cutoff(today)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    known = {s.key for s in steps}
    for t in tasks:
        state = "overdue" if t["status"] == TaskStatus.open and t["due"] < cutoff else t["status"]
        counts[t["step"] if t["step"] in known else OTHER_STEP][state] += 1
    number = int(month[5:])
    for step in steps:
        label, clause = _rule(pack, number, step.key)
        c = counts[step.key]
        board.steps.append(StepRow(key=step.key, label=label, clause=clause, earliest=step.earliest,
                                   cell=cell(step, work, today), tasks=sum(c.values()), done=c["done"],
                                   open=c["open"], overdue=c["overdue"], carried=c["carried"]))
    if counts[OTHER_STEP]:
        c = counts[OTHER_STEP]
        board.steps.append(StepRow(key=OTHER_STEP, label="其他任务（危机、督办）", clause="", earliest=None, cell=None,
                                   tasks=sum(c.values()), done=c["done"], open=c["open"], overdue=c["overdue"],
                                   carried=c["carried"]))
    board.open_tasks = sum(c["open"] + c["overdue"] for c in counts.values())
    board.overdue_tasks = sum(c["overdue"] for c in counts.values())
    board.carried_in = sum(1 for t in tasks if t["carried_over"])
    shown = _shown_tasks(session, viewer, school.id, view, tasks)
    _late_and_carried(session, board, shown, book=book, pack_id=cycle.pack, version=cycle.pack_version,
                      today=today, cutoff=cutoff)
    return board


def _cycle_tasks(session: Session, cycle_id: int) -> list[dict[str, Any]]:
    origin = aliased(Cycle)
    query = (
        sa_select(col(Task.id), col(Task.step_key), col(Task.title), col(Task.kind), col(Task.role),
                  col(Task.assignee_id), col(Person.name), col(Task.class_id), col(SchoolClass.grade),
                  col(SchoolClass.name), col(Task.due), col(Task.status), col(Task.carried_over),
                  col(Task.escalation_level), col(origin.month), col(origin.pack),
                  col(origin.pack_version))
        .join(origin, col(origin.id) == col(Task.origin_cycle_id))
        .outerjoin(Person, col(Person.id) == col(Task.assignee_id))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Task.class_id))
        .where(col(Task.cycle_id) == cycle_id)
        .order_by(col(Task.due), col(Task.id))
    )
    keys = ("id", "step", "title", "kind", "role", "assignee_id", "assignee", "class_id", "grade", "class_name",
            "due", "status", "carried_over", "escalation", "origin_month", "origin_pack", "origin_version")
    return [dict(zip(keys, row, strict=True)) for row in session.execute(query)]


def _shown_tasks(session: Session, viewer: Viewer, school_id: int, view: View,
                 tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tasks whose detail this viewer may read on the board (counts above cover them all)."""
    if view == "officer":
        return tasks
    me = viewer.person_id
    if view == "school":
        leads = viewer.leads(school_id)
        return [t for t in tasks if t["kind"] != CRISIS_KIND or leads or t["assignee_id"] == me]
    classes = set(visible_class_ids(session, viewer, school_id) or [])
    return [t for t in tasks if t["assignee_id"] == me or (t["class_id"] in classes and t["kind"] != CRISIS_KIND)]


def _late_and_carried(session: Session, board: SchoolBoard, tasks: list[dict[str, Any]], *, book: PackBook,
                      pack_id: str, version: str, today: date, cutoff: date) -> None:
    officer = board.view == "officer"
    typed = {(board.school_id, t["title"]) for t in tasks if t["kind"] in FREE_TEXT_TITLES}
    guarded = {} if officer else guard_titles(session, typed)
    chase = chase_calendar(book, pack_id, version)
    groups: dict[tuple[str, str, str | None], list[LateItem]] = defaultdict(list)
    for t in tasks:
        class_label = f"{grade_label(t['grade'])}{t['class_name']}" if t["class_id"] is not None else None
        title = TitleGuard.public_title(t["kind"], t["title"]) if officer else guarded.get(
            (board.school_id, t["title"]), t["title"])
        label = step_label(book, t["origin_pack"], t["origin_month"], t["step"], t["origin_version"])
        overdue = t["status"] == TaskStatus.open and t["due"] < cutoff
        if overdue:
            who = role_label(t["role"]) if officer else (t["assignee"] or f"（未指派）{role_label(t['role'])}")
            groups[(who, role_label(t["role"]), class_label)].append(LateItem(
                task_id=None if officer else t["id"], step=t["step"], step_label=label, title=title,
                role_label=role_label(t["role"]), class_label=class_label, due=t["due"],
                days_overdue=max(chase.offset(t["due"], today), 0),
                escalation_level=t["escalation"] if t["escalation"] in ("school", "district") else "none",
                carried_over=t["carried_over"]))
        if t["carried_over"]:
            board.carried.append(CarriedItem(
                task_id=None if officer else t["id"], step_label=label, title=title, role_label=role_label(t["role"]),
                class_label=class_label, origin_month=t["origin_month"], due=t["due"],
                status="overdue" if overdue else t["status"]))
    board.late = sorted(
        (LateGroup(who=who, role_label=role, class_label=cls, most_days=max(i.days_overdue for i in items),
                   items=items) for (who, role, cls), items in groups.items()),
        key=lambda g: (-g.most_days, g.who, g.class_label or ""))


# --- the district ----------------------------------------------------------------------------------------


class Column(BaseModel):
    key: str
    label: str
    done_schools: int
    overdue_schools: int


class DistrictRow(BaseModel):
    school_id: int
    school: str
    cells: dict[str, Cell]
    open_tasks: int
    overdue_tasks: int
    carried_in: int


class DistrictBoard(BaseModel):
    district_id: int
    district: str
    month: str
    months: list[str]
    columns: list[Column]
    rows: list[DistrictRow]
    schools_without_cycle: list[str]
    open_tasks: int
    overdue_tasks: int
    carried_in: int
    legend: str = LEGEND


def district_board(session: Session, district: District, *, month: str | None, today: date,
                   book: PackBook) -> DistrictBoard:
    """Schools × steps for a district's officers: counts and dates, in a handful of queries."""
    sync_calendar(session, PAGE_MAX_AGE)  # 推定 marks follow a schedule imported meanwhile
    assert district.id is not None
    in_district = col(School.district_id) == district.id
    schools = list(session.exec(select(School.id, School.name).where(in_district).order_by(col(School.name))))
    months = list(session.exec(select(Cycle.month).join(School, col(School.id) == col(Cycle.school_id))
                               .where(in_district).distinct().order_by(col(Cycle.month).desc())))
    month = month or next((m for m in months if m <= month_of(today)), month_of(today))
    this_month = (col(Cycle.month) == month) & in_district
    cycles = {cycle_id: (school_id, (pack, version)) for cycle_id, school_id, pack, version in session.execute(
        sa_select(col(Cycle.id), col(Cycle.school_id), col(Cycle.pack), col(Cycle.pack_version))
        .join(School, col(School.id) == col(Cycle.school_id)).where(this_month))}
    by_school = {school_id: cycle_id for cycle_id, (school_id, _) in cycles.items()}
    steps: dict[int, list[tuple[str, str, date, date | None]]] = defaultdict(list)
    for cycle_id, key, status, due, done_at in session.execute(
            sa_select(col(Step.cycle_id), col(Step.key), col(Step.status),
                      func.coalesce(col(Step.due), col(Step.calendar_due)).label("due"), col(Step.done_at))
            .join(Cycle, col(Cycle.id) == col(Step.cycle_id)).join(School, col(School.id) == col(Cycle.school_id))
            .where(this_month).order_by(col(Step.cycle_id), col(Step.order))):
        steps[cycle_id].append((key, status, due, _local_day(done_at)))
    packs = {pack for _, pack in cycles.values()}
    cutoffs = {(pack, v): book.calendar(pack, v).overdue_cutoff(today) for pack, v in packs}  # each cycle's version
    # One row per school: open, overdue (each pack's calendar) and carried-in tasks summed by the database.
    is_open = col(Task.status) == TaskStatus.open
    past_due = or_(false(), *((col(Cycle.pack) == pack) & (col(Cycle.pack_version) == v) & (col(Task.due) < cutoff)
                              for (pack, v), cutoff in cutoffs.items()))
    counts = {cycle_id: (open_n or 0, overdue_n or 0, carried_n or 0) for cycle_id, open_n, overdue_n, carried_n in
              session.execute(
                  sa_select(col(Task.cycle_id), func.sum(case((is_open, 1), else_=0)),
                            func.sum(case((is_open & past_due, 1), else_=0)),
                            func.sum(case((col(Task.carried_over), 1), else_=0)))
                  .join(Cycle, col(Cycle.id) == col(Task.cycle_id))
                  .join(School, col(School.id) == col(Cycle.school_id))
                  .where(this_month).group_by(col(Task.cycle_id)))}
    # Schools share due dates and done days: one cell object per distinct (pack, status, due, done day).
    cells_seen: dict[tuple[str, str, str, date, date | None], Cell] = {}
    labels: dict[str, str] = {}
    done_schools: Counter[str] = Counter()
    overdue_schools: Counter[str] = Counter()
    rows, missing = [], []
    for school_id, name in schools:
        cycle_id = by_school.get(school_id) if school_id is not None else None
        if cycle_id is None or school_id is None:
            missing.append(name)
            continue
        pack_id, version = cycles[cycle_id][1]
        cells = {}
        for key, status, due, done_on in steps[cycle_id]:
            if key not in labels:
                labels[key] = _rule(book.pack(pack_id, version), int(month[5:]), key)[0]
            found = cells_seen.get((pack_id, version, status, due, done_on))
            if found is None:
                found = cells_seen[(pack_id, version, status, due, done_on)] = cell_of(
                    status, due, done_on, book.calendar(pack_id, version).is_overdue(due, today))
            cells[key] = found
            done_schools[key] += found.status == "done"
            overdue_schools[key] += found.status == "overdue"
        open_n, overdue_n, carried_n = counts.get(cycle_id, (0, 0, 0))
        rows.append(DistrictRow(school_id=school_id, school=name, cells=cells, open_tasks=open_n,
                                overdue_tasks=overdue_n, carried_in=carried_n))
    columns = [Column(key=key, label=label, done_schools=done_schools[key], overdue_schools=overdue_schools[key])
               for key, label in labels.items()]
    return DistrictBoard(district_id=district.id, district=district.name, month=month, months=months,
                         columns=columns, rows=rows, schools_without_cycle=missing,
                         open_tasks=sum(r.open_tasks for r in rows), overdue_tasks=sum(r.overdue_tasks for r in rows),
                         carried_in=sum(r.carried_in for r in rows))
