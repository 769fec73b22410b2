"""The meeting as it is held (QD-S1b): time, place, 主持人, 记录人, attendees, who came; minutes corrected.

The leader sets the meeting; by default the whole leadership group and the school's psychology teachers are
invited, and the leader adds or removes people. Who actually attended is recorded with the minutes. The
minutes' author may correct them (and the decisions) within the month the minutes were recorded; every
version is kept with xinyu.history.record_change(kind="meeting"), the leader reads them on the meeting page.
"""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Cycle, Meeting, MeetingAttendee, Person, RoleAssignment, Task
from xinyu.access import LEADERSHIP, Viewer
from xinyu.clock import as_local, local_date
from xinyu.cycle.states import TaskStatus
from xinyu.history import record_change, snapshot
from xinyu.months import month_of, month_range
from xinyu.roles import Role, role_label
from xinyu.text_input import check_text

INVITED_BY_DEFAULT = LEADERSHIP | {Role.psych_teacher}
MAX_ATTENDEES = 60
FIELD_LABELS = {"starts_at": "会议时间", "place": "会议地点", "host": "主持人", "recorder": "记录人",
                "attendees": "参会人员", "attended": "实到人员", "held_on": "会议日期", "minutes": "会议纪要",
                "decisions": "会议决定"}


class HeldError(ValueError):
    """A setting or correction that cannot be accepted; the message says why."""


class NotLeader(PermissionError):
    """Only the leader (组长) sets the meeting; only the minutes' author corrects them."""


class Staff(BaseModel):
    person_id: int
    name: str
    roles: list[str]  # Chinese labels, by rank
    invited_by_default: bool


class Attendee(BaseModel):
    person_id: int
    name: str
    roles: list[str]
    attended: bool | None  # None: not recorded yet


class MeetingSetup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="会议时间（北京时间）")
    place: str = Field(min_length=1, max_length=128, description="会议地点")
    host_id: int | None = Field(default=None, description="主持人（缺省为组长）")
    recorder_id: int | None = Field(default=None, description="记录人")
    attendee_ids: list[int] | None = Field(default=None, max_length=MAX_ATTENDEES,
                                           description="参会人员；缺省为领导小组全体和专职心理教师")


def school_staff(session: Session, school_id: int) -> list[Staff]:
    """The school's staff (any scope inside it), leadership first, each once with their role labels."""
    order = {r.value: n for n, r in enumerate(Role)}
    people: dict[int, tuple[str, set[str]]] = {}
    for person_id, name, role in session.execute(
            sa_select(col(Person.id), col(Person.name), col(RoleAssignment.role))
            .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
            .where(col(RoleAssignment.school_id) == school_id)):
        if not Role(role).is_student:
            people.setdefault(person_id, (name, set()))[1].add(role)
    staff = [Staff(person_id=pid, name=name, roles=[role_label(r) for r in sorted(roles, key=order.__getitem__)],
                   invited_by_default=bool({Role(r) for r in roles} & INVITED_BY_DEFAULT))
             for pid, (name, roles) in people.items()]
    rank = {s.person_id: min(order[r] for r in people[s.person_id][1]) for s in staff}
    return sorted(staff, key=lambda s: (rank[s.person_id], s.person_id))


def meeting_of(session: Session, cycle: Cycle) -> Meeting:
    """The cycle's meeting row, created (empty agenda) when the leader sets it before the step opens."""
    found = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).first()
    if found is None:
        found = Meeting(cycle_id=cycle.id or 0, agenda="")
        session.add(found)
        session.flush()
    return found


def attendees(session: Session, meeting: Meeting | None, staff: list[Staff]) -> list[Attendee]:
    """The invited people: as the leader set them, else the default (leadership group + psychology teachers)."""
    by_id = {s.person_id: s for s in staff}
    rows = [] if meeting is None or meeting.id is None else list(session.exec(
        select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id).order_by(col(MeetingAttendee.id))))
    if not rows:
        return [Attendee(person_id=s.person_id, name=s.name, roles=s.roles, attended=None)
                for s in staff if s.invited_by_default]
    order = {s.person_id: n for n, s in enumerate(staff)}
    rows.sort(key=lambda r: order.get(r.person_id, len(order)))
    names = _names(session, {r.person_id for r in rows if r.person_id not in by_id})
    return [Attendee(person_id=r.person_id, name=by_id[r.person_id].name if r.person_id in by_id
                     else names.get(r.person_id, "?"), roles=by_id[r.person_id].roles if r.person_id in by_id else [],
                     attended=r.attended) for r in rows]


