"""The leadership group's monthly meeting (QD-S1b) as staff see and record it.

The agenda is generated when the meeting step opens (xinyu/meetings/agenda.py); before that a preview is
rendered from the same facts. Recording the minutes completes the step's task through the core
(xinyu.cycle.complete_task: permissions, evidence, the `meeting_minutes` action that turns each
decision line into a task with an owner role and a due date).
"""

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Cycle, Meeting, Person, RoleAssignment, School, SchoolClass, Step, Task
from xinyu.access import LEADERSHIP, AccessDenied, Viewer
from xinyu.clock import local_date
from xinyu.cycle import complete_task
from xinyu.cycle.evidence import describe_fields
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import LABELS as STATUS_LABELS
from xinyu.cycle.states import TaskStatus
from xinyu.grades import grade_label
from xinyu.history import record_change
from xinyu.meetings.agenda import agenda_facts, render_agenda
from xinyu.meetings.held import (
    Attendee,
    Staff,
    attendees,
    decision_number,
    held_snapshot,
    may_correct,
    meeting_of,
    record_attendance,
    school_staff,
)
from xinyu.months import month_range
from xinyu.packs import TaskTemplate
from xinyu.roles import Role, role_label
from xinyu.text_input import check_text

MINUTES_ACTION = "meeting_minutes"
DECISION_FORMAT = "事项｜负责角色｜截止日期"
MAX_DECISION_LINE = 180  # the task's title ("会议决定：" + 事项) must fit its 200 characters
DECISION_HORIZON = timedelta(days=366)


class MeetingError(ValueError):
    """A recording that cannot be accepted (step not open, already recorded, a date in the future)."""


class MeetingClosed(MeetingError):
    """The minutes cannot be recorded now: the step has not opened, or they were recorded already."""


class NotAllowed(PermissionError):
    """The viewer sees the meeting but may not record it (answered 403)."""


class AgendaBlock(BaseModel):
    kind: str  # h1 | h2 | item | subitem | text
    text: str


class DecisionTask(BaseModel):
    id: int
    title: str
    role: str
    role_label: str
    assignee: str | None
    class_label: str | None
    due: date
    status: str  # open | overdue | done | carried
    status_label: str


class FormField(BaseModel):
    name: str
    label: str
    type: str
    required: bool
    choices: list[str]


class Member(BaseModel):
    person_id: int
    name: str
    roles: list[str]  # Chinese labels


class DecisionRow(BaseModel):
    """One decision as entered on a phone: 事项, 负责角色 or a named person, 截止日期."""

    model_config = ConfigDict(extra="forbid")

    what: str = Field(min_length=1, max_length=MAX_DECISION_LINE - 40, description="事项")
    owner: str = Field(min_length=1, max_length=64, description="负责角色（如 副组长）或本校教职工姓名")
    due: date = Field(description="截止日期")


class MeetingView(BaseModel):
    school_id: int
    school_name: str
    month: str
    cycle_id: int
    step_key: str
    step_label: str
    clause: str
    step_status: str  # pending | open | done | carried
    step_status_label: str
    step_earliest: date
    step_due: date  # the due date once opened, else the pack's calendar date
    step_opened_at: datetime | None
    agenda: str
    agenda_preview: bool  # True: the step has not opened; the agenda is a preview from today's facts
    agenda_blocks: list[AgendaBlock]
    held_on: date | None
    minutes: str | None
    recorded_at: datetime | None
    recorded_by: str | None
    decisions_text: str | None
    minutes_task_id: int | None
    minutes_task_status: str | None
    minutes_task_due: date | None
    missed_task_id: int | None  # the step never opened this month: the 补做 task carried into next month
    decisions: list[DecisionTask]
    may_record: bool
    fields: list[FormField]
    decision_format: str = DECISION_FORMAT
    members: list[Member]
    starts_at: datetime | None = None
    place: str | None = None
    host: str | None = None
    host_id: int | None = None
    recorder: str | None = None
    recorder_id: int | None = None
    attendees: list[Attendee] = []
    staff: list[Staff] = []
    may_set: bool = False  # the leader sets time, place and attendees
    may_correct: bool = False  # the minutes' author, within the month they were recorded
    decision_numbers: dict[int, str] = {}  # decision task id → its number ('{minutes task}:{n}') for corrections
    owner_choices: list[str] = []  # roles, then staff names, for a decision row
    meeting_id: int | None = None
    viewer_leads: bool = False  # the leader reads the meeting's history


class MinutesForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: date = Field(description="会议日期")
    attendees: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=60,
                                                                  description="参会人员")
    minutes: str = Field(min_length=1, max_length=20000, description="会议纪要")
    decisions: str = Field(default="", max_length=10000,
                           description=f"会议决定（旧格式，每行一项：{DECISION_FORMAT}）；手机上请用 decision_rows")
    decision_rows: list[DecisionRow] = Field(default_factory=list, max_length=50, description="会议决定，每项一行")
    attended_ids: list[int] | None = Field(default=None, max_length=60, description="实到人员（受邀人员中）")


def minutes_template(book: PackBook, cycle: Cycle) -> tuple[str, TaskTemplate, str, str]:
    """The meeting step of the cycle's pack: (step key, minutes template, step label, clause)."""
    month = int(cycle.month[5:7])
    for step in book.pack(cycle.pack, cycle.pack_version).steps_for(month):
        for template in step.tasks:
            if template.action == MINUTES_ACTION:
                return step.key, template, step.label, step.clause
    raise AccessDenied(f"no meeting step in {cycle.pack} {cycle.month}")


def agenda_blocks(agenda: str) -> list[AgendaBlock]:
    """The agenda's Markdown-like lines as blocks a template renders (escaped, no HTML from the text)."""
    blocks = []
    for line in agenda.splitlines():
        if not line.strip():
            continue
        if line.startswith("## "):
            blocks.append(AgendaBlock(kind="h2", text=line[3:].strip()))
        elif line.startswith("# "):
            blocks.append(AgendaBlock(kind="h1", text=line[2:].strip()))
        elif re.match(r"^\s{2,}- ", line):
            blocks.append(AgendaBlock(kind="subitem", text=line.strip()[2:]))
        elif line.startswith("- "):
            blocks.append(AgendaBlock(kind="item", text=line[2:].strip()))
        else:
            blocks.append(AgendaBlock(kind="text", text=line.strip()))
    return blocks


def agenda_headings(agenda: str) -> list[str]:
    return [b.text for b in agenda_blocks(agenda) if b.kind == "h2"]


def school_cycle(session: Session, viewer: Viewer, school_id: int, month: str) -> Cycle | None:
    """The school's cycle for the month; AccessDenied unless the viewer is the school's whole-school staff."""
    viewer.require_whole_school(school_id)
    return session.exec(select(Cycle).where(Cycle.school_id == school_id, Cycle.month == month)).first()


def leadership_members(session: Session, school_id: int) -> list[tuple[Member, str | None]]:
    """The leadership group (组长, 副组长, 心理副校长, 部门负责人) with their emails, in role order."""
    order = {r.value: n for n, r in enumerate(Role)}
    found = session.execute(
        sa_select(col(Person.id), col(Person.name), col(Person.email), col(RoleAssignment.role))
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(col(RoleAssignment.school_id) == school_id, col(RoleAssignment.class_id).is_(None),
               col(RoleAssignment.role).in_([r.value for r in LEADERSHIP]))
        .order_by(col(Person.id)))
    people: dict[int, tuple[str, str | None, list[str]]] = {}
    for person_id, name, email, role in found:
        people.setdefault(person_id, (name, email, []))[2].append(role)
    rank = {r: order.get(r, 99) for _, _, roles in people.values() for r in roles}
    members = [(Member(person_id=pid, name=name, roles=[role_label(r) for r in sorted(roles, key=rank.__getitem__)]),
                email, min(rank[r] for r in roles))
               for pid, (name, email, roles) in people.items()]
    return [(m, email) for m, email, _ in sorted(members, key=lambda t: (t[2], t[0].person_id))]


