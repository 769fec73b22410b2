"""Issue 11 item 11: a year without a published holiday schedule (2027 with chinesecalendar 1.11).

Without an imported schedule the statutory holidays themselves are estimated (推定), never bare
Monday–Friday: 1 January 2027 (元旦, a Friday) is no working day, January's due dates are not a day
early, and the chase on New Year's Day sends nothing. After `xinyu calendar import` of a schedule
file (a test fixture, not the official schedule) the imported days rule.
"""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import ChaseEvent, Escalation, OutboxMessage
from tests.test_cli import district_files, run
from xinyu.clock import as_local
from xinyu.statutory import Statutory, package_covers
from xinyu.workdays import WorkCalendar

FIXTURES = Path(__file__).parent / "fixtures" / "calendar"
D = date




def test_2027_is_not_covered_by_the_package() -> None:
    """The premise: if chinesecalendar learns 2027, these tests must move to the next uncovered year."""
    assert not package_covers(2027)


def test_without_a_schedule_the_statutory_holidays_are_estimated_not_monday_to_friday() -> None:
    work = WorkCalendar(statutory=Statutory())
    assert not work.is_workday(D(2027, 1, 1))  # 元旦, a Friday
    assert work.holiday_name(D(2027, 1, 1)) == "元旦"
    assert work.is_estimated(D(2027, 1, 1)) and not work.is_estimated(D(2026, 12, 31))
    assert work.nth_workday(2027, 1, 1) == D(2027, 1, 4)
    assert work.nth_workday(2027, 1, 5) == D(2027, 1, 8)  # not 7 January: a day early
    names = {work.holiday_name(D(2027, 1, 1) + timedelta(days=n)) for n in range(365)} - {None}
    assert {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"} <= names
    for day in (D(2027, 2, 5), D(2027, 2, 8), D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15), D(2027, 10, 1)):
        assert day.weekday() < 5 and not work.is_workday(day), day  # weekdays the regulation makes holidays
    assert work.crosses_estimated(D(2026, 12, 25), D(2027, 1, 4))
    assert not work.crosses_estimated(D(2026, 12, 1), D(2026, 12, 31))


def test_an_imported_schedule_wins_over_the_estimate_and_the_package(
    engine: Engine, tmp_path: Path
) -> None:
    from xinyu.calendar_import import import_schedule
    from xinyu.clock import parse_at

    result = import_schedule(engine, FIXTURES / "test-2027.csv", now=parse_at("2026-12-04T09:00"))
    assert result.years == {2027: (4, 1)}
    work = WorkCalendar()
    assert not work.is_workday(D(2027, 1, 4))  # the fixture's holiday (a Monday)
    assert work.is_workday(D(2027, 1, 9))  # the fixture's make-up Saturday
    assert work.holiday_name(D(2027, 1, 4)) == "元旦"
    assert not work.is_estimated(D(2027, 1, 4))
    assert work.nth_workday(2027, 1, 5) == D(2027, 1, 9)
    # A year of the package can be corrected by an import too: the imported day wins.
    (tmp_path / "fix-2026.yaml").write_text("days:\n  - {date: 2026-12-31, kind: holiday, name: 测试}\n",
                                            encoding="utf-8")
    import_schedule(engine, tmp_path / "fix-2026.yaml", now=parse_at("2026-12-04T10:00"))
    assert not work.is_workday(D(2026, 12, 31)) and work.is_workday(D(2026, 12, 30))


@pytest.mark.parametrize(("content", "message"), [
    ("date,kind,name\n2027-13-01,holiday,元旦\n", "第2行 date 列"),
    ("date,kind,name\n2027-01-01,vacation,元旦\n", "第2行 kind 列"),
    ("date,kind,name\n2027-01-01,holiday,\n", "第2行 name 列"),
    ("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n", "重复"),
    ("day,kind\n2027-01-01,holiday\n", "缺少列"),
])
def test_a_bad_schedule_file_is_refused_naming_row_and_column_and_nothing_is_written(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    from models import CalendarDay

    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "calendar", "import", str(path))
    assert code == 1 and err.startswith("错误：") and message in err and "bad.csv" in err
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(CalendarDay)).one() == 0


def test_calendar_status_exit_codes(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init")[0] == 0
    code, out, _ = run(capsys, "calendar", "status", "--at", "2026-06-01T09:00")
    assert code == 0 and "chinesecalendar" in out  # June: the cycles of the next 60 days stay in 2026
    code, out, _ = run(capsys, "calendar", "status", "--at", "2026-12-04T09:00", "--json")
    status = json.loads(out)
    assert code == 1 and status["missing"] == [2027]
    assert {"year": 2027, "source": "estimated", "covered": False} in status["needed"]
    assert any(y["year"] == 2026 and y["source"] == "chinesecalendar" for y in status["years"])
    code, _, err = run(capsys, "calendar", "import", str(FIXTURES / "test-2027.csv"))
    assert code == 0, err
    code, out, _ = run(capsys, "calendar", "status", "--at", "2026-12-04T09:00")
    assert code == 0 and "2027 年：已导入 test-2027.csv" in out
    code, out, _ = run(capsys, "calendar", "status", "--at", "2026-12-04T09:00", "--json")
    assert code == 0 and json.loads(out)["missing"] == []
    assert {"year": 2027, "source": "imported"} == {k: v for k, v in json.loads(out)["years"][-1].items()
                                                    if k in ("year", "source")}


def _january(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], schedule: Path | None) -> None:
    assert run(capsys, "init")[0] == 0
    for path in district_files(tmp_path):
        assert run(capsys, "import", str(path))[0] == 0
    if schedule is not None:
        assert run(capsys, "calendar", "import", str(schedule), "--at", "2026-12-04T09:00")[0] == 0
    assert run(capsys, "open", "2026-12", "--at", "2026-12-01T00:10", "--direct")[0] == 0
    for day in ("2026-12-01", "2026-12-08", "2026-12-14", "2026-12-28", "2026-12-31"):
        code, _, err = run(capsys, "advance", "--at", f"{day}T07:00", "--direct")
        assert code == 0, err
    assert run(capsys, "open", "2027-01", "--at", "2027-01-01T00:10", "--direct")[0] == 0


