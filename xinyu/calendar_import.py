"""`xinyu calendar import FILE`: a year's State Council schedule (CSV or YAML) into `calendar_day`.

Each row is `date, kind, name`: kind `holiday` (放假) or `workday` (调休上班); a holiday needs its name.
The whole file is checked first; any bad row refuses the file naming row and column, and nothing is
written. The years the file names are replaced as a whole (a corrected schedule replaces the old one).
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, delete, extract
from sqlmodel import col, select

from models.calendar import CalendarDay
from xinyu.calendar_redate import Redated, redate_open_steps
from xinyu.cycle.packbook import PackBook
from xinyu.db import transaction
from xinyu.statutory import ImportedDay, Statutory, sync_calendar

KINDS = {"holiday": "holiday", "workday": "workday", "放假": "holiday", "休息": "holiday", "调休上班": "workday",
         "上班": "workday", "班": "workday", "休": "holiday"}
HEADERS = {"date": "date", "日期": "date", "kind": "kind", "类型": "kind", "name": "name", "名称": "name"}


class CalendarImportError(ValueError):
    """A refused file; nothing was written."""


@dataclass(frozen=True)
class ScheduleRow:
    day: date
    kind: str
    name: str


@dataclass(frozen=True)
class ImportResult:
    source: str
    years: dict[int, tuple[int, int]]  # year → (holidays, make-up workdays)
    steps_redated: int = 0
    tasks_redated: int = 0

    def summary(self) -> str:
        text = "；".join(f"{year} 年：放假 {h} 天，调休上班 {w} 天" for year, (h, w) in sorted(self.years.items())) \
            + f"（来源 {self.source}）"
        if self.steps_redated:
            text += f"；按导入的安排重新计算截止日期：步骤 {self.steps_redated} 个，任务 {self.tasks_redated} 项"
        return text


def read_schedule(path: Path) -> list[ScheduleRow]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CalendarImportError(f"无法读取 {path}：{exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gbk")
        except UnicodeDecodeError as exc:
            raise CalendarImportError(f"{path}：无法识别的编码（请用 UTF-8 或 GBK）") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        records = _yaml_records(path, text)
    elif path.suffix.lower() == ".csv":
        records = _csv_records(path, text)
    else:
        raise CalendarImportError(f"{path}：只支持 .csv、.yaml 或 .yml 文件")
    rows: list[ScheduleRow] = []
    seen: dict[date, int] = {}
    for where, record in records:
        row = _row(path, where, record)
        if row.day in seen:
            raise CalendarImportError(f"{path} {where}：日期 {row.day} 与第 {seen[row.day]} 条重复")
        seen[row.day] = len(rows) + 1
        rows.append(row)
    if not rows:
        raise CalendarImportError(f"{path}：没有任何日期")
    return rows


def _csv_records(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise CalendarImportError(f"{path}：文件为空")
    columns = [HEADERS.get(h.strip().lower()) for h in header]
    missing = [c for c in ("date", "kind", "name") if c not in columns]
    if missing:
        raise CalendarImportError(f"{path} 第1行：缺少列 {'、'.join(missing)}（表头应为 date,kind,name）")
    records = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        record = {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(columns) if name}
        records.append((f"第{number}行", record))
    return records


def _yaml_records(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CalendarImportError(f"{path}：YAML 无法解析：{exc}") from exc
    if isinstance(data, dict):
        data = data.get("days", data.get("日期"))
    if not isinstance(data, list):
        raise CalendarImportError(f"{path}：应为日期列表（每项含 date、kind、name），或含 days 列表的对象")
    records = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise CalendarImportError(f"{path} 第{number}项：应为含 date、kind、name 的对象")
        records.append((f"第{number}项", {HEADERS.get(str(k).strip().lower(), str(k)): v for k, v in item.items()}))
    return records


def _row(path: Path, where: str, record: dict[str, Any]) -> ScheduleRow:
    value = record.get("date")
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise CalendarImportError(f"{path} {where} date 列：无法识别的日期 {value!r}（应为 YYYY-MM-DD）") from None
    kind = KINDS.get(str(record.get("kind") or "").strip().lower())
    if kind is None:
        raise CalendarImportError(f"{path} {where} kind 列：应为 holiday 或 workday，实为 {record.get('kind')!r}")
    name = str(record.get("name") or "").strip()
    if kind == "holiday" and not name:
        raise CalendarImportError(f"{path} {where} name 列：放假日须写节日名称（如 春节）")
    if len(name) > 50:
        raise CalendarImportError(f"{path} {where} name 列：名称过长（最多 50 字）")
    return ScheduleRow(value, kind, name)


def import_schedule(engine: Engine, path: Path, *, now: datetime, book: PackBook | None = None) -> ImportResult:
    """Replace the file's years in `calendar_day`; with a pack book, count the open steps' dates again
    on the imported days (one transaction: the schedule and the dates it moves, or nothing)."""
    rows = read_schedule(path)
    years: dict[int, tuple[int, int]] = {}
    for row in rows:
        holidays, workdays = years.get(row.day.year, (0, 0))
        years[row.day.year] = (holidays + (row.kind == "holiday"), workdays + (row.kind == "workday"))
    redated = Redated()
    with transaction(engine) as session:
        session.execute(delete(CalendarDay).where(extract("year", col(CalendarDay.day)).in_(list(years))))
        session.add_all(CalendarDay(day=r.day, kind=r.kind, name=r.name, source=path.name[:200], imported_at=now)
                        for r in rows)
        session.flush()
        if book is not None:
            statutory = Statutory()
            statutory.install(ImportedDay(r.day, r.kind, r.name, r.source, r.imported_at)
                              for r in session.exec(select(CalendarDay)))
            redated = redate_open_steps(session, book, statutory, set(years))
    sync_calendar(engine)
    return ImportResult(path.name, years, redated.steps, redated.tasks)
