"""Sign in by a one-time code sent by SMS (staff with a phone and no email), then an offer to set a password.

The page after the phone is entered says the same whether or not the number is known."""

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from web.context import db_session, web_context
from web.routes.auth import _prelogin_ok, _prelogin_page, _signed_in
from web.security import CSRF_FIELD, client_address
from web.send_now import send_after_response
from xinyu.accounts import AccountError, RateLimited
from xinyu.login_codes import redeem_login_code, request_login_code

router = APIRouter()


@router.get("/login/code", response_class=HTMLResponse, include_in_schema=False)
def code_form(request: Request) -> HTMLResponse:
    return _prelogin_page(request, "login_code.html", phone="", sent=False, error=None)


@router.post("/login/code", response_class=HTMLResponse, include_in_schema=False)
def code_send(request: Request, background: BackgroundTasks, phone: str = Form(""),
              csrf_token: str = Form("", alias=CSRF_FIELD), session: Session = Depends(db_session)) -> HTMLResponse:
    if not _prelogin_ok(request, csrf_token):
        return _prelogin_page(request, "login_code.html", status_code=403, phone=phone, sent=False,
                              error="页面已过期，请重试")
    ctx = web_context(request)
    if request_login_code(session, phone=phone, now=ctx.now()) is not None:
        session.commit()
        send_after_response(background, ctx, "login-code:")  # the code now, not at the next dispatch
    session.commit()
    return _prelogin_page(request, "login_code.html", phone=phone.strip(), sent=True, error=None)


@router.post("/login/code/verify", include_in_schema=False)
def code_verify(request: Request, phone: str = Form(""), code: str = Form(""),
                csrf_token: str = Form("", alias=CSRF_FIELD), session: Session = Depends(db_session)) -> Response:
    if not _prelogin_ok(request, csrf_token):
        return _prelogin_page(request, "login_code.html", status_code=403, phone=phone, sent=True,
                              error="页面已过期，请重试")
    try:
        person_id = redeem_login_code(session, phone=phone, code=code, address=client_address(request),
                                      now=web_context(request).now())
    except RateLimited as exc:
        return _prelogin_page(request, "login_code.html", status_code=429, phone=phone, sent=True, error=str(exc))
    except AccountError as exc:
        return _prelogin_page(request, "login_code.html", status_code=401, phone=phone, sent=True, error=str(exc))
    return _signed_in(request, session, person_id, "/account/password")
