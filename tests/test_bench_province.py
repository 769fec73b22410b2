"""bench/province.py's pure helpers: the days it measures, the batch size, the per-batch overhead read from
Prefect's task runs, and the paper model. Nothing here starts a server or a database."""

from datetime import date

import pytest

from bench.province import (
    Measured,
    all_days,
    batch_overheads,
    busy_seconds,
    default_batch_size,
    model_lines,
    paper_model,
    pick_days,
)
from xinyu.workdays import WorkCalendar


def test_the_days_are_the_schedulers_runs_in_preparation_order() -> None:
    days = {d.key: d for d in all_days()}
    assert [d.key for d in pick_days("carry,open,due")] == ["open", "due", "carry"]
    assert (days["open"].flow, days["open"].at.hour, days["open"].at.minute) == ("open", 0, 10)
    assert days["carry"].month == "2025-10" and days["carry"].prepared_through == date(2025, 9, 30)
    for key in ("due", "overdue"):  # the 07:00 advance-cycles run, the day after the prepared ones
        assert (days[key].flow, days[key].at.hour) == ("advance", 7)
        assert (days[key].at.date() - days[key].prepared_through).days == 1  # type: ignore[operator]
    with pytest.raises(ValueError, match="unknown days"):
        pick_days("open,payday")


def test_the_measured_days_fall_on_the_working_days_they_are_named_after() -> None:
    calendar = WorkCalendar()
    september = [date(2025, 9, d) for d in range(1, 31) if calendar.is_workday(date(2025, 9, d))]
    days = {d.key: d for d in all_days()}
    assert days["due"].at.date() == september[4]  # screening is due on the 5th working day (qingdao.yaml)
    assert days["overdue"].at.date() == september[9]  # 5 working days overdue: the district rung


def test_batch_size_is_the_products_hundred_but_gives_small_runs_enough_batches() -> None:
    assert default_batch_size(10_000) == 100
    assert default_batch_size(300) == 19 and default_batch_size(1) == 1


def _task(id_: str, flow: str | None, created: str, start: str, end: str, key: str = "advance_batch-1a2b") -> dict:
    return {"id": id_, "flow_run_id": flow, "task_key": key, "state_type": "COMPLETED", "created": created,
            "start_time": start, "end_time": end}


def test_overhead_counts_a_child_runs_start_once_and_a_background_tasks_wait_each() -> None:
    t = "2025-09-05T07:00:{:02d}+00:00".format
    flows = [{"id": "root", "parent_task_run_id": None, "created": t(0)},
             {"id": "child", "parent_task_run_id": "x", "created": t(1)}]
    # a child run created at 1 s whose two batches run 6→8 and 8→10: 9 s from hand-out to result, 4 s of work
    tasks = [_task("a", "child", t(6), t(6), t(8)), _task("b", "child", t(6), t(8), t(10)),
             # a background task, submitted at 2 s (its record is created later, from events): 1 s to start
             {**_task("c", None, t(4), t(3), t(5)), "expected_start_time": t(2)},
             _task("d", "root", t(0), t(0), t(9), key="list_batches-9f")]  # not a batch
    got = batch_overheads(tasks, flows)
    assert got["batches"] == 3 and got["units"] == 2
    assert got["overhead_per_batch"] == pytest.approx((9 - 4 + 3 - 2) / 3)
    assert got["handout_to_start"] == pytest.approx((5 + 1) / 2)
    assert got["busy"] == pytest.approx(6.0)  # 3→5 and 6→10
    assert batch_overheads([], flows) == {}


def test_busy_time_is_the_union_of_the_batches_intervals() -> None:
    from datetime import datetime

    at = lambda n: datetime(2025, 9, 5, 7, 0, n)  # noqa: E731
    assert busy_seconds([(at(0), at(4)), (at(2), at(6)), (at(8), at(9))]) == 7.0
    assert busy_seconds([]) == 0.0


def _measured(workers: int, seconds: float, pg: float | None = 20.0, busy: float = 100.0) -> Measured:
    return Measured(day="due", workers=workers, seconds=seconds, rows={}, counts={}, worker_cpu=50.0, pg_cpu=pg,
                    commits=1000, lock_wait_seconds=0.0, mean_active=1.0, batches={"busy": busy})


def test_paper_model_sizes_the_workers_and_the_database() -> None:
    # 1,000 schools, 1 worker: 102 s, of it 100 s in batches → 2 s fixed, 0.1 s a school; a province of 10,000
    # in 300 s leaves 298 s for 1,000 s of batches: 4 workers. PostgreSQL: 20 ms a school → 20 × 10 / 298
    # cores; each worker keeps 0.02/0.1 = 0.2 of a core busy, so an 8-core server saturates at 40 workers.
    model = paper_model([_measured(1, 102.0), _measured(2, 51.0), _measured(4, 80.0)], schools=1000)
    assert model.fixed_seconds == pytest.approx(2.0) and model.speedup_2 == pytest.approx(2.0)
    assert model.workers_needed == 4
    assert model.pg_cores_at_deadline == pytest.approx(20.0 * 10 / 298)
    assert model.max_workers_pg == 40
    assert any("4 workers" in line for line in model_lines(model))
    # the fixed part alone over the deadline: no number of workers does it
    hopeless = paper_model([_measured(1, 400.0, None, busy=10.0)], schools=10)
    assert hopeless.workers_needed == -1 and hopeless.pg_cores_at_deadline is None
    assert any("no number of workers" in line for line in model_lines(hopeless))
