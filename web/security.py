"""Signed-in viewers and CSRF: the cookie names a server-side session; every form carries its token."""

import secrets

from fastapi import Depends, Request
from sqlmodel import Session

from web.context import db_session, web_context
from xinyu.access import Viewer, load_viewer
from xinyu.accounts import find_session

SESSION_COOKIE = "xinyu_session"
PRELOGIN_COOKIE = "xinyu_prelogin"  # double-submit token for the forms used before signing in
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


class CsrfFailed(Exception):
    """A write without the session's token: answered 403, nothing written."""


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def posted_csrf_token(request: Request) -> str | None:
    """The CSRF token a write sent (header, else the form's field); None for reads. Reads the body: async, and
    no database work here (that belongs in threads, see `current_viewer`)."""
    if request.method not in UNSAFE or SESSION_COOKIE not in request.cookies:
        return None  # a read, or nobody signed in (refused by `current_viewer` without reading the body)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and not is_api(request):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent


def current_viewer(request: Request, sent: str | None = Depends(posted_csrf_token),
                   session: Session = Depends(db_session)) -> Viewer:
    """The signed-in viewer, with the session's CSRF token checked on every write.

    A plain `def`: FastAPI runs it in its thread pool, so the session lookup never blocks the event loop."""
    token = request.cookies.get(SESSION_COOKIE)
    found = find_session(session, token, web_context(request).now()) if token else None
    viewer = load_viewer(session, found.person_id) if found else None
    if found is None or viewer is None:
        raise LoginRequired()
    if request.method in UNSAFE and (not sent or not secrets.compare_digest(sent, found.csrf_token)):
        raise CsrfFailed()
    request.state.viewer = viewer
    request.state.csrf_token = found.csrf_token
    return viewer


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
