"""`xinyu simulate` through the CLI: its printed numbers against the database, the same seed giving the
same output, and its refusal to write into a database that holds data."""

import json
import mailbox
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models import ChaseEvent, CourseRecord, District, Escalation, Extension, OutboxMessage, Task
from tests.conftest import TEST_DB
from xinyu.cli import main
from xinyu.clock import SHANGHAI
from xinyu.district_dashboard import COUNTED_KINDS

ARGS = ["simulate", "--schools", "3", "--months", "2", "--late-rate", "0.4", "--seed", "5", "--classes", "6"]
MONTHS = ("2025-09", "2025-10")
MONTH_LINE = re.compile(r"^(20\d\d-\d\d) +(\S+)% (\d+)/(\d+) +(.*)$")
FIELDS = ("tasks", "completed", "late", "lessons", "email", "sms", "robot", "reminders", "to_leader",
          "to_district", "acknowledged", "notices", "resolved")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*ARGS, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def month_rows(out: str) -> dict[str, dict[str, int]]:
    rows = {}
    for line in out.splitlines():
        found = MONTH_LINE.match(line)
        if found:
            month, _, on_time, due, rest = found.groups()
            numbers = [int(n) for n in rest.split()[:-1]]  # the last cell is the month's wall time
            rows[month] = {"on_time": int(on_time), "due": int(due), **dict(zip(FIELDS, numbers, strict=True))}
    return rows


def without_times(out: str) -> list[str]:
    """The output a second run must repeat: everything but wall times and where the files went."""
    lines = [line for line in out.splitlines() if not line.startswith(("数据库", "用时"))]
    return [re.sub(r"\s+\S+s$", "", line) for line in lines]


def bounds(month: str) -> tuple[datetime, datetime]:
    year, number = int(month[:4]), int(month[5:])
    first = datetime(year, number, 1, tzinfo=SHANGHAI)
    following = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=SHANGHAI)
    return first, following


def in_month(engine: Engine, column: Any, month: str, *where: Any) -> int:
    """Rows whose `column` (a time or a date) falls in the month, counted by the database."""
    first, following = bounds(month)
    low, high = (first.date(), following.date()) if column.type.python_type is date else (first, following)
    with Session(engine) as session:
        return int(session.execute(select(func.count()).where(column >= low, column < high, *where)).scalar_one())


def on_time_by_month(engine: Engine) -> dict[str, tuple[int, int]]:
    """The dashboard's definition, worked out here from the rows in Python: each chain of carried tasks
    once (its newest task), in the month of its first task's due date, counted once done or past due."""
    with Session(engine) as session:
        tasks = session.execute(select(col(Task.id), col(Task.lineage_id), col(Task.kind), col(Task.status),
                                       col(Task.due), col(Task.completed_at))).all()
        extensions = session.execute(select(col(Extension.task_id), col(Extension.decided_at), col(
            Extension.previous_due)).where(col(Extension.status) == "approved")).all()
    first_due = {t.id: t.due for t in tasks}
    chain = {t.id: t.lineage_id or t.id for t in tasks}
    # An extension approved after the due date it moved does not make the work on time.
    late_chains = {chain[e.task_id] for e in extensions if e.decided_at.astimezone(SHANGHAI).date() > e.previous_due}
    rates: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for task in tasks:
        if task.kind not in COUNTED_KINDS or task.status == "carried":
            continue
        due = task.due
        month_due = first_due[task.lineage_id] if task.lineage_id else due
        key = f"{month_due:%Y-%m}"
        cutoff = bounds(key)[1].date()  # as of the first day of the next month
        if task.status != "done" and due >= cutoff:
            continue
        rates[key][1] += 1
        if task.status == "done" and task.completed_at.astimezone(SHANGHAI).date() <= due and (
                chain[task.id] not in late_chains):
            rates[key][0] += 1
    return {month: (on_time, due) for month, (on_time, due) in rates.items()}


