"""Spreading one flow run's batches of schools over the work pool's workers (the Prefect-server way).

A flow run lands on one worker. So a parent run started from a deployment (advance-cycles, open-month)
splits its batches into one group per online worker of its pool and runs a child deployment per group
(advance-batches, open-batches) with `run_deployment`, all at once; whichever workers have a free slot
take them (`prefect worker start --limit`), and each child runs its group's batches as Prefect tasks,
as the embedded run does. The parent waits for every child, sums their counts, and only then does what
must happen once per run (the district digests).

Embedded (no deployment: `xinyu advance`, serve, tests), with a single worker or group, and for fewer
schools than XINYU_SPREAD_MIN_SCHOOLS (1,500) nothing is spread: the batches run as tasks in the flow's own
process, and no child run's start-up (~4 s of CPU: a new Python process importing Prefect) is paid;
the core advances ~200 schools × 30 classes a second here, so spreading pays from about that size.
"""

import asyncio
from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus
from prefect.context import FlowRunContext
from prefect.deployments import arun_deployment

from flows.report import deployment_run_name
from xinyu.settings import get_settings

Batches = list[list[int]]
CHILD_POLL_SECONDS = 1.0  # run_deployment's default is 5 s: a whole extra wait per advance


async def worker_groups(batches: Batches, groups: int | None) -> list[Batches]:
    """The batches in contiguous groups, one per online worker (or `groups` of them); [] when they run in
    this process: embedded, a single worker or group, or (unless `groups` is given) too few schools for a
    child run's start-up to pay (XINYU_SPREAD_MIN_SCHOOLS)."""
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    if run is None or run.deployment_id is None or not run.work_pool_name:
        return []  # embedded: Prefect's in-process API, no workers to spread over
    if groups is None:
        if sum(map(len, batches)) < get_settings().spread_min_schools:
            return []
        groups = await online_workers(run.work_pool_name)
    groups = min(groups, len(batches))
    if groups < 2:
        return []
    return [batches[len(batches) * n // groups:len(batches) * (n + 1) // groups] for n in range(groups)]


async def online_workers(pool: str) -> int:
    async with get_client() as client:
        workers = await client.read_workers_for_work_pool(
            pool, worker_filter=WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"])))
    return len(workers)


async def run_children(deployment: str, parameters: list[dict[str, Any]]) -> list[dict[str, int]]:
    """Run the child deployment once per parameter set, concurrently; their results, or an error naming
    the runs that did not complete (after all of them ended: no child is left running unwatched)."""
    runs = await asyncio.gather(*(
        arun_deployment(deployment, parameters=p, timeout=None, poll_interval=CHILD_POLL_SECONDS,
                        flow_run_name=deployment_run_name(deployment, p))
        for p in parameters))
    failed = [f"{r.name} ({r.state.name if r.state else 'no state'})" for r in runs
              if r.state is None or not r.state.is_completed()]
    if failed:
        raise RuntimeError(f"{deployment}: {len(failed)} of {len(runs)} runs did not complete: {', '.join(failed)}")
    return [await r.state.aresult() for r in runs if r.state is not None]
