"""Per-batch overhead of the Prefect-server distribution: a batch handed to a long-lived task worker (the new
path, flows/spread.py) against a flow run of a deployment on the process worker (the old path's cost per batch:
a child deployment's run in a new Python process), timed from hand-out to result, A B A B in one run.

    scripts/prefect-server up --workers 2 --no-schedules        # a stack on the app's PostgreSQL database
    .venv/bin/python bench/batch_overhead.py [--home .prefect/server] [--rounds 3] [--batches 8]

New path: empty batches (no schools: the machinery alone) one at a time, the same `--batches` at once, and
real advance batches of the database's schools (idempotent; same `at` as a day already advanced is safest).
Old path: a dispatch-outbox run (nothing due: its flow run's start and end are the cost), one at a time.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _env_from_stack(home: Path) -> tuple[str, str]:
    from xinyu.devstack.config import worker_env
    from xinyu.devstack.stack import load

    config = load(home)
    if config is None:
        sys.exit(f"no stack brought up from {home}: scripts/prefect-server up first")
    os.environ.update({k: v for k, v in worker_env(config).items() if k.startswith(("PREFECT_", "XINYU_"))})
    return config.api_url, config.app_database_url


async def new_path(batches: list[list[int]], at: str) -> float:
    """Seconds from handing these batches out to having every result."""
    from flows.monthly_cycle import advance_batch
    from flows.spread import hand_out, watch
    from xinyu.clock import parse_at

    started = time.perf_counter()
    handed = await hand_out(advance_batch, batches, [[] for _ in batches], now=parse_at(at))
    await watch(handed, advance_batch.task_key)
    return time.perf_counter() - started


async def old_path(at: str) -> float:
    from prefect.deployments import arun_deployment

    started = time.perf_counter()
    run = await arun_deployment("dispatch-outbox/dispatch-outbox", parameters={"params": {"at": at}}, timeout=None,
                                poll_interval=0.25, as_subflow=False)
    assert run.state is not None and run.state.is_completed(), run.state
    await run.state.aresult()
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / ".prefect" / "server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=8, help="batches handed out at once")
    parser.add_argument("--at", default="2026-10-08T17:00", help="the `at` of the real batches")
    parser.add_argument("--batch-size", type=int, default=2, help="schools per real batch")
    args = parser.parse_args()
    _env_from_stack(args.home.resolve())

    from flows.runtime import school_batches
    from xinyu.clock import parse_at

    at = parse_at(args.at).isoformat()
    real = school_batches(args.batch_size)
    times: dict[str, list[float]] = {"old: flow run per batch": [], "new: empty batch, one": [],
                                     f"new: {args.batches} empty batches at once, per batch": [],
                                     f"new: {len(real)} real batches at once, per batch": []}
    keys = list(times)
    await new_path([[]], at)  # warm: imports, the first client
    for _ in range(args.rounds):
        times[keys[0]].append(await old_path(at))
        times[keys[1]].append(await new_path([[]], at))
        times[keys[2]].append(await new_path([[] for _ in range(args.batches)], at) / args.batches)
        times[keys[3]].append(await new_path(real, at) / len(real))
    old = statistics.median(times[keys[0]])
    print(f"per-batch overhead, hand-out to result (median of {args.rounds}; {os.cpu_count()} cores, shared)")
    for key, values in times.items():
        median = statistics.median(values)
        print(f"  {key:<45} {median * 1000:8.0f} ms   old/this {old / median:5.1f}×   "
              f"({', '.join(f'{v * 1000:.0f}' for v in values)})")


if __name__ == "__main__":
    asyncio.run(main())
