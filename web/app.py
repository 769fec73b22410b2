"""The FastAPI application: pages and API, the session check, errors, headers and static files."""

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.context import WebContext
from web.errors import STATUS_TEXT, status_text, validation_errors, validation_message
from web.limits import BodyLimit, check_upload_cap
from web.routes import auth
from web.routes.health import script_head
from web.security import CsrfFailed, LoginRequired, current_viewer, is_api
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.clock import now as wall_clock
from xinyu.cycle.packbook import PackBook
from xinyu.db import make_engine, pool_capacity
from xinyu.evidence_files import FileStore
from xinyu.packs import Pack, PackError
from xinyu.settings import get_settings

STATIC = Path(__file__).parent / "static"
# Inline scripts are not allowed: pages load their scripts from /static only.
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


def create_app(
    *, engine: Engine | None = None, book: PackBook | None = None, clock: Callable[[], datetime] | None = None,
    base_url: str | None = None, cookie_secure: bool | None = None, file_store: FileStore | None = None,
) -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="心育闭环 API", version="1", lifespan=_worker_threads(settings.web_threads),
                  docs_url=None, redoc_url=None,  # /docs: web/routes/api_docs.py, signed in, no CDN
                  description="任务、看板、台账、会议、课程与区县督办：与页面同一套规则。")
    engine = engine or make_engine(settings.database_url, pool_size=settings.web_threads)
    app.state.ctx = WebContext(
        engine=engine,
        book=book or PackBook(engine),
        clock=clock or wall_clock,
        base_url=base_url or settings.base_url,
        cookie_secure=settings.cookie_secure if cookie_secure is None else cookie_secure,
        db_slots=min(settings.web_threads, pool_capacity(engine) or settings.web_threads),
        file_store=file_store,
        send_logins_at_once=settings.send_logins_at_once,
    )
    check_upload_cap(_loadable_packs(app.state.ctx.book), settings.max_upload_bytes)
    app.state.migration_head = script_head()  # GET /healthz compares the database's revision with it
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    for router in _area_routers():
        app.include_router(router)
    app.add_api_route("/", home, methods=["GET"], include_in_schema=False)
    _install_error_pages(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,  # inside _headers: a 413 gets them too
                       upload_bytes=settings.max_upload_bytes)
    app.middleware("http")(_headers)
    return app


def _loadable_packs(book: PackBook) -> list[Pack]:
    """The newest stored packs that load (a broken one is refused where it is used, naming its field)."""
    packs = []
    try:
        pack_ids = book.pack_ids()
    except (OperationalError, ProgrammingError):  # a database not initialised yet (xinyu init): no packs yet
        return []
    for pack_id in pack_ids:
        try:
            packs.append(book.pack(pack_id))
        except PackError:
            continue
    return packs


def _worker_threads(count: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The server's thread pool (sync routes and dependencies run there) as large as the database pool."""
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = count
        yield

    return lifespan


def _area_routers() -> list[APIRouter]:
    """The routers of the areas of work, each in its own module (a new module is picked up by itself)."""
    import importlib
    import pkgutil

    import web.routes as package

    routers: list[APIRouter] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name != "auth":
            module = importlib.import_module(f"web.routes.{info.name}")
            routers.append(module.router)
    return routers


def home(viewer: Viewer = Depends(current_viewer)) -> RedirectResponse:
    """Officers start at the district inbox, staff at their tasks, a 区县管理员 with nothing else at /admin."""
    if viewer.school_ids:
        return RedirectResponse("/tasks", status_code=303)
    if viewer.is_officer:
        return RedirectResponse("/district/inbox", status_code=303)
    return RedirectResponse("/admin" if viewer.is_admin else "/tasks", status_code=303)


async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    # Server-Timing: what the benchmark reads as the server's time for the page.
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = CSP
    if not request.url.path.startswith("/static/"):
        # pages carry school data: never cached on shared PCs (unless a route said otherwise: /docs' files)
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if is_api(request):
            return JSONResponse({"detail": "未登录"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        return _error(request, 403, "请求缺少有效的表单令牌（CSRF），请刷新页面后重试")

    @app.exception_handler(AccessDenied)
    async def denied(request: Request, _exc: AccessDenied) -> Response:
        return _error(request, 404, "页面不存在，或您无权查看")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = _error(request, exc.status_code, status_text(exc.status_code, exc.detail))
        response.headers.update(exc.headers or {})  # e.g. 405's Allow
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):  # field names and Chinese reasons; never the input that was sent
            return JSONResponse({"detail": validation_errors(exc.errors())}, status_code=422)
        return _error(request, 422, validation_message(exc.errors()))

    @app.exception_handler(Exception)
    async def crashed(request: Request, _exc: Exception) -> Response:
        # Starlette logs the exception and its traceback; the person sees no detail of it.
        try:
            return _error(request, 500, STATUS_TEXT[500])
        except Exception:  # the error page itself failed: plain text, still Chinese
            return PlainTextResponse(STATUS_TEXT[500], status_code=500)


def _error(request: Request, status: int, message: str) -> Response:
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    response: HTMLResponse = page(request, "error.html", status_code=status, status=status, message=message)
    return response
