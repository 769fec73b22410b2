"""What a development stack is: its folder, port, databases and workers (StackConfig), and the
environments its processes share."""

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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
    workers: int = 2                       # batch workers (Prefect task workers, flows/batch_worker.py)
    limit: int = 4                         # flow runs at once on the process worker (parents, dispatch)
    batch_limit: int = 1                   # batches at once per batch worker: one core each
    schedules: bool = True                 # the server's scheduler starts prefect.yaml's cron runs
    worker_env: dict[str, str] = field(default_factory=dict)  # more XINYU_* settings for the flows
    ui: bool = False                       # Prefect's web UI at http://host:port/ (the operations console)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def prefect_database_url(self) -> str:
        url = make_url(self.pg_admin_url).set(drivername="postgresql+asyncpg", database=self.prefect_database)
        return url.render_as_string(hide_password=False)


class StackError(RuntimeError):
    """The stack could not be brought up: the message says what and where to look."""


def stack_env(config: StackConfig) -> dict[str, str]:
    """What every process of the stack shares: the API, a PREFECT_HOME of its own, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(config.home / "prefect-home"),
        "PREFECT_API_URL": config.api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        # Each parent flow run is a new Python process: compiled modules save ~3 s of its start-up, so they are
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
        # Off unless asked for (`up --ui`): the UI's static files are copied into PREFECT_HOME on its first start.
        "PREFECT_UI_ENABLED": "true" if config.ui else "false",
    })
    return env


def worker_env(config: StackConfig) -> dict[str, str]:
    """The workers' environment (the process worker's flow runs and the batch workers): one result storage."""
    env = stack_env(config)
    env.update(config.worker_env)
    env.update({
        "XINYU_HOME": str(PROJECT_ROOT),
        "XINYU_DATABASE_URL": config.app_database_url,
        # Batches' parameters and results, claims (flows/claims.py) and the parents' results, read by other
        # processes: files in one folder every process of the stack reaches (on several machines, a shared
        # filesystem at the same path, or remote blocks: PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK and
        # PREFECT_TASKS_SCHEDULING_DEFAULT_STORAGE_BLOCK).
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOCAL_STORAGE_PATH": str(config.home / "results"),
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # default 10 s between polls: up to 10 s idle per flow run
    })
    return env
