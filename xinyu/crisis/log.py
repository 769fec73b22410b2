"""The dated action log of a crisis case (JL-6 值班、预约、转介、重点反馈等制度; GZ-5.2; QD-4).

Each entry: its kind, when it happened, by whom, a note, and the fields of its kind (转介: the hospital,
from the district's list when it keeps one; 家长通报: how). A 转介 sets the case's current referral; a
家长通报 sets when the parents were told and completes the case's same-day task (GZ-5.2).
"""

from datetime import datetime

from sqlmodel import Session, col, select

from models import CrisisAction, School, Task
from xinyu.access import Viewer
from xinyu.clock import as_local
from xinyu.crisis.case import CrisisCaseError, case_snapshot, writable_case, write_case
from xinyu.crisis.hospitals import HospitalError, check_referral_hospital
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import TaskStatus
from xinyu.text_input import check_text

ACTION_KINDS = ("值班", "预约", "面谈", "转介", "重点反馈", "家长通报", "复学评估")
PARENT_METHODS = ("面谈", "电话", "微信")
KIND_FIELDS: dict[str, tuple[str, ...]] = {"转介": ("hospital",), "家长通报": ("method",)}
FIELD_NAMES = {"note": "说明", "hospital": "转介医院", "method": "通报方式"}


def log_action(session: Session, viewer: Viewer, *, case_id: int, kind: str, at: datetime, values: dict[str, str],
               now: datetime, book: PackBook) -> CrisisAction:
    """One entry of the log, and what it changes of the case; refused whole (CrisisCaseError)."""
    case = writable_case(session, viewer, case_id, book)
    if kind not in ACTION_KINDS:
        raise CrisisCaseError(f"处置记录类型应为 {'、'.join(ACTION_KINDS)} 之一，实为 {kind!r}")
    if case.closed_at is not None:
        raise CrisisCaseError(f"个案 C-{case.id} 已结案，不能再添加处置记录")
    allowed = ("note", *KIND_FIELDS.get(kind, ()))
    unknown = [name for name in values if name not in allowed]
    if unknown:
        raise CrisisCaseError(f"{kind}记录没有字段 {'、'.join(unknown)}（可填：{'、'.join(allowed)}）")
    if at > now:
        raise CrisisCaseError(f"处置时间 {as_local(at):%Y-%m-%d %H:%M} 晚于现在")
    note = check_text(values.get("note", ""), "说明", multiline=True, error=CrisisCaseError).strip()
    if len(note) > 2000:
        raise CrisisCaseError("说明不超过 2000 个字")
    row = CrisisAction(case_id=case.id or 0, school_id=case.school_id, kind=kind, at=at, by_id=viewer.person_id,
                       note=note, created_at=now)
    before = case_snapshot(case, action=None)
    if kind == "转介":
        school = session.get(School, case.school_id)
        assert school is not None
        try:
            row.hospital = check_referral_hospital(session, school.district_id, values.get("hospital", ""))
        except HospitalError as exc:
            raise CrisisCaseError(str(exc)) from None
        case.referral_hospital = row.hospital
    if kind == "家长通报":
        method = values.get("method", "").strip() or None
        if method is not None and method not in PARENT_METHODS:
            raise CrisisCaseError(f"通报方式应为 {'、'.join(PARENT_METHODS)} 之一，实为 {method!r}")
        row.method = method
        case.parents_informed_at = case.parents_informed_at or at
    session.add(row)
    session.flush()
    summary = f"{kind}（{as_local(at):%Y-%m-%d %H:%M}）" + (f" {row.hospital}" if row.hospital else "")
    write_case(session, case, viewer=viewer, now=now, action="updated", before=before,
               after=case_snapshot(case, action=summary), audit=f"action={kind} entry={row.id}")
    if kind == "家长通报":
        _complete_parents_task(session, viewer, case_id=case.id or 0, at=at, method=row.method, now=now, book=book)
    return row


def _complete_parents_task(session: Session, viewer: Viewer, *, case_id: int, at: datetime, method: str | None,
                           now: datetime, book: PackBook) -> None:
    """The fast path's same-day task is done by the same record (as completing it on its own page would)."""
    from xinyu.cycle import complete_task

    task_id = session.exec(select(Task.id).where(Task.crisis_case_id == case_id, Task.status == TaskStatus.open,
                                                 Task.template == "crisis_parents").order_by(col(Task.id))).first()
    if task_id is None:
        return
    complete_task(session, task_id=task_id, now=now, book=book, by=viewer.person_id,
                  values={"informed_at": f"{as_local(at):%Y-%m-%d %H:%M}", "method": method or "电话",
                          "note": "见C台账处置记录"})
