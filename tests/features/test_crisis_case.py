"""QD-4, GZ-6.2, JN-4, JL-6: a crisis case's whole life through the real core (xinyu.crisis) — its dated log,
its referral to a district hospital, its closing with an outcome and a certificate, the agenda, the inbox."""

import json
from datetime import date, datetime
from typing import Any

from parse import with_pattern
from pytest_bdd import given, parsers, scenarios, then, when
from sqlmodel import Session, col, select

from models import CrisisAction, CrisisCase, District, DistrictHospital, Escalation, RecordRevision, Task
from tests.features.support import TYPES, Attempt, Db, SchoolRef, describe_holder, holder, snapshot
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps: the school, a case)
from xinyu.access import load_viewer
from xinyu.clock import SHANGHAI, as_local
from xinyu.crisis.closing import close_case
from xinyu.crisis.log import log_action
from xinyu.cycle import PackBook
from xinyu.meetings.agenda import agenda_facts, render_agenda

scenarios("危机干预")


@with_pattern(r"C-\d+")
def _code(text: str) -> int:
    return int(text.removeprefix("C-"))


@with_pattern(r".*")
def _any(text: str) -> str:
    return text


def crisis_step(text: str) -> parsers.parse:
    """Scenario types plus {case:Code} (C-12 → 12) and {x:Any} (may be empty)."""
    return parsers.parse(text, extra_types={**TYPES, "Code": _code, "Any": _any})


