"""District inspections (QD-S2) for the district's officers: record an inspection (a day, an inspector, a finding
per school) on a phone; each finding becomes a notice and a rectification task for the school's leader.

The officer sees schools, counts and the findings they wrote (a finding naming a student is refused), never a
school's task page: the school's leader opens the task from the notice's link.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError
from sqlmodel import Session, col, select

from models import District, Person, RoleAssignment, School
from web.context import db_session, web_context
from web.params import MAX_ID, problems
from web.routes.tasks import read_form
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.inspections import (
    FindingInput,
    InspectionError,
    OpenFinding,
    SchoolInspections,
    open_findings,
    record_inspection,
    school_inspections,
)
from xinyu.inspections.records import MAX_TEXT, WORKDAYS
from xinyu.roles import Role

router = APIRouter()
TAG = "区县专项巡查"
Year = Annotated[int | None, Query(ge=2000, le=2100, description="公历年份，默认今年")]
DEFAULT_WORKDAYS = 10
DEFAULT_ROWS, MAX_ROWS = 3, 20
ERRORS = problems({400: "巡查记录不完整或有误，未写入任何内容", 404: "不是区县负责人，或学校不属于您负责的区县"})


def _districts(viewer: Viewer) -> frozenset[int]:
    if not viewer.is_officer:
        raise AccessDenied("not a district officer")
    return viewer.district_ids


def _choices(session: Session, districts: frozenset[int]) -> tuple[list[District], list[School], list[tuple[int, str]]]:
    """The officer's districts, their schools, and their officers (who may be named as the inspector)."""
    ids = sorted(districts)
    found = list(session.exec(select(District).where(col(District.id).in_(ids)).order_by(col(District.name))))
    schools = list(session.exec(select(School).where(col(School.district_id).in_(ids))
                                .order_by(col(School.district_id), col(School.name))))
    officers = sorted({(p.id or 0, p.name) for p in session.exec(
        select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(RoleAssignment.role == Role.district_officer, col(RoleAssignment.district_id).in_(ids)))},
        key=lambda o: o[1])
    return found, schools, officers


# --- reading --------------------------------------------------------------------------------------------


class SchoolInspectionsOut(BaseModel):
    school_id: int
    school: str
    district: str
    count: int = Field(description="本年度巡查次数")
    minimum: int | None = Field(description="政策包要求的每年最少次数（oversight.inspections_per_year）；未设则为空")
    short: bool = Field(description="少于最少次数")
    open_findings: int = Field(description="未整改的问题")


class OpenFindingOut(BaseModel):
    id: int
    school_id: int
    school: str
    board_url: str = Field(description="该校月度看板（计数与日期）")
    held_on: date
    text: str
    due: date
    overdue: bool


class InspectionsOut(BaseModel):
    year: int
    schools: list[SchoolInspectionsOut]
    open_findings: list[OpenFindingOut]


def _school_out(row: SchoolInspections) -> SchoolInspectionsOut:
    return SchoolInspectionsOut(school_id=row.school_id, school=row.school, district=row.district, count=row.count,
                                minimum=row.minimum, short=row.short, open_findings=row.open_findings)


def finding_out(f: OpenFinding) -> OpenFindingOut:
    return OpenFindingOut(id=f.id, school_id=f.school_id, school=f.school, board_url=f"/schools/{f.school_id}/board",
                          held_on=f.held_on, text=f.text, due=f.due, overdue=f.overdue)


def district_counts(request: Request, session: Session, viewer: Viewer, year: int) -> list[SchoolInspections]:
    """Each school's inspections in the year against its pack's minimum (the dashboard shows them too)."""
    return school_inspections(session, year=year, book=web_context(request).book,
                              district_ids=set(_districts(viewer)))


def district_findings(request: Request, session: Session, viewer: Viewer) -> list[OpenFinding]:
    """The officer's districts' findings not yet rectified (the inbox lists them too)."""
    ctx = web_context(request)
    return open_findings(session, today=ctx.today(), book=ctx.book, district_ids=set(_districts(viewer)))