def test_printed_numbers_are_the_databases(
    capsys: pytest.CaptureFixture[str], db_url: str, engine: Engine, tmp_path: Path,
) -> None:
    code, out, err = run(capsys, "--orchestrator", "direct", "--database-url", db_url, "--dir", str(tmp_path))
    assert code == 0, err
    rows = month_rows(out)
    assert list(rows) == list(MONTHS)
    rates = on_time_by_month(engine)
    for month, row in rows.items():
        assert (row["on_time"], row["due"]) == rates[month]
        assert row["tasks"] == in_month(engine, col(Task.created_at), month)
        assert row["completed"] == in_month(engine, col(Task.completed_at), month)
        assert row["lessons"] == in_month(engine, col(CourseRecord.held_on), month)
        for channel in ("email", "sms", "robot"):
            assert row[channel] == in_month(engine, col(OutboxMessage.sent_at), month,
                                            col(OutboxMessage.status) == "sent", col(OutboxMessage.channel) == channel)
        for column, level in (("reminders", "reminder"), ("to_leader", "school"), ("to_district", "district")):
            assert row[column] == in_month(engine, col(ChaseEvent.fired_at), month, col(ChaseEvent.level) == level)
        assert row["to_district"] == in_month(engine, col(Escalation.raised_at), month)
        assert row["resolved"] == in_month(engine, col(Escalation.resolved_at), month)
        assert row["acknowledged"] + row["notices"] >= in_month(engine, col(Escalation.acknowledged_at), month)
    total = Counter[str]()
    for row in rows.values():
        total.update(row)
    # The run did what a month of the loop does: late work, reminders, escalations up to the district, mail.
    assert total["late"] and total["reminders"] and total["to_leader"] and total["to_district"]
    assert total["email"] and total["sms"] and total["notices"] and total["resolved"]
    # The bulk sink: every email in one mbox, every SMS a line of one JSON Lines file (and each one whole).
    mbox = mailbox.mbox(tmp_path / "outbox" / "email.mbox", create=False)
    assert len(mbox) == total["email"]
    assert all(m["Message-ID"] and m.get_payload() for m in mbox)
    sms = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(sms) == total["sms"]
    assert all(json.loads(line)["text"] for line in sms)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(District)).scalar_one() == 1
    from xinyu.consistency import check_consistency

    with Session(engine) as session:
        assert check_consistency(session) == []


def test_same_seed_same_output_and_a_database_with_data_refused(
    capsys: pytest.CaptureFixture[str], db_url: str, engine: Engine, tmp_path: Path,
) -> None:
    code, first, err = run(capsys, "--orchestrator", "direct", "--database-url", db_url, "--dir", str(tmp_path / "a"))
    assert code == 0, err
    # The same seed on a fresh SQLite database in its own folder (the default): the same output, line by line.
    code, second, err = run(capsys, "--orchestrator", "direct", "--dir", str(tmp_path / "b"))
    assert code == 0, err
    assert without_times(first) == without_times(second)
    assert (tmp_path / "b" / "xinyu.db").exists()
    with engine.connect() as connection:
        before = connection.execute(select(func.count()).select_from(Task)).scalar_one()
    code, out, err = run(capsys, "--orchestrator", "direct", "--database-url", db_url, "--dir", str(tmp_path / "c"))
    assert code == 1
    assert "已有数据" in err and out == ""
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Task)).scalar_one() == before


@pytest.mark.skipif(TEST_DB != "sqlite", reason="Prefect's in-process API is the embedded mode's; ~60 flow runs")
def test_the_embedded_flows_give_what_the_core_gives(
    capsys: pytest.CaptureFixture[str], prefect_api: None, db_url: str, tmp_path: Path,
) -> None:
    """The real advance-cycles and dispatch-outbox flows on Prefect's in-process API, a month of two schools:
    the same lines as the core called directly."""
    small = ["--schools", "2", "--months", "1", "--classes", "4"]
    code, direct, err = run(capsys, *small, "--orchestrator", "direct", "--dir", str(tmp_path / "direct"))
    assert code == 0, err
    code, embedded, err = run(capsys, *small, "--database-url", db_url, "--dir", str(tmp_path / "embedded"))
    assert code == 0, err
    assert without_times(embedded) == without_times(direct)
    assert month_rows(embedded)["2025-09"]["sms"] > 0