def meeting_view(session: Session, viewer: Viewer, *, school_id: int, month: str, book: PackBook,
                 now: datetime) -> MeetingView | None:
    """The month's meeting for the school's whole-school staff; None when the school has no cycle that month."""
    cycle = school_cycle(session, viewer, school_id, month)
    if cycle is None:
        return None
    assert cycle.id is not None
    school = session.get(School, school_id)
    assert school is not None
    step_key, template, step_label, clause = minutes_template(book, cycle)
    step = session.exec(select(Step).where(Step.cycle_id == cycle.id, Step.key == step_key)).first()
    if step is None:
        raise AccessDenied(f"no meeting step in cycle {cycle.id}")
    meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).first()
    tasks = list(session.exec(select(Task).where(Task.origin_cycle_id == cycle.id, Task.step_key == step_key)
                              .order_by(col(Task.id))))
    live = [t for t in tasks if t.status != TaskStatus.carried]
    minutes_task = next((t for t in reversed(live) if t.template == template.key), None)
    missed = next((t for t in live if t.kind == "missed"), None)
    decisions = [t for t in live if t.kind == "decision"]
    today = local_date(now)
    staff = school_staff(session, school_id)
    cutoff = book.calendar(cycle.pack, cycle.pack_version).overdue_cutoff(today)
    names = _names(session, {t.assignee_id for t in decisions} | {minutes_task.completed_by_id if minutes_task
                                                                   else None})
    classes = _class_labels(session, {t.class_id for t in decisions})
    if meeting is not None and meeting.agenda:
        agenda, preview = meeting.agenda, False
    else:
        agenda, preview = render_agenda(agenda_facts(session, cycle=cycle, book=book, now=now)), True
    done = minutes_task is not None and minutes_task.status == TaskStatus.done
    evidence = minutes_task.evidence if minutes_task is not None and done else {}
    return MeetingView(
        school_id=school_id, school_name=school.name, month=month, cycle_id=cycle.id, step_key=step_key,
        step_label=step_label, clause=clause, step_status=step.status,
        step_status_label=STATUS_LABELS.get(step.status, step.status), step_earliest=step.earliest,
        step_due=step.due or step.calendar_due, step_opened_at=step.opened_at,
        agenda=agenda, agenda_preview=preview, agenda_blocks=agenda_blocks(agenda),
        held_on=meeting.held_on if meeting else None, minutes=meeting.minutes if meeting else None,
        recorded_at=meeting.recorded_at if meeting else None,
        recorded_by=names.get(minutes_task.completed_by_id or 0) if minutes_task and done else None,
        decisions_text=str(evidence["decisions"]) if evidence.get("decisions") else None,
        minutes_task_id=minutes_task.id if minutes_task else None,
        minutes_task_status=_status(minutes_task, cutoff) if minutes_task else None,
        minutes_task_due=minutes_task.due if minutes_task else None,
        missed_task_id=missed.id if missed else None,
        decisions=[DecisionTask(
            id=t.id or 0, title=t.title, role=t.role, role_label=role_label(t.role),
            assignee=names.get(t.assignee_id or 0), class_label=classes.get(t.class_id or 0), due=t.due,
            status=_status(t, cutoff), status_label=STATUS_LABELS.get(_status(t, cutoff), t.status),
        ) for t in decisions],
        may_record=minutes_task is not None and minutes_task.status == TaskStatus.open
        and may_record(viewer, minutes_task),
        fields=[FormField(**f) for f in describe_fields(template.evidence)],
        members=[m for m, _ in leadership_members(session, school_id)],
        **_held(session, viewer, meeting, staff, now),
        staff=staff, may_set=viewer.leads(school_id) and not done, viewer_leads=viewer.leads(school_id),
        meeting_id=meeting.id if meeting else None,
        decision_numbers={t.id or 0: decision_number(t.key) for t in decisions},
        owner_choices=[*OWNER_ROLES, *dict.fromkeys(s.name for s in staff)],
    )


OWNER_ROLES = [role_label(r) for r in (Role.leader, Role.deputy, Role.health_vice_principal, Role.department_head,
                                       Role.grade_head, Role.psych_teacher, Role.homeroom)]


def _held(session: Session, viewer: Viewer, meeting: Meeting | None, staff: list[Staff],
          now: datetime) -> dict[str, Any]:
    names = {s.person_id: s.name for s in staff}
    leader = next((s for s in staff if "组长" in s.roles), None)
    host_id = meeting.host_id if meeting and meeting.host_id else (leader.person_id if leader else None)
    return {
        "starts_at": meeting.starts_at if meeting else None, "place": meeting.place if meeting else None,
        "host_id": host_id, "host": names.get(host_id or 0),
        "recorder_id": meeting.recorder_id if meeting else None,
        "recorder": names.get(meeting.recorder_id or 0) if meeting else None,
        "attendees": attendees(session, meeting, staff), "may_correct": may_correct(viewer, meeting, now),
    }


def may_record(viewer: Viewer, task: Task) -> bool:
    """As the core decides (completion._may_complete): the assignee, a holder of the task's role, or the leader."""
    return (viewer.person_id == task.assignee_id or viewer.leads(task.school_id)
            or task.role in viewer.school_roles.get(task.school_id, frozenset()))


def _status(task: Task, cutoff: date) -> str:
    if task.status == TaskStatus.open and task.due < cutoff:
        return "overdue"
    return str(task.status)


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {pid: name for pid, name in session.execute(
        sa_select(col(Person.id), col(Person.name)).where(col(Person.id).in_(wanted)))}


