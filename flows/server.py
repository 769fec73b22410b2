"""The "at scale" way of running on one machine: a Prefect server on PostgreSQL, the `xinyu-pool` work
pool, the deployments of prefect.yaml and several process workers.

    scripts/prefect-server up [--workers N] | down | status      (a thin shell over `python -m flows.server`)

`up` creates the Prefect database if missing, starts `prefect server start` in the background, waits
until it answers, creates the pool, deploys (`prefect --no-prompt deploy --all`) and starts the workers
with the app's settings (XINYU_DATABASE_URL …). Pids, logs, results and the stack's PREFECT_HOME live
under `.prefect/server/`. Running `up` again starts only what is not running; `down` stops what `up`
started. Nothing is fetched from the internet.

From Python (the year benchmark, the simulation, tests): `with server_stack(app_url, workers=2) as stack:`
brings up a stack of its own (its own Prefect database, port and folder, no schedules: the caller is
the clock) and `stack.orchestrator()` runs the deployments and returns their results.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
POOL = "xinyu-pool"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PYCACHE = PROJECT_ROOT / ".prefect" / "pycache"  # shared by every stack: warm after the first run


@dataclass(frozen=True)
class StackConfig:
    home: Path                             # pids, logs, results, PREFECT_HOME of the stack
    app_database_url: str                  # the app's database (XINYU_DATABASE_URL of the workers)
    prefect_database: str = "xinyu_prefect"
    pg_admin_url: str = PG_ADMIN_URL       # where to create the Prefect database
    host: str = "127.0.0.1"
    port: int = 4200
    workers: int = 2
    limit: int = 2                         # flow runs at once per worker: a parent and one child
    schedules: bool = True                 # the server's scheduler starts prefect.yaml's cron runs
    worker_env: dict[str, str] = field(default_factory=dict)  # more XINYU_* settings for the flows

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def prefect_database_url(self) -> str:
        url = make_url(self.pg_admin_url).set(drivername="postgresql+asyncpg", database=self.prefect_database)
        return url.render_as_string(hide_password=False)


class StackError(RuntimeError):
    """The stack could not be brought up: the message says what and where to look."""


# --- the Prefect database -------------------------------------------------------------------------

def ensure_database(config: StackConfig) -> bool:
    """Create the Prefect database if it is missing; True when it was created."""
    admin = create_engine(config.pg_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": config.prefect_database}).first():
                return False
            conn.execute(text(f'CREATE DATABASE "{config.prefect_database}"'))
            return True
    finally:
        admin.dispose()


def drop_database(config: StackConfig) -> None:
    admin = create_engine(config.pg_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{config.prefect_database}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --- environments ---------------------------------------------------------------------------------

def stack_env(config: StackConfig) -> dict[str, str]:
    """What every process of the stack shares: the API, a PREFECT_HOME of its own, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(config.home / "prefect-home"),
        "PREFECT_API_URL": config.api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        # Each flow run is a new Python process: compiled modules save ~3 s of its start-up, so they are
        # written (under .prefect/, not into the checkout or .venv) even where PYTHONDONTWRITEBYTECODE is set.
        "PYTHONPYCACHEPREFIX": str(PYCACHE),
    })
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def server_env(config: StackConfig) -> dict[str, str]:
    env = stack_env(config)
    env.update({
        "PREFECT_API_DATABASE_CONNECTION_URL": config.prefect_database_url,
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true" if config.schedules else "false",
        "PREFECT_UI_ENABLED": "false",  # the UI's static files would be built on first start
    })
    return env


def worker_env(config: StackConfig) -> dict[str, str]:
    """The workers' environment, inherited by every flow run they start."""
    env = stack_env(config)
    env.update(config.worker_env)
    env.update({
        "XINYU_HOME": str(PROJECT_ROOT),
        "XINYU_DATABASE_URL": config.app_database_url,
        # A parent flow run and ServerOrchestrator read their children's results: persisted to files.
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOCAL_STORAGE_PATH": str(config.home / "results"),
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # default 10 s between polls: up to 10 s idle per flow run
    })
    return env


# --- processes ------------------------------------------------------------------------------------

def _pid_file(config: StackConfig, name: str) -> Path:
    return config.home / f"{name}.pid"


