"""The "at scale" way of running on one machine: a Prefect server on PostgreSQL, the `xinyu-pool` work
pool, the deployments of prefect.yaml, a process worker for their flow runs and N batch workers (Prefect task
workers, `python -m flows.batch_worker`) that run the batches the parent runs hand out (flows/spread.py).

    scripts/prefect-server up [--workers N] | down | status      (a thin shell over `python -m xinyu.devstack`)

`up` creates the Prefect database if missing, starts `prefect server start` in the background, waits
until it answers, creates the pool, deploys (`prefect --no-prompt deploy --all`) and starts the workers
with the app's settings (XINYU_DATABASE_URL …). Pids, logs, results and the stack's PREFECT_HOME live
under `.prefect/server/`. Running `up` again starts only what is not running; `down` stops what `up`
started. Nothing is fetched from the internet.

From Python (the year benchmark, the simulation, tests): `with server_stack(app_url, workers=2) as stack:`
brings up a stack of its own (its own Prefect database, port and folder, no schedules: the caller is
the clock) and `stack.orchestrator()` runs the deployments and returns their results.

Modules: config (StackConfig, environments), database (the Prefect database), processes (pid files, logs,
start/stop), server (Prefect server, pool, deployments), workers (process and batch workers), stack
(up/down/status, server_stack), orchestrator (ServerOrchestrator), cli.
"""

from xinyu.devstack.config import PG_ADMIN_URL, POOL, PROJECT_ROOT, StackConfig, StackError
from xinyu.devstack.orchestrator import ServerOrchestrator
from xinyu.devstack.processes import running_pid
from xinyu.devstack.stack import Stack, down, free_port, server_stack, status, up
from xinyu.devstack.workers import worker_name

__all__ = ["PG_ADMIN_URL", "POOL", "PROJECT_ROOT", "ServerOrchestrator", "Stack", "StackConfig", "StackError",
           "down", "free_port", "running_pid", "server_stack", "status", "up", "worker_name"]
