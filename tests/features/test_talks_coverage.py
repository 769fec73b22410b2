"""QD-2 一生一谈一案一反馈: ledger D recorded by the homeroom teacher, coverage per class and semester."""

from datetime import date

from pytest_bdd import given, parsers, scenarios, then, when
from sqlmodel import Session, col, select

from models import KeyStudentPlan, RecordRevision, Student, TalkRecord
from tests.features.support import Db, SchoolRef, class_id, describe_holder, holder, step_text
from xinyu.cycle import PackBook
from xinyu.ledgers.coverage import parse_term, school_coverage
from xinyu.ledgers.talks import TalkError, add_talk

scenarios("台账/一生一谈一案一反馈.feature")

PLAN_STATUS = {"已生效": "active", "草稿": "draft", "已结案": "closed"}
SHORT_LABELS = {"talked": "已谈心", "with_plan": "方案已确立", "family_feedback": "家庭已反馈"}


def _student(session: Session, school: SchoolRef, label: str) -> Student:
    """四年级1班第2名 → the class's second student (by 学号)."""
    klass, _, rest = label.partition("第")
    number = int(rest.removesuffix("名"))
    students = list(session.exec(select(Student).where(Student.class_id == class_id(session, school, klass))
                                 .order_by(col(Student.student_no))))
    return students[number - 1]


def _label(session: Session, school: SchoolRef, student_id: int) -> str:
    student = session.get(Student, student_id)
    assert student is not None
    from tests.features.support import class_label

    klass = class_label(session, student.class_id)
    ordered = list(session.exec(select(Student.id).where(Student.class_id == student.class_id)
                                .order_by(col(Student.student_no))))
    return f"{klass}第{ordered.index(student_id) + 1}名"


@given(parsers.re(r"(?P<spec>(?:[^，]+?班有\d+名学生，?)+)$"))
def _(db: Db, school: SchoolRef, spec: str) -> None:
    with db() as session:
        for part in spec.split("，"):
            klass, _, n = part.partition("有")
            cid = class_id(session, school, klass)
            for i in range(1, int(n.removesuffix("名学生")) + 1):
                session.add(Student(school_id=school.id, class_id=cid, student_no=f"{cid:02d}{i:03d}",
                                    name=f"{klass}学生{i}", gender="女"))


@when(step_text("{who}于 {at:At} 记录{student}学生的“{kind}”，日期 {day}，内容“{summary}”"),
      target_fixture="refusal")
def _(db: Db, school: SchoolRef, who: str, at: object, student: str, kind: str, day: str, summary: str) -> str | None:
    try:
        with db() as session:
            person = holder(session, school, who).person_id
            add_talk(session, person_id=person, student=_student(session, school, student), kind=kind, held_on=day,
                     summary=summary, now=at)  # type: ignore[arg-type]
    except TalkError as exc:
        return str(exc)
    return None


@then("D台账有以下记录：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        actual = []
        for r in session.exec(select(TalkRecord).where(TalkRecord.school_id == school.id).order_by(col(TalkRecord.id))):
            assert r.created_at is not None and r.updated_at is not None
            values = {"学生": _label(session, school, r.student_id), "方式": r.kind, "日期": r.held_on.isoformat(),
                      "记录人": describe_holder(session, r.by_id)}
            actual.append([values[h] for h in header])
    assert actual == rows


@then("每条D台账记录都有一条“新建”修改记录")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        ids = list(session.exec(select(TalkRecord.id).where(TalkRecord.school_id == school.id)))
        for record_id in ids:
            actions = list(session.exec(select(RecordRevision.action).where(
                RecordRevision.kind == "ledger_d", RecordRevision.record_id == record_id)))
            assert actions == ["created"]


@then(step_text("记录被拒绝，提示“{text}”"))
def _(refusal: str | None, text: str) -> None:
    assert refusal is not None and text in refusal, refusal


@then("D台账没有记录")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        assert session.exec(select(TalkRecord.id).where(TalkRecord.school_id == school.id)).first() is None
        assert session.exec(select(RecordRevision.id).where(RecordRevision.kind == "ledger_d")).first() is None


@given("以下学生是重点关爱学生：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    _, *rows = datatable
    with db() as session:
        for label, status in rows:
            student = _student(session, school, label)
            session.add(KeyStudentPlan(school_id=school.id, student_id=student.id or 0, status=PLAN_STATUS[status],
                                       opened_on=date(2026, 9, 10)))


@given("D台账有以下谈心与反馈：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    _, *rows = datatable
    with db() as session:
        psych = holder(session, school, "专职心理教师").person_id
        for label, kind, day in rows:
            student = _student(session, school, label)
            session.add(TalkRecord(school_id=school.id, student_id=student.id or 0, kind=kind,
                                   held_on=date.fromisoformat(day), by_id=psych, summary="记录"))


@then(step_text("{label}（{key}）的覆盖情况为："))
def _(db: Db, book: PackBook, school: SchoolRef, label: str, key: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    pack = book.pack(school.pack)
    term = parse_term(pack, key)
    assert term.label == label
    with db() as session:
        coverage = school_coverage(session, school_id=school.id, pack=pack, term=term)
    actual = []
    for c in coverage.classes:
        short = [SHORT_LABELS[k] for k, red in coverage.short(c).items() if red]
        values = {"班级": c.label, "学生": str(c.students), "已谈心": str(c.talked),
                  "重点关爱学生": str(c.key_students), "方案已确立": str(c.with_plan),
                  "家庭已反馈": str(c.family_feedback), "标红": "、".join(short) or "无"}
        actual.append([values[h] for h in header])
    assert actual == rows


@then(step_text("{label}（{key}）{klass}已谈心 {n:d} 人"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str, key: str, klass: str, n: int) -> None:
    pack = book.pack(school.pack)
    term = parse_term(pack, key)
    assert term.label == label
    with db() as session:
        coverage = school_coverage(session, school_id=school.id, pack=pack, term=term)
    assert {c.label: c.talked for c in coverage.classes}[klass] == n
