"""The evidence_file rows of a task: check a form's uploads against its fields, store them, read them back.

A task's evidence dict holds, for a file field, the ids of its current files; `history_view` turns those into
names for the record's history (xinyu.history), so a replaced file stays listed by name and number.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models import EvidenceFile, Task
from xinyu.evidence_files.kinds import Checked, FileRefused, Upload, check_count, check_upload
from xinyu.evidence_files.stores import FileStore, content_key
from xinyu.packs import EvidenceField

Uploads = Mapping[str, list[Upload]]


def file_fields(fields: Iterable[EvidenceField]) -> dict[str, EvidenceField]:
    return {f.name: f for f in fields if f.type == "file"}


def check_uploads(fields: tuple[EvidenceField, ...], uploads: Uploads, *,
                  kept: Mapping[str, int] | None = None) -> dict[str, list[Checked]]:
    """Every upload checked against its field; `kept`: files a field keeps from before (a correction)."""
    by_name = file_fields(fields)
    unknown = sorted(set(uploads) - set(by_name))
    if unknown:
        known = "、".join(f"{f.name}（{f.label}）" for f in by_name.values()) or "无"
        raise FileRefused(f"此任务没有可上传文件的字段 {', '.join(unknown)}；可上传：{known}")
    checked: dict[str, list[Checked]] = {}
    for name, field in by_name.items():
        items = [check_upload(field, u) for u in uploads.get(name, [])]
        total = len(items) + (kept or {}).get(name, 0)
        check_count(field, total)
        if field.required and total == 0:
            raise FileRefused(f"缺少必填项“{field.label}”（{field.name}）：请上传文件")
        if items:
            checked[name] = items
    return checked


def save_uploads(session: Session, *, task: Task, checked: Mapping[str, list[Checked]], by: int | None,
                 now: datetime, store: FileStore) -> dict[str, list[int]]:
    """The bytes into the store (content-addressed: an aborted transaction leaves only unreferenced bytes),
    one row each; field → the new rows' ids."""
    added: dict[str, list[int]] = {}
    for field, items in checked.items():
        for item in items:
            digest, key = content_key(item.data)
            store.put(key, item.data, item.content_type)
            row = EvidenceFile(task_id=task.id or 0, school_id=task.school_id, field=field, name=item.name,
                               content_type=item.content_type, size=len(item.data), sha256=digest, storage_key=key,
                               uploaded_by_id=by, uploaded_at=now)
            session.add(row)
            session.flush()
            added.setdefault(field, []).append(row.id or 0)
    return added


def task_files(session: Session, task_id: int, *, current_only: bool = False) -> list[EvidenceFile]:
    sql = select(EvidenceFile).where(EvidenceFile.task_id == task_id)
    if current_only:
        sql = sql.where(col(EvidenceFile.removed_at).is_(None))
    return list(session.exec(sql.order_by(col(EvidenceFile.id))))


def file_of_task(session: Session, task_id: int, file_id: int) -> EvidenceFile | None:
    row = session.get(EvidenceFile, file_id)
    return row if row is not None and row.task_id == task_id else None


def history_view(session: Session, evidence: Mapping[str, Any], fields: tuple[EvidenceField, ...]) -> dict[str, Any]:
    """The evidence dict as the history shows it: a file field's ids become "name（#id）"."""
    names = file_fields(fields)
    ids = [i for name in names for i in evidence.get(name) or []]
    labels = {}
    if ids:
        labels = {f.id: f"{f.name}（#{f.id}）" for f in session.exec(select(EvidenceFile)
                                                                     .where(col(EvidenceFile.id).in_(ids)))}
    return {k: ("、".join(labels.get(i, f"#{i}") for i in v) if k in names else v) for k, v in evidence.items()}
