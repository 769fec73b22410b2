"""QD-S1, QD-S2: one email (text and HTML) and at most one SMS per person per run, listing everything; one
district digest per run; nothing again the same day. Mail goes to a real SMTP server, SMS to a local gateway."""

from email.message import EmailMessage

from pytest_bdd import given, scenarios, then
from sqlmodel import select

from models import RoleAssignment
from tests.factories import make_school
from tests.features.support import Db, SchoolRef, class_id, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)
from tests.features.test_chase_steps import Delivery, district_officers, person, text_parts
from xinyu.grades import parse_grade
from xinyu.roles import Role

scenarios("催办与督办/一人一封摘要.feature")


@given(step_text("{first}和{second}的班主任是同一位老师"))
def _(db: Db, school: SchoolRef, first: str, second: str) -> None:
    with db() as session:
        teacher = session.exec(select(RoleAssignment).where(
            RoleAssignment.class_id == class_id(session, school, first), RoleAssignment.role == Role.homeroom)).one()
        other = session.exec(select(RoleAssignment).where(
            RoleAssignment.class_id == class_id(session, school, second), RoleAssignment.role == Role.homeroom)).one()
        other.person_id = teacher.person_id
        session.add(other)


@given(step_text("{district}还有一所学校“{name}”，{grade}有{n:d}个班"))
def _(db: Db, district: str, name: str, grade: str, n: int) -> None:
    number = parse_grade(grade)
    assert number is not None, grade
    with db() as session:
        make_school(session, name=name, district_name=district, grades=(number,), classes_per_grade=n)


def only_mail(db: Db, school: SchoolRef, delivery: Delivery, who: str) -> dict[str, str]:
    with db() as session:
        address = person(session, school, who).email
    mails = delivery.emails_to(address)
    assert len(mails) == 1, [str(m["Subject"]) for m in mails]
    parts = text_parts(mails[0])
    assert set(parts) == {"plain", "html"}, set(parts)
    return parts


@then(step_text("{who}收到的邮件，纯文本和HTML两部分都列出以下事项："))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    parts = only_mail(db, school, delivery, who)
    for kind, text in parts.items():
        for row in rows:
            for column, value in zip(header, row, strict=True):
                assert value in text, f"{kind}部分没有{column}“{value}”：\n{text}"
        for title in {row[header.index("任务")] for row in rows}:
            expected = sum(1 for row in rows if row[header.index("任务")] == title)
            assert text.count(title) == expected, f"{kind}部分“{title}”应出现{expected}次：\n{text}"


@then(step_text("{who}收到的邮件，纯文本和HTML两部分都写明“{first}”和“{second}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, first: str, second: str) -> None:
    for kind, text in only_mail(db, school, delivery, who).items():
        assert first in text and second in text, f"{kind}部分：\n{text}"


@then(step_text("{who}收到的邮件，纯文本部分按学校列出“{text}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, text: str) -> None:
    plain = only_mail(db, school, delivery, who)["plain"]
    assert f"按学校：{text}" in plain, plain


def mails_per_officer(db: Db, school: SchoolRef, delivery: Delivery) -> list[list[EmailMessage]]:
    with db() as session:
        officers = district_officers(session, school)
    assert officers, "区县没有负责人"
    return [delivery.emails_to(officer.email) for officer in officers]


@then(step_text("{district}每位区县负责人的邮箱收到{n:d}封督办摘要，标题为“{subject}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, district: str, n: int, subject: str) -> None:
    for mails in mails_per_officer(db, school, delivery):
        assert [str(m["Subject"]) for m in mails] == [subject] * n, [str(m["Subject"]) for m in mails]


@then(step_text("{district}每位区县负责人的手机收到{n:d}条督办短信：“{text}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, district: str, n: int, text: str) -> None:
    with db() as session:
        phones = [officer.phone for officer in district_officers(session, school)]
    assert phones
    for phone in phones:
        assert [s["text"] for s in delivery.sms_to(phone)] == [text] * n, delivery.sms_to(phone)
