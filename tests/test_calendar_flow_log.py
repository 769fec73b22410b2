"""Issue 11 item 11: the missing-next-year warning reaches Prefect's run log (advance-cycles), read back
from the Prefect API the run wrote to."""

import asyncio

import pytest
from sqlalchemy import Engine

from tests.factories import make_school


async def run_logs(flow_run_id: object) -> list[tuple[int, str]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    async with get_client() as client:
        logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return [(log.level, log.message) for log in logs]


def test_the_advance_run_logs_the_missing_next_year(
    prefect_api: None, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmodel import Session

    from flows.monthly_cycle import AdvanceParams, advance_async

    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    with Session(engine) as session:
        make_school(session)
        session.commit()
    runs = {}
    for at in ("2026-10-30T07:00", "2026-11-02T07:00"):
        state = asyncio.run(advance_async(AdvanceParams(at=at), return_state=True))  # type: ignore[call-overload]
        runs[at] = state.state_details.flow_run_id
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()  # run logs are shipped to the API in batches: send what is pending
    october = asyncio.run(run_logs(runs["2026-10-30T07:00"]))
    november = asyncio.run(run_logs(runs["2026-11-02T07:00"]))
    assert not any("节假日安排尚未导入" in message for _, message in october)
    assert any(level >= 30 and "2027 年的国务院节假日安排尚未导入" in message for level, message in november), november


async def run_log_records(flow_run_id: object) -> list[tuple[str, int, str]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    async with get_client() as client:
        logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return [(log.name, log.level, log.message) for log in logs]


def test_the_apps_own_loggers_reach_the_run_log(
    prefect_api: None, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line of the `xinyu` package's own logger (xinyu.calendar_warning, logged by the district digests
    inside the advance run) is in that run's logs under its logger's name, and in no other run's."""
    from sqlmodel import Session

    from flows.monthly_cycle import AdvanceParams, advance_async

    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    with Session(engine) as session:
        make_school(session)
        session.commit()
    runs = {}
    for at in ("2026-10-30T07:00", "2026-11-02T07:00"):
        state = asyncio.run(advance_async(AdvanceParams(at=at), return_state=True))  # type: ignore[call-overload]
        runs[at] = state.state_details.flow_run_id
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    october = asyncio.run(run_log_records(runs["2026-10-30T07:00"]))
    november = asyncio.run(run_log_records(runs["2026-11-02T07:00"]))
    assert not any(name.startswith("xinyu") for name, _, _ in october), october
    ours = [(level, message) for name, level, message in november if name == "xinyu.calendar_warning"]
    assert ours and all(level >= 30 and "2027 年的国务院节假日安排尚未导入" in m for level, m in ours), november
