"""Courses: record a lesson or activity in a few taps, and the "1+1" grid of classes × months (QD-T5, QD-T5b).

Pages and their JSON twins share xinyu.courses.grid: the same scope (a homeroom teacher's classes, the
whole school for its leadership and psychology teachers, read-only rows for the district's officers) and
the pack's rules.
"""

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from web.context import db_session, web_context
from web.exports import Sheet, xlsx_response
from web.params import MAX_ID, MONTH, SchoolId, problems
from web.security import current_viewer
from web.templating import page
from xinyu.access import Viewer
from xinyu.courses.grid import (
    MAX_PERIODS,
    MAX_TOPIC,
    CourseGrid,
    CourseRecordError,
    CourseRecordOut,
    CourseScope,
    GridCell,
    RecordingNotAllowed,
    RecordOptions,
    SemesterInfo,
    course_grid,
    course_records,
    course_scope,
    describe_record,
    record_course,
    record_options,
    semester_at,
    semester_for_key,
    withdraw_course,
)

router = APIRouter()
TAG = "课程1+1"

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="课程记录 id")]
SemesterKey = Annotated[str | None, Query(
    pattern=MONTH,
    description="学期：其中任一月份 YYYY-MM（如 2026-09 即 2026 年秋季学期）；缺省为当前学期")]
OK_MESSAGES = {"recorded": "已记录。", "withdrawn": "已撤回该条记录。"}



ERRORS = problems({
    400: "内容不符合规则（中文说明），未写入",
    403: "可查看但无权记录",
    404: "学校或记录不存在，或无权查看",
})


class CourseRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: int = Field(ge=1, le=MAX_ID)
    kind: str = Field(min_length=1, max_length=32, description="政策包的课程类型，如 lesson / activity")
    held_on: date = Field(description="开展日期：不晚于今天，不早于本学年开始")
    topic: str = Field(min_length=1, max_length=MAX_TOPIC)
    periods: int = Field(default=1, ge=1, le=MAX_PERIODS, description="课时（至少 1）")


def _scope(request: Request, session: Session, viewer: Viewer, school_id: int) -> CourseScope:
    return course_scope(session, viewer, school_id, web_context(request).book)


def _semester(scope: CourseScope, key: str | None, today: date) -> SemesterInfo:
    try:
        return semester_for_key(scope.pack, key) if key else semester_at(scope.pack, today)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from exc


# ---- the grid ----

