"""The Prefect server of the stack, its work pool and the deployments of prefect.yaml."""

import subprocess
from typing import Any

import httpx

from xinyu.devstack.config import POOL, PROJECT_ROOT, VENV_BIN, StackConfig, StackError, server_env, stack_env
from xinyu.devstack.processes import running_pid, start_process, wait_for


def healthy(config: StackConfig) -> bool:
    try:
        return httpx.get(f"{config.api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_server(config: StackConfig, timeout: float = 180) -> None:
    if running_pid(config, "server"):
        if not healthy(config):
            wait_for(lambda: healthy(config), timeout, f"the Prefect server at {config.api_url}", config, "server")
        return
    if healthy(config):
        raise StackError(f"something else answers at {config.api_url}: choose another --port")
    start_process(config, "server", [str(VENV_BIN / "prefect"), "server", "start", "--host", config.host,
                              "--port", str(config.port), "--ui" if config.ui else "--no-ui"], server_env(config))
    # First start on an empty database runs Prefect's migrations (~10 s here).
    wait_for(lambda: healthy(config), timeout, f"the Prefect server at {config.api_url}", config, "server")


def api(config: StackConfig, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{config.api_url}{path}", timeout=30, **kwargs)


def ensure_pool(config: StackConfig) -> None:
    """The process work pool, with Prefect's default job template for process workers."""
    if api(config, "GET", f"/work_pools/{POOL}").status_code == 200:
        return
    from prefect.workers.process import ProcessWorker

    response = api(config, "POST", "/work_pools/", json={
        "name": POOL, "type": "process", "base_job_template": ProcessWorker.get_default_base_job_template(),
        "description": "心育闭环: open-month, advance-cycles (and their batches), dispatch-outbox"})
    if response.status_code not in (201, 409):
        raise StackError(f"creating work pool {POOL}: HTTP {response.status_code} {response.text[:300]}")


def deploy(config: StackConfig) -> None:
    """Every deployment of prefect.yaml (`prefect deploy --all`, no prompts); again is an update."""
    env = stack_env(config)
    env["XINYU_HOME"] = str(PROJECT_ROOT)
    done = subprocess.run([str(VENV_BIN / "prefect"), "--no-prompt", "deploy", "--all"], cwd=PROJECT_ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    (config.home / "deploy.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise StackError(f"prefect deploy --all failed; {config.home / 'deploy.log'} ends:\n"
                         + "\n".join((done.stdout + done.stderr).splitlines()[-15:]))
