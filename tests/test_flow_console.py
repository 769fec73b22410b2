"""Prefect's UI as an operations console: runs named by what they do, batch tasks by their schools, runs tagged
by district, and each run's counts per district as a table artifact linking to the district boards. Read back
through the Prefect client from the session's Prefect API, as the UI reads them."""

import asyncio
import json
from collections import Counter
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import ChaseEvent, District, OutboxMessage, RoleAssignment, School
from tests.factories import make_school
from xinyu.clock import parse_at
from xinyu.db import transaction

BASE_URL = "https://xinyu.example.edu.cn"


@pytest.fixture
def two_districts(engine: Engine, db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Two schools in 市南区, one in 市北区: district name → school ids."""
    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    monkeypatch.setenv("XINYU_BASE_URL", BASE_URL)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    schools: dict[str, list[int]] = {}
    with transaction(engine) as session:
        for name, district in (("第一中学", "市南区"), ("第二中学", "市南区"), ("第三中学", "市北区")):
            fixture = make_school(session, name=name, district_name=district, grades=(7, 8), classes_per_grade=2)
            assert fixture.school.id is not None
            schools.setdefault(district, []).append(fixture.school.id)
    return schools


def run(flow: Any, params: Any) -> UUID:
    """Run an async flow to completion; its flow run id."""
    state = asyncio.run(flow(params, return_state=True))
    assert state.is_completed(), state
    return UUID(str(state.state_details.flow_run_id))


async def read_back(run_id: UUID) -> tuple[Any, list[Any], list[Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        flow_run = await client.read_flow_run(run_id)
        task_runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
        artifacts = await client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    return flow_run, task_runs, artifacts


async def runs_tagged(tag: str) -> set[UUID]:
    """What the UI's tag filter on the flow runs page asks for."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    async with get_client() as client:
        found = await client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag])),
                                            limit=200)
    return {r.id for r in found}


def table_rows(artifacts: list[Any]) -> list[dict[str, Any]]:
    tables = [a for a in artifacts if a.type == "table"]
    assert len(tables) == 1, [a.type for a in artifacts]
    data = tables[0].data
    return json.loads(data) if isinstance(data, str) else data


def by_district(engine: Engine, now: datetime) -> dict[str, Counter[str]]:
    """Independently of xinyu/run_report.py: the run's rungs and messages, row by row in Python."""
    with Session(engine) as session:
        district_of_school = {s.id: d.name for s, d in session.exec(
            select(School, District).where(School.district_id == District.id))}
        district_of_person: dict[int, str] = {}
        names = {d.id: d.name for d in session.exec(select(District))}
        for role in sorted(session.exec(select(RoleAssignment)), key=lambda r: r.district_id, reverse=True):
            district_of_person[role.person_id] = names[role.district_id]
        counts: dict[str, Counter[str]] = {}
        for event in session.exec(select(ChaseEvent)):
            if event.fired_at == now:
                kind = "提醒" if event.level == "reminder" else "升级"
                counts.setdefault(district_of_school[event.school_id], Counter())[kind] += 1
        for message in session.exec(select(OutboxMessage)):
            if message.created_at == now and message.recipient_id in district_of_person:
                counts.setdefault(district_of_person[message.recipient_id], Counter())["排队消息"] += 1
    return counts


def test_runs_batches_tags_and_counts_read_back_from_prefect(
        prefect_api: None, engine: Engine, two_districts: dict[str, list[int]]) -> None:
    from flows.dispatch import DispatchParams, dispatch_outbox_async
    from flows.monthly_cycle import AdvanceParams, OpenMonthParams, advance_async, open_month_async

    south, north = two_districts["市南区"], two_districts["市北区"]
    with Session(engine) as session:
        ids = {d.name: d.id for d in session.exec(select(District))}

    opened = run(open_month_async, OpenMonthParams(month="2026-10", at="2026-10-01T00:10", batch_size=2))
    flow_run, task_runs, artifacts = asyncio.run(read_back(opened))
    assert flow_run.name == "open-month 2026-10"
    assert {"district:市南区", "district:市北区"} <= set(flow_run.tags)

    advanced = run(advance_async, AdvanceParams(at="2026-10-08T09:00", batch_size=2))
    flow_run, task_runs, artifacts = asyncio.run(read_back(advanced))
    assert flow_run.name == "advance 2026-10-08 09:00"
    assert {"district:市南区", "district:市北区"} <= set(flow_run.tags)
    batches = {t.name: t for t in task_runs if t.name.startswith("schools ")}
    first, second = f"schools {south[0]}-{south[1]}", f"schools {north[0]}-{north[0]}"
    assert set(batches) == {first, second}
    # In-process batches carry no tags (each would cost a concurrency-slot request): the run carries them.
    assert batches[first].tags == [] and batches[second].tags == []
    rows = {row["区县"]: row for row in table_rows(artifacts)}
    assert set(rows) == {"市南区", "市北区", "合计"}
    # per school: 4 class reports + World Mental Health Day + the yearly secondary screening (tests/test_flows.py)
    assert (rows["市南区"]["开启步骤"], rows["市南区"]["新建任务"]) == (2, 12)
    assert (rows["市北区"]["开启步骤"], rows["市北区"]["新建任务"]) == (1, 6)
    assert (rows["合计"]["开启步骤"], rows["合计"]["新建任务"]) == (3, 18)
    description = next(a for a in artifacts if a.type == "table").description
    for name in ("市南区", "市北区"):
        assert f"{BASE_URL}/district/board?district={ids[name]}&month=2026-10" in description

    # Days later the work is overdue: the chase's reminders, escalations and messages, district by district.
    at = "2026-10-22T16:00"
    chased = run(advance_async, AdvanceParams(at=at, batch_size=2))
    flow_run, task_runs, artifacts = asyncio.run(read_back(chased))
    assert flow_run.name == "advance 2026-10-22 16:00"
    rows = {row["区县"]: row for row in table_rows(artifacts)}
    expected = by_district(engine, parse_at(at))
    assert sum(c["提醒"] + c["升级"] for c in expected.values()) > 0, "the chase fired nothing: a test of nothing"
    for name in ("市南区", "市北区"):
        got = rows.get(name, {})
        assert (got.get("提醒", 0), got.get("升级", 0), got.get("排队消息", 0)) == (
            expected.get(name, Counter())["提醒"], expected.get(name, Counter())["升级"],
            expected.get(name, Counter())["排队消息"]), name
    with Session(engine) as session:
        queued = sum(1 for m in session.exec(select(OutboxMessage)) if m.created_at == parse_at(at))
    assert rows["合计"]["排队消息"] == queued > 0

    sent = run(dispatch_outbox_async, DispatchParams(at="2026-10-22T16:05"))
    flow_run, _, artifacts = asyncio.run(read_back(sent))
    assert flow_run.name == "dispatch 2026-10-22 16:05"
    (row,) = table_rows(artifacts)
    assert row["sent"] > 0

    for tag, runs in (("district:市北区", {opened, advanced, chased}), ("district:市南区", {opened, advanced, chased})):
        assert runs <= asyncio.run(runs_tagged(tag))
    assert sent not in asyncio.run(runs_tagged("district:市北区"))
