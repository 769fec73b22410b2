"""修改密码: a signed-in person's own password; their other browsers are signed out."""

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from models import WebSession
from web.context import db_session, web_context
from web.security import SESSION_COOKIE, LoginRequired, current_viewer
from web.templating import page
from xinyu.access import Viewer
from xinyu.accounts import AccountError, find_session
from xinyu.admin.own_password import change_own_password, needs_current_password

router = APIRouter()


def _web_session(request: Request, session: Session) -> WebSession:
    found = find_session(session, request.cookies.get(SESSION_COOKIE, ""), web_context(request).now())
    if found is None:
        raise LoginRequired()
    return found


@router.get("/account/password", response_class=HTMLResponse, include_in_schema=False)
def password_form(request: Request, viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> HTMLResponse:
    current = needs_current_password(session, _web_session(request, session), web_context(request).now())
    return page(request, "account_password.html", need_current=current, error=None, done=False)


@router.post("/account/password", response_class=HTMLResponse, include_in_schema=False)
def password_change(request: Request, current: str = Form(""), password: str = Form(""), password2: str = Form(""),
                    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    web_session, now = _web_session(request, session), web_context(request).now()
    try:
        change_own_password(session, web_session=web_session, current=current, new=password, again=password2,
                            now=now)
    except AccountError as exc:
        session.rollback()
        return page(request, "account_password.html", status_code=400, error=str(exc), done=False,
                    need_current=needs_current_password(session, _web_session(request, session), now))
    session.commit()
    return page(request, "account_password.html", need_current=True, error=None, done=True)