def district_inspections(request: Request, session: Session, viewer: Viewer,
                         year: int | None) -> tuple[int, list[SchoolInspections], list[OpenFinding]]:
    year = year or web_context(request).today().year
    return year, district_counts(request, session, viewer, year), district_findings(request, session, viewer)


@router.get("/district/inspections", response_class=HTMLResponse, include_in_schema=False)
def inspections_page(request: Request, year: Year = None, ok: int = Query(0, ge=0, le=MAX_ID),
                     viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    year_shown, schools, findings = district_inspections(request, session, viewer, year)
    return page(request, "district/inspections.html", year=year_shown, schools=schools, findings=findings,
                ok=f"已登记专项巡查 #{ok}，整改通知已发给学校组长。" if ok else None)


@router.get("/api/district/inspections", response_model=InspectionsOut, tags=[TAG],
            summary="专项巡查：各校次数与未整改问题", responses={404: ERRORS[404]})
def inspections_api(request: Request, year: Year = None, viewer: Viewer = Depends(current_viewer),
                    session: Session = Depends(db_session)) -> InspectionsOut:
    """Each school's inspections in the year against its pack's minimum (QD-S2 每年不少于三次), and the findings
    not yet rectified."""
    year_shown, schools, findings = district_inspections(request, session, viewer, year)
    return InspectionsOut(year=year_shown, schools=[_school_out(s) for s in schools],
                          open_findings=[finding_out(f) for f in findings])


# --- recording ------------------------------------------------------------------------------------------


def _form_page(request: Request, session: Session, viewer: Viewer, *, values: dict[str, str], rows: int,
               error: str | None = None, status_code: int = 200) -> HTMLResponse:
    districts, schools, officers = _choices(session, _districts(viewer))
    return page(request, "district/inspection_new.html", status_code=status_code, districts=districts,
                schools=schools, officers=officers, values=values, rows=rows, error=error, max_rows=MAX_ROWS,
                max_text=MAX_TEXT, workdays=WORKDAYS)


@router.get("/district/inspections/new", response_class=HTMLResponse, include_in_schema=False)
def new_inspection_page(request: Request, rows: int = Query(DEFAULT_ROWS, ge=1, le=MAX_ROWS),
                        viewer: Viewer = Depends(current_viewer),
                        session: Session = Depends(db_session)) -> HTMLResponse:
    today = web_context(request).today()
    values = {"held_on": today.isoformat(), "inspector": str(viewer.person_id), "days": str(DEFAULT_WORKDAYS)}
    return _form_page(request, session, viewer, values=values, rows=rows)


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    school_id: int = Field(ge=1, le=MAX_ID)
    text: str = Field(min_length=1, max_length=MAX_TEXT, pattern=r"^[^\x00]*$",
                      description="发现的问题（请勿填写学生姓名）")


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: date = Field(description="巡查日期（不晚于今天）")
    inspector_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="巡查人（本区县负责人）；默认本人")
    days: int = Field(default=DEFAULT_WORKDAYS, ge=WORKDAYS[0], le=WORKDAYS[1], description="整改期限（工作日）")
    findings: list[FindingIn] = Field(min_length=1, max_length=MAX_ROWS, description="每所学校一条或多条发现")


class RecordedFindingOut(BaseModel):
    id: int
    school_id: int
    task_id: int = Field(description="学校整改任务编号（组长负责；区县不可打开）")
    text: str


class InspectionOut(BaseModel):
    id: int
    district_id: int
    held_on: date
    findings: list[RecordedFindingOut]