def invitees_with_emails(session: Session, invited: list[Attendee]) -> list[tuple[Attendee, str | None]]:
    """The invited people with their email addresses (the calendar invitation's ATTENDEE lines)."""
    ids = [a.person_id for a in invited]
    emails: dict[int, str | None] = {}
    if ids:
        emails = {pid: email for pid, email in session.execute(
            sa_select(col(Person.id), col(Person.email)).where(col(Person.id).in_(ids)))}
    return [(a, emails.get(a.person_id)) for a in invited]


def held_snapshot(session: Session, meeting: Meeting, staff: list[Staff]) -> dict[str, Any]:
    """The meeting as kept in its history: names rather than ids, so the old value reads as it was."""
    people = {s.person_id: s.name for s in staff}
    invited = attendees(session, meeting, staff)
    decisions = [f"{t.title.removeprefix('会议决定：')}｜{t.due.isoformat()}" for t in decision_tasks(session, meeting)]
    return snapshot({
        "starts_at": as_local(meeting.starts_at).strftime("%Y-%m-%d %H:%M") if meeting.starts_at else None,
        "place": meeting.place, "host": people.get(meeting.host_id or 0),
        "recorder": people.get(meeting.recorder_id or 0),
        "attendees": "、".join(a.name for a in invited),
        "attended": "、".join(a.name for a in invited if a.attended) or None,
        "held_on": meeting.held_on, "minutes": meeting.minutes, "decisions": "\n".join(decisions) or None,
    }, list(FIELD_LABELS))


def set_meeting(session: Session, viewer: Viewer, *, cycle: Cycle, setup: MeetingSetup, now: datetime) -> Meeting:
    """The leader sets time, place, host, recorder and attendees; the caller commits."""
    if not viewer.leads(cycle.school_id):
        raise NotLeader("只有组长可以安排会议时间、地点和参会人员")
    check_text(setup.place, "会议地点", error=HeldError)
    starts = setup.starts_at if setup.starts_at.tzinfo else setup.starts_at.replace(tzinfo=as_local(now).tzinfo)
    if local_date(starts) < month_range(cycle.month)[0]:
        raise HeldError(f"会议时间 {as_local(starts):%Y-%m-%d %H:%M} 早于 {cycle.month} 月初")
    staff = school_staff(session, cycle.school_id)
    known = {s.person_id for s in staff}
    wanted = list(dict.fromkeys(setup.attendee_ids if setup.attendee_ids is not None
                                else [s.person_id for s in staff if s.invited_by_default]))
    for label, pid in (("主持人", setup.host_id), ("记录人", setup.recorder_id), *(("参会人员", p) for p in wanted)):
        if pid is not None and pid not in known:
            raise HeldError(f"{label}（#{pid}）不是本校教职工")
    if not wanted:
        raise HeldError("参会人员不能为空")
    meeting = meeting_of(session, cycle)
    before = held_snapshot(session, meeting, staff)
    leader = next((s.person_id for s in staff if "组长" in s.roles), None)
    meeting.starts_at, meeting.place = starts, setup.place.strip()
    meeting.host_id = setup.host_id or meeting.host_id or leader
    meeting.recorder_id = setup.recorder_id or meeting.recorder_id
    _replace_attendees(session, meeting, wanted)
    session.add(meeting)
    session.flush()
    record_change(session, kind="meeting", record_id=meeting.id or 0, school_id=cycle.school_id, by=viewer.person_id,
                  now=now, action="updated", before=before, after=held_snapshot(session, meeting, staff))
    return meeting


