"""What an operator reads of a run in Prefect's UI: runs named by what they do (`advance 2026-10-20 07:00`,
`open-month 2026-11`, `dispatch 2026-10-20 07:05`), batch tasks by their schools (`schools 1-100`), runs and
batches tagged by district (`district:青岛市市南区`, the UI's tag filter), and a table artifact of each run's
counts per district with links to the district boards. The counting is the core's (xinyu/run_report.py).
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast

from prefect.artifacts import acreate_table_artifact
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.tasks import TaskRunNameCallbackWithParameters
from pydantic import BaseModel
from sqlmodel import Session

from flows.runtime import engine
from xinyu import run_report
from xinyu.clock import as_local, local_date, parse_at
from xinyu.cycle.schedule import month_of

TAG_PREFIX = "district:"


def _params() -> dict[str, Any]:
    params = flow_run.parameters.get("params")
    if isinstance(params, BaseModel):
        return params.model_dump()
    return dict(params or {})


def minute(at: datetime) -> str:
    return f"{as_local(at):%Y-%m-%d %H:%M}"


def schools(batches: list[list[int]]) -> str:
    """`schools 1-100`: the first and last school id of the batches (an ASCII hyphen: the UI's run graph draws
    no en dash)."""
    ids = [i for batch in batches for i in batch]
    return f"schools {ids[0]}-{ids[-1]}" if ids else "schools -"


# Flow (and deployment) name → the verb its runs are named by.
VERBS = {"open-month": "open-month", "advance-cycles": "advance", "dispatch-outbox": "dispatch"}


def run_name(flow: str, params: dict[str, Any]) -> str:
    """The verb and the run's time (`at`, default now) in Asia/Shanghai; a month for open-month."""
    verb = VERBS[flow]
    at = parse_at(params.get("at"))
    when = (params.get("month") or month_of(local_date(at))) if verb == "open-month" else minute(at)
    return f"{verb} {when}"


def deployment_run_name(deployment: str, parameters: dict[str, Any]) -> str:
    """The same name given when a run is created from a deployment (`flow/deployment`, {"params": …}), so a run
    still scheduled or pending shows it too (Prefect names a run by its flow_run_name only once it starts)."""
    return run_name(deployment.split("/")[0], dict(parameters.get("params") or {}))


def run_namer(flow: str) -> Callable[[], str]:
    """A flow's `flow_run_name`, from the run's parameters."""
    return lambda: run_name(flow, _params())


def _batch_name(parameters: dict[str, Any]) -> str:
    """A batch task's `task_run_name`: its schools."""
    return schools([parameters["school_ids"]])


batch_name = cast(TaskRunNameCallbackWithParameters, _batch_name)  # Prefect passes the task's parameters


def district_tags(names: Iterable[str]) -> list[str]:
    return sorted({TAG_PREFIX + name for name in names})


def school_districts() -> dict[int, str]:
    with Session(engine()) as session:
        return run_report.district_names(session)


async def tag_run(tags: list[str]) -> None:
    """Add `tags` to this flow run (its tags are fixed at creation otherwise); nothing outside a flow run."""
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    if run is None or not tags:
        return
    merged = sorted({*run.tags, *tags})
    async with get_client() as client:
        await client.update_flow_run(run.id, tags=merged)
    run.tags = merged


async def publish_counts(*, key: str, title: str, now: datetime, month: str) -> list[run_report.DistrictRun]:
    """The run's counts per district (rows stamped `now`) as a table artifact under `key`, with links to the
    district boards of `month` in its description."""
    with Session(engine()) as session:
        rows = run_report.district_counts(session, now=now)
    await acreate_table_artifact(table=run_report.table(rows), key=key,
                                 description=run_report.markdown(rows, title=title, month=month))
    return rows


async def publish_dispatch(*, title: str, result: dict[str, int]) -> None:
    """A dispatch run's outcomes (sent, failed, held … and per channel) as a one-row table."""
    await acreate_table_artifact(table=[result], key="dispatch-outbox", description=f"**{title}**")
