"""心理健康网络 (QD-T10, GZ-5.1, QD-T2): a school's network against its roster and pack, and the district's summary.

The school page (and its JSON twin) is for the staff who see the whole school (leadership group, psychology
teachers): it names the student role holders. The leader keeps the dorm setting (寄宿制、宿舍间数) there. The
district page and its twin give counts per school only: never a student's name.
"""

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from models import School
from web.context import db_session, web_context
from web.params import SchoolId, problems
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.network import DormSettingError, SchoolNetwork, district_network, school_network, set_dorms

router = APIRouter()
TAG = "心理健康网络"
NOT_FOUND = problems({404: "学校不存在或无权查看"})


class HolderOut(BaseModel):
    name: str
    gender: str | None


class ClassCheckOut(BaseModel):
    class_id: int
    grade: int
    label: str
    role: str
    role_label: str
    clause: str
    count: int
    gender: dict[str, int]
    short: bool
    problems: list[str]
    holders: list[HolderOut] | None = None


class NetworkSummary(BaseModel):
    """One school, counts only (the district's view and `xinyu network --json`)."""

    school_id: int
    school: str
    pack: str
    checked: bool
    classes: int
    classes_checked: int
    classes_short: int
    boarding: bool
    dorms: int
    dorm_informants: int
    dorms_short: int
    psych_teachers: int
    full_time: int
    part_time: int
    full_time_ok: bool | None
    teachers_needed: int
    ratio_ok: bool | None
    ratio_due: date | None
    ratio_in_force: bool
    ok: bool
    clauses: list[str]


class TeacherOut(BaseModel):
    name: str
    tenure: str


class SchoolNetworkOut(NetworkSummary):
    class_checks: list[ClassCheckOut]
    dorm_informant_names: list[str]
    teachers: list[TeacherOut]
    clause_texts: dict[str, str]


def _network(request: Request, session: Session, viewer: Viewer, school_id: int) -> tuple[School, SchoolNetwork]:
    viewer.require_whole_school(school_id)
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    ctx = web_context(request)
    return school, school_network(session, school, ctx.book.pack(school.pack), today=ctx.today())


def _school_out(network: SchoolNetwork) -> SchoolNetworkOut:
    return SchoolNetworkOut.model_validate(network.school_json())


def _page(request: Request, session: Session, viewer: Viewer, school_id: int, *, ok: bool = False,
          error: str | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    school, network = _network(request, session, viewer, school_id)
    form = values or {"boarding": "1" if school.boarding else "0", "dorms": str(school.dorms or "")}
    return page(request, "network/school.html", status_code=400 if error else 200, school=school, network=network,
                can_set=viewer.leads(school_id), ok=ok, error=error, form=form)


@router.get("/schools/{school_id}/network", response_class=HTMLResponse, include_in_schema=False)
def network_page(request: Request, school_id: SchoolId, ok: str = "", viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> HTMLResponse:
    return _page(request, session, viewer, school_id, ok=ok == "1")


@router.get("/api/schools/{school_id}/network", response_model=SchoolNetworkOut, tags=[TAG],
            summary="学校心理健康网络（每班学生角色、宿舍、心理教师配备）", responses=NOT_FOUND)
def network_api(request: Request, school_id: SchoolId, viewer: Viewer = Depends(current_viewer),
                session: Session = Depends(db_session)) -> SchoolNetworkOut:
    """The school's classes against the pack's network rules, with the holders' names (school staff only)."""
    return _school_out(_network(request, session, viewer, school_id)[1])


@router.post("/schools/{school_id}/network/dorms", include_in_schema=False)
def dorms_form(request: Request, school_id: SchoolId, boarding: str = Form("0", max_length=1),
               dorms: str = Form("", max_length=6), viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> Response:
    viewer.require_whole_school(school_id)
    if not viewer.leads(school_id):
        raise AccessDenied(f"dorm setting of school {school_id}")
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    values = {"boarding": boarding, "dorms": dorms}
    text = dorms.strip()
    try:
        if text and not text.isdigit():
            raise DormSettingError(f"宿舍间数“{text}”不是整数")
        set_dorms(session, school, boarding=boarding == "1", dorms=int(text) if text else None,
                  by=viewer.person_id, now=web_context(request).now())
    except DormSettingError as exc:
        session.rollback()
        return _page(request, session, viewer, school_id, error=str(exc), values=values)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/network?ok=1", status_code=303)


def _district_rows(request: Request, session: Session, viewer: Viewer) -> list[NetworkSummary]:
    if not viewer.is_officer:
        raise AccessDenied("not a district officer")
    ctx = web_context(request)
    rows = district_network(session, viewer.district_ids, book=ctx.book, today=ctx.today())
    return [NetworkSummary.model_validate(row) for row in rows]


@router.get("/district/network", response_class=HTMLResponse, include_in_schema=False)
def district_page(request: Request, viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> HTMLResponse:
    return page(request, "network/district.html", rows=_district_rows(request, session, viewer))


@router.get("/api/district/network", response_model=list[NetworkSummary], tags=[TAG],
            summary="区县各校心理健康网络（只有人数）", responses=problems({404: "不是区县负责人"}))
def district_api(request: Request, viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> list[NetworkSummary]:
    """Per school: classes short of student role holders, dorms short of informants, psychology teachers."""
    return _district_rows(request, session, viewer)
