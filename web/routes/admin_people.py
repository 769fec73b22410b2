"""People and roles at a school: add a staff member, assign and withdraw roles, move someone to another school."""

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from web.admin_scope import administered_school, managed_person, managed_school
from web.context import db_session, web_context
from web.routes.admin_school import school_change
from web.security import current_viewer
from xinyu.access import AccessDenied, Viewer
from xinyu.admin.errors import AdminError
from xinyu.admin.people import add_staff, assign_role, move_person, withdraw_role
from xinyu.roles import Role

router = APIRouter()


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise AdminError("请选择角色") from None


def _optional_int(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise AdminError(f"应为数字：{text}")
    return int(text)


@router.post("/admin/schools/{school_id}/people", include_in_schema=False)
def people_add(request: Request, school_id: int, name: str = Form(""), email: str = Form(""),
               phone: str = Form(""), role: str = Form(""), viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> Response:
    school = managed_school(session, viewer, school_id)

    def change() -> str:
        add_staff(session, school=school, name=name, email=email, phone=phone, role=_role(role),
                  actor_id=viewer.person_id, now=web_context(request).now())
        return "added"

    return school_change(request, session, viewer, school_id, change)


@router.post("/admin/schools/{school_id}/roles", include_in_schema=False)
def role_assign(request: Request, school_id: int, person_id: int = Form(...), role: str = Form(""),
                grade: str = Form(""), class_id: str = Form(""), viewer: Viewer = Depends(current_viewer),
                session: Session = Depends(db_session)) -> Response:
    school = managed_school(session, viewer, school_id)
    managed_person(session, viewer, school, person_id)

    def change() -> str:
        assign_role(session, school=school, person_id=person_id, role=_role(role), grade=_optional_int(grade),
                    class_id=_optional_int(class_id), actor_id=viewer.person_id, now=web_context(request).now())
        return "assigned"

    return school_change(request, session, viewer, school_id, change)


@router.post("/admin/schools/{school_id}/roles/{assignment_id}/withdraw", include_in_schema=False)
def role_withdraw(request: Request, school_id: int, assignment_id: int, viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> Response:
    school = managed_school(session, viewer, school_id)
    try:
        withdraw_role(session, school=school, assignment_id=assignment_id, actor_id=viewer.person_id,
                      now=web_context(request).now())
    except AdminError as exc:
        raise AccessDenied(f"assignment {assignment_id}") from exc
    session.commit()
    return RedirectResponse(f"/admin/schools/{school_id}?done=withdrawn", status_code=303)


@router.post("/admin/schools/{school_id}/people/{person_id}/move", include_in_schema=False)
def person_move(request: Request, school_id: int, person_id: int, to_school: int = Form(...),
                viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    source = administered_school(session, viewer, school_id)
    target = administered_school(session, viewer, to_school)
    managed_person(session, viewer, source, person_id)

    def change() -> str:
        move_person(session, person_id=person_id, source=source, target=target, actor_id=viewer.person_id,
                    now=web_context(request).now())
        return "moved"

    return school_change(request, session, viewer, school_id, change)
