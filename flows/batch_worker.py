"""A long-lived task worker for the batches of open-month and advance-cycles runs (flows/spread.py):

    PREFECT_API_URL=… python -m flows.batch_worker [--limit N]

Serves the batch tasks with Prefect's task worker (`prefect.task_worker.serve`): it holds a websocket to the
server and runs each batch handed to it in a thread of this process, up to `--limit` at once, so a batch
costs no process start. Start any number, on any machine with a checkout, its .venv, the app's XINYU_* settings
and Prefect's result storage shared with the parent runs (a shared PREFECT_LOCAL_STORAGE_PATH, or remote
blocks: PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK and PREFECT_TASKS_SCHEDULING_DEFAULT_STORAGE_BLOCK).
SIGTERM stops it; a batch it was running is handed out again by its parent.
"""

import argparse
import os
import socket

from prefect.task_worker import serve

from flows import claims
from flows.monthly_cycle import BATCH_TASKS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.batch_worker", description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1, help="batches at once (1: a batch is CPU-bound)")
    args = parser.parse_args(argv)
    claims.WORKER = f"{socket.gethostname()}-{os.getpid()}"  # Prefect's TaskWorker.client_id
    serve(*BATCH_TASKS, limit=args.limit)


if __name__ == "__main__":
    main()
