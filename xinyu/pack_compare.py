"""The packs side by side (issue 13): steps, course rules, theme windows, ladders and roles, one column per pack.

Read from the packs themselves (PackBook.pack_ids / PackBook.pack), so a new pack is a new column without
code changes. Plain data here; the command line prints it as text, JSON or Markdown (xinyu/cli/packs_table.py).
"""

from dataclasses import dataclass

from xinyu.cycle.packbook import PackBook
from xinyu.packs import Pack, StepRule, TaskTemplate
from xinyu.roles import Role


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: dict[str, list[str]]  # pack id → lines


@dataclass(frozen=True)
class PackTable:
    packs: list[tuple[str, str]]  # (id, name), in PackBook.pack_ids() order
    rows: list[Row]

    def as_json(self) -> dict[str, object]:
        return {"packs": [{"id": i, "name": n} for i, n in self.packs],
                "rows": [{"key": r.key, "label": r.label, "cells": r.cells} for r in self.rows]}


def _day(n: int) -> str:
    return f"第{n}个工作日" if n > 0 else ("最后一个工作日" if n == -1 else f"倒数第{-n}个工作日")


def _steps(steps: tuple[StepRule, ...]) -> list[str]:
    return [f"{i}. {s.label}（{s.clause}；{_day(s.earliest)}起，{_day(s.due)}止）" for i, s in enumerate(steps, 1)]


def _step_lines(pack: Pack) -> list[str]:
    lines = _steps(pack.variants["regular"].steps)
    vacation = pack.variants.get("vacation")
    if vacation is not None:
        months = "、".join(f"{m}月" for m in pack.calendar.vacation_months)
        lines += [f"假期月（{months or '—'}）："] + _steps(vacation.steps)
    return lines


def _course_lines(pack: Pack) -> list[str]:
    rule = pack.course_rule
    per = {"month": "每月", "fortnight": "每两周"}
    lines = [f"{rule.label}（{rule.clause}）"]
    lines += [f"{per[m.per]}至少 {m.min} 次{rule.kinds[m.kind].label}" for m in rule.monthly]
    if rule.semester:
        periods = "、".join(f"{rule.kinds[k].label if k in rule.kinds else k} {n} 课时"
                            for k, n in rule.semester.min_periods.items())
        weekly = rule.semester.max_periods_per_week
        lines.append(f"每学期至少：{periods}；每周至多 {weekly} 课时（{rule.semester.clause}）")
    lines.append(f"未达标整改 {rule.rectification_workdays} 个工作日")
    return lines


def _theme_lines(pack: Pack) -> list[str]:
    lines = []
    for extra in pack.extra_tasks:
        months = "、".join(f"{m}月" for m in extra.months)
        if extra.window:  # JL-3 a date window: each month's part is due on the window's last day in that month
            start, end = extra.window.start, extra.window.end
            months = (f"{int(start[:2])}月{int(start[3:])}日至{int(end[:2])}月{int(end[3:])}日"
                      "（各月截止于时段在当月的最后一天）")
        until = f"，{extra.due_day}日前" if extra.due_day else ""
        stages = f"，{'/'.join(extra.stages)}" if extra.stages else ""
        lines.append(f"{months}{until}：{extra.title}（{extra.clause}{stages}）")
    return lines or ["—"]


def _ladder_lines(pack: Pack) -> list[str]:
    if pack.chase is None:
        return ["不催办"]
    lines = []
    for name, rungs in pack.chase.ladders.items():
        shown = " → ".join(f"{r.label}({r.at:+d})" for r in rungs)
        kinds = [k for k, v in pack.chase.ladder_for_kind.items() if v == name]
        used = "其他任务" if name == "default" else ("、".join(kinds) if kinds else "未用")
        lines.append(f"{name}（{used}）：{shown}")
    quiet = pack.chase.quiet_hours
    lines.append(f"短信静默 {quiet.start:%H:%M}–{quiet.end:%H:%M}（{pack.chase.clause}）")
    return lines


def _templates(pack: Pack) -> list[TaskTemplate]:
    found: list[TaskTemplate] = [t for v in pack.variants.values() for s in v.steps for t in s.tasks]
    return found + list(pack.extra_tasks)


def _role_lines(pack: Pack) -> list[str]:
    tasks = {t.role for t in _templates(pack)}
    told: set[Role] = set(pack.crisis.relay) if pack.crisis else set()
    for rungs in (pack.chase.ladders.values() if pack.chase else ()):
        told |= {Role(n) for r in rungs for n in r.notify if n != "assignee"}
    units = sorted({t.responsible for t in _templates(pack) if t.responsible})
    lines = ["承担任务：" + "、".join(r.label for r in Role if r in tasks)]
    if told - tasks:
        lines.append("接收催办/危机通报：" + "、".join(r.label for r in Role if r in told - tasks))
    if units:
        lines.append("责任单位：" + "、".join(units))
    return lines


def _oversight_lines(pack: Pack) -> list[str]:
    rule = pack.oversight
    return [f"每年至少 {rule.inspections_per_year} 次（{rule.clause}）"] if rule else ["—"]


ASPECTS = (
    ("source", "文件", lambda p: [p.name, p.source, f"版本 {p.version}"]),
    ("steps", "月度步骤", _step_lines),
    ("course_rule", "课程规则", _course_lines),
    ("theme_windows", "主题活动窗口（附加任务）", _theme_lines),
    ("ladders", "催办梯级（工作日）", _ladder_lines),
    ("roles", "角色", _role_lines),
    ("oversight", "专项巡查", _oversight_lines),
)


def pack_table(book: PackBook) -> PackTable:
    ids = book.pack_ids()
    packs = {pack_id: book.pack(pack_id) for pack_id in ids}
    rows = [Row(key, label, {pack_id: describe(packs[pack_id]) for pack_id in ids}) for key, label, describe in ASPECTS]
    return PackTable(packs=[(i, packs[i].name) for i in ids], rows=rows)


def _cell(lines: list[str]) -> str:
    return "<br>".join(line.replace("|", "\\|") for line in lines)


def markdown(table: PackTable) -> str:
    """A GitHub-flavoured Markdown table: pastes into a closing note."""
    head = "| | " + " | ".join(f"{name}（{pack_id}）" for pack_id, name in table.packs) + " |"
    rule = "|---|" + "---|" * len(table.packs)
    body = [f"| **{row.label}** | " + " | ".join(_cell(row.cells[i]) for i, _ in table.packs) + " |"
            for row in table.rows]
    return "\n".join([head, rule, *body])


def text(table: PackTable) -> str:
    """For a terminal: one block per aspect, one indented paragraph per pack."""
    out = []
    for row in table.rows:
        out.append(f"【{row.label}】")
        for pack_id, name in table.packs:
            out.append(f"  {name}（{pack_id}）")
            out += [f"    {line}" for line in row.cells[pack_id]]
    return "\n".join(out)
