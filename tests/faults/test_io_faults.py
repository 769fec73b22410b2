"""The input/output faults of the fault table, injected a few times each (bench/fault_table.py runs
the same injectors many times): nothing lost, nothing left inconsistent, every refusal clear."""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_DB
from tests.faults import io_faults
from tests.faults.databases import fresh_databases


@pytest.fixture
def new_db(tmp_path: Path) -> Iterator[Callable[[], str]]:
    with fresh_databases(TEST_DB, tmp_path / "databases") as factory:
        yield factory


def test_smtp_down_for_a_day_delays_mail_and_loses_none(new_db: Callable[[], str], tmp_path: Path) -> None:
    row = io_faults.smtp_down_a_day(new_db, tmp_path, 2, 11)
    print(f"\n{row}")  # noqa: T201
    assert row.queued > 10
    assert (row.delivered, row.duplicated, row.lost, row.inconsistent) == (row.queued, 0, 0, 0)
    assert row.note.startswith("永久失败 0；每封最多尝试 1 次")


def test_sms_gateway_500s_and_timeouts_deliver_everything_and_duplicate_only_timeouts(
    new_db: Callable[[], str], tmp_path: Path
) -> None:
    row = io_faults.sms_gateway_500s_and_timeouts(new_db, tmp_path, 2, 12)
    print(f"\n{row}")  # noqa: T201
    assert row.queued > 10 and (row.delivered, row.lost, row.inconsistent) == (row.queued, 0, 0)
    assert "超时 0 次" not in row.note and "500 共 0 次" not in row.note  # both faults were met
    assert "无法以超时解释的 0 条" in row.note  # a duplicate only where a timed-out request had been taken
    assert "同一 Idempotency-Key" in row.note and row.note.endswith("永久失败 0")


def test_a_malformed_pack_is_refused_clearly_and_changes_nothing(new_db: Callable[[], str], tmp_path: Path) -> None:
    row = io_faults.malformed_pack(new_db, tmp_path, len(io_faults.PACK_BREAKS), 13)
    print(f"\n{row}")  # noqa: T201
    assert row.inconsistent == 0, row.note
    assert row.note.startswith(f"拒绝并指明文件与位置 {row.injected}/{row.injected}")


def test_a_broken_roster_is_refused_by_file_and_row_and_imports_nothing(
    new_db: Callable[[], str], tmp_path: Path
) -> None:
    row = io_faults.broken_roster(new_db, tmp_path, len(io_faults.ROSTER_BREAKS), 14)
    print(f"\n{row}")  # noqa: T201
    assert row.inconsistent == 0, row.note


def test_a_step_renamed_under_open_cycles_is_refused_by_file_and_path(tmp_path: Path) -> None:
    from xinyu.packs import PackError, load_pack_file

    shutil.copytree(io_faults.PACKS, tmp_path / "packs")
    pack = tmp_path / "packs" / "qingdao.yaml"
    pack.write_text(io_faults._step_removed(pack.read_text(encoding="utf-8")), encoding="utf-8")
    # The file itself is refused now (the month's push to parents, QD-P1, sits in that step): by file and path.
    with pytest.raises(PackError, match=r"qingdao\.yaml 无效：\n  extra_tasks\.\d+\.step: .*没有步骤 feedback"):
        load_pack_file(pack).step(10, "feedback")
