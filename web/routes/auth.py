"""Sign in and out, and the first login (or a forgotten password) through a one-time link by email."""

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from web.context import db_session, web_context
from web.security import CSRF_FIELD, PRELOGIN_COOKIE, SESSION_COOKIE, client_address, current_viewer
from web.send_now import send_after_response
from web.templating import page
from xinyu.access import Viewer
from xinyu.accounts import (
    AccountError,
    RateLimited,
    authenticate,
    end_session,
    open_session,
    peek_login_link,
    redeem_login_link,
    request_login_link,
)

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path of this site: `next` must not send a fresh login elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def _prelogin_page(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """A form shown before signing in carries a double-submit token (cookie = field)."""
    token = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = page(request, name, status_code=status_code, prelogin_token=token, **context)
    response.set_cookie(PRELOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=web_context(request).cookie_secure, max_age=3600)
    return response


def _prelogin_ok(request: Request, sent: str) -> bool:
    cookie = request.cookies.get(PRELOGIN_COOKIE)
    return bool(cookie) and secrets.compare_digest(cookie or "", sent)


def _signed_in(request: Request, session: Session, person_id: int, target: str) -> RedirectResponse:
    ctx = web_context(request)
    opened = open_session(session, person_id=person_id, now=ctx.now())
    session.commit()
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(SESSION_COOKIE, opened.token, httponly=True, samesite="lax", secure=ctx.cookie_secure,
                        max_age=12 * 3600)
    response.delete_cookie(PRELOGIN_COOKIE)
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _prelogin_page(request, "login.html", next=_safe_next(next), error=None, login="")


@router.post("/login", include_in_schema=False)
def login(request: Request, login: str = Form(""), password: str = Form(""), next: str = Form("/"),
          csrf_token: str = Form("", alias=CSRF_FIELD), session: Session = Depends(db_session)) -> Response:
    if not _prelogin_ok(request, csrf_token):
        return _prelogin_page(request, "login.html", status_code=403, next=_safe_next(next), login=login,
                              error="页面已过期，请重新登录")
    ctx = web_context(request)
    try:
        person_id = authenticate(session, login=login, password=password, address=client_address(request),
                                 now=ctx.now())
    except RateLimited as exc:
        session.commit()
        return _prelogin_page(request, "login.html", status_code=429, next=_safe_next(next), login=login,
                              error=str(exc))
    except AccountError as exc:
        session.commit()  # (authenticate has recorded and committed the attempt before checking it)
        return _prelogin_page(request, "login.html", status_code=401, next=_safe_next(next), login=login,
                              error=str(exc))
    return _signed_in(request, session, person_id, next)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, viewer: Viewer = Depends(current_viewer),
           session: Session = Depends(db_session)) -> RedirectResponse:
    end_session(session, request.cookies.get(SESSION_COOKIE, ""), web_context(request).now())
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/first-login", response_class=HTMLResponse, include_in_schema=False)
def link_form(request: Request) -> HTMLResponse:
    return _prelogin_page(request, "first_login.html", sent=False, error=None)


@router.post("/first-login", response_class=HTMLResponse, include_in_schema=False)
def send_link(request: Request, background: BackgroundTasks, login: str = Form(""),
              csrf_token: str = Form("", alias=CSRF_FIELD), session: Session = Depends(db_session)) -> HTMLResponse:
    if not _prelogin_ok(request, csrf_token):
        return _prelogin_page(request, "first_login.html", status_code=403, sent=False, error="页面已过期，请重试")
    ctx = web_context(request)
    if request_login_link(session, login=login, now=ctx.now(), base_url=ctx.base_url):
        session.commit()
        send_after_response(background, ctx, "login-link:")  # the link now, not at the next dispatch
    session.commit()
    # The same answer whether or not the login exists: the page tells nobody who works where.
    return _prelogin_page(request, "first_login.html", sent=True, error=None)


@router.get("/first-login/{token}", response_class=HTMLResponse, include_in_schema=False)
def set_password_form(request: Request, token: str, session: Session = Depends(db_session)) -> HTMLResponse:
    try:
        peek_login_link(session, token, web_context(request).now())
    except AccountError as exc:
        return _prelogin_page(request, "set_password.html", status_code=410, token=None, error=str(exc))
    return _prelogin_page(request, "set_password.html", token=token, error=None)


@router.post("/first-login/{token}", include_in_schema=False)
def set_password(request: Request, token: str, password: str = Form(""), password2: str = Form(""),
                 csrf_token: str = Form("", alias=CSRF_FIELD), session: Session = Depends(db_session)) -> Response:
    if not _prelogin_ok(request, csrf_token):
        return _prelogin_page(request, "set_password.html", status_code=403, token=token, error="页面已过期，请重试")
    if password != password2:
        return _prelogin_page(request, "set_password.html", status_code=400, token=token, error="两次输入的密码不一致")
    try:
        person_id = redeem_login_link(session, token=token, password=password, now=web_context(request).now())
    except AccountError as exc:
        session.rollback()
        return _prelogin_page(request, "set_password.html", status_code=400, token=token, error=str(exc))
    return _signed_in(request, session, person_id, "/")


class Me(BaseModel):
    person_id: int
    name: str
    roles: list[str]
    school_ids: list[int]
    district_ids: list[int]
    csrf_token: str


@router.get("/api/me", response_model=Me, tags=["账号"])
def me(request: Request, viewer: Viewer = Depends(current_viewer)) -> Me:
    """The signed-in person, their scopes and the CSRF token the API's writes must send (X-CSRF-Token)."""
    return Me(person_id=viewer.person_id, name=viewer.name, roles=sorted(viewer.roles),
              school_ids=sorted(viewer.school_ids), district_ids=sorted(viewer.district_ids),
              csrf_token=request.state.csrf_token)
