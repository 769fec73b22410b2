"""Month boards and the year's schedule (QD-S1): a school's board, the district's schools × steps, the year view.

School staff see their school; a district's officers see its schools as counts, roles, classes and dates.
"""

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from models import District, School, Task
from web.context import db_session, web_context
from web.params import MAX_ID, MONTH, SchoolId, problems
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.chase.nudge import NudgeRefused, nudge_task
from xinyu.month_board import DistrictBoard, SchoolBoard, district_board, school_board
from xinyu.months import month_of
from xinyu.year_plan import YearView, parse_school_year, year_view

router = APIRouter()
TAG = "看板"
YEAR = r"^[0-9]{4}-[0-9]{4}$"
MonthQuery = Annotated[str | None, Query(pattern=MONTH, description="YYYY-MM；默认为已开始的最近一个月")]
YearQuery = Annotated[str | None, Query(pattern=YEAR, description="学年，如 2026-2027；默认为当前学年")]
DistrictQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="区县编号；默认为所辖的第一个")]
NOT_FOUND = problems({404: "学校不存在或无权查看"})
STEP_STATUS_LABELS = {"done": "已完成", "open": "进行中", "overdue": "已逾期", "pending": "待开启",
                      "carried": "已结转", "planned": "计划"}


def _school(session: Session, viewer: Viewer, school_id: int) -> School:
    """The school if the viewer is its staff or an officer of its district."""
    school = session.get(School, school_id)
    if school is None or not (viewer.sees_school_as_staff(school_id) or school.district_id in viewer.district_ids):
        raise AccessDenied(f"school {school_id}")
    return school


def _district(session: Session, viewer: Viewer, district_id: int | None) -> District:
    chosen = district_id if district_id is not None else min(viewer.district_ids, default=None)
    if chosen is None or chosen not in viewer.district_ids:
        raise AccessDenied(f"district {district_id}")
    district = session.get(District, chosen)
    if district is None:
        raise AccessDenied(f"district {chosen}")
    return district


def _month(text: str) -> str | None:
    """Pages take the month from a form: empty is the default, anything else must be YYYY-MM."""
    if not text:
        return None
    if not re.fullmatch(MONTH, text):
        raise HTTPException(422, "月份应为 YYYY-MM")
    return text


def _fallback_from(request: Request, asked: str, shown: str) -> str | None:
    """The calendar month a board without ?month= stands in for, when it shows another (no cycle there yet)."""
    this_month = month_of(web_context(request).today())
    return this_month if not asked and shown != this_month else None


def _school_board(request: Request, session: Session, viewer: Viewer, school_id: int, month: str | None
                  ) -> SchoolBoard:
    ctx = web_context(request)
    return school_board(session, viewer, _school(session, viewer, school_id), month=month, today=ctx.today(),
                        book=ctx.book)


NUDGE_MESSAGES = {"nudged": "已催办任务 #{task}：提醒已发给负责人。",
                  "again": "任务 #{task} 今天已催办过，未重复发送。",
                  "chased": "任务 #{task} 今天已由系统提醒过负责人，未重复发送。"}


