"""The 区县管理员's home: the district (rename) and its schools (create; each school's admin page)."""

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from models import District, School
from web.context import db_session, web_context
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.admin.errors import AdminError
from xinyu.admin.schools import STAGES, create_school, rename_district
from xinyu.policy.store import pack_ids

router = APIRouter()
DONE = {"renamed": "区县名称已更新。", "school": "学校已创建。"}


def admin_page(request: Request, session: Session, viewer: Viewer, *, error: str | None = None,
               status_code: int = 200, done: str | None = None) -> HTMLResponse:
    if not viewer.is_admin:
        raise AccessDenied("admin")
    districts = list(session.exec(select(District).where(col(District.id).in_(viewer.admin_district_ids))
                                  .order_by(col(District.id))))
    schools = list(session.exec(select(School).where(col(School.district_id).in_(viewer.admin_district_ids))
                                .order_by(col(School.name))))
    return page(request, "admin/district.html", status_code=status_code, districts=districts, schools=schools,
                stages=STAGES, packs=pack_ids(session), error=error, done=DONE.get(done or ""))


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
def admin_home(request: Request, done: str | None = None, viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> HTMLResponse:
    return admin_page(request, session, viewer, done=done)


@router.post("/admin/districts/{district_id}/rename", include_in_schema=False)
def district_rename(request: Request, district_id: int, name: str = Form(""),
                    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    if not viewer.administers(district_id):
        raise AccessDenied(f"district {district_id}")
    try:
        rename_district(session, district_id=district_id, name=name, actor_id=viewer.person_id,
                        now=web_context(request).now())
    except AdminError as exc:
        session.rollback()
        return admin_page(request, session, viewer, error=str(exc), status_code=400)
    session.commit()
    return RedirectResponse("/admin?done=renamed", status_code=303)


@router.post("/admin/schools", include_in_schema=False)
def school_create(request: Request, district_id: int = Form(...), name: str = Form(""), stage: str = Form(""),
                  pack: str = Form(""), viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> Response:
    if not viewer.administers(district_id):
        raise AccessDenied(f"district {district_id}")
    try:
        school = create_school(session, district_id=district_id, name=name, stage=stage, pack=pack,
                               actor_id=viewer.person_id, now=web_context(request).now())
    except AdminError as exc:
        session.rollback()
        return admin_page(request, session, viewer, error=str(exc), status_code=400)
    session.commit()
    return RedirectResponse(f"/admin/schools/{school.id}?done=created", status_code=303)