def _class_labels(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {c.id or 0: f"{grade_label(c.grade)}{c.name}"
            for c in session.exec(select(SchoolClass).where(col(SchoolClass.id).in_(wanted)))}


def check_minutes(form: MinutesForm, *, month: str, today: date) -> None:
    """What the core's parser does not guard: the meeting's date, control characters, lengths, far-off due dates."""
    if form.held_on > today:
        raise MeetingError(f"会议日期 {form.held_on} 晚于今天")
    if form.held_on < month_range(month)[0]:
        raise MeetingError(f"会议日期 {form.held_on} 早于 {month} 月初")
    check_text(form.minutes, "纪要", multiline=True, error=MeetingError)
    check_text(form.decisions, "会议决定", multiline=True, error=MeetingError)
    for name in form.attendees:
        check_text(name, "参会人员", error=MeetingError)
    for number, line in enumerate(form.decisions.splitlines(), start=1):
        if len(line.strip()) > MAX_DECISION_LINE:
            raise MeetingError(f"第{number}行会议决定过长（不超过 {MAX_DECISION_LINE} 字）")
        due = re.search(r"(\d{4}[-/]\d{1,2}[-/]\d{1,2})\s*$", line)
        if due:
            try:
                day = date.fromisoformat(due.group(1).replace("/", "-"))
            except ValueError:
                continue  # the core's parser explains a bad date
            if day > form.held_on + DECISION_HORIZON:
                raise MeetingError(f"第{number}行截止日期 {day} 距会议日期超过一年")
    for number, row in enumerate(form.decision_rows, start=1):
        if row.due > form.held_on + DECISION_HORIZON:
            raise MeetingError(f"第{number}项会议决定的截止日期 {row.due} 距会议日期超过一年")


def record_meeting(session: Session, viewer: Viewer, *, school_id: int, month: str, form: MinutesForm,
                   book: PackBook, now: datetime) -> Task:
    """Complete the meeting step's task with the minutes and decisions; the caller commits (or rolls back)."""
    cycle = school_cycle(session, viewer, school_id, month)
    if cycle is None:
        raise AccessDenied(f"no cycle {school_id} {month}")
    step_key, template, _, _ = minutes_template(book, cycle)
    task = session.exec(select(Task).where(Task.origin_cycle_id == cycle.id, Task.step_key == step_key,
                                           Task.template == template.key, Task.status != TaskStatus.carried)
                        .order_by(col(Task.id).desc())).first()
    if task is None:
        raise MeetingClosed("本月领导小组会议步骤尚未开启，暂不能录入纪要")
    if task.status == TaskStatus.done:
        raise MeetingClosed("本月会议纪要已于此前录入")
    if not may_record(viewer, task):
        raise NotAllowed(f"只有{role_label(task.role)}或组长可以录入会议纪要")
    check_minutes(form, month=month, today=local_date(now))
    others = [a.strip() for a in form.attendees if a.strip()]
    minutes = form.minutes.strip()
    if others:
        minutes = f"参会人员：{'、'.join(dict.fromkeys(others))}\n\n{minutes}"
    decisions = "\n".join([*(line for line in form.decisions.splitlines() if line.strip()),
                           *(decision_line(n, row) for n, row in enumerate(form.decision_rows, start=1))])
    values = {"held_on": form.held_on.isoformat(), "minutes": minutes, "decisions": decisions}
    if "decisions" not in {f.name for f in template.evidence}:
        values.pop("decisions")
    done = complete_task(session, task_id=task.id or 0, values=values, now=now, book=book, by=viewer.person_id)
    meeting = meeting_of(session, cycle)
    staff = school_staff(session, school_id)
    if form.attended_ids is not None:
        record_attendance(session, meeting, staff, set(form.attended_ids))
    record_change(session, kind="meeting", record_id=meeting.id or 0, school_id=school_id, by=viewer.person_id,
                  now=now, action="created", before=None, after=held_snapshot(session, meeting, staff))
    return done


def decision_line(number: int, row: DecisionRow) -> str:
    """A decision row as the core's line (事项｜负责｜截止日期); a separator inside a cell is refused."""
    for label, text in (("事项", row.what), ("负责", row.owner)):
        if "|" in text or "｜" in text:
            raise MeetingError(f"第{number}项会议决定的{label}不能含竖线“｜”")
        check_text(text, f"第{number}项会议决定的{label}", error=MeetingError)
    return f"{row.what.strip()}｜{row.owner.strip()}｜{row.due.isoformat()}"