def running_pid(config: StackConfig, name: str) -> int | None:
    """The pid of our `name` process if it still runs (a pid file whose process is gone or is not
    a Prefect process any more is stale)."""
    path = _pid_file(config, name)
    try:
        pid = int(path.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"prefect" in cmdline else None


def _start(config: StackConfig, name: str, argv: list[str], env: Mapping[str, str]) -> int:
    config.home.mkdir(parents=True, exist_ok=True)
    with open(config.home / f"{name}.log", "ab") as log:
        process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    _pid_file(config, name).write_text(str(process.pid))
    return process.pid


def _descendants(pid: int) -> list[int]:
    """Processes started under `pid` (a worker's flow runs run in sessions of their own)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop(config: StackConfig, name: str, grace: float = 15.0) -> bool:
    """SIGTERM `name`, its session and the flow runs it started; SIGKILL what is left after `grace` s."""
    pid = running_pid(config, name)
    _pid_file(config, name).unlink(missing_ok=True)
    if pid is None:
        return False
    targets = [pid, *_descendants(pid)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for target in targets:
            try:
                os.killpg(target, sig) if target == pid else os.kill(target, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_alive(t) for t in targets):
            time.sleep(0.1)
        if not any(_alive(t) for t in targets):
            break
    try:
        os.waitpid(pid, os.WNOHANG)  # our own child when started from this process
    except ChildProcessError:
        pass
    return True


def _log_tail(config: StackConfig, name: str, lines: int = 15) -> str:
    try:
        return "\n".join((config.home / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- the server, the pool, the deployments, the workers -------------------------------------------

def healthy(config: StackConfig) -> bool:
    try:
        return httpx.get(f"{config.api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_server(config: StackConfig, timeout: float = 180) -> None:
    if running_pid(config, "server"):
        if not healthy(config):
            _wait(lambda: healthy(config), timeout, f"the Prefect server at {config.api_url}", config, "server")
        return
    if healthy(config):
        raise StackError(f"something else answers at {config.api_url}: choose another --port")
    _start(config, "server", [str(VENV_BIN / "prefect"), "server", "start", "--host", config.host,
                              "--port", str(config.port), "--no-ui"], server_env(config))
    # First start on an empty database runs Prefect's migrations (~10 s here).
    _wait(lambda: healthy(config), timeout, f"the Prefect server at {config.api_url}", config, "server")


def _wait(ready: Any, timeout: float, what: str, config: StackConfig, name: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if running_pid(config, name) is None:
            raise StackError(f"{what} stopped; {config.home / (name + '.log')} ends:\n{_log_tail(config, name)}")
        if time.monotonic() > deadline:
            raise StackError(f"{what} not ready after {timeout:.0f} s; see {config.home / (name + '.log')}")
        time.sleep(0.3)


def _api(config: StackConfig, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{config.api_url}{path}", timeout=30, **kwargs)


def ensure_pool(config: StackConfig) -> None:
    """The process work pool, with Prefect's default job template for process workers."""
    if _api(config, "GET", f"/work_pools/{POOL}").status_code == 200:
        return
    from prefect.workers.process import ProcessWorker

    response = _api(config, "POST", "/work_pools/", json={
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


def worker_name(n: int) -> str:
    return f"xinyu-worker-{n}"


def online_workers(config: StackConfig) -> set[str]:
    response = _api(config, "POST", f"/work_pools/{POOL}/workers/filter",
                    json={"workers": {"status": {"any_": ["ONLINE"]}}})
    return {w["name"] for w in response.json()} if response.status_code == 200 else set()


def start_workers(config: StackConfig, timeout: float = 120) -> None:
    """Workers 1…N (those not running), stop any numbered above N, wait until the N are online."""
    for n in range(config.workers + 1, 100):
        if not _pid_file(config, worker_name(n)).exists():
            break
        stop(config, worker_name(n))
        _forget_worker(config, worker_name(n))
    env = worker_env(config)
    for n in range(1, config.workers + 1):
        if not running_pid(config, worker_name(n)):
            _start(config, worker_name(n), [
                str(VENV_BIN / "prefect"), "worker", "start", "--pool", POOL, "--type", "process",
                "--name", worker_name(n), "--limit", str(config.limit), "--install-policy", "never",
                "--no-create-pool-if-not-found"], env)
    names = {worker_name(n) for n in range(1, config.workers + 1)}
    deadline = time.monotonic() + timeout
    while not names <= online_workers(config):
        for name in sorted(names):
            if running_pid(config, name) is None:
                raise StackError(f"{name} stopped; {config.home / (name + '.log')} ends:\n{_log_tail(config, name)}")
        if time.monotonic() > deadline:
            raise StackError(f"workers not online after {timeout:.0f} s: {sorted(names - online_workers(config))}")
        time.sleep(0.3)


def stop_workers(config: StackConfig) -> list[str]:
    """Stop every numbered worker of this folder (and its flow runs); the names of those that ran."""
    stopped = []
    for n in range(1, 100):
        name = worker_name(n)
        if n > config.workers and not _pid_file(config, name).exists():
            break
        if stop(config, name):
            stopped.append(name)
        if healthy(config):
            _forget_worker(config, name)
    return stopped


def _forget_worker(config: StackConfig, name: str) -> None:
    """A stopped worker is removed from the pool at once, so parent runs do not count it (flows/spread.py)."""
    try:
        _api(config, "DELETE", f"/work_pools/{POOL}/workers/{name}")
    except httpx.HTTPError:
        pass  # the server is gone already: nothing to forget


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
    """Stop the workers (and their flow runs), then the server; the names of what was running."""
    stopped = stop_workers(config)
    if stop(config, "server"):
        stopped.append("server")
    return stopped


def status(config: StackConfig) -> list[str]:
    lines = [f"server  {config.api_url}  pid {running_pid(config, 'server') or '-'}  "
             f"{'healthy' if healthy(config) else 'not answering'}  database {config.prefect_database}"]
    online = online_workers(config) if healthy(config) else set()
    for n in range(1, max(config.workers, 1) + 1):
        name = worker_name(n)
        lines.append(f"worker  {name}  pid {running_pid(config, name) or '-'}  "
                     f"{'online' if name in online else 'offline'}")
    if healthy(config):
        response = _api(config, "POST", "/deployments/filter", json={})
        names = sorted(d["name"] for d in response.json()) if response.status_code == 200 else []
        lines.append(f"deployments  {', '.join(names) or '-'}  (pool {POOL})")
    lines.append(f"app database  {_hide_password(config.app_database_url)}  logs {config.home}/")
    return lines


def _hide_password(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# --- from Python: a stack of one's own and an orchestrator over its deployments ---------------------

class ServerOrchestrator:
    """The flows through the server's deployments, waiting for each run and returning its result.

    The same two methods as the simulation's embedded orchestrator (xinyu/simulate/orchestrators.py):
    advance(at) is advance-cycles (opens the month when due, moves every cycle, chases, district
    digests), spread over the workers; dispatch(at) is dispatch-outbox. Results are read from the
    workers' result files, so the caller runs on the stack's machine (or shares that folder).
    """

    def __init__(self, api_url: str, *, batch_size: int | None = None, groups: int | None = None,
                 poll_seconds: float = 0.5) -> None:
        self.api_url, self.poll_seconds = api_url, poll_seconds
        self.spread = {k: v for k, v in {"batch_size": batch_size, "groups": groups}.items() if v is not None}
        self.flow_runs: list[str] = []  # ids of the runs started here, oldest first

    def advance(self, at: datetime) -> dict[str, int]:
        return self.run("advance-cycles/advance-cycles", {"at": at.isoformat(), **self.spread})

    def open_month(self, month: str, at: datetime) -> dict[str, int]:
        return self.run("open-month/open-month", {"month": month, "at": at.isoformat(), **self.spread})

    def dispatch(self, at: datetime) -> dict[str, int]:
        return self.run("dispatch-outbox/dispatch-outbox", {"at": at.isoformat()})

    def run(self, deployment: str, params: dict[str, Any]) -> dict[str, int]:
        return asyncio.run(self._run(deployment, params))

    async def _run(self, deployment: str, params: dict[str, Any]) -> dict[str, int]:
        from prefect.client.orchestration import PrefectClient
        from prefect.deployments import arun_deployment

        async with PrefectClient(api=self.api_url) as client:
            run = await arun_deployment(deployment, client=client, parameters={"params": params}, timeout=None,
                                        poll_interval=self.poll_seconds, as_subflow=False)
        self.flow_runs.append(str(run.id))
        if run.state is None or not run.state.is_completed():
            state = run.state.name if run.state else "no state"
            message = run.state.message if run.state else ""
            raise RuntimeError(f"{deployment} run {run.name} ended {state}: {message}")
        result: dict[str, int] = await run.state.aresult()
        return result


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
        deployments = {d["id"]: d["name"] for d in _api(self.config, "POST", "/deployments/filter", json={}).json()}
        query: dict[str, Any] = {"limit": 200, "sort": "EXPECTED_START_TIME_DESC"}
        if parent:
            query["flow_runs"] = {"parent_flow_run_id": {"operator": "and_", "any_": [parent]}}
        response = _api(self.config, "POST", "/flow_runs/filter", json=query)
        response.raise_for_status()
        return [{"id": r["id"], "name": r["name"], "deployment": deployments.get(r["deployment_id"], ""),
                 "state": r["state_type"], "worker": (r.get("labels") or {}).get("prefect.worker.name", "")}
                for r in response.json()]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def server_stack(app_database_url: str, *, workers: int = 2, limit: int = 2, home: Path | None = None,
                 port: int | None = None, pg_admin_url: str = PG_ADMIN_URL,
                 worker_env: Mapping[str, str] | None = None) -> Iterator[Stack]:
    """A Prefect server with `workers` workers against `app_database_url`, torn down on exit: its own
    Prefect database (dropped after), port, folder and no schedules (the caller is the clock)."""
    own_home = home is None
    config = StackConfig(
        home=home or Path(tempfile.mkdtemp(prefix="xinyu-prefect-")), app_database_url=app_database_url,
        prefect_database=f"xinyu_prefect_{uuid.uuid4().hex[:8]}", pg_admin_url=pg_admin_url,
        port=port or free_port(), workers=workers, limit=limit, schedules=False, worker_env=dict(worker_env or {}))
    try:
        up(config)
        yield Stack(config)
    finally:
        down(config)
        drop_database(config)
        if own_home:
            shutil.rmtree(config.home, ignore_errors=True)


# --- the command line (scripts/prefect-server) ----------------------------------------------------

DEFAULT_HOME = PROJECT_ROOT / ".prefect" / "server"


def _say(text: str, stream: Any = sys.stdout) -> None:
    stream.write(text + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/prefect-server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="pids, logs, results (.prefect/server)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start (or complete) the stack")
    p_up.add_argument("--workers", type=int, default=2, help="process workers (2)")
    p_up.add_argument("--limit", type=int, default=2, help="flow runs at once per worker (2: a parent and a child)")
    p_up.add_argument("--port", type=int, default=int(os.environ.get("XINYU_PREFECT_PORT", 4200)))
    p_up.add_argument("--prefect-database", default=os.environ.get("XINYU_PREFECT_DATABASE", "xinyu_prefect"))
    p_up.add_argument("--pg-admin-url", default=os.environ.get("XINYU_PREFECT_PG_URL", PG_ADMIN_URL),
                      help="a PostgreSQL URL with the right to create the Prefect database")
    p_up.add_argument("--database-url", default=None, help="the app's database (default XINYU_DATABASE_URL)")
    p_up.add_argument("--no-schedules", action="store_true", help="no cron runs: only runs started by hand")
    p_down = sub.add_parser("down", help="stop the workers and the server")
    p_down.add_argument("--drop-database", action="store_true", help="also drop the Prefect database")
    sub.add_parser("status", help="what runs, and where its logs are")
    args = parser.parse_args(argv)
    home = args.home.resolve()

    if args.command == "up":
        from xinyu.settings import get_settings

        app_url = args.database_url or get_settings().database_url
        if not app_url.startswith("postgresql"):
            parser.error(f"the app's database must be PostgreSQL for several workers (got {_hide_password(app_url)}):"
                         " set XINYU_DATABASE_URL or --database-url, and run `xinyu init` on it first")
        if args.workers < 1 or args.limit < 2:
            parser.error("--workers must be at least 1 and --limit at least 2 (a parent run waits for its children)")
        previous = load(home)
        config = StackConfig(home=home, app_database_url=app_url, prefect_database=args.prefect_database,
                             pg_admin_url=args.pg_admin_url, port=args.port, workers=args.workers, limit=args.limit,
                             schedules=not args.no_schedules)
        if previous and running_pid(previous, "server") and (previous.port, previous.prefect_database) != (
                config.port, config.prefect_database):
            parser.error(f"a server of this folder runs on port {previous.port} with database "
                         f"{previous.prefect_database}: `down` it first")
        if previous and previous.app_database_url != app_url and any(
                running_pid(previous, worker_name(n)) for n in range(1, previous.workers + 1)):
            stop_workers(previous)  # they serve another app database: started again below with this one
        try:
            up(config)
        except StackError as exc:
            _say(f"prefect-server up: {exc}", sys.stderr)
            return 1
        _say("\n".join(status(config)))
        _say(f"\nPREFECT_API_URL={config.api_url}  (prefect deployment run 'advance-cycles/advance-cycles' …)")
        return 0

    saved = load(home)
    if saved is None:
        _say(f"no stack was brought up from {home}", sys.stderr)
        return 0 if args.command == "down" else 1
    if args.command == "down":
        stopped = down(saved)
        if args.drop_database:
            drop_database(saved)
        _say(f"stopped: {', '.join(stopped) or 'nothing was running'}"
             + (f"; dropped database {saved.prefect_database}" if args.drop_database else ""))
        return 0
    _say("\n".join(status(saved)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