@router.get("/schools/{school_id}/courses", response_class=HTMLResponse, include_in_schema=False)
def grid_page(request: Request, school_id: SchoolId, semester: SemesterKey = None, ok: str | None = None,
              recorded_class: int | None = Query(None, alias="class", ge=1, le=MAX_ID),
              viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    today = web_context(request).today()
    scope = _scope(request, session, viewer, school_id)
    span = _semester(scope, semester, today)
    grid = course_grid(session, scope, semester=span, today=today)
    records = course_records(session, scope, semester=span, today=today, limit=30)
    return page(request, "courses/grid.html", grid=grid, records=records, ok=OK_MESSAGES.get(ok or ""),
                recorded=_recorded_note(grid, recorded_class) if ok == "recorded" else None)


def _recorded_note(grid: CourseGrid, class_id: int | None) -> str | None:
    """After recording: where the class now stands this month (the cell the teacher looks for)."""
    row = next((r for r in grid.rows if r.class_id == class_id), None)
    cell = next((c for c in row.cells if c.month == grid.current_month), None) if row else None
    if row is None or cell is None:
        return None
    if cell.status == "ok":
        return f"{row.label}本月“1+1”已达标（{cell.text}）。"
    if cell.status == "short":
        labels = {k.key: k.label for k in grid.kinds}
        return f"{row.label}本月还缺：{'、'.join(labels[m] for m in cell.missing)}（{cell.text}）。"
    return None


@router.get("/api/schools/{school_id}/courses/grid", response_model=CourseGrid, tags=[TAG], responses=ERRORS)
def grid_api(request: Request, school_id: SchoolId, semester: SemesterKey = None,
             viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> CourseGrid:
    """班级 × 月份的“1+1”落实情况与学期合计（QD-T5、QD-T5b）。区县人员可看（不含学生姓名），不能记录。"""
    today = web_context(request).today()
    scope = _scope(request, session, viewer, school_id)
    return course_grid(session, scope, semester=_semester(scope, semester, today), today=today)


@router.get("/api/schools/{school_id}/courses", response_model=list[CourseRecordOut], tags=[TAG], responses=ERRORS)
def records_api(request: Request, school_id: SchoolId, semester: SemesterKey = None,
                limit: int = Query(200, ge=1, le=2000), viewer: Viewer = Depends(current_viewer),
                session: Session = Depends(db_session)) -> list[CourseRecordOut]:
    """本学期可见班级的课程与活动记录，新的在前。"""
    today = web_context(request).today()
    scope = _scope(request, session, viewer, school_id)
    return course_records(session, scope, semester=_semester(scope, semester, today), today=today, limit=limit)


@router.get("/schools/{school_id}/courses.xlsx", include_in_schema=False)
def grid_xlsx(request: Request, school_id: SchoolId, semester: SemesterKey = None,
              viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    today = web_context(request).today()
    scope = _scope(request, session, viewer, school_id)
    span = _semester(scope, semester, today)
    grid = course_grid(session, scope, semester=span, today=today)
    records = course_records(session, scope, semester=span, today=today)
    return xlsx_response(f"{grid.school_name}_{span.label}_课程1+1.xlsx",
                         [_grid_sheet(grid), _records_sheet(records)])


CELL_MARKS = {"ok": "（达标）", "short": "（未达标）", "future": "", "vacation": ""}


def _cell_text(cell: GridCell) -> str:
    return cell.text + CELL_MARKS[cell.status]


def _grid_sheet(grid: CourseGrid) -> Sheet:
    kinds = [k for k in grid.kinds]
    header = ["班级", "学段", *(m.label for m in grid.months), *(f"学期{k.label}" for k in kinds),
              "计入课时", "学期最低课时", "达标月数", "学期进度"]
    rows = [[row.label, row.stage, *(_cell_text(c) for c in row.cells),
             *(row.totals.counts.get(k.key, 0) for k in kinds), row.totals.periods,
             row.totals.minimum if row.totals.minimum is not None else "—",
             f"{row.totals.months_ok}/{row.totals.months_due}", _progress(row.totals.reached, row.totals.at_risk)]
            for row in grid.rows]
    return Sheet(f"“1+1”{grid.semester.label}", header, rows)


def _progress(reached: bool, at_risk: bool) -> str:
    return "已达最低课时" if reached else "剩余周数已不足" if at_risk else "进行中"


def _records_sheet(records: list[CourseRecordOut]) -> Sheet:
    return Sheet("记录明细", ["日期", "班级", "类型", "主题", "课时", "记录人"],
                 [[r.held_on.isoformat(), r.class_label, r.kind_label, r.topic, r.periods, r.recorded_by or ""]
                  for r in records])


# ---- recording ----

@router.get("/schools/{school_id}/courses/new", response_class=HTMLResponse, include_in_schema=False)
def new_page(request: Request, school_id: SchoolId, class_id: int | None = Query(None, ge=1, le=MAX_ID),
             kind: str | None = Query(None, max_length=32), viewer: Viewer = Depends(current_viewer),
             session: Session = Depends(db_session)) -> HTMLResponse:
    today = web_context(request).today()
    scope = _scope(request, session, viewer, school_id)
    options = _options(session, scope, today)
    chosen = class_id if any(c.class_id == class_id for c in options.classes) else (
        options.classes[0].class_id if len(options.classes) == 1 else None)
    return _form(request, scope, options, values={"class_id": chosen, "kind": kind, "held_on": today.isoformat(),
                                                  "topic": "", "periods": "1"})


def _options(session: Session, scope: CourseScope, today: date) -> RecordOptions:
    try:
        return record_options(session, scope, today=today)
    except RecordingNotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc


def _form(request: Request, scope: CourseScope, options: RecordOptions, *, values: dict[str, object],
          error: str | None = None, status_code: int = 200) -> HTMLResponse:
    if values.get("kind") not in {k.key for k in options.kinds}:
        # Preselect what the chosen class still misses this month: one tap less.
        missing = next((c.missing_this_month for c in options.classes if c.class_id == values.get("class_id")), [])
        values["kind"] = missing[0] if missing else options.kinds[0].key
    return page(request, "courses/new.html", status_code=status_code, school_id=scope.school_id,
                school_name=scope.school.name, options=options, values=values, error=error)


@router.post("/schools/{school_id}/courses", include_in_schema=False)
def record_form(request: Request, school_id: SchoolId, class_id: str = Form(""), kind: str = Form(""),
                held_on: str = Form(""), topic: str = Form(""), periods: str = Form("1"),
                viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    today = web_context(request).today()
    scope = _scope(request, session, viewer, school_id)
    try:
        record = record_course(session, scope, class_id=_number(class_id, "请选择班级"), kind=kind,
                               held_on=_day(held_on), topic=topic, periods=_number(periods, "课时应为整数"),
                               today=today)
    except RecordingNotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    except CourseRecordError as exc:
        session.rollback()
        chosen = int(class_id) if re.fullmatch(r"[0-9]{1,9}", class_id) else None
        return _form(request, scope, _options(session, scope, today), error=str(exc), status_code=400,
                     values={"class_id": chosen, "kind": kind, "held_on": held_on, "topic": topic, "periods": periods})
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/courses?ok=recorded&class={record.class_id}#row-{record.class_id}",
                            status_code=303)


def _number(text: str, message: str) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", text.strip()):
        raise CourseRecordError(message)
    return int(text.strip())


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CourseRecordError("请填写日期（年-月-日）") from None


@router.post("/api/schools/{school_id}/courses", response_model=CourseRecordOut, status_code=201, tags=[TAG],
             responses=ERRORS)
def record_api(request: Request, school_id: SchoolId, body: CourseRecordIn, viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> CourseRecordOut:
    """记录一次心理健康教育课或专题活动（班主任：本班；领导小组、心理教师：全校各班）。"""
    today = web_context(request).today()
    scope = _scope(request, session, viewer, school_id)
    try:
        record = record_course(session, scope, class_id=body.class_id, kind=body.kind, held_on=body.held_on,
                               topic=body.topic, periods=body.periods, today=today)
    except RecordingNotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    except CourseRecordError as exc:
        session.rollback()
        raise HTTPException(400, str(exc)) from exc
    session.commit()
    return describe_record(scope, record, recorded_by=viewer.name, today=today)


@router.get("/api/schools/{school_id}/courses/options", response_model=RecordOptions, tags=[TAG], responses=ERRORS)
def options_api(request: Request, school_id: SchoolId, viewer: Viewer = Depends(current_viewer),
                session: Session = Depends(db_session)) -> RecordOptions:
    """记录表单的选项：可记录的班级（及本月所缺）、课程类型、允许的日期范围、主题建议。"""
    today = web_context(request).today()
    return _options(session, _scope(request, session, viewer, school_id), today)


# ---- withdrawing one's own record of this month ----

def _withdraw(request: Request, session: Session, viewer: Viewer, school_id: int, rid: int) -> CourseRecordOut:
    today = web_context(request).today()
    scope = _scope(request, session, viewer, school_id)
    try:
        record = withdraw_course(session, scope, record_id=rid, today=today)
    except RecordingNotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    except CourseRecordError as exc:
        raise HTTPException(400, str(exc)) from exc
    described = describe_record(scope, record, recorded_by=viewer.name, today=today)
    session.commit()
    return described


@router.post("/schools/{school_id}/courses/{rid}/withdraw", include_in_schema=False)
def withdraw_form(request: Request, school_id: SchoolId, rid: RecordId, viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> RedirectResponse:
    _withdraw(request, session, viewer, school_id, rid)
    return RedirectResponse(f"/schools/{school_id}/courses?ok=withdrawn", status_code=303)


@router.delete("/api/schools/{school_id}/courses/{rid}", response_model=CourseRecordOut, tags=[TAG], responses=ERRORS)
def withdraw_api(request: Request, school_id: SchoolId, rid: RecordId, viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> CourseRecordOut:
    """撤回自己录入的本月记录（录错了）；他人的记录和以前月份的记录不能撤回。"""
    return _withdraw(request, session, viewer, school_id, rid)
