"""What `xinyu serve` runs on its schedules.

The job store pickles `module:function` references, so these stay module-level, under these names,
without arguments. The flows (and Prefect) are imported when a job runs, not when the store is read.
Each job logs one line of its flow's counts and nothing else, so no name reaches the log (README: Privacy).
Each run is recorded in the scheduler's heartbeat (its start, finish and outcome: GET /healthz reads them).
"""

import logging
from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)


def open_month_job() -> dict[str, int]:
    """Open this month for every school (flow open-month)."""
    from flows.monthly_cycle import OpenMonthParams, open_month_flow

    return _run("open_month", "open-month", lambda: open_month_flow(OpenMonthParams()))


def advance_job() -> dict[str, int]:
    """Move every open cycle forward and chase overdue work (flow advance-cycles)."""
    from flows.monthly_cycle import AdvanceParams, advance_flow

    return _run("advance", "advance-cycles", lambda: advance_flow(AdvanceParams()))


def dispatch_job() -> dict[str, int]:
    """Send the messages that are due (flow dispatch-outbox)."""
    from flows.dispatch import DispatchParams, dispatch_outbox_flow

    return _run("dispatch", "dispatch-outbox", lambda: dispatch_outbox_flow(DispatchParams()))


def _run(job_id: str, flow: str, run: Callable[[], Mapping[str, object]]) -> dict[str, int]:
    from flows.runtime import engine
    from xinyu.prefect_api import wait_for_api
    from xinyu.service.heartbeat import recorded

    with recorded(engine(), job_id):
        wait_for_api()  # the API serve started (xinyu.prefect_api) answers before the first run
        return _logged(flow, run())


def _logged(flow: str, result: Mapping[str, object]) -> dict[str, int]:
    # Numbers only, whatever a flow's result holds one day: nothing else can reach the log.
    numbers = {k: v for k, v in result.items() if isinstance(v, int) and not isinstance(v, bool)}
    logger.info("%s: %s", flow, " ".join(f"{k}={v}" for k, v in sorted(numbers.items())) or "no counts")
    return numbers
