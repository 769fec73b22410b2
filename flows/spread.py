"""Handing one flow run's batches of schools to Prefect task workers (the Prefect-server way).

A parent run started from a deployment (open-month, advance-cycles) creates one background task run per
batch (what Prefect's `Task.delay` does, awaited in the flow's loop: `Task.create_run(deferred=True)`, a
Scheduled task run on the server and its parameters in the task-scheduling storage) and waits; every task
worker serving the batch tasks (`python -m flows.batch_worker`, long-lived,
on any machine) takes them off the server's queue as it has free slots. Results come back through Prefect's
result storage (persisted by the workers), which every worker machine and the parent must reach: a shared
folder (PREFECT_LOCAL_STORAGE_PATH) or a remote block (PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK and
PREFECT_TASKS_SCHEDULING_DEFAULT_STORAGE_BLOCK). The parent sums the counts, then does what happens once per
run (the district digests).

Prefect 3.9 does not hand out again a task run whose worker died (the server forgets a run once a worker
acknowledged it), so the parent watches (`watch`): a batch claimed by a task worker the server no longer lists
(flows/claims.py), or unclaimed and not finished a lease after it was handed out (XINYU_BATCH_LEASE_SECONDS: a
delivery lost with its worker before the claim, or a server restarted), is put back to Scheduled, which
re-queues the same task run; a second delivery of a run already taken is refused by Prefect's orchestration.
A batch is one transaction and the core is idempotent: running one again is safe.

Embedded (no deployment and no `groups`: `xinyu advance`, serve, tests), with `groups=1`, with no task worker
online, and for fewer schools than XINYU_SPREAD_MIN_SCHOOLS (unless `groups` asks to spread) the batches run as
tasks in the flow's own process. A run not from a deployment spreads when `groups` asks (a simulation's parent
runs on a server's API, xinyu/simulate/orchestrators.py).
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from prefect import Task, tags
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterId
from prefect.client.schemas.objects import State, TaskRun
from prefect.context import FlowRunContext
from prefect.results import get_or_create_default_task_scheduling_storage
from prefect.states import Scheduled

from flows import claims
from xinyu.settings import get_settings

Batches = list[list[int]]
WATCH_SECONDS = (0.02, 0.25)  # between reads of the batches' states: from the first, doubling to the longest
WORKERS_SECONDS = 1.0  # between reads of the live task workers (a dead worker's batch is handed out again)
HAND_OUT_AT_ONCE = 8  # task runs created at once: each is a request to the server
log = logging.getLogger(__name__)


async def spreads(batches: Batches, groups: int | None, batch_tasks: Sequence[Task[..., Any]]) -> bool:
    """Whether this run hands its batches to task workers: from a deployment (or, not from one, when `groups`
    asks to spread: a simulation's parent runs on a server's API), unless `groups` is 1, with a task worker
    online, and (unless `groups` asks to spread) from XINYU_SPREAD_MIN_SCHOOLS schools on."""
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    if run is None or len(batches) < 2 or groups == 1:
        return False
    if run.deployment_id is None and groups is None:
        return False  # embedded (`xinyu advance`, serve's scheduler): Prefect's in-process API, no task workers
    if groups is None and sum(map(len, batches)) < get_settings().spread_min_schools:
        return False
    async with get_client() as client:
        online = await live_workers(client, [t.task_key for t in batch_tasks])
    if not online:
        log.warning("没有在线的批次工作进程（python -m flows.batch_worker）：本次运行的各批次在本进程内执行")
    return bool(online)


async def live_workers(client: PrefectClient, task_keys: list[str]) -> set[str]:
    """The task workers the server holds a connection to for these tasks (`hostname-pid` each)."""
    response = await client._client.post("/task_workers/filter",
                                         json={"task_worker_filter": {"task_keys": task_keys}})
    response.raise_for_status()
    return {w["identifier"] for w in response.json()}


@dataclass
class Batch:
    run: TaskRun
    handed_out: float  # time.monotonic() of the last hand-out
    missing: int = 0  # watches in a row its claiming worker was not listed
    gone: set[str] = field(default_factory=set)  # workers it was taken back from: their claims no longer count
    state: State | None = None


async def hand_out(task: Task[..., Any], batches: Batches, batch_tags: list[list[str]],
                   **params: Any) -> dict[UUID, Batch]:
    """One background task run per batch (`task(school_ids=batch, **params)`), tagged by its districts."""
    limit = asyncio.Semaphore(HAND_OUT_AT_ONCE)

    async def one(batch: list[int], names: list[str]) -> Batch:
        async with limit:
            with tags(*names):
                run = await task.create_run(parameters={"school_ids": batch, **params}, deferred=True)
            return Batch(run, time.monotonic())

    made = await asyncio.gather(*(one(b, n) for b, n in zip(batches, batch_tags, strict=True)))
    return {b.run.id: b for b in made}  # in batch order


async def watch(handed: dict[UUID, Batch], task_key: str) -> list[Any]:
    """Wait until every batch ended, handing out again those whose worker died; their results in order, or an
    error naming the batches that did not complete (after all ended: none is left running unwatched)."""
    lease = get_settings().batch_lease_seconds
    waiting = set(handed)
    pause, workers_read = WATCH_SECONDS[0], time.monotonic()
    async with get_client() as client:
        while waiting:
            await asyncio.sleep(pause)
            pause = min(pause * 2, WATCH_SECONDS[1])
            runs = await client.read_task_runs(task_run_filter=TaskRunFilter(id=TaskRunFilterId(any_=list(waiting))))
            if len(runs) < len(waiting):  # a task worker deletes a run it cannot start (its log says why)
                gone = sorted(str(i) for i in waiting - {r.id for r in runs})
                raise RuntimeError(f"batch task runs deleted by a task worker that could not start them: {gone}")
            for run in runs:
                if run.state is not None and run.state.is_final():
                    handed[run.id].state = run.state
                    waiting.discard(run.id)
            if waiting and time.monotonic() - workers_read >= WORKERS_SECONDS:
                workers_read = time.monotonic()
                await _hand_out_lost(client, [handed[i] for i in waiting], task_key, lease)
    failed = [f"{b.run.name} ({b.state.name})" for b in handed.values() if b.state and not b.state.is_completed()]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(handed)} batches did not complete: {', '.join(failed)}")
    return [await b.state.aresult() for b in handed.values() if b.state is not None]


async def _hand_out_lost(client: PrefectClient, batches: list[Batch], task_key: str, lease: float) -> None:
    """Put back to Scheduled the batches whose claiming worker is gone (twice in a row) or that nobody claimed
    within the lease."""
    live = await live_workers(client, [task_key])
    storage = await get_or_create_default_task_scheduling_storage()
    now = time.monotonic()
    for batch in batches:
        holder = await claims.holder(batch.run.id, storage)
        if holder is None or holder in batch.gone:
            lost = now - batch.handed_out > lease
        else:
            batch.missing = 0 if holder in live else batch.missing + 1
            lost = batch.missing >= 2
        if lost:
            await _schedule_again(client, batch, holder)


async def _schedule_again(client: PrefectClient, batch: Batch, holder: str | None) -> None:
    """Back to Scheduled (deferred, same parameters): the server queues the same task run again."""
    assert batch.run.state is not None
    state: State[Any] = Scheduled()
    state.state_details.deferred = True
    state.state_details.task_parameters_id = batch.run.state.state_details.task_parameters_id
    await client.set_task_run_state(batch.run.id, state, force=True)
    batch.handed_out, batch.missing = time.monotonic(), 0
    if holder:
        batch.gone.add(holder)
    log.warning("批次 %s（%s）的工作进程 %s 已离线或超时未领取：重新分发", batch.run.name, batch.run.id,
                holder or "（无）")


async def run_spread(task: Task[..., Any], batches: Batches, batch_tags: list[list[str]],
                     **params: Any) -> list[Any]:
    """Hand the batches to the task workers and wait for their results (in batch order)."""
    return await watch(await hand_out(task, batches, batch_tags, **params), task.task_key)