def _school_board_html(request: Request, session: Session, viewer: Viewer, school_id: int, month: str, *,
                       ok: str | None = None, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    board = _school_board(request, session, viewer, school_id, _month(month))
    return page(request, "board/school.html", status_code=status_code, board=board, status_labels=STEP_STATUS_LABELS,
                fallback_from=_fallback_from(request, month, board.month), ok=ok, error=error,
                can_nudge=viewer.leads(school_id) and board.view == "school" and board.cycle_status == "open")


@router.get("/schools/{school_id}/board", response_class=HTMLResponse, include_in_schema=False)
def school_board_page(request: Request, school_id: SchoolId, month: str = "",
                      ok: Literal["", "nudged", "again", "chased"] = "", task: int = Query(0, ge=0, le=MAX_ID),
                      viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    return _school_board_html(request, session, viewer, school_id, month,
                              ok=NUDGE_MESSAGES[ok].format(task=task) if ok else None)


@router.post("/schools/{school_id}/board/nudge", include_in_schema=False)
def nudge_form(request: Request, school_id: SchoolId, task_id: int = Form(..., ge=1, le=MAX_ID),
               month: str = Form("", max_length=7), viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> Response:
    """A leader's 催办 of a late task on the board: one reminder to the people behind it, at most once a day."""
    _school(session, viewer, school_id)
    task = session.get(Task, task_id)
    if not viewer.leads(school_id) or task is None or task.school_id != school_id:
        raise AccessDenied(f"task {task_id}")
    ctx = web_context(request)
    try:
        result = nudge_task(session, task_id=task_id, by=viewer.person_id, now=ctx.now(), book=ctx.book)
        session.commit()
    except NudgeRefused as exc:
        session.rollback()
        return _school_board_html(request, session, viewer, school_id, month, error=str(exc), status_code=409)
    except BaseException:
        session.rollback()
        raise
    ok = "nudged" if result.sent else "again" if result.already == "nudge" else "chased"
    back = f"month={_month(month)}&" if _month(month) else ""
    return RedirectResponse(f"/schools/{school_id}/board?{back}ok={ok}&task={task_id}#t{task_id}", status_code=303)


@router.get("/api/schools/{school_id}/board", response_model=SchoolBoard, tags=[TAG], summary="学校月度看板",
            responses=NOT_FOUND)
def school_board_api(request: Request, school_id: SchoolId, month: MonthQuery = None,
                     viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> SchoolBoard:
    """Steps in order with status and dates, who is late, what was carried into the month."""
    return _school_board(request, session, viewer, school_id, month)


def _district_board(request: Request, session: Session, viewer: Viewer, district_id: int | None,
                    month: str | None) -> DistrictBoard:
    ctx = web_context(request)
    return district_board(session, _district(session, viewer, district_id), month=month, today=ctx.today(),
                          book=ctx.book)


@router.get("/district/board", response_class=HTMLResponse, include_in_schema=False)
def district_board_page(request: Request, month: str = "", district: str = "",
                        viewer: Viewer = Depends(current_viewer),
                        session: Session = Depends(db_session)) -> HTMLResponse:
    district_id = int(district) if district.isdigit() and int(district) <= MAX_ID else None
    if district and district_id is None:
        raise AccessDenied(f"district {district}")
    board = _district_board(request, session, viewer, district_id, _month(month))
    return page(request, "board/district.html", board=board, status_labels=STEP_STATUS_LABELS,
                fallback_from=_fallback_from(request, month, board.month))


@router.get("/api/district/board", response_model=DistrictBoard, tags=[TAG], summary="区县学校看板",
            responses=problems({404: "不是该区县的负责人"}))
def district_board_api(request: Request, month: MonthQuery = None, district: DistrictQuery = None,
                       viewer: Viewer = Depends(current_viewer),
                       session: Session = Depends(db_session)) -> DistrictBoard:
    """The district's schools × steps: status and dates per cell, open, overdue and carried-in task counts."""
    return _district_board(request, session, viewer, district, month)


def _year(request: Request, session: Session, viewer: Viewer, school_id: int, year: str | None) -> YearView:
    ctx = web_context(request)
    school = _school(session, viewer, school_id)
    if year:
        try:
            parse_school_year(year)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
    return year_view(session, school, year=year, today=ctx.today(), book=ctx.book)


@router.get("/schools/{school_id}/year", response_class=HTMLResponse, include_in_schema=False)
def year_page(request: Request, school_id: SchoolId, year: str = "", viewer: Viewer = Depends(current_viewer),
              session: Session = Depends(db_session)) -> HTMLResponse:
    view = _year(request, session, viewer, school_id, year or None)
    return page(request, "board/year.html", view=view, status_labels=STEP_STATUS_LABELS)


@router.get("/api/schools/{school_id}/year", response_model=YearView, tags=[TAG], summary="年度重点工作清单与进度",
            responses={**NOT_FOUND, **problems({400: "学年不存在（第二年应为第一年加一）"})})
def year_api(request: Request, school_id: SchoolId, year: YearQuery = None, viewer: Viewer = Depends(current_viewer),
             session: Session = Depends(db_session)) -> YearView:
    """Months of the school year × steps: planned dates for months not yet opened, status and dates for the rest."""
    return _year(request, session, viewer, school_id, year)
