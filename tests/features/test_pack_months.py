"""The Jinan and Heilongjiang packs run a month through the real core (xinyu.cycle): open, advance, course check,
their yearly tasks (HLJ-10 term-start screening, GZ-6.2b Jinan's parent training) and HLJ-all's units."""

from pytest_bdd import scenarios, then
from sqlmodel import select

from models import Task
from tests.features.support import Db, SchoolRef, course_kind, cycle_of, find_task, step_text
from tests.policy_texts import policy_dir
from xinyu.courses.status import class_statuses
from xinyu.cycle import PackBook

scenarios("月度闭环/黑龙江分工方案的月度闭环.feature", "月度闭环/济南的月度闭环与家长必修课程.feature")

POLICY = "".join(p.read_text(encoding="utf-8") for p in sorted(policy_dir().glob("*.txt"))).replace("\n", "")


@then(step_text("“{title}”任务的责任单位为“{unit}”，依据 {clause}"))
def _(db: Db, book: PackBook, school: SchoolRef, title: str, unit: str, clause: str) -> None:
    with db() as session:
        task = find_task(session, school, title)
        cycle = cycle_of(session, school)
        assert task.template is not None and task.step_key is not None
        template = book.pack(cycle.pack, cycle.pack_version).template(int(cycle.month[5:]), task.step_key,
                                                                       task.template)
    assert (template.responsible_unit, template.clause) == (unit, clause)


@then("本月的每项任务都注明了分工方案中的责任单位和依据条款")
def _(db: Db, book: PackBook, school: SchoolRef) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        tasks = list(session.exec(select(Task).where(Task.cycle_id == cycle.id, Task.kind == "step")))
    pack = book.pack(cycle.pack, cycle.pack_version)
    assert tasks
    for task in tasks:
        assert task.template is not None and task.step_key is not None
        template = pack.template(int(cycle.month[5:]), task.step_key, task.template)
        assert template.responsible, f"任务“{task.title}”没有责任单位"
        assert f"（责任单位：{template.responsible}）" in POLICY, template.responsible
        assert pack.clause_text(template.clause), f"任务“{task.title}”的条款 {template.clause} 没有引用原文"


@then("本月各班课程落实情况为：")
def _(db: Db, book: PackBook, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        month = cycle_of(session, school).month
        pack = book.pack(school.pack)
        statuses = class_statuses(session, school_id=school.id, month=month, pack=pack,
                                  work=book.calendar(school.pack))
    actual = []
    for status in statuses:
        values = {"班级": status.label, "结论": "达标" if status.ok else "缺" + "、".join(status.missing)}
        values.update({label: str(status.counts[course_kind(pack, label)]) for label in header[1:-1]})
        actual.append([values[h] for h in header])
    assert actual == rows

