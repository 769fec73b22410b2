"""The app's own log lines (loggers `xinyu…` and `notifications…`) in the Prefect run that wrote them.

What `PREFECT_LOGGING_EXTRA_LOGGERS=xinyu,notifications` does, but without depending on that variable being
set before Prefect first configured logging in this process (the flows are often imported after it): each
logger gets Prefect's API log handler, which ships a record to the flow run of the current run context. A
record logged outside any run (the web app, the CLI before a run) is left alone, not warned about; one
logged in a thread the run did not start has no run context either and stays out. The loggers' level
follows PREFECT_LOGGING_LEVEL (as Prefect's extra loggers do) unless something set one already.
The lines are the app's usual ones: ids and counts, never a student's name (README: Privacy).
"""

import logging

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_LOGGING_LEVEL

APP_LOGGERS = ("xinyu", "notifications")


class _InRun(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return bool(getattr(record, "flow_run_id", None) or FlowRunContext.get() or TaskRunContext.get())


def send_app_logs_to_runs() -> None:
    """Idempotent: a logger that already has an API handler (the extra-loggers setting) keeps just that one."""
    for name in APP_LOGGERS:
        logger = logging.getLogger(name)
        if any(isinstance(handler, APILogHandler) for handler in logger.handlers):
            continue
        handler = APILogHandler()
        handler.addFilter(_InRun())
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(_prefect_level())


def _prefect_level() -> int:
    value = str(PREFECT_LOGGING_LEVEL.value()).strip().upper()
    level = int(value) if value.isdigit() else logging.getLevelName(value)
    return level if isinstance(level, int) else logging.INFO
