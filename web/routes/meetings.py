"""The leadership group's monthly meeting (QD-S1b: 领导小组每月召开一次专题会议): agenda, minutes, decisions.

The page, its printable version, the calendar invitation and the JSON twins share xinyu.meetings.views.
Whole-school staff see the meeting; the leader (or whoever the meeting task's role allows) records the
minutes, which completes the step's task through the core; each decision line becomes a task.
"""

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from models import Cycle
from web.context import db_session, web_context
from web.exports import download
from web.params import MONTH, SchoolId, problems
from web.security import current_viewer
from web.templating import page
from xinyu.access import Viewer
from xinyu.clock import SHANGHAI, as_local
from xinyu.cycle import CompletionError
from xinyu.history import revisions
from xinyu.meetings.held import (
    FIELD_LABELS,
    Correction,
    HeldError,
    MeetingSetup,
    NotLeader,
    correct_minutes,
    invitees_with_emails,
    set_meeting,
)
from xinyu.meetings.invite import meeting_ics
from xinyu.meetings.views import (
    DECISION_FORMAT,
    DecisionRow,
    MeetingClosed,
    MeetingError,
    MeetingView,
    MinutesForm,
    NotAllowed,
    meeting_view,
    record_meeting,
    school_cycle,
)
from xinyu.months import month_of

router = APIRouter()
TAG = "领导小组会议"

MonthQuery = Annotated[str | None, Query(pattern=MONTH, description="月份 YYYY-MM；缺省为本月")]
MonthPath = Annotated[str, Path(pattern=MONTH, description="月份 YYYY-MM")]



ERRORS = problems({
    400: "纪要或会议决定不符合规则（中文说明），未写入",
    403: "可查看但无权录入纪要",
    404: "学校或该月周期不存在，或无权查看",
    409: "会议步骤尚未开启，或纪要已录入",
})


def _view(request: Request, session: Session, viewer: Viewer, school_id: int, month: str) -> MeetingView:
    ctx = web_context(request)
    view = meeting_view(session, viewer, school_id=school_id, month=month, book=ctx.book, now=ctx.now())
    if view is None:
        raise HTTPException(404, f"{month} 没有该校的月度周期")
    return view


def _month(request: Request, month: str | None) -> str:
    return month or month_of(web_context(request).today())


def cycle_months(session: Session, school_id: int) -> list[str]:
    """The months in which the school has a cycle, newest first (the page's month picker)."""
    return sorted(set(session.exec(select(Cycle.month).where(Cycle.school_id == school_id))), reverse=True)


def _shown_month(request: Request, session: Session, school_id: int, month: str | None) -> tuple[str, str | None]:
    """(month to show, the calendar month it stands in for): without ?month=, a calendar month in which the
    school has no cycle yet falls back to the latest month that has one (not a 404)."""
    this_month = _month(request, month)
    if month is not None:
        return this_month, None
    months = cycle_months(session, school_id)
    if not months or this_month in months:
        return this_month, None
    latest = next((m for m in months if m <= this_month), months[-1])
    return latest, this_month


