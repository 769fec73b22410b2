"""Prefect flow `dispatch-outbox`: send what the outbox holds, every few minutes (prefect.yaml).

Async for the same reason as flows/monthly_cycle.py (no 1 s heartbeat join at exit). One task, no
Prefect retries: the dispatcher records every failure on its row and retries it with backoff itself.
"""

import asyncio

from prefect import flow, task
from pydantic import BaseModel, Field

from flows.report import publish_dispatch, run_namer
from flows.run_logs import send_app_logs_to_runs
from flows.runtime import engine
from notifications.dispatcher import dispatch_async
from xinyu.clock import parse_at
from xinyu.db import OUTBOX_TABLES, refresh_statistics

send_app_logs_to_runs()  # the app's own log lines in these flows' run logs (flows/run_logs.py)


class DispatchParams(BaseModel):
    at: str | None = Field(default=None, description="ISO 8601 time of the run (quiet hours, backoff); default now")


@task
async def send_due_messages(at: str | None) -> dict[str, int]:
    """Send every message due at `at`: email, SMS, group robots; record each outcome. Then the outbox's dead
    row versions (two a message) are reclaimed when they are many (xinyu/db.py refresh_statistics)."""
    result = (await dispatch_async(engine(), now=parse_at(at))).as_dict()
    await asyncio.to_thread(refresh_statistics, engine(), OUTBOX_TABLES, vacuum=True)
    return result


@flow(name="dispatch-outbox", flow_run_name=run_namer("dispatch-outbox"), log_prints=False)
async def dispatch_outbox_async(params: DispatchParams) -> dict[str, int]:
    """Every message is a row before it is a send (DESIGN 5): send the due ones, once."""
    result: dict[str, int] = await send_due_messages(params.at)
    await publish_dispatch(title=run_namer("dispatch-outbox")(), result=result)
    return result


def dispatch_outbox_flow(params: DispatchParams) -> dict[str, int]:
    """The dispatch-outbox flow, run to completion from synchronous code."""
    return asyncio.run(dispatch_outbox_async(params))
