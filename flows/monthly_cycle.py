"""Prefect flows of the monthly loop: thin wrappers over xinyu.cycle, one task per batch of schools.

Run from a deployment on a Prefect server, open-month and advance-cycles hand their batches to long-lived
task workers (`python -m flows.batch_worker`, any number on any machine) as background task runs of the
same batch tasks (flows/spread.py). Embedded, everything runs in the flow's own process.

The flows are async: a synchronous Prefect 3.8 flow waits about 1 s at exit for its heartbeat
thread, an async one does not. `open_month_flow` and `advance_flow` run them from synchronous code
(CLI, demo, tests); deployments point at the flows themselves (prefect.yaml). The batch tasks are
sync: in an async flow each of their runs would open its own sync API client (~40 ms, mostly loading
TLS certificates) unless the flow enters one that they all share.
"""

import asyncio
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.context import SyncClientContext
from pydantic import BaseModel, Field

from flows.claims import claim_here
from flows.report import batch_name, district_tags, publish_counts, run_namer, school_districts, tag_run
from flows.run_logs import send_app_logs_to_runs
from flows.runtime import engine, pack_book, packs_in_use, school_batches
from flows.spread import Batches, run_spread, spreads
from xinyu.calendar_warning import calendar_warning
from xinyu.chase import queue_district_digests, run_chase
from xinyu.clock import local_date, parse_at
from xinyu.cycle import advance, start_month
from xinyu.cycle.schedule import month_of
from xinyu.db import refresh_statistics, transaction
from xinyu.locks import ClockBehind
from xinyu.packs import PackError
from xinyu.settings import get_settings

send_app_logs_to_runs()  # the app's own log lines in these flows' run logs (flows/run_logs.py)

GROUPS = ("Run from a deployment: 1 keeps the batches in this run, 2 or more hands them to the task workers; default"
          " hand them out from XINYU_SPREAD_MIN_SCHOOLS schools on, when task workers are online (flows/spread.py)")


class OpenMonthParams(BaseModel):
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                              description="The month to open, YYYY-MM; default the month of `at`")
    at: str | None = Field(default=None, description="ISO 8601 time of the run; default now (Asia/Shanghai)")
    batch_size: int = Field(default_factory=lambda: get_settings().schools_per_batch, ge=1, le=10_000,
                            description="Schools per Prefect task")
    groups: int | None = Field(default=None, ge=1, le=1_000, description=GROUPS)


class AdvanceParams(BaseModel):
    at: str | None = Field(default=None, description="ISO 8601 time of the run; default now (Asia/Shanghai)")
    batch_size: int = Field(default_factory=lambda: get_settings().schools_per_batch, ge=1, le=10_000,
                            description="Schools per Prefect task")
    groups: int | None = Field(default=None, ge=1, le=1_000, description=GROUPS)


def retry_unless_refused(_task: Any, _run: Any, state: Any) -> bool:
    """A broken pack or a clock behind the last run is refused every time: retrying only delays the error."""
    try:
        state.result()
    except (PackError, ClockBehind):
        return False
    except Exception:
        return True
    return True


RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": [2, 10], "retry_condition_fn": retry_unless_refused}


@task(**RETRIES)
def list_batches(batch_size: int) -> list[list[int]]:
    """The schools, in batches: a Prefect task per batch, never per class or student. Every pack in use
    must load first."""
    packs_in_use()
    return school_batches(batch_size)


@task(task_run_name=batch_name, **RETRIES)
def open_batch(school_ids: list[int], month: str, now: datetime) -> dict[str, Any]:
    """Open the month for a batch of schools in one transaction, with the first step's tasks where its
    earliest day has come (idempotent)."""
    claim_here()
    refresh_statistics(engine())  # the rows earlier batches of this run wrote, planned right (xinyu/db.py)
    with transaction(engine()) as session:
        return vars(start_month(session, month=month, now=now, book=pack_book(), school_ids=school_ids))


@task(task_run_name=batch_name, **RETRIES)
def advance_batch(school_ids: list[int], now: datetime) -> dict[str, Any]:
    """Move a batch of schools' cycles forward and chase their overdue work, in one transaction (idempotent)."""
    claim_here()
    refresh_statistics(engine())
    with transaction(engine()) as session:
        book = pack_book()
        result = advance(session, now=now, book=book, school_ids=school_ids)
        chased = run_chase(session, now=now, book=book, school_ids=school_ids)
        return {**vars(result), "opened": vars(result.opened), "chase": chased.counts()}