def when(moment: object) -> str:
    return as_local(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"  # type: ignore[arg-type]


def _page(request: Request, session: Session, view: MeetingView, *, ok: int = 0, error: str | None = None,
          values: dict[str, object] | None = None, status_code: int = 200,
          fallback_from: str | None = None) -> HTMLResponse:
    today = web_context(request).today()
    defaults: dict[str, object] = {
        "held_on": (as_local(view.starts_at).date() if view.starts_at and as_local(view.starts_at).date() <= today
                    else today).isoformat(),
        "attended": [a.person_id for a in view.attendees], "other_attendees": "", "minutes": "",
        "rows": [("", "", "")] * 2}
    labels = {f.name: f.label for f in view.fields}
    example_due = max(today, view.step_due).isoformat()
    history = []
    if view.viewer_leads and view.meeting_id is not None:
        history = revisions(session, kind="meeting", record_id=view.meeting_id)
    return page(request, "meetings/meeting.html", status_code=status_code, m=view, ok=ok, error=error,
                values={**defaults, **(values or {})}, labels=labels, when=when, decision_format=DECISION_FORMAT,
                example_due=example_due, months=cycle_months(session, view.school_id), fallback_from=fallback_from,
                revisions=history, field_labels=FIELD_LABELS, local_input=local_input)


def local_input(moment: object) -> str:
    """A datetime-local input's value (Asia/Shanghai)."""
    return as_local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""  # type: ignore[arg-type]


# ---- the page ----

@router.get("/schools/{school_id}/meeting", response_class=HTMLResponse, include_in_schema=False)
def meeting_page(request: Request, school_id: SchoolId, month: MonthQuery = None,
                 ok: int | None = Query(None, ge=0, le=3), viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> HTMLResponse:
    shown, fallback_from = _shown_month(request, session, school_id, month)
    return _page(request, session, _view(request, session, viewer, school_id, shown), ok=ok or 0,
                 fallback_from=fallback_from)


Rows = list[tuple[str, str, str]]


def _rows(what: list[str], owner: list[str], due: list[str]) -> Rows:
    """The decision rows as typed (at most 50), blank ones dropped later."""
    return list(zip(what, owner, due, strict=False))[:50]


def decision_rows(rows: Rows) -> list[DecisionRow]:
    """Filled rows as DecisionRow; a half-filled row is refused naming its number and what is missing."""
    out = []
    for number, (what, owner, due) in enumerate(rows, start=1):
        if not (what.strip() or owner.strip() or due.strip()):
            continue
        missing = [label for label, v in (("事项", what), ("负责", owner), ("截止日期", due)) if not v.strip()]
        if missing:
            raise MeetingError(f"第{number}项会议决定缺少{'、'.join(missing)}")
        out.append(DecisionRow(what=what.strip(), owner=owner.strip(), due=_date(due, "截止日期")))
    return out


@router.post("/schools/{school_id}/meeting", include_in_schema=False)
def meeting_form(
    request: Request, school_id: SchoolId, month: MonthQuery = None,
    held_on: str = Form("", max_length=20), attended: list[int] = Form([]),
    other_attendees: str = Form("", max_length=500), minutes: str = Form("", max_length=20000),
    decision_what: list[str] = Form([]), decision_owner: list[str] = Form([]), decision_due: list[str] = Form([]),
    add_row: str = Form(""),
    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session),
) -> Response:
    month = _month(request, month)
    ctx = web_context(request)
    names = [n for n in re.split(r"[、,，;；\s]+", other_attendees) if n]
    rows = _rows(decision_what, decision_owner, decision_due)
    values: dict[str, object] = {"held_on": held_on, "attended": attended, "other_attendees": other_attendees,
                                 "minutes": minutes, "rows": rows}
    if add_row:  # 添加一行: the same form again with one more empty row, nothing written
        view = _view(request, session, viewer, school_id, month)
        return _page(request, session, view, values={**values, "rows": [*rows, ("", "", "")]})
    try:
        form = MinutesForm(held_on=_date(held_on), attendees=names[:60], minutes=minutes,
                           decision_rows=decision_rows(rows), attended_ids=attended)
        record_meeting(session, viewer, school_id=school_id, month=month, form=form, book=ctx.book, now=ctx.now())
    except NotAllowed as exc:
        session.rollback()
        raise HTTPException(403, str(exc)) from exc
    except ValueError as exc:  # MeetingError, CompletionError (a bad decision line), pydantic's ValidationError
        session.rollback()
        view = _view(request, session, viewer, school_id, month)
        return _page(request, session, view, error=_message(exc), values=values, status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/meeting?month={month}&ok=1", status_code=303)


def _date(text: str, label: str = "会议日期") -> date:
    try:
        return date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise MeetingError(f"{label}应为 YYYY-MM-DD，实为 {text!r}") from None


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        labels = {"minutes": "会议纪要", "held_on": "会议日期", "decisions": "会议决定", "attendees": "参会人员"}
        return "；".join(f"{labels.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else ''}："
                        f"{'必填' if e['type'] in ('string_too_short', 'missing') else '内容过长或格式不对'}"
                        for e in exc.errors())
    return str(exc)


@router.get("/api/schools/{school_id}/meetings/{month}", response_model=MeetingView, tags=[TAG], responses=ERRORS)
def meeting_api(request: Request, school_id: SchoolId, month: MonthPath, viewer: Viewer = Depends(current_viewer),
                session: Session = Depends(db_session)) -> MeetingView:
    """该月领导小组专题会议：议程（步骤开启时生成；未开启时为预览）、纪要、会议决定生成的任务。

    全校范围的教职工可见（领导小组、心理教师）；班主任和区县人员 404。
    """
    return _view(request, session, viewer, school_id, month)


@router.post("/api/schools/{school_id}/meetings/{month}/minutes", response_model=MeetingView, tags=[TAG],
             responses=ERRORS)
def meeting_minutes_api(request: Request, school_id: SchoolId, month: MonthPath, form: MinutesForm,
                        viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)
                        ) -> MeetingView:
    """录入会议纪要与决定，完成会议步骤的任务；每行决定（事项｜负责角色｜截止日期）生成一项任务。"""
    ctx = web_context(request)
    try:
        record_meeting(session, viewer, school_id=school_id, month=month, form=form, book=ctx.book, now=ctx.now())
    except NotAllowed as exc:
        session.rollback()
        raise HTTPException(403, str(exc)) from exc
    except MeetingClosed as exc:
        session.rollback()
        raise HTTPException(409, str(exc)) from exc
    except (MeetingError, CompletionError) as exc:
        session.rollback()
        raise HTTPException(400, str(exc)) from exc
    session.commit()
    return _view(request, session, viewer, school_id, month)


# ---- print and calendar ----

@router.get("/schools/{school_id}/meeting/print", response_class=HTMLResponse, include_in_schema=False)
def meeting_print(request: Request, school_id: SchoolId, month: MonthQuery = None,
                  viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    view = _view(request, session, viewer, school_id, _shown_month(request, session, school_id, month)[0])
    return page(request, "meetings/print.html", m=view, when=when)


@router.get("/schools/{school_id}/meeting.ics", include_in_schema=False)
def meeting_invitation(request: Request, school_id: SchoolId, month: MonthQuery = None,
                       viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    ctx = web_context(request)
    view = _view(request, session, viewer, school_id, _shown_month(request, session, school_id, month)[0])
    body = meeting_ics(view, invitees_with_emails(session, view.attendees), base_url=ctx.base_url, now=ctx.now())
    return download(body.encode("utf-8"), f"{view.school_name}_{view.month}_领导小组会议.ics",
                    "text/calendar; charset=utf-8")


# ---- the meeting as held: the leader sets it; the minutes' author corrects ----

@router.post("/schools/{school_id}/meeting/setup", include_in_schema=False)
def meeting_setup_form(
    request: Request, school_id: SchoolId, month: MonthQuery = None,
    starts_at: str = Form("", max_length=20), place: str = Form("", max_length=128),
    host_id: str = Form("", max_length=12), recorder_id: str = Form("", max_length=12),
    invited: list[int] = Form([]), add_person: str = Form("", max_length=12),
    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session),
) -> Response:
    month = _month(request, month)
    wanted = [*invited, *([int(add_person)] if add_person.isdigit() else [])]
    try:
        setup = MeetingSetup(starts_at=_moment(starts_at), place=place, host_id=_id(host_id),
                             recorder_id=_id(recorder_id), attendee_ids=wanted[:60])
        _set(request, session, viewer, school_id, month, setup)
    except NotLeader as exc:
        session.rollback()
        raise HTTPException(403, str(exc)) from exc
    except ValueError as exc:
        session.rollback()
        view = _view(request, session, viewer, school_id, month)
        return _page(request, session, view, error=_setup_message(exc), status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/meeting?month={month}&ok=2", status_code=303)


def _set(request: Request, session: Session, viewer: Viewer, school_id: int, month: str, setup: MeetingSetup) -> None:
    cycle = school_cycle(session, viewer, school_id, month)
    if cycle is None:
        raise HTTPException(404, f"{month} 没有该校的月度周期")
    set_meeting(session, viewer, cycle=cycle, setup=setup, now=web_context(request).now())


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise HeldError(f"会议时间应为 YYYY-MM-DD HH:MM，实为 {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _id(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _setup_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        labels = {"place": "会议地点", "starts_at": "会议时间", "attendee_ids": "参会人员"}
        return "；".join(f"{labels.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else ''}：必填或格式不对"
                        for e in exc.errors())
    return str(exc)


@router.post("/api/schools/{school_id}/meetings/{month}/setup", response_model=MeetingView, tags=[TAG],
             responses=ERRORS)
def meeting_setup_api(request: Request, school_id: SchoolId, month: MonthPath, form: MeetingSetup,
                      viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)
                      ) -> MeetingView:
    """组长安排会议：时间、地点、主持人、记录人、参会人员（缺省为领导小组全体和专职心理教师）。"""
    try:
        _set(request, session, viewer, school_id, month, form)
    except NotLeader as exc:
        session.rollback()
        raise HTTPException(403, str(exc)) from exc
    except HeldError as exc:
        session.rollback()
        raise HTTPException(400, str(exc)) from exc
    session.commit()
    return _view(request, session, viewer, school_id, month)


async def read_pairs(request: Request) -> list[tuple[str, str]]:
    """The posted form's text fields as pairs (repeated names kept; the CSRF check has read it already)."""
    return [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)][:400]


@router.post("/schools/{school_id}/meeting/correct", include_in_schema=False)
def meeting_correct_form(request: Request, school_id: SchoolId, month: MonthQuery = None,
                         pairs: list[tuple[str, str]] = Depends(read_pairs), viewer: Viewer = Depends(current_viewer),
                         session: Session = Depends(db_session)) -> Response:
    month = _month(request, month)
    form = dict(pairs)
    try:
        decisions = {key[5:]: (value, _date(form.get(f"due_{key[5:]}", ""), "截止日期"))
                     for key, value in pairs if key.startswith("what_") and len(key) < 40}
        correction = Correction(minutes=form.get("minutes", ""), decisions=decisions,
                                attended_ids=[int(v) for k, v in pairs if k == "attended" and v.isdigit()])
        cycle = school_cycle(session, viewer, school_id, month)
        if cycle is None:
            raise HTTPException(404, f"{month} 没有该校的月度周期")
        correct_minutes(session, viewer, cycle=cycle, correction=correction, now=web_context(request).now())
    except NotLeader as exc:
        session.rollback()
        raise HTTPException(403, str(exc)) from exc
    except ValueError as exc:
        session.rollback()
        view = _view(request, session, viewer, school_id, month)
        return _page(request, session, view, error=_message(exc), status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/meeting?month={month}&ok=3", status_code=303)
