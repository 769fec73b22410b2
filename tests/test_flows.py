"""The Prefect flows on Prefect's temporary API: same result as the core, and idempotent."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import Cycle, School, Step, Task
from tests.factories import make_school
from xinyu.db import transaction


@pytest.fixture
def flows_db(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    with transaction(engine) as session:
        for n in range(3):
            make_school(session, name=f"第{n + 1}中学", grades=(7, 8), classes_per_grade=2)
    return engine


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(t)).one() for t in (Cycle, Step, Task))  # type: ignore[return-value]


def test_open_and_advance_flows_run_every_batch_and_repeat_as_no_ops(prefect_api: None, flows_db: Engine) -> None:
    from flows.monthly_cycle import AdvanceParams, OpenMonthParams, advance_flow, open_month_flow

    opened = open_month_flow(OpenMonthParams(month="2026-10", at="2026-10-01T00:10", batch_size=2))
    assert opened["opened"] == 3
    moved = advance_flow(AdvanceParams(at="2026-10-08T09:00", batch_size=2))
    assert moved["steps_opened"] == 3
    # per school: 4 class reports + World Mental Health Day (QD-T11) + the yearly secondary screening (QD-3)
    assert moved["tasks_created"] == 3 * 6
    before = counts(flows_db)
    again = advance_flow(AdvanceParams(at="2026-10-08T09:00", batch_size=2))
    assert (again["steps_opened"], again["tasks_created"], again["opened.opened"]) == (0, 0, 0)
    assert counts(flows_db) == before


def test_flow_result_equals_direct_core_run(prefect_api: None, flows_db: Engine) -> None:
    from flows.monthly_cycle import AdvanceParams, advance_flow
    from xinyu.clock import parse_at
    from xinyu.cycle import PackBook, advance

    advance_flow(AdvanceParams(at="2026-10-09T09:00", batch_size=1))
    with Session(flows_db) as session:
        via_flow = sorted((t.school_id, t.key, t.due, t.assignee_id) for t in session.exec(select(Task)))
    with transaction(flows_db) as session:
        direct = advance(session, now=parse_at("2026-10-09T09:00"), book=PackBook(flows_db))
    assert direct.tasks_created == 0 and direct.steps_opened == 0
    assert len(via_flow) == 18


def test_a_pack_not_installed_fails_the_run_before_any_school_moves_and_is_not_retried(
    prefect_api: None, flows_db: Engine, tmp_path: Path, packs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.monthly_cycle import AdvanceParams, advance_flow
    from xinyu.packs import PackError

    with transaction(flows_db) as session:  # the last school is given a pack that was never installed
        school = session.exec(select(School).order_by(col(School.id).desc())).first()
        assert school is not None
        school.pack = "atlantis"

    with pytest.raises(PackError, match="没有政策包 'atlantis'"):
        advance_flow(AdvanceParams(at="2026-10-08T09:00", batch_size=1))
    assert counts(flows_db) == (0, 0, 0)  # the Qingdao schools' batches did not run either


def test_refusals_are_not_retried_other_failures_are() -> None:
    from prefect.states import Failed

    from flows.monthly_cycle import retry_unless_refused
    from xinyu.locks import ClockBehind
    from xinyu.packs import PackError

    assert not retry_unless_refused(None, None, Failed(data=PackError("ganzhou.yaml: steps")))
    assert not retry_unless_refused(None, None, Failed(data=ClockBehind("时钟回退")))
    assert retry_unless_refused(None, None, Failed(data=ConnectionError("server closed the connection")))
