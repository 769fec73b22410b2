"""The distribution's fault (issue 15): a batch worker (a Prefect task worker, flows/batch_worker.py) SIGKILLed
while it runs a batch. A Prefect server with a process worker and two batch workers (xinyu/devstack/) advances a
sample district day by day, each school its own batch; on each of `times` days the worker that claims the
day's first batch is killed the moment its claim appears (the batch task's first act), then started again. The
parent run must hand that batch out again (flows/spread.py) and end as a clean in-process run of the same days
ends: same state, consistent, every message delivered once. PostgreSQL only (the stack's app database).
"""

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.faults.advance_faults import _first, _row
from tests.faults.advance_run import (
    PACKS,
    at,
    build_world,
    clean_run,
    days,
    dispatch_now,
    outbox_keys,
    people_work,
    problems,
)
from tests.faults.report import FaultRow, Injector
from tests.notifications.servers import SmtpServer

LEASE = "20"  # seconds: a batch received by the killed worker but not yet claimed is handed out again after it


def batch_worker_killed_mid_batch(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    """`times` days through the stack, a batch worker SIGKILLed mid-batch on each; its batch retried elsewhere."""
    url = new_db()
    if not url.startswith("postgresql"):
        return FaultRow("批次工作进程在批次中被 SIGKILL", 0, 0, 0, 0, 0, 0, "只在 PostgreSQL 上注入（服务器模式）")
    from xinyu.devstack import server_stack
    from xinyu.devstack.workers import start_workers

    day_list = days(times)
    with SmtpServer() as reference_server, SmtpServer() as server:
        reference = clean_run(build_world(url, workdir / "clean", seed=seed, smtp_url=reference_server.url),
                              day_list, seed)
        world = build_world(new_db(), workdir / "run", seed=seed, smtp_url=server.url)
        env = {"XINYU_SMTP_URL": server.url, "XINYU_OUTBOX_DIR": str(workdir / "run" / "outbox"),
               "XINYU_PACKS_DIR": str(PACKS), "XINYU_BATCH_LEASE_SECONDS": LEASE}
        retried = kills = failed = 0
        with server_stack(world.url, workers=2, worker_env=env) as stack:
            orchestrator = stack.orchestrator(batch_size=1, groups=2)
            claims = stack.config.home / "results" / "claims"
            for day in day_list:
                people_work(world, day, seed)
                seen = set(os.listdir(claims)) if claims.exists() else set()
                outcome: list[BaseException] = []
                runner = threading.Thread(target=_advance, args=(orchestrator, at(day), outcome))
                runner.start()
                victim = _kill_first_claimant(claims, seen, runner)
                runner.join()
                failed += bool(outcome)
                if victim:
                    kills += 1
                    run_id, holder = victim
                    retried += (claims / run_id).read_text() != holder  # finished by the other worker
                    start_workers(stack.config)  # the killed one again, for the next day
                dispatch_now(world, at(day, 18))
        found = problems(world, reference)
        # A kill can land after the batch's work is done and reported: nothing is left to redo, and only the end
        # state (equal to a clean run's), the runs and the messages say whether anything was lost.
        return _row("批次工作进程在批次中被 SIGKILL", kills, outbox_keys(world.engine), server.recorder.deliveries,
                    len(found) + failed,
                    f"{kills} 次击杀，{retried} 个批次由另一工作进程重做；失败的运行 {failed}" + _first(found))


def _advance(orchestrator: object, now: object, outcome: list[BaseException]) -> None:
    try:
        orchestrator.advance(now)  # type: ignore[attr-defined]
    except BaseException as exc:  # noqa: BLE001  (counted as a failed run)
        outcome.append(exc)


def _kill_first_claimant(claims: Path, seen: set[str], runner: threading.Thread) -> tuple[str, str] | None:
    """SIGKILL the batch worker of the first new claim; (run id, its worker) or None if the run ended first."""
    host = socket.gethostname() + "-"
    while runner.is_alive():
        new = set(os.listdir(claims)) - seen if claims.exists() else set()
        for run_id in new:
            holder = (claims / run_id).read_text()
            if holder.startswith(host):
                os.kill(int(holder[len(host):]), signal.SIGKILL)
                return run_id, holder
        time.sleep(0.02)
    return None


INJECTORS: list[Injector] = [batch_worker_killed_mid_batch]
