"""Accounts of a school's staff: disable (every session ends), re-enable, reset (sessions end, a fresh link or code)."""

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from web.admin_scope import managed_person, managed_school
from web.context import db_session, web_context
from web.routes.admin_school import school_change
from web.security import current_viewer
from xinyu.access import Viewer
from xinyu.admin.accounts import reset_account, set_disabled

router = APIRouter()


Action = Literal["disable", "enable", "reset"]


@router.post("/admin/schools/{school_id}/people/{person_id}/disable", include_in_schema=False)
def account_disable(request: Request, school_id: int, person_id: int, viewer: Viewer = Depends(current_viewer),
                    session: Session = Depends(db_session)) -> Response:
    return account_action(request, school_id, person_id, "disable", viewer, session)


@router.post("/admin/schools/{school_id}/people/{person_id}/enable", include_in_schema=False)
def account_enable(request: Request, school_id: int, person_id: int, viewer: Viewer = Depends(current_viewer),
                   session: Session = Depends(db_session)) -> Response:
    return account_action(request, school_id, person_id, "enable", viewer, session)


@router.post("/admin/schools/{school_id}/people/{person_id}/reset", include_in_schema=False)
def account_reset(request: Request, school_id: int, person_id: int, viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> Response:
    return account_action(request, school_id, person_id, "reset", viewer, session)


def account_action(request: Request, school_id: int, person_id: int, action: Action, viewer: Viewer,
                   session: Session) -> Response:
    school = managed_school(session, viewer, school_id)
    managed_person(session, viewer, school, person_id)
    ctx = web_context(request)

    def change() -> str:
        if action == "reset":
            how = reset_account(session, person_id=person_id, now=ctx.now(), base_url=ctx.base_url,
                                actor_id=viewer.person_id)
            return "reset_email" if how == "邮件" else "reset_sms"
        set_disabled(session, person_id=person_id, disabled=action == "disable", now=ctx.now(),
                     actor_id=viewer.person_id)
        return f"{action}d"

    return school_change(request, session, viewer, school_id, change)