def _record(request: Request, session: Session, viewer: Viewer, body: InspectionIn) -> InspectionOut:
    """Check every school is the officer's, record, commit; a refusal writes nothing."""
    ctx = web_context(request)
    _, schools, _ = _choices(session, _districts(viewer))
    district_of = {s.id: s.district_id for s in schools}
    if any(f.school_id not in district_of for f in body.findings):
        raise AccessDenied("school outside the officer's districts")
    district_ids = {district_of[f.school_id] for f in body.findings}
    if len(district_ids) > 1:
        raise InspectionError("一次巡查只登记一个区县的学校")
    try:
        inspection, findings = record_inspection(
            session, district_id=district_ids.pop(), held_on=body.held_on,
            inspector_id=body.inspector_id or viewer.person_id, by=viewer.person_id,
            findings=[FindingInput(f.school_id, f.text) for f in body.findings], workdays=body.days, now=ctx.now(),
            book=ctx.book)
        out = InspectionOut(id=inspection.id or 0, district_id=inspection.district_id, held_on=inspection.held_on,
                            findings=[RecordedFindingOut(id=f.id or 0, school_id=f.school_id, task_id=f.task_id,
                                                         text=f.text) for f in findings])
        session.commit()
    except DataError as exc:  # text the database will not store (PostgreSQL refuses NUL): nothing written
        session.rollback()
        raise InspectionError("巡查发现含有无法保存的字符，请修改后重试") from exc
    except BaseException:
        session.rollback()
        raise
    return out


def _posted(form: dict[str, str]) -> tuple[InspectionIn, int]:
    """The form's fields as the API's body; rows left empty are skipped, half-filled ones refused."""
    def number(name: str, what: str, low: int, high: int) -> int:
        text = form.get(name, "").strip()
        if not text.isdigit() or len(text) > 10 or not low <= int(text) <= high:
            raise InspectionError(f"请填写{what}")
        return int(text)

    rows = min(max(sum(1 for k in form if k.startswith("school_")), 1), MAX_ROWS)
    try:
        held_on = date.fromisoformat(form.get("held_on", "").strip())
    except ValueError:
        raise InspectionError("请填写巡查日期（年-月-日）") from None
    findings = []
    for n in range(1, rows + 1):
        school, text = form.get(f"school_{n}", "").strip(), form.get(f"finding_{n}", "")
        if not school and not text.strip():
            continue
        if not school:
            raise InspectionError(f"第 {n} 行：请选择学校")
        if not text.strip():
            raise InspectionError(f"第 {n} 行：巡查发现不能为空")
        if len(text.strip()) > MAX_TEXT:
            raise InspectionError(f"第 {n} 行：巡查发现不超过 {MAX_TEXT} 字")
        findings.append(FindingIn(school_id=number(f"school_{n}", f"第 {n} 行的学校", 1, MAX_ID), text=text))
    if not findings:
        raise InspectionError("请至少填写一所学校的巡查发现")
    days = number("days", f"整改期限（{WORKDAYS[0]}–{WORKDAYS[1]} 个工作日）", *WORKDAYS)
    inspector = number("inspector", "巡查人", 1, MAX_ID)
    return InspectionIn(held_on=held_on, inspector_id=inspector, days=days, findings=findings), rows


@router.post("/district/inspections", include_in_schema=False)
def record_form(request: Request, form: dict[str, str] = Depends(read_form), viewer: Viewer = Depends(current_viewer),
                session: Session = Depends(db_session)) -> Response:
    if form.get("add_row"):  # one more school row; what was typed stays, nothing is written
        shown = min(max(sum(1 for k in form if k.startswith("school_")), 1) + 1, MAX_ROWS)
        return _form_page(request, session, viewer, values=form, rows=shown)
    rows = DEFAULT_ROWS
    try:
        body, rows = _posted(form)
        recorded = _record(request, session, viewer, body)
    except InspectionError as exc:
        return _form_page(request, session, viewer, values=form, rows=rows, error=str(exc), status_code=400)
    return RedirectResponse(f"/district/inspections?ok={recorded.id}", status_code=303)


@router.post("/api/district/inspections", response_model=InspectionOut, tags=[TAG], summary="登记专项巡查",
             responses=ERRORS)
def record_api(request: Request, body: InspectionIn, viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> InspectionOut:
    """One inspection: each finding becomes a notice and a rectification task for its school's leader, due in
    `days` working days of the school's calendar (QD-S2 对督查发现的问题进行通报并督促学校抓好整改)."""
    try:
        return _record(request, session, viewer, body)
    except InspectionError as exc:
        raise HTTPException(400, str(exc)) from exc
