"""QD-S1b: the meeting as it is held — time, place, attendees, sign-in; decisions as rows; the agenda's
overdue work grouped by task; minutes corrected by their author within the month, with history."""

from datetime import date, datetime

from pytest_bdd import given, parsers, scenarios, then, when
from sqlmodel import Session, col, select

from models import MeetingAttendee, Person, Task
from tests.features.support import Attempt, Db, SchoolRef, cycle_of, describe_holder, holder, snapshot, step_text
from web.templating import templates
from xinyu.access import Viewer, load_viewer
from xinyu.clock import SHANGHAI, as_local
from xinyu.cycle import PackBook
from xinyu.history import revisions
from xinyu.meetings.held import (
    Correction,
    MeetingSetup,
    correct_minutes,
    invitees_with_emails,
    meeting_of,
    school_staff,
    set_meeting,
)
from xinyu.meetings.invite import meeting_ics
from xinyu.meetings.views import DecisionRow, MeetingView, MinutesForm, meeting_view, record_meeting

scenarios("领导小组会议/会议的召开与决定.feature")

LATER = datetime(2026, 10, 20, 12, 0, tzinfo=SHANGHAI)
MINUTES = "本月专题会议纪要"


def _leader(session: Session, school: SchoolRef) -> Viewer:
    viewer = load_viewer(session, holder(session, school, "组长").person_id)
    assert viewer is not None
    return viewer


def _view(session: Session, book: PackBook, school: SchoolRef, now: datetime = LATER) -> MeetingView:
    view = meeting_view(session, _leader(session, school), school_id=school.id, month="2026-10", book=book, now=now)
    assert view is not None
    return view


def _name(session: Session, school: SchoolRef, who: str) -> str:
    person = session.get(Person, holder(session, school, who).person_id)
    assert person is not None
    return person.name


def _names(session: Session, school: SchoolRef, text: str) -> list[str]:
    return [_name(session, school, who) for who in text.split("、")]


@when(step_text("组长于 {day:Day} 查看本月专题会议议程"), target_fixture="view")
@when(step_text("组长于 {at:At} 查看本月专题会议"), target_fixture="view")
def _(db: Db, book: PackBook, school: SchoolRef, day: date | None = None, at: datetime | None = None) -> MeetingView:
    now = at or datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)  # type: ignore[union-attr]
    with db() as session:
        return _view(session, book, school, now)


@then(parsers.parse("议程的“逾期与结转事项”只有一项，为“{text}”"))
def _(view: MeetingView, text: str) -> None:
    section = view.agenda.split("逾期与结转事项")[1].split("## ")[0]
    items = [line[2:] for line in section.splitlines() if line.startswith("- ")]
    assert len(items) == 1 and items[0].startswith(text), items


@then(step_text("参会人员为：{who}"))
def _(db: Db, book: PackBook, school: SchoolRef, who: str) -> None:
    with db() as session:
        assert [a.name for a in _view(session, book, school).attendees] == _names(session, school, who)


@when(step_text("组长于 {at:At} 安排会议：{start} 在“{place}”，记录人为{recorder}，增加{add}，去掉{remove}"))
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, start: str, place: str, recorder: str, add: str,
      remove: str) -> None:
    with db() as session:
        invited = [a.person_id for a in _view(session, book, school, at).attendees]
        gone = holder(session, school, remove).person_id
        wanted = [p for p in invited if p != gone] + [holder(session, school, add).person_id]
        setup = MeetingSetup(starts_at=datetime.fromisoformat(start).replace(tzinfo=SHANGHAI), place=place,
                             recorder_id=holder(session, school, recorder).person_id, attendee_ids=wanted)
        set_meeting(session, _leader(session, school), cycle=cycle_of(session, school), setup=setup, now=at)


def _ics(session: Session, book: PackBook, school: SchoolRef) -> list[str]:
    view = _view(session, book, school)
    body = meeting_ics(view, invitees_with_emails(session, view.attendees), base_url="https://xinyu.example.cn",
                       now=LATER)
    return body.replace("\r\n ", "").split("\r\n")


@then(step_text("会议邀请的时间为 {start} 至 {end}（北京时间），地点为“{place}”"))
def _(db: Db, book: PackBook, school: SchoolRef, start: str, end: str, place: str) -> None:
    with db() as session:
        lines = _ics(session, book, school)
    stamp = "".join(ch for ch in start if ch.isdigit())
    assert f"DTSTART;TZID=Asia/Shanghai:{stamp[:8]}T{stamp[8:]}00" in lines
    assert f"DTEND;TZID=Asia/Shanghai:{stamp[:8]}T{end.replace(':', '')}00" in lines
    assert f"LOCATION:{place}" in lines


@then(step_text("会议邀请发给参会人员，不发给{who}"))
def _(db: Db, book: PackBook, school: SchoolRef, who: str) -> None:
    with db() as session:
        lines = _ics(session, book, school)
        invited = [session.get(Person, a.person_id) for a in _view(session, book, school).attendees]
        excluded = session.get(Person, holder(session, school, who).person_id)
    attendees = [line for line in lines if line.startswith("ATTENDEE")]
    assert len(attendees) == len(invited)
    for person in invited:
        assert person is not None and any(line.endswith(f"mailto:{person.email}") for line in attendees)
    assert excluded is not None and not any(f"mailto:{excluded.email}" in line for line in attendees)