def _replace_attendees(session: Session, meeting: Meeting, wanted: list[int]) -> None:
    query = select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)
    rows = {r.person_id: r for r in session.exec(query)}
    for pid, row in rows.items():
        if pid not in wanted:
            session.delete(row)
    for pid in wanted:
        if pid not in rows:
            session.add(MeetingAttendee(meeting_id=meeting.id or 0, person_id=pid))
    session.flush()


def record_attendance(session: Session, meeting: Meeting, staff: list[Staff], attended_ids: set[int]) -> None:
    """Who came, among the invited (the invitation list is stored as it stood, if it was the default)."""
    invited = [a.person_id for a in attendees(session, meeting, staff)]
    _replace_attendees(session, meeting, invited)
    for row in session.exec(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)):
        row.attended = row.person_id in attended_ids
        session.add(row)
    session.flush()


def decision_tasks(session: Session, meeting: Meeting) -> list[Task]:
    """The decisions' tasks, one per decision (a class role's decision has a task per class: the first)."""
    tasks = session.exec(select(Task).where(Task.origin_cycle_id == meeting.cycle_id, Task.kind == "decision",
                                            Task.status != TaskStatus.carried).order_by(col(Task.id)))
    seen: dict[str, Task] = {}
    for task in tasks:
        seen.setdefault(decision_number(task.key), task)
    return list(seen.values())


def decision_number(key: str) -> str:
    """'decision:{minutes task}:{n}[:c{class}]' → '{minutes task}:{n}' (the decision, across its classes)."""
    return ":".join(key.split(":")[1:3])


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: str = Field(min_length=1, max_length=20000, description="会议纪要")
    attended_ids: list[int] | None = Field(default=None, max_length=MAX_ATTENDEES, description="实到人员")
    decisions: dict[str, tuple[str, date]] = Field(default_factory=dict,
                                                   description="决定编号 → （事项，截止日期），只改这些")


def may_correct(viewer: Viewer, meeting: Meeting | None, now: datetime) -> bool:
    """The minutes' author, within the calendar month (Asia/Shanghai) they were recorded in."""
    return (meeting is not None and meeting.recorded_at is not None and meeting.recorded_by_id == viewer.person_id
            and month_of(local_date(meeting.recorded_at)) == month_of(local_date(now)))


def correct_minutes(session: Session, viewer: Viewer, *, cycle: Cycle, correction: Correction,
                    now: datetime) -> Meeting:
    """The author corrects minutes, attendance and decisions' wording and dates; the old values stay in history."""
    meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).first()
    if meeting is None or meeting.minutes is None:
        raise HeldError("本月会议纪要尚未录入，无可更正")
    if not may_correct(viewer, meeting, now):
        raise NotLeader("只有纪要的录入人可以在录入当月内更正纪要")
    check_text(correction.minutes, "会议纪要", multiline=True, error=HeldError)
    staff = school_staff(session, cycle.school_id)
    before = held_snapshot(session, meeting, staff)
    meeting.minutes = correction.minutes.strip()
    if correction.attended_ids is not None:
        record_attendance(session, meeting, staff, set(correction.attended_ids))
    held_on = meeting.held_on or local_date(now)
    for number, (what, due) in correction.decisions.items():
        check_text(what, "会议决定", error=HeldError)
        if not what.strip() or len(what) > 180:
            raise HeldError("会议决定的事项不能为空，且不超过 180 字")
        if due < held_on:
            raise HeldError(f"截止日期 {due} 早于会议日期 {held_on}")
        for task in session.exec(select(Task).where(Task.origin_cycle_id == cycle.id, Task.kind == "decision",
                                                    col(Task.key).startswith(f"decision:{number}"))):
            if decision_number(task.key) == number and task.status != TaskStatus.done:
                task.title, task.due = f"会议决定：{what.strip()}", due
                session.add(task)
    session.add(meeting)
    session.flush()
    record_change(session, kind="meeting", record_id=meeting.id or 0, school_id=cycle.school_id, by=viewer.person_id,
                  now=now, action="corrected", before=before, after=held_snapshot(session, meeting, staff))
    return meeting


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {pid: name for pid, name in session.execute(sa_select(col(Person.id), col(Person.name))
                                                       .where(col(Person.id).in_(ids)))}
