"""The advance-side faults, injected a few times each (bench/fault_table.py runs the same injectors many
times): two workers at once, a dropped connection, SIGKILLs during advance and dispatch, a clock set back.
Each must end as a clean run of the same days ends, consistent, every message delivered once (a duplicate
only where a killed dispatcher had it in flight)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_DB
from tests.faults import advance_faults
from tests.faults.databases import fresh_databases
from tests.faults.report import FaultRow

pg_only = pytest.mark.skipif(TEST_DB != "postgresql", reason="pg_terminate_backend exists only on PostgreSQL")


@pytest.fixture
def new_db(tmp_path: Path) -> Iterator[Callable[[], str]]:
    with fresh_databases(TEST_DB, tmp_path / "databases") as factory:
        yield factory


def clean(row: FaultRow, injected: int) -> None:
    print(f"\n{row}")  # noqa: T201  (the numbers behind the assertions, with -s)
    assert row.injected == injected, row.note
    assert row.queued > 0 and row.lost == 0 and row.inconsistent == 0, row.note
    assert row.delivered == row.queued


def test_two_workers_advancing_and_dispatching_at_once_do_everything_once(new_db: Callable[[], str],
                                                                          tmp_path: Path) -> None:
    rounds = 30 if TEST_DB == "postgresql" else 12
    row = advance_faults.two_workers_at_once(new_db, tmp_path, rounds, seed=5)
    clean(row, rounds)
    assert row.duplicated == 0


@pg_only
def test_a_connection_dropped_mid_advance_is_finished_by_the_next_run(new_db: Callable[[], str],
                                                                      tmp_path: Path) -> None:
    row = advance_faults.db_dropped_mid_advance(new_db, tmp_path, 12, seed=7)
    clean(row, 12)
    assert row.duplicated == 0


def test_a_worker_killed_during_advance_is_finished_by_the_next_run(new_db: Callable[[], str],
                                                                    tmp_path: Path) -> None:
    row = advance_faults.sigkill_during_advance(new_db, tmp_path, 10, seed=11)
    clean(row, 10)
    assert row.duplicated == 0


def test_a_worker_killed_during_dispatch_loses_nothing(new_db: Callable[[], str], tmp_path: Path) -> None:
    row = advance_faults.sigkill_during_dispatch(new_db, tmp_path, 8, seed=13)
    clean(row, 8)  # duplicates only of messages in flight at a kill: counted into `inconsistent` otherwise


def test_an_earlier_clock_changes_nothing_and_an_earlier_chase_is_refused(new_db: Callable[[], str],
                                                                          tmp_path: Path) -> None:
    row = advance_faults.clock_skew(new_db, tmp_path, 5, seed=17)
    clean(row, 5)
    assert row.duplicated == 0
    assert "拒绝 4 次" in row.note  # every earlier day; the same day's morning is let through, and is a no-op
