"""A whole stack: up (safe to run again), down, status, its saved settings, and `server_stack` for Python
callers (a stack of their own, torn down on exit)."""

import json
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from xinyu.devstack.config import PG_ADMIN_URL, POOL, StackConfig
from xinyu.devstack.database import drop_database, ensure_database
from xinyu.devstack.orchestrator import ServerOrchestrator
from xinyu.devstack.processes import running_pid, stop
from xinyu.devstack.server import api, deploy, ensure_pool, healthy, start_server
from xinyu.devstack.workers import PROCESS_WORKER, online_workers, start_workers, stop_workers, worker_name


def _state_file(home: Path) -> Path:
    return home / "stack.json"


def save(config: StackConfig) -> None:
    data = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
    data["worker_env"] = {}  # may carry secrets (SMTP passwords): `down` and `status` do not need them
    _state_file(config.home).write_text(json.dumps(data, indent=2))


def load(home: Path) -> StackConfig | None:
    try:
        data = json.loads(_state_file(home).read_text())
    except (OSError, ValueError):
        return None
    return StackConfig(**{**data, "home": Path(data["home"])})


def up(config: StackConfig) -> None:
    """Bring the stack up; parts already running are left as they are (safe to run again)."""
    config.home.mkdir(parents=True, exist_ok=True)
    save(config)
    ensure_database(config)
    start_server(config)
    ensure_pool(config)
    deploy(config)
    start_workers(config)


def down(config: StackConfig) -> list[str]:
    """Stop the workers (and their flow runs and batches), then the server; the names of what was running."""
    stopped = stop_workers(config)
    if stop(config, "server"):
        stopped.append("server")
    return stopped


def status(config: StackConfig) -> list[str]:
    lines = [f"server  {config.api_url}  pid {running_pid(config, 'server') or '-'}  "
             f"{'healthy' if healthy(config) else 'not answering'}  database {config.prefect_database}"]
    online = online_workers(config) if healthy(config) else set()
    for kind, name in [("worker", PROCESS_WORKER)] + [("batch worker", worker_name(n))
                                                     for n in range(1, max(config.workers, 1) + 1)]:
        lines.append(f"{kind}  {name}  pid {running_pid(config, name) or '-'}  "
                     f"{'online' if name in online else 'offline'}")
    if healthy(config):
        response = api(config, "POST", "/deployments/filter", json={})
        names = sorted(d["name"] for d in response.json()) if response.status_code == 200 else []
        lines.append(f"deployments  {', '.join(names) or '-'}  (pool {POOL})")
    if config.ui:
        lines.append(f"ui  http://{config.host}:{config.port}/runs  (flow runs; filter by tag district:<区县>)")
    lines.append(f"app database  {hide_password(config.app_database_url)}  logs {config.home}/")
    return lines


def hide_password(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@dataclass
class Stack:
    config: StackConfig

    @property
    def api_url(self) -> str:
        return self.config.api_url

    def orchestrator(self, *, batch_size: int | None = None, groups: int | None = None) -> ServerOrchestrator:
        return ServerOrchestrator(self.api_url, batch_size=batch_size, groups=groups)

    def runs(self, *, parent: str | None = None) -> list[dict[str, str]]:
        """Flow runs (newest first, up to 200), or the children of `parent`: id, name, deployment, state and
        the worker that ran it (workers label the runs they take)."""
        deployments = {d["id"]: d["name"] for d in api(self.config, "POST", "/deployments/filter", json={}).json()}
        query: dict[str, Any] = {"limit": 200, "sort": "EXPECTED_START_TIME_DESC"}
        if parent:
            query["flow_runs"] = {"parent_flow_run_id": {"operator": "and_", "any_": [parent]}}
        response = api(self.config, "POST", "/flow_runs/filter", json=query)
        response.raise_for_status()
        return [{"id": r["id"], "name": r["name"], "deployment": deployments.get(r["deployment_id"], ""),
                 "state": r["state_type"], "worker": (r.get("labels") or {}).get("prefect.worker.name", "")}
                for r in response.json()]


    def batch_runs(self, parent: str) -> list[dict[str, str]]:
        """The batch task runs of flow run `parent` (named `schools …`): id, name, state and the batch worker
        that ran it (its claim, flows/claims.py; "" for one run in the parent's own process)."""
        response = api(self.config, "POST", "/task_runs/filter", json={
            "limit": 200, "task_runs": {"flow_run_id": {"any_": [parent]}, "name": {"like_": "schools"}}})
        response.raise_for_status()
        claims = self.config.home / "results" / "claims"
        return [{"id": r["id"], "name": r["name"], "state": r["state_type"],
                 "worker": _read(claims / r["id"])} for r in response.json()]

    def batch_workers(self) -> set[str]:
        """The task-worker ids (`hostname-pid`) of the stack's running batch workers."""
        pids = (running_pid(self.config, worker_name(n)) for n in range(1, self.config.workers + 1))
        return {f"{socket.gethostname()}-{pid}" for pid in pids if pid}


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def server_stack(app_database_url: str, *, workers: int = 2, limit: int = 4, home: Path | None = None,
                 port: int | None = None, pg_admin_url: str = PG_ADMIN_URL,
                 worker_env: Mapping[str, str] | None = None, ui: bool = False) -> Iterator[Stack]:
    """A Prefect server, its process worker and `workers` batch workers against `app_database_url`, torn down
    on exit: its own
    Prefect database (dropped after), port, folder and no schedules (the caller is the clock)."""
    own_home = home is None
    config = StackConfig(
        home=home or Path(tempfile.mkdtemp(prefix="xinyu-prefect-")), app_database_url=app_database_url,
        prefect_database=f"xinyu_prefect_{uuid.uuid4().hex[:8]}", pg_admin_url=pg_admin_url,
        port=port or free_port(), workers=workers, limit=limit, schedules=False, worker_env=dict(worker_env or {}),
        ui=ui)
    try:
        up(config)
        yield Stack(config)
    finally:
        down(config)
        drop_database(config)
        if own_home:
            shutil.rmtree(config.home, ignore_errors=True)
