"""Running the blocking scheduler in the foreground until SIGINT or SIGTERM."""

import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import inspect, make_url

from xinyu.db import make_engine


def database_ready(database_url: str) -> bool:
    """Whether `xinyu init` has migrated this database (serve does not create the app's tables)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return False  # connecting would leave an empty file behind
    engine = make_engine(database_url)
    try:
        return inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()


def log_to_stderr() -> None:
    """The jobs' count lines and the scheduler's warnings (missed runs, skipped overlaps), whatever Prefect sets up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name, level in (("xinyu", logging.INFO), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
        logger.propagate = False


def run_until_stopped(scheduler: BaseScheduler) -> None:
    """Start a blocking scheduler; on SIGINT or SIGTERM let running jobs finish, then stop."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell starts a background job with SIGINT ignored, and Python then leaves it so.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if scheduler.running:
            scheduler.shutdown(wait=True)
