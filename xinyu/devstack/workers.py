"""The stack's process workers of the `xinyu-pool` work pool, numbered 1…N."""

import time

import httpx

from xinyu.devstack.config import POOL, VENV_BIN, StackConfig, StackError, worker_env
from xinyu.devstack.processes import log_tail, pid_file, running_pid, start_process, stop
from xinyu.devstack.server import api, healthy


def worker_name(n: int) -> str:
    return f"xinyu-worker-{n}"


def online_workers(config: StackConfig) -> set[str]:
    response = api(config, "POST", f"/work_pools/{POOL}/workers/filter",
                    json={"workers": {"status": {"any_": ["ONLINE"]}}})
    return {w["name"] for w in response.json()} if response.status_code == 200 else set()


def start_workers(config: StackConfig, timeout: float = 120) -> None:
    """Workers 1…N (those not running), stop any numbered above N, wait until the N are online."""
    for n in range(config.workers + 1, 100):
        if not pid_file(config, worker_name(n)).exists():
            break
        stop(config, worker_name(n))
        _forget_worker(config, worker_name(n))
    env = worker_env(config)
    for n in range(1, config.workers + 1):
        if not running_pid(config, worker_name(n)):
            start_process(config, worker_name(n), [
                str(VENV_BIN / "prefect"), "worker", "start", "--pool", POOL, "--type", "process",
                "--name", worker_name(n), "--limit", str(config.limit), "--install-policy", "never",
                "--no-create-pool-if-not-found"], env)
    names = {worker_name(n) for n in range(1, config.workers + 1)}
    deadline = time.monotonic() + timeout
    while not names <= online_workers(config):
        for name in sorted(names):
            if running_pid(config, name) is None:
                raise StackError(f"{name} stopped; {config.home / (name + '.log')} ends:\n{log_tail(config, name)}")
        if time.monotonic() > deadline:
            raise StackError(f"workers not online after {timeout:.0f} s: {sorted(names - online_workers(config))}")
        time.sleep(0.3)


def stop_workers(config: StackConfig) -> list[str]:
    """Stop every numbered worker of this folder (and its flow runs); the names of those that ran."""
    stopped = []
    for n in range(1, 100):
        name = worker_name(n)
        if n > config.workers and not pid_file(config, name).exists():
            break
        if stop(config, name):
            stopped.append(name)
        if healthy(config):
            _forget_worker(config, name)
    return stopped


def _forget_worker(config: StackConfig, name: str) -> None:
    """A stopped worker is removed from the pool at once, so parent runs do not count it (flows/spread.py)."""
    try:
        api(config, "DELETE", f"/work_pools/{POOL}/workers/{name}")
    except httpx.HTTPError:
        pass  # the server is gone already: nothing to forget
