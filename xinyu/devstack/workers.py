"""The stack's workers: one process worker of the `xinyu-pool` work pool, which runs the deployments' flow runs
(open-month, advance-cycles, dispatch-outbox), and N batch workers, long-lived Prefect task workers that run the
batches those parents hand out (`python -m flows.batch_worker`, flows/spread.py)."""

import socket
import time

import httpx

from xinyu.devstack.config import POOL, VENV_BIN, StackConfig, StackError, worker_env
from xinyu.devstack.processes import log_tail, pid_file, running_pid, start_process, stop
from xinyu.devstack.server import api, healthy

PROCESS_WORKER = "xinyu-worker-1"


def worker_name(n: int) -> str:
    """The n-th batch worker (1…N)."""
    return f"xinyu-batch-worker-{n}"


def online_workers(config: StackConfig) -> set[str]:
    """The names of the stack's workers the server sees: the process worker, and the batch workers whose task
    worker id (`hostname-pid`) it lists."""
    response = api(config, "POST", f"/work_pools/{POOL}/workers/filter",
                   json={"workers": {"status": {"any_": ["ONLINE"]}}})
    online = {w["name"] for w in response.json()} if response.status_code == 200 else set()
    response = api(config, "POST", "/task_workers/filter", json={})
    listed = {w["identifier"] for w in response.json()} if response.status_code == 200 else set()
    host = socket.gethostname()
    for n in range(1, config.workers + 1):
        pid = running_pid(config, worker_name(n))
        if pid and f"{host}-{pid}" in listed:
            online.add(worker_name(n))
    return online


def start_workers(config: StackConfig, timeout: float = 120) -> None:
    """The process worker and batch workers 1…N (those not running), stop any numbered above N, wait until all
    are online."""
    for n in range(config.workers + 1, 100):
        if not pid_file(config, worker_name(n)).exists():
            break
        stop(config, worker_name(n))
    env = worker_env(config)
    if not running_pid(config, PROCESS_WORKER):
        start_process(config, PROCESS_WORKER, [
            str(VENV_BIN / "prefect"), "worker", "start", "--pool", POOL, "--type", "process",
            "--name", PROCESS_WORKER, "--limit", str(config.limit), "--install-policy", "never",
            "--no-create-pool-if-not-found"], env)
    for n in range(1, config.workers + 1):
        if not running_pid(config, worker_name(n)):
            start_process(config, worker_name(n), [
                str(VENV_BIN / "python"), "-m", "flows.batch_worker", "--limit", str(config.batch_limit)], env)
    names = {PROCESS_WORKER} | {worker_name(n) for n in range(1, config.workers + 1)}
    deadline = time.monotonic() + timeout
    while not names <= online_workers(config):
        for name in sorted(names):
            if running_pid(config, name) is None:
                raise StackError(f"{name} stopped; {config.home / (name + '.log')} ends:\n{log_tail(config, name)}")
        if time.monotonic() > deadline:
            raise StackError(f"workers not online after {timeout:.0f} s: {sorted(names - online_workers(config))}")
        time.sleep(0.3)


def stop_workers(config: StackConfig) -> list[str]:
    """Stop the process worker (and its flow runs) and every numbered batch worker of this folder; the names of
    those that ran."""
    stopped = []
    if stop(config, PROCESS_WORKER):
        stopped.append(PROCESS_WORKER)
    if healthy(config):
        _forget_worker(config, PROCESS_WORKER)
    for n in range(1, 100):
        name = worker_name(n)
        if n > config.workers and not pid_file(config, name).exists():
            break
        if stop(config, name):
            stopped.append(name)
    return stopped


def _forget_worker(config: StackConfig, name: str) -> None:
    """A stopped process worker is removed from the pool at once (`status` shows it offline)."""
    try:
        api(config, "DELETE", f"/work_pools/{POOL}/workers/{name}")
    except httpx.HTTPError:
        pass  # the server is gone already: nothing to forget
