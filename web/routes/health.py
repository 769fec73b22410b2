"""GET /healthz: is this web worker fit to serve? For load balancers and monitoring; no sign-in, no data.

503 when the database cannot be reached or its migrations are not at this release's head (a request would
fail). The scheduler's heartbeat is reported but does not make it 503: a scheduler that stopped (or never
ran) leaves `status` "degraded" with 200, since the web itself still serves; monitoring alerts on it.
The answer carries states, revision ids and times only: no names, addresses, counts of people or settings.
"""

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from web.context import db_session, web_context
from xinyu.service.heartbeat import scheduler_state
from xinyu.service.scheduler import DISPATCH_EVERY

router = APIRouter()


def script_head() -> str | None:
    """The newest migration this release ships (read once, when the app is built)."""
    from alembic.script import ScriptDirectory

    from xinyu.db import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request, session: Session = Depends(db_session)) -> JSONResponse:
    head: str | None = request.app.state.migration_head
    body: dict[str, object] = {"status": "ok"}
    try:
        current = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        scheduler = scheduler_state(session, now=web_context(request).now(), dispatch_every=DISPATCH_EVERY)
    except SQLAlchemyError:
        session.rollback()
        body.update(status="unavailable", database="error")
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    body["database"] = "ok"
    body["migrations"] = {"current": current, "head": head, "ok": current == head}
    body["scheduler"] = {"state": scheduler.state,
                         "last_started": scheduler.last_started.isoformat(timespec="seconds")
                         if scheduler.last_started else None,
                         "stale_after_seconds": int((2 * DISPATCH_EVERY) / timedelta(seconds=1)),
                         "jobs": scheduler.jobs}
    if current != head:
        body["status"] = "unavailable"
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    if scheduler.state != "ok":
        body["status"] = "degraded"
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
