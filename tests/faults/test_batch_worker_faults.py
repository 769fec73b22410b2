"""A batch worker SIGKILLed mid-batch through a server stack (PostgreSQL): its batch is run again by the other
worker, and the days end as a clean run ends (bench/fault_table.py runs the same injector more times)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_DB
from tests.faults.batch_worker_faults import batch_worker_killed_mid_batch
from tests.faults.databases import fresh_databases

pytestmark = pytest.mark.skipif(TEST_DB != "postgresql", reason="a Prefect server stack runs on PostgreSQL only")


@pytest.fixture
def new_db(tmp_path: Path) -> Iterator[Callable[[], str]]:
    with fresh_databases(TEST_DB, tmp_path / "databases") as factory:
        yield factory


def test_a_batch_worker_killed_mid_batch_loses_nothing(new_db: Callable[[], str], tmp_path: Path) -> None:
    # Three days, as the fault table's runs: the first two of this world queue no message, the third does.
    row = batch_worker_killed_mid_batch(new_db, tmp_path, 3, seed=19)
    print(f"\n{row}")  # noqa: T201  (the numbers behind the assertions, with -s)
    assert row.injected == 3 and "，0 个批次由另一工作进程重做" not in row.note, row.note  # at least one was redone
    assert row.queued > 0 and row.lost == 0 and row.inconsistent == 0 and row.duplicated == 0, row.note
    assert row.delivered == row.queued
