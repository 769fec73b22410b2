"""A school's admin page: its name and pack (区县管理员), its staff with their roles and accounts (also 组长)."""

from collections.abc import Callable

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from models import School, SchoolClass
from web.admin_scope import administered_school, managed_school
from web.context import db_session, web_context
from web.security import current_viewer
from web.templating import page
from xinyu.access import Viewer
from xinyu.admin.errors import AdminError
from xinyu.admin.people import STAFF_ROLES, school_staff
from xinyu.admin.schools import rename_school, set_school_pack
from xinyu.policy.store import pack_ids

router = APIRouter()
DONE = {
    "created": "学校已创建。可上传名册，或在下方添加教职工。", "renamed": "学校名称已更新。",
    "pack": "政策包已更新（下月起生效）。", "added": "已添加教职工。", "assigned": "已分配角色。",
    "withdrawn": "已撤销角色。", "moved": "已调往新学校，原学校的权限已结束。",
    "disabled": "账号已停用，其登录已全部结束。", "enabled": "账号已重新启用。",
    "reset_email": "已重置：其登录已全部结束，新的登录链接已发往其邮箱。",
    "reset_sms": "已重置：其登录已全部结束，新的验证码已发往其手机。",
}


def school_page(request: Request, session: Session, viewer: Viewer, school: School, *, error: str | None = None,
                status_code: int = 200, done: str | None = None) -> HTMLResponse:
    classes = list(session.exec(select(SchoolClass).where(SchoolClass.school_id == school.id)
                                .order_by(col(SchoolClass.grade), col(SchoolClass.name))))
    others = list(session.exec(select(School).where(School.district_id == school.district_id, School.id != school.id)
                               .order_by(col(School.name)))) if viewer.administers(school.district_id) else []
    return page(request, "admin/school.html", status_code=status_code, school=school,
                staff=school_staff(session, school.id or 0), roles=STAFF_ROLES, classes=classes, others=others,
                is_admin=viewer.administers(school.district_id), packs=pack_ids(session), error=error,
                done=DONE.get(done or ""))


def school_change(request: Request, session: Session, viewer: Viewer, school_id: int,
                  change: Callable[[], str]) -> Response:
    """Run an administrative change (it returns its `done` note): committed, then back to the school's page with
    the note; refused (AdminError), nothing kept and the page again with the reason (400)."""
    try:
        done = change()
    except AdminError as exc:
        session.rollback()
        return school_page(request, session, viewer, managed_school(session, viewer, school_id), error=str(exc),
                           status_code=400)
    session.commit()
    return RedirectResponse(f"/admin/schools/{school_id}?done={done}", status_code=303)


@router.get("/admin/schools/{school_id}", response_class=HTMLResponse, include_in_schema=False)
def school_admin(request: Request, school_id: int, done: str | None = None, viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> HTMLResponse:
    return school_page(request, session, viewer, managed_school(session, viewer, school_id), done=done)


@router.post("/admin/schools/{school_id}/settings", include_in_schema=False)
def school_settings(request: Request, school_id: int, name: str = Form(""), pack: str = Form(""),
                    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    school = administered_school(session, viewer, school_id)
    now = web_context(request).now()

    def change() -> str:
        done = "renamed"
        if name.strip() and name.strip() != school.name:
            rename_school(session, school=school, name=name, actor_id=viewer.person_id, now=now)
        if pack and pack != school.pack:
            set_school_pack(session, school=school, pack=pack, actor_id=viewer.person_id, now=now)
            done = "pack"
        return done

    return school_change(request, session, viewer, school_id, change)
