"""scripts/prefect-server up [--workers N] | down | status: the command line over the stack."""

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from xinyu.devstack.config import PG_ADMIN_URL, PROJECT_ROOT, StackConfig, StackError
from xinyu.devstack.database import drop_database
from xinyu.devstack.processes import running_pid
from xinyu.devstack.stack import down, hide_password, load, status, up
from xinyu.devstack.workers import PROCESS_WORKER, stop_workers, worker_name

DESCRIPTION = ("The development stack: a Prefect server on PostgreSQL, the xinyu-pool work pool, the deployments,"
               " a process worker for their flow runs and N batch workers (Prefect task workers) for their batches.")
DEFAULT_HOME = PROJECT_ROOT / ".prefect" / "server"


def _say(text: str, stream: Any = sys.stdout) -> None:
    stream.write(text + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/prefect-server", description=DESCRIPTION)
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="pids, logs, results (.prefect/server)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start (or complete) the stack")
    p_up.add_argument("--workers", type=int, default=2, help="batch workers: task workers, one core each (2)")
    p_up.add_argument("--limit", type=int, default=4, help="flow runs at once on the process worker (4)")
    p_up.add_argument("--port", type=int, default=int(os.environ.get("XINYU_PREFECT_PORT", 4200)))
    p_up.add_argument("--prefect-database", default=os.environ.get("XINYU_PREFECT_DATABASE", "xinyu_prefect"))
    p_up.add_argument("--pg-admin-url", default=os.environ.get("XINYU_PREFECT_PG_URL", PG_ADMIN_URL),
                      help="a PostgreSQL URL with the right to create the Prefect database")
    p_up.add_argument("--database-url", default=None, help="the app's database (default XINYU_DATABASE_URL)")
    p_up.add_argument("--no-schedules", action="store_true", help="no cron runs: only runs started by hand")
    p_up.add_argument("--ui", action="store_true", help="serve Prefect's UI at http://127.0.0.1:PORT/")
    p_down = sub.add_parser("down", help="stop the workers and the server")
    p_down.add_argument("--drop-database", action="store_true", help="also drop the Prefect database")
    sub.add_parser("status", help="what runs, and where its logs are")
    args = parser.parse_args(argv)
    home = args.home.resolve()

    if args.command == "up":
        from xinyu.settings import get_settings

        app_url = args.database_url or get_settings().database_url
        if not app_url.startswith("postgresql"):
            parser.error(f"the app's database must be PostgreSQL for several workers (got {hide_password(app_url)}):"
                         " set XINYU_DATABASE_URL or --database-url, and run `xinyu init` on it first")
        if args.workers < 1 or args.limit < 1:
            parser.error("--workers and --limit must be at least 1")
        previous = load(home)
        config = StackConfig(home=home, app_database_url=app_url, prefect_database=args.prefect_database,
                             pg_admin_url=args.pg_admin_url, port=args.port, workers=args.workers, limit=args.limit,
                             schedules=not args.no_schedules, ui=args.ui)
        if previous and running_pid(previous, "server") and (previous.port, previous.prefect_database) != (
                config.port, config.prefect_database):
            parser.error(f"a server of this folder runs on port {previous.port} with database "
                         f"{previous.prefect_database}: `down` it first")
        names = (PROCESS_WORKER, *map(worker_name, range(1, (previous.workers if previous else 0) + 1)))
        if previous and previous.app_database_url != app_url and any(running_pid(previous, n) for n in names):
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