def _fired_on(engine: Engine, day: date) -> tuple[int, int, int]:
    """(ladder events, district escalations, chase messages) of a day (Asia/Shanghai)."""
    with Session(engine) as session:
        events = [e for e in session.exec(select(ChaseEvent)) if as_local(e.fired_at).date() == day]
        raised = [e for e in session.exec(select(Escalation)) if e.raised_at and as_local(e.raised_at).date() == day]
        mail = [m for m in session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).like("chase%")))
                if m.created_at and as_local(m.created_at).date() == day]
    return len(events), len(raised), len(mail)


def _screening_due(capsys: pytest.CaptureFixture[str]) -> set[tuple[str, bool]]:
    code, out, _ = run(capsys, "tasks", "--json", "--month", "2027-01", "--at", "2027-01-04T08:00")
    assert code == 0
    rows: list[dict[str, Any]] = json.loads(out)
    return {(r["due"], r["due_estimated"]) for r in rows if r["step"] == "screening" and not r["carried_over"]}


def test_january_2027_without_a_schedule(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _january(cli_db, tmp_path, capsys, None)
    code, out, err = run(capsys, "advance", "--at", "2027-01-01T07:00", "--direct")
    assert code == 0, err
    assert _fired_on(engine, D(2027, 1, 1)) == (0, 0, 0)  # 元旦: no reminder, no escalation, no message
    assert "催办" not in out
    # The first working day of 2027: reminders go out, but nothing reaches the district on estimated counting.
    code, out, err = run(capsys, "advance", "--at", "2027-01-04T07:00", "--direct")
    assert code == 0, err
    events, raised, _ = _fired_on(engine, D(2027, 1, 4))
    assert events > 0 and raised == 0
    assert _screening_due(capsys) == {("2027-01-08", True)}  # the 5th working day, not the 7th; 推定
    with Session(engine) as session:
        assert not [e for e in session.exec(select(ChaseEvent)) if e.level == "district"
                    and as_local(e.fired_at).date() >= D(2026, 12, 31)]
    code, out, _ = run(capsys, "tasks", "--month", "2027-01", "--at", "2027-01-04T08:00")
    assert "2027-01-08（推定）" in out
    code, out, _ = run(capsys, "board", "--month", "2027-01", "--at", "2027-01-04T08:00")
    assert "推定" in out


def test_january_2027_with_an_imported_schedule(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _january(cli_db, tmp_path, capsys, FIXTURES / "test-2027.csv")
    assert run(capsys, "advance", "--at", "2027-01-01T07:00", "--direct")[0] == 0
    assert run(capsys, "advance", "--at", "2027-01-04T07:00", "--direct")[0] == 0  # the fixture's holiday
    assert _fired_on(engine, D(2027, 1, 1)) == (0, 0, 0)
    assert _fired_on(engine, D(2027, 1, 4)) == (0, 0, 0)
    code, _, err = run(capsys, "advance", "--at", "2027-01-05T07:00", "--direct")
    assert code == 0, err
    assert _screening_due(capsys) == {("2027-01-09", False)}  # the fixture's days: 5,6,7,8 and Saturday 9
    events, raised, _ = _fired_on(engine, D(2027, 1, 5))
    assert events > 0 and raised > 0  # counted on a published (imported) schedule: the district hears


def test_importing_later_moves_the_open_steps_dates_and_due_names_the_days(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _january(cli_db, tmp_path, capsys, None)
    assert run(capsys, "advance", "--at", "2027-01-04T07:00", "--direct")[0] == 0
    assert _screening_due(capsys) == {("2027-01-08", True)}
    code, out, _ = run(capsys, "tasks", "--json", "--month", "2027-01", "--at", "2027-01-04T08:00")
    task_id = next(r["id"] for r in json.loads(out) if r["step"] == "screening" and not r["carried_over"])
    code, out, _ = run(capsys, "due", str(task_id))
    assert code == 0
    assert "元旦 01-01（1天）" in out and "推定" in out and "周末 2 天" in out
    code, out, err = run(capsys, "calendar", "import", str(FIXTURES / "test-2027.csv"), "--at", "2027-01-04T09:00")
    assert code == 0, err
    assert "重新计算截止日期" in out
    assert _screening_due(capsys) == {("2027-01-09", False)}  # the imported days rule, no longer 推定
    code, out, _ = run(capsys, "due", str(task_id))
    assert "推定" not in out
    assert "元旦 01-01至01-04（4天）" in out and "调休上班：01-09（星期六，元旦调休）" in out
