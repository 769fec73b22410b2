"""The month board: schools × steps with status and due dates, late work, shortfalls, carry-over."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import Cycle, School, Step, Task
from xinyu.clock import as_local
from xinyu.courses.status import class_statuses
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import StepStatus, TaskStatus
from xinyu.textwidth import table

LEGEND = "图例：✔ 已完成（完成日期，“迟”为逾期完成） ● 进行中（截止日期） ⚠ 已逾期 · 待开启（计划截止） ↪ 已结转下月"


@dataclass
class BoardRow:
    school: str
    cells: dict[str, str]
    overdue_tasks: int
    carried_in: int
    open_tasks: int


def step_cell(step: Step, today: date, overdue: bool) -> str:
    due = step.due or step.calendar_due
    if step.status == StepStatus.done and step.done_at:
        done_on = as_local(step.done_at).date()
        return f"✔ {done_on:%m-%d}" + (" 迟" if done_on > due else "")
    if step.status == StepStatus.open:
        return f"⚠ 逾期 {due:%m-%d}" if overdue else f"● 截止 {due:%m-%d}"
    if step.status == StepStatus.carried:
        return "↪ 已结转"
    return f"· {due:%m-%d}"


def board_rows(session: Session, *, month: str, today: date, book: PackBook) -> tuple[list[str], dict[str, str],
                                                                                          list[BoardRow]]:
    cycles = list(session.exec(select(Cycle, School.name).join(School, col(School.id) == col(Cycle.school_id))
                               .where(Cycle.month == month).order_by(col(School.name))))
    ids = [c.id for c, _ in cycles]
    steps: dict[int, list[Step]] = defaultdict(list)
    for step in session.exec(select(Step).where(col(Step.cycle_id).in_(ids)).order_by(col(Step.order))):
        steps[step.cycle_id].append(step)
    tasks = list(session.exec(select(Task).where(col(Task.cycle_id).in_(ids), Task.status == TaskStatus.open)))
    overdue: Counter[int] = Counter()
    carried: Counter[int] = Counter()
    open_count: Counter[int] = Counter()
    packs = {c.id: (c.pack, c.pack_version) for c, _ in cycles}
    for task in tasks:
        open_count[task.cycle_id] += 1
        overdue[task.cycle_id] += book.calendar(*packs[task.cycle_id]).is_overdue(task.due, today)
        carried[task.cycle_id] += task.carried_over
    columns: list[str] = []
    labels: dict[str, str] = {}
    rows = []
    for cycle, school in cycles:
        pack, work = book.pack(cycle.pack, cycle.pack_version), book.calendar(cycle.pack, cycle.pack_version)
        cells = {}
        for step in steps[cycle.id or 0]:
            if step.key not in labels:
                columns.append(step.key)
                labels[step.key] = pack.step(int(month[5:]), step.key).label
            late = step.status == StepStatus.open and work.is_overdue(step.due or step.calendar_due, today)
            cells[step.key] = step_cell(step, today, late)
            if work.is_estimated(step.due or step.calendar_due) and step.status != StepStatus.carried:
                cells[step.key] += " 推定"  # that year's holiday schedule is not imported yet
        rows.append(BoardRow(school=school, cells=cells, overdue_tasks=overdue[cycle.id or 0],
                             carried_in=carried[cycle.id or 0], open_tasks=open_count[cycle.id or 0]))
    return columns, labels, rows


def render_board(session: Session, *, month: str, today: date, book: PackBook) -> str:
    columns, labels, rows = board_rows(session, month=month, today=today, book=book)
    if not rows:
        return f"{month} 尚无任何学校的月度周期。"
    header = ["学校", *(labels[c] for c in columns), "未完成", "其中逾期", "上月结转"]
    body = [[r.school, *(r.cells.get(c, "—") for c in columns), str(r.open_tasks), str(r.overdue_tasks),
             str(r.carried_in)] for r in rows]
    title = f"{month[:4]}年{int(month[5:])}月 心育月度闭环看板（截至 {today.isoformat()}）"
    return "\n".join([title, "", table(header, body), "", LEGEND])


def render_shortfalls(session: Session, *, month: str, book: PackBook) -> str:
    """Classes short of their "1+1" this month, school by school (QD-T5)."""
    lines = [f"“1+1”课程与活动未达标班级（{month}，依据 QD-T5）"]
    for cycle, school in session.exec(select(Cycle, School.name).join(School, col(School.id) == col(Cycle.school_id))
                                      .where(Cycle.month == month).order_by(col(School.name))):
        statuses = class_statuses(session, school_id=cycle.school_id, month=month,
                                  pack=book.pack(cycle.pack, cycle.pack_version),
                                  work=book.calendar(cycle.pack, cycle.pack_version))
        short = [s for s in statuses if not s.ok]
        detail = "；".join(f"{s.label}缺{'、'.join(s.missing)}" for s in short) or "全部达标"
        lines.append(f"  {school}（{len(statuses) - len(short)}/{len(statuses)} 个班达标）：{detail}")
    return "\n".join(lines)