BATCH_TASKS = (open_batch, advance_batch)  # what the task workers serve (flows/batch_worker.py)


@task(**RETRIES)
def tell_districts(now: datetime) -> int:
    """The districts' digests, once per run after every batch: one message per officer (QD-S2)."""
    with transaction(engine()) as session:
        queued = queue_district_digests(session, now=now, book=pack_book())
    warning = calendar_warning(now)
    if warning:  # next year's holiday schedule is missing: say so in the run's log too
        get_run_logger().warning(warning)
    return queued


def _total(results: list[dict[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for result in results:
        for key, value in result.items():
            if isinstance(value, dict):
                for inner, number in value.items():
                    total[f"{key}.{inner}"] = total.get(f"{key}.{inner}", 0) + number
            else:
                total[key] = total.get(key, 0) + value
    return total


def _batch_tags(batches: Batches, districts: dict[int, str]) -> list[list[str]]:
    """Each batch's district tags (a batch may span districts)."""
    return [district_tags(districts[i] for i in batch if i in districts) for batch in batches]


async def _tag_with_districts(batches: Batches) -> list[list[str]]:
    """Tag this run with the districts of its schools; the tags of each batch."""
    districts = school_districts()
    await tag_run(district_tags(districts[i] for batch in batches for i in batch if i in districts))
    return _batch_tags(batches, districts)


# Batches run in this process carry no tags: the run itself carries its districts' tags (the flow runs page's
# filter). A tagged task run asks the API for its tags' concurrency slots before it starts, limit or not: in a
# simulated month of 150 schools (bench/year_scale.py, A B A B) that was 57-60 s against 47-52 s without. A batch
# handed to a task worker (flows/spread.py), possibly on another machine, keeps its districts' tags.
def _open_here(batches: Batches, month: str, now: datetime) -> dict[str, int]:
    with SyncClientContext.get_or_create():  # the parent's client
        return _total([f.result() for f in [open_batch.submit(batch, month, now) for batch in batches]])


def _advance_here(batches: Batches, now: datetime) -> dict[str, int]:
    with SyncClientContext.get_or_create():  # the parent's client
        return _total([f.result() for f in [advance_batch.submit(batch, now) for batch in batches]])


@flow(name="open-month", flow_run_name=run_namer("open-month"), log_prints=False)
async def open_month_async(params: OpenMonthParams) -> dict[str, int]:
    """Every school gets this month's cycle; last month's open work is carried over (QD-G4)."""
    now = parse_at(params.at)
    month = params.month or month_of(local_date(now))
    with SyncClientContext.get_or_create():  # one API client shared by the batch tasks
        batches = list_batches(params.batch_size)
        batch_tags = await _tag_with_districts(batches)
        if await spreads(batches, params.groups, BATCH_TASKS):
            total = _total(await run_spread(open_batch, batches, batch_tags, month=month, now=now))
        else:
            total = _open_here(batches, month, now)
        refresh_statistics(engine(), vacuum=True)  # the month's rows, planned right by the next run (xinyu/db.py)
        await publish_counts(key="open-month", title=run_namer("open-month")(), now=now, month=month)
        return total


@flow(name="advance-cycles", flow_run_name=run_namer("advance-cycles"), log_prints=False)
async def advance_async(params: AdvanceParams) -> dict[str, int]:
    """Open due steps, create their tasks, close finished steps, chase overdue work — every school (QD-G4, QD-S1)."""
    now = parse_at(params.at)
    with SyncClientContext.get_or_create():  # one API client shared by the batch tasks
        batches = list_batches(params.batch_size)
        batch_tags = await _tag_with_districts(batches)
        if await spreads(batches, params.groups, BATCH_TASKS):
            total = _total(await run_spread(advance_batch, batches, batch_tags, now=now))
        else:
            total = _advance_here(batches, now)
        total["chase.district_messages"] = tell_districts(now)  # once, after every batch
        refresh_statistics(engine(), vacuum=True)
        await publish_counts(key="advance-cycles", title=run_namer("advance-cycles")(), now=now,
                             month=month_of(local_date(now)))
        return total


def open_month_flow(params: OpenMonthParams) -> dict[str, int]:
    """The open-month flow, run to completion from synchronous code."""
    return asyncio.run(open_month_async(params))


def advance_flow(params: AdvanceParams) -> dict[str, int]:
    """The advance-cycles flow, run to completion from synchronous code."""
    return asyncio.run(advance_async(params))
