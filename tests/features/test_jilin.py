"""The Jilin pack's rules (packs/jilin.yaml): JL-5 yearly screening and the four-level warning network
学校—年级—班级—家庭, JL-3 the publicity month's date window 05-25 to 06-25."""

from pytest_bdd import given, scenarios, then
from sqlmodel import select

from models import District, Person, RoleAssignment, School
from tests.features.support import Db, SchoolRef, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps: a case, the messages)
from xinyu.crisis.opening import CrisisOpened, case_code
from xinyu.cycle import PackBook
from xinyu.grades import parse_grade
from xinyu.roles import Role

scenarios("月度闭环/吉林年度心理测评.feature")
scenarios("月度闭环/吉林心理健康教育宣传月.feature")
scenarios("危机干预/吉林四级预警网络.feature")

METHODS = {"rating": "他评", "online": "线上测评"}


@then(step_text("吉林省政策包规定{grade}的测评方式为“{method}”"))
def _(book: PackBook, grade: str, method: str) -> None:
    number = parse_grade(grade)
    assert number is not None, grade
    assert METHODS[book.pack("jilin").screening.method_for(number)] == method


@given(step_text("{grade}设有年级主任"))
def _(db: Db, school: SchoolRef, grade: str) -> None:
    number = parse_grade(grade)
    assert number is not None, grade
    with db() as session:
        school_row = session.get(School, school.id)
        assert school_row is not None
        district = session.exec(select(District).where(District.id == school_row.district_id)).one()
        assert district.id is not None
        head = Person(identity=f"{district.name}/{school.name}/{grade}年级主任", name=f"{school.name}{grade}年级主任",
                      email=f"grade{number}.head@school.example.cn")
        session.add(head)
        session.flush()
        assert head.id is not None
        session.add(RoleAssignment(person_id=head.id, role=Role.grade_head, district_id=district.id,
                                   school_id=school.id, grade=number, scope_key=f"s{school.id}/g{number}"))


@then(step_text("系统按“{chain}”逐级通知了个案 {code}"))
def _(crisis: CrisisOpened, chain: str, code: str) -> None:
    assert case_code(crisis.case) == code
    assert [told.split(" ")[0] for told in crisis.relay] == chain.split(" → "), crisis.relay