def ledger_c(session: Session, school: SchoolRef) -> dict[str, Any]:
    """Everything of ledger C a refused step must leave as it was."""
    cases = session.exec(select(CrisisCase).where(CrisisCase.school_id == school.id).order_by(col(CrisisCase.id)))
    return {
        "cases": [c.model_dump() for c in cases],
        "actions": [a.model_dump() for a in session.exec(select(CrisisAction).order_by(col(CrisisAction.id)))],
        "history": len(session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_c")).all()),
        "inbox": [(e.id, e.status) for e in session.exec(select(Escalation).order_by(col(Escalation.id)))],
    }


def crisis_attempt(db: Db, school: SchoolRef, action: Any) -> Attempt:
    """A crisis action that may be refused (any ValueError of the core), with the school and ledger C around it."""
    with db() as session:
        before = {**snapshot(session, school), **ledger_c(session, school)}
    error = None
    try:
        with db() as session:
            action(session)
    except ValueError as exc:
        error = str(exc)
    with db() as session:
        after = {**snapshot(session, school), **ledger_c(session, school)}
    return Attempt(error=error, before=before, after=after)


def the_case(db: Db, case: int) -> CrisisCase:
    with db() as session:
        row = session.get(CrisisCase, case)
        assert row is not None, f"C台账中没有个案 C-{case}"
        return row


# --- the district's hospitals ---------------------------------------------------------------------


@given(crisis_step("{district}的转介定点医院为“{first}”和“{second}”"))
def _(db: Db, district: str, first: str, second: str) -> None:
    with db() as session:
        found = session.exec(select(District).where(col(District.name).contains(district))).one()
        for name in (first, second):
            session.add(DistrictHospital(district_id=found.id or 0, name=name))


# --- the log -------------------------------------------------------------------------------------------


def _log(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, case: int, kind: str,
         values: dict[str, str]) -> Attempt:
    def action(session: Session) -> None:
        viewer = load_viewer(session, holder(session, school, who).person_id)
        assert viewer is not None
        log_action(session, viewer, case_id=case, kind=kind, at=at, values=values, now=at, book=book)
    return crisis_attempt(db, school, action)


@given(crisis_step("{who}于 {at:At} 为个案 {case:Code} 记录“{kind}”，医院为“{hospital}”"), target_fixture="attempt")
@when(crisis_step("{who}于 {at:At} 为个案 {case:Code} 记录“{kind}”，医院为“{hospital}”"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, case: int, kind: str,
      hospital: str) -> Attempt:
    return _log(db, book, school, who, at, case, kind, {"hospital": hospital})


@given(crisis_step("{who}于 {at:At} 为个案 {case:Code} 记录“{kind}”，说明为“{note}”"), target_fixture="attempt")
@when(crisis_step("{who}于 {at:At} 为个案 {case:Code} 记录“{kind}”，说明为“{note}”"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, case: int, kind: str, note: str) -> Attempt:
    return _log(db, book, school, who, at, case, kind, {"note": note})


@when(crisis_step("{who}于 {at:At} 为个案 {case:Code} 记录“家长通报”，方式为“{method}”"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, case: int, method: str) -> Attempt:
    return _log(db, book, school, who, at, case, "家长通报", {"method": method})


@when(crisis_step("{who}于 {at:At} 为个案 {case:Code} 记录“家长通报”"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, case: int) -> Attempt:
    return _log(db, book, school, who, at, case, "家长通报", {})


@then(crisis_step("个案 {case:Code} 的处置记录为："))
def _(db: Db, case: int, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        actions = session.exec(select(CrisisAction).where(CrisisAction.case_id == case)
                               .order_by(col(CrisisAction.at), col(CrisisAction.id))).all()
        shown = [{"时间": f"{as_local(a.at):%Y-%m-%d %H:%M}" if a.at else "", "类型": a.kind,
                  "记录人": describe_holder(session, a.by_id), "医院": a.hospital or "", "方式": a.method or ""}
                 for a in actions]
    assert [{k: row[k] for k in header} for row in shown] == [dict(zip(header, r, strict=True)) for r in rows]


@then(crisis_step("个案 {case:Code} 有{n:d}条修改记录"))
def _(db: Db, case: int, n: int) -> None:
    with db() as session:
        found = session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_c",
                                                          RecordRevision.record_id == case)).all()
    assert len(found) == n, [r.action for r in found]


@then(crisis_step("个案 {case:Code} 已记录家长通报，日期为 {day:Day}"))
def _(db: Db, case: int, day: date) -> None:
    informed = the_case(db, case).parents_informed_at
    assert informed is not None and as_local(informed).date() == day, informed


@then(crisis_step("个案 {case:Code} 的转介医院为“{hospital}”"))
def _(db: Db, case: int, hospital: str) -> None:
    assert the_case(db, case).referral_hospital == hospital


# --- closing --------------------------------------------------------------------------------------------


def _close(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, case: int, outcome: str,
           certificate_on: date | None = None, certificate_by: str = "") -> Attempt:
    def action(session: Session) -> None:
        viewer = load_viewer(session, holder(session, school, who).person_id)
        assert viewer is not None
        close_case(session, viewer, case_id=case, outcome=outcome, certificate_on=certificate_on,
                   certificate_by=certificate_by, now=at, book=book)
    return crisis_attempt(db, school, action)


@given(crisis_step("{who}于 {at:At} 以“{outcome}”结案个案 {case:Code}"), target_fixture="attempt")
@when(crisis_step("{who}于 {at:At} 以“{outcome}”结案个案 {case:Code}"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, outcome: str, case: int) -> Attempt:
    return _close(db, book, school, who, at, case, outcome)


@when(crisis_step("{who}于 {at:At} 以“{outcome}”结案个案 {case:Code}，"
                  "复学证明日期为 {day:Day}，出具机构为“{issuer:Any}”"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, outcome: str, case: int, day: date,
      issuer: str) -> Attempt:
    return _close(db, book, school, who, at, case, outcome, day, issuer)


@then(crisis_step("个案 {case:Code} 仍在处置中，C台账没有任何变化"))
def _(db: Db, attempt: Attempt, case: int) -> None:
    assert the_case(db, case).closed_at is None
    assert attempt.after == attempt.before


@then("C台账没有任何变化")
def _(attempt: Attempt) -> None:
    assert attempt.after == attempt.before


@then(crisis_step("个案 {case:Code} 已结案，结果为“{outcome}”"))
def _(db: Db, attempt: Attempt, case: int, outcome: str) -> None:
    assert attempt.error is None, attempt.error
    row = the_case(db, case)
    assert row.closed_at is not None and row.outcome == outcome


@then(crisis_step("个案 {case:Code} 的复学证明为 {day:Day}，由“{issuer}”出具"))
def _(db: Db, case: int, day: date, issuer: str) -> None:
    row = the_case(db, case)
    assert (row.certificate_on, row.certificate_by) == (day, issuer)


# --- the agenda and the inbox -----------------------------------------------------------------------------


def agenda_on(db: Db, book: PackBook, school: SchoolRef, day: date) -> str:
    from tests.features.support import cycle_of

    with db() as session:
        cycle = cycle_of(session, school)
        now = datetime(day.year, day.month, day.day, 8, 0, tzinfo=SHANGHAI)
        return render_agenda(agenda_facts(session, cycle=cycle, book=book, now=now))


@then(crisis_step("{day:Day} 生成的专题会议议程列出“{text}”"))
def _(db: Db, book: PackBook, school: SchoolRef, day: date, text: str) -> None:
    agenda = agenda_on(db, book, school, day)
    assert text in agenda, agenda


@then(crisis_step("{day:Day} 生成的专题会议议程没有列出“{text}”"))
def _(db: Db, book: PackBook, school: SchoolRef, day: date, text: str) -> None:
    agenda = agenda_on(db, book, school, day)
    assert text not in agenda, agenda


@then(crisis_step("{day:Day} 生成的专题会议议程不含学生姓名“{first}”和“{second}”"))
def _(db: Db, book: PackBook, school: SchoolRef, day: date, first: str, second: str) -> None:
    agenda = agenda_on(db, book, school, day)
    assert first not in agenda and second not in agenda, agenda


@then(crisis_step("区县督办箱中个案 {case:Code} 的事项为“{status}”"))
def _(db: Db, case: int, status: str) -> None:
    labels = {"new": "待处理", "acknowledged": "已签收", "resolved": "已办结"}
    with db() as session:
        items = session.exec(select(Escalation).join(Task, col(Task.id) == col(Escalation.task_id))
                             .where(Task.crisis_case_id == case, Escalation.reason == "crisis")).all()
    assert [labels[i.status] for i in items] == [status]


# --- HLJ-12 复课衔接计划 and JN-5 24小时心理关爱热线 (packs/heilongjiang.yaml, packs/jinan.yaml) ----------------


@when(crisis_step("{who}于 {at:At} 以“{outcome}”结案个案 {case:Code}，复课衔接计划为“{plan}”"),
      target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, outcome: str, case: int,
      plan: str) -> Attempt:
    def action(session: Session) -> None:
        viewer = load_viewer(session, holder(session, school, who).person_id)
        assert viewer is not None
        close_case(session, viewer, case_id=case, outcome=outcome, return_plan=plan, now=at, book=book)
    return crisis_attempt(db, school, action)


@then(crisis_step("个案 {case:Code} 的复课衔接计划为“{plan}”"))
def _(db: Db, case: int, plan: str) -> None:
    assert the_case(db, case).return_plan == plan


@then(crisis_step("个案 {case:Code} 的修改记录中有“{label}”"))
def _(db: Db, book: PackBook, school: SchoolRef, case: int, label: str) -> None:
    from xinyu.crisis.records import case_detail

    with db() as session:
        row = session.get(CrisisCase, case)
        assert row is not None
        detail = case_detail(session, row, book)
    from xinyu.crisis.history import FIELD_LABELS

    changed = [FIELD_LABELS.get(name, name) for r in detail.history for name, _, new in r.changed if new]
    assert label in changed, changed


@then(crisis_step("{who}收到的危机通知邮件和短信都印有“{first}”和“{second}”"))
def _(db: Db, school: SchoolRef, delivery: Any, who: str, first: str, second: str) -> None:
    from tests.features.test_chase_steps import person, text_parts

    with db() as session:
        someone = person(session, school, who)
    mails = delivery.emails_to(someone.email)
    texts = delivery.sms_to(someone.phone)
    assert mails and texts, (len(mails), texts)
    for mail in mails:
        body = text_parts(mail)["plain"]
        assert first in body and second in body, body
    for sms in texts:
        assert first in sms["text"] and second in sms["text"], sms


@then(crisis_step("发出的邮件和短信都不含学生姓名“{name}”"))
def _(delivery: Any, name: str) -> None:
    from tests.features.test_chase_steps import text_parts

    for mail in delivery.emails:
        assert name not in str(mail["Subject"]) and all(name not in t for t in text_parts(mail).values())
    assert all(name not in json.dumps(s, ensure_ascii=False) for s in delivery.sms)


@then(crisis_step("个案 {case:Code} 的页面显示“{text}”"))
def _(db: Db, book: PackBook, school: SchoolRef, case: int, text: str) -> None:
    """What the crisis page (web/templates/crisis/case.html) prints at its top; tests/web/test_pack_pages.py
    opens the page itself."""
    from xinyu.crisis.records import case_detail

    with db() as session:
        row = session.get(CrisisCase, case)
        assert row is not None
        detail = case_detail(session, row, book)
    assert detail.hotline and f"24小时心理关爱热线：{detail.hotline}（{detail.hotline_clause}）" == text
