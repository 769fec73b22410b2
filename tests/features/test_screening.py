"""QD-3 / QD-T10: the monthly screening, class by class, then the school's consolidation."""


from pytest_bdd import scenarios, then
from sqlmodel import col, select

from models import RoleAssignment, Task
from tests.features.support import Db, SchoolRef
from xinyu.roles import Role

scenarios("月度闭环/月度心理筛查.feature")


@then("学生心理委员没有收到任何任务")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        members = list(session.exec(select(RoleAssignment.person_id).where(
            RoleAssignment.school_id == school.id, RoleAssignment.role == Role.class_psych_member)))
        assert members, "本校没有登记学生心理委员"
        tasks = list(session.exec(select(Task.title).where(col(Task.assignee_id).in_(members))))
        assert not tasks, tasks
