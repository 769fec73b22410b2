"""Closing a crisis case (JN-4 一案一清): an outcome from a fixed list, and what it needs.

- A case of the pack's referral levels (严重, 重大: QD-4) closes only after a referral to a hospital.
- 返校复学 after a referral needs the hospital's certificate: its date and issuer (GZ-6.2 由专业医院出具相关证明
  方可复学). Refused otherwise, and nothing changes.
- 返校复学 in a pack with crisis.return_plan_required (Heilongjiang, HLJ-12 做好学生康复期与复课期的有效衔接)
  needs a return-to-class plan, kept on the case. Refused otherwise, and nothing changes.
- Closing resolves the district's item of a 重大 case (it stays open until the case is closed).
"""

from datetime import date, datetime

from sqlmodel import Session, col, select

from models import Escalation, School, Task
from xinyu.access import Viewer
from xinyu.clock import local_date
from xinyu.crisis.case import CrisisCaseError, case_snapshot, writable_case, write_case
from xinyu.cycle.packbook import PackBook
from xinyu.text_input import check_text

OUTCOMES = ("返校复学", "继续就医", "休学", "转学", "风险解除", "其他")
RETURNED = "返校复学"


def close_case(session: Session, viewer: Viewer, *, case_id: int, outcome: str, note: str = "",
               certificate_on: date | None = None, certificate_by: str = "", return_plan: str = "",
               now: datetime, book: PackBook) -> None:
    case = writable_case(session, viewer, case_id, book)
    code = f"C-{case.id}"
    if case.closed_at is not None:
        raise CrisisCaseError(f"个案 {code} 已于此前结案")
    if outcome not in OUTCOMES:
        raise CrisisCaseError(f"结案结果应为 {'、'.join(OUTCOMES)} 之一（JN-4 一案一清），实为 {outcome!r}")
    note = check_text(note or "", "结案说明", multiline=True, error=CrisisCaseError).strip()
    certificate_by = check_text(certificate_by or "", "复学证明出具机构", error=CrisisCaseError).strip()
    if outcome == "其他" and not note:
        raise CrisisCaseError("结案结果为“其他”时须填写说明（note）")
    return_plan = check_text(return_plan or "", "复课衔接计划", multiline=True, error=CrisisCaseError).strip()
    if len(note) > 2000 or len(certificate_by) > 128 or len(return_plan) > 2000:
        raise CrisisCaseError("结案说明、复课衔接计划各不超过 2000 个字，出具机构不超过 128 个字")
    school = session.get(School, case.school_id)
    assert school is not None
    rule = book.pack(school.pack).crisis
    if rule is not None and case.level in rule.referral_levels and not case.referral_hospital:
        raise CrisisCaseError(f"{case.level}心理危机个案 {code} 须先转介至医院（{rule.referral_clause}），"
                              "请先添加“转介”处置记录再结案")
    if outcome == RETURNED and case.referral_hospital:
        if certificate_on is None or not certificate_by:
            raise CrisisCaseError(f"个案 {code} 已转介至{case.referral_hospital}，须有医院出具的复学证明"
                                  "（证明日期和出具机构）方可以“返校复学”结案（GZ-6.2）")
        opened = local_date(case.opened_at) if case.opened_at else None
        if opened is not None and certificate_on < opened:
            raise CrisisCaseError(f"复学证明日期 {certificate_on} 早于建档日期 {opened}")
        if certificate_on > local_date(now):
            raise CrisisCaseError(f"复学证明日期 {certificate_on} 晚于今天")
    elif certificate_on is not None or certificate_by:
        if certificate_on is None or not certificate_by:
            raise CrisisCaseError("复学证明须同时填写日期和出具机构")
    if rule is not None and rule.return_plan_required and outcome == RETURNED and not return_plan:
        raise CrisisCaseError(f"个案 {code} 以“返校复学”结案须填写复课衔接计划（{rule.return_plan_clause}：做好学生"
                              "康复期与复课期的有效衔接），如返校后的跟踪、课业安排、家校联系")
    if return_plan and outcome != RETURNED:
        raise CrisisCaseError("复课衔接计划只用于以“返校复学”结案")
    before = case_snapshot(case)
    case.return_plan = return_plan or case.return_plan
    case.outcome, case.outcome_note, case.closed_at = outcome, note or None, now
    if certificate_on is not None:
        case.certificate_on, case.certificate_by = certificate_on, certificate_by
    write_case(session, case, viewer=viewer, now=now, action="closed", before=before, after=case_snapshot(case),
               audit=f"fields=outcome,closed outcome={outcome}")
    _resolve_district_items(session, case_id=case.id or 0, now=now)


def _resolve_district_items(session: Session, *, case_id: int, now: datetime) -> None:
    """The district's crisis report of this case closes with the case (not with the parents' task)."""
    task_ids = select(Task.id).where(Task.crisis_case_id == case_id)
    for item in session.exec(select(Escalation).where(col(Escalation.task_id).in_(task_ids),
                                                      Escalation.reason == "crisis",
                                                      Escalation.status != "resolved")):
        item.status, item.resolved_at, item.resolution = "resolved", now, "case_closed"
        session.add(item)