@then(step_text("打印的议程纪要写明主持人为{host}、记录人为{recorder}，签到表列出{n:d}名参会人员"))
def _(db: Db, book: PackBook, school: SchoolRef, host: str, recorder: str, n: int) -> None:
    with db() as session:
        view = _view(session, book, school)
        html = templates.get_template("meetings/print.html").render(
            m=view, when=lambda t: f"{as_local(t):%Y-%m-%d %H:%M}")
        host_name, recorder_name = _name(session, school, host), _name(session, school, recorder)
    assert f'data-testid="print-host">{host_name}<' in html
    assert f'data-testid="print-recorder">{recorder_name}<' in html
    assert "2026-10-16 15:00" in html and "行政楼三楼会议室" in html
    sign_in = html.split('data-testid="sign-in"')[1].split("</table>")[0]
    assert sign_in.count("data-person=") == n


def _rows(session: Session, school: SchoolRef, table: list[list[str]]) -> list[DecisionRow]:
    rows = []
    for what, owner, due in table[1:]:
        named = "班" in owner  # a class's teacher is named; a school role stays a role
        rows.append(DecisionRow(what=what, owner=_name(session, school, owner) if named else owner,
                                due=date.fromisoformat(due)))
    return rows


@given(step_text("组长于 {at:At} 录入 {day:Day} 召开的会议纪要，实到人员为{came}，会议决定："))
@when(step_text("组长于 {at:At} 录入 {day:Day} 召开的会议纪要，实到人员为{came}，会议决定："))
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, day: date, came: str,
      datatable: list[list[str]]) -> None:
    with db() as session:
        attended = [holder(session, school, who).person_id for who in came.split("、")]
        form = MinutesForm(held_on=day, minutes=MINUTES, decision_rows=_rows(session, school, datatable),
                           attended_ids=attended)
        record_meeting(session, _leader(session, school), school_id=school.id, month="2026-10", form=form, book=book,
                       now=at)


@then("生成以下会议决定任务：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    with db() as session:
        tasks = session.exec(select(Task).where(Task.school_id == school.id, Task.kind == "decision")
                             .order_by(col(Task.id))).all()
        actual = [[t.title, describe_holder(session, t.assignee_id), t.due.isoformat()] for t in tasks]
    assert actual == datatable[1:]


@then(step_text("签到表记录{came}实到，{absent}缺席"))
def _(db: Db, school: SchoolRef, came: str, absent: str) -> None:
    with db() as session:
        meeting = meeting_of(session, cycle_of(session, school))
        rows = {r.person_id: r.attended for r in session.exec(
            select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))}
        for who in came.split("、"):
            assert rows[holder(session, school, who).person_id] is True, who
        for who in absent.split("、"):
            assert rows[holder(session, school, who).person_id] is False, who


def _correct(session: Session, book: PackBook, school: SchoolRef, at: datetime, text: str,
             due: dict[int, date]) -> None:
    view = _view(session, book, school, at)
    numbers = list(dict.fromkeys(view.decision_numbers.values()))
    titles = {view.decision_numbers[d.id]: d.title.removeprefix("会议决定：") for d in view.decisions}
    decisions = {numbers[n - 1]: (titles[numbers[n - 1]], day) for n, day in due.items()}
    correct_minutes(session, _leader(session, school), cycle=cycle_of(session, school),
                    correction=Correction(minutes=text, decisions=decisions), now=at)


@when(step_text("组长于 {at:At} 更正纪要为“{text}”，第{n:d}项决定截止日期改为 {day:Day}"))
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, text: str, n: int, day: date) -> None:
    with db() as session:
        _correct(session, book, school, at, text, {n: day})


@when(step_text("组长于 {at:At} 更正纪要为“{text}”"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, text: str) -> Attempt:
    with db() as session:
        before = snapshot(session, school)
    error = None
    try:
        with db() as session:
            _correct(session, book, school, at, text, {})
    except PermissionError as exc:
        error = str(exc)
    with db() as session:
        return Attempt(error=error, before=before, after=snapshot(session, school))


@then(step_text("会议决定任务“{title}”的截止日期为 {day:Day}"))
def _(db: Db, school: SchoolRef, title: str, day: date) -> None:
    with db() as session:
        task = session.exec(select(Task).where(Task.school_id == school.id, Task.title == title)).one()
    assert task.due == day


@then(step_text("会议的修改记录中，纪要由“{old}”更正为“{new}”"))
def _(db: Db, school: SchoolRef, old: str, new: str) -> None:
    with db() as session:
        meeting = meeting_of(session, cycle_of(session, school))
        history = revisions(session, kind="meeting", record_id=meeting.id or 0)
        staff = school_staff(session, school.id)
    assert [r.action for r in history] == ["created", "corrected"] and staff
    assert ("minutes", old, new) in history[-1].changed
