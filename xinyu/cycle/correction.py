"""Correcting a completed task's evidence (issue 12 item 11): its author, within the calendar month it was done.

The month is Asia/Shanghai's. Text and values are checked as at completion (xinyu.cycle.evidence), files as
uploads (xinyu.evidence_files); a removed or replaced file keeps its row and bytes. Every correction writes the
evidence before and after to the record's history (kind "evidence"), in the same transaction. A task whose
evidence the system has acted on (meeting minutes, a ledger review, the course check, the monthly report) takes
only its files here: the rest is corrected where it was used (the meeting page, the ledgers).
"""

import calendar
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models import AuditEntry, Cycle, EvidenceFile, Person, Task
from xinyu.clock import as_local
from xinyu.cycle.evidence import EvidenceError, parse_evidence
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import TaskStatus
from xinyu.evidence_files import FileRefused, FileStore, Upload, default_store
from xinyu.evidence_files.records import check_uploads, file_fields, history_view, save_uploads
from xinyu.history import record_change
from xinyu.locks import lock_schools
from xinyu.months import month_of


class CorrectionError(ValueError):
    """A correction that is refused; nothing of it was written."""


def correction_deadline(completed_at: datetime) -> datetime:
    """The last moment of the Asia/Shanghai calendar month in which the task was completed."""
    local = as_local(completed_at)
    last = calendar.monthrange(local.year, local.month)[1]
    return local.replace(day=last, hour=23, minute=59, second=59, microsecond=0)


def may_correct(task: Task, person_id: int, now: datetime) -> bool:
    """Whether to offer the correction form: the author, while the month of completion lasts."""
    return (task.status == TaskStatus.done and task.completed_at is not None and task.completed_by_id == person_id
            and month_of(as_local(now).date()) == month_of(as_local(task.completed_at).date()))


def correct_evidence(
    session: Session, *, task_id: int, by: int, now: datetime, book: PackBook, values: dict[str, Any],
    files: dict[str, list[Upload]] | None = None, remove: Iterable[int] = (), store: FileStore | None = None,
) -> Task:
    """The author's correction: the fields sent replace theirs (an empty optional field is cleared), uploads are
    added to their field, `remove` takes files off (they stay stored and in the history)."""
    school_id = session.exec(select(Task.school_id).where(Task.id == task_id)).first()
    if school_id is None:
        raise CorrectionError(f"没有任务 #{task_id}")
    lock_schools(session, {school_id})
    task = session.exec(select(Task).where(Task.id == task_id).with_for_update()).one()
    where = f"任务 #{task.id}「{task.title}」"
    if task.status != TaskStatus.done or task.completed_at is None:
        raise CorrectionError(f"{where}尚未完成：请直接提交证据")
    if task.completed_by_id != by:
        author = session.get(Person, task.completed_by_id) if task.completed_by_id else None
        raise CorrectionError(f"{where}的证据只能由填写人{f'（{author.name}）' if author else ''}更正")
    deadline = correction_deadline(task.completed_at)
    if as_local(now) > deadline:
        raise CorrectionError(f"{where}完成于 {as_local(task.completed_at):%Y-%m-%d}，证据只能在当月内更正"
                              f"（至 {deadline:%Y-%m-%d}），已过更正期限")
    origin = session.get(Cycle, task.origin_cycle_id)
    assert origin is not None
    template = book.template(origin.pack, origin.month, task.step_key, task.template, version=origin.pack_version)
    new = _corrected_values(template, dict(task.evidence), values, where)
    files = files or {}
    removed = _removed(session, task, set(remove), where)
    current = [f for f in _current(session, task.id or 0) if f.id not in {r.id for r in removed}]
    kept = {name: sum(f.field == name for f in current) for name in file_fields(template.evidence)}
    try:
        checked = check_uploads(template.evidence, files, kept=kept)
    except FileRefused as exc:
        raise CorrectionError(f"{where}：{exc}") from exc
    if not checked and not removed and new == task.evidence:
        raise CorrectionError(f"{where}：没有任何更改")
    for row in removed:
        row.removed_at = now
        session.add(row)
    added = save_uploads(session, task=task, checked=checked, by=by, now=now, store=store or default_store()) \
        if checked else {}
    for name in file_fields(template.evidence):
        ids = [f.id for f in current if f.field == name] + added.get(name, [])
        if ids:
            new[name] = ids
        else:
            new.pop(name, None)
    before = history_view(session, task.evidence, template.evidence)
    after = history_view(session, new, template.evidence)
    task.evidence = new
    session.add(task)
    record_change(session, kind="evidence", record_id=task.id or 0, school_id=task.school_id, by=by, now=now,
                  action="corrected", before=before, after=after)
    session.execute(insert(AuditEntry), [{"at": now, "actor_id": by, "action": "correct_evidence",
                                          "target": f"task:{task.id}",
                                          "detail": f"fields={','.join(sorted(set(before) | set(after)))}"}])
    session.flush()
    return task


def _corrected_values(template: Any, old: dict[str, Any], values: dict[str, Any], where: str) -> dict[str, Any]:
    fields = {f.name: f for f in template.evidence}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        known = "、".join(f"{f.name}（{f.label}）" for f in template.evidence) or "无"
        raise CorrectionError(f"{where}：此任务没有字段 {', '.join(unknown)}；可填写：{known}")
    sent = {k: v for k, v in values.items() if fields[k].type != "file" or (isinstance(v, str) and v.strip())}
    if template.action and sent:
        raise CorrectionError(f"{where}：此任务的证据已由系统处理（会议纪要、台账复核、课程核查或月度报告），"
                              "这里只能补充或更换附件；其余请到相应页面更正")
    try:
        parsed = parse_evidence(tuple(fields[name] for name in sent), sent)
    except EvidenceError as exc:
        raise CorrectionError(f"{where}：{exc}") from exc
    new = dict(old)
    for name in sent:
        if name in parsed:
            new[name] = parsed[name]
        else:
            new.pop(name, None)
    return new


def _current(session: Session, task_id: int) -> list[EvidenceFile]:
    return list(session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task_id,
                                                        col(EvidenceFile.removed_at).is_(None))
                             .order_by(col(EvidenceFile.id))))


def _removed(session: Session, task: Task, ids: set[int], where: str) -> list[EvidenceFile]:
    current = {f.id: f for f in _current(session, task.id or 0)}
    missing = sorted(i for i in ids if i not in current)
    if missing:
        raise CorrectionError(f"{where}：没有附件 #{missing[0]}（或已删除）")
    return [current[i] for i in sorted(ids)]
