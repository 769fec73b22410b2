"""The packs' recurring tasks and what each says of itself: QD-P1, GZ-6.2b, QD-T7/QD-T11, GZ-3.2, GZ-A2.

Every task names its clause (quoted in the pack's `clauses:`) and its responsible unit (`responsible:`,
else the role's label); the steps below read both from the template the task was made from."""

from typing import Any

from pytest_bdd import scenarios, then
from sqlmodel import Session, select

from models import Cycle, Task
from tests.features.support import Db, SchoolRef, cycle_of, find_task, holder, step_text
from xinyu.cycle import PackBook
from xinyu.packs import TaskTemplate

scenarios(
    "家校协同/每月向家长推送心理健康信息.feature",
    "家校协同/赣州每年对家长开展心理健康知识培训.feature",
    "月度闭环/五月心理健康教育月与十月精神卫生日.feature",
    "月度闭环/赣州学生危机干预工作任务清单.feature",
)


def _template(session: Session, book: PackBook, task: Task) -> TaskTemplate:
    origin = session.get(Cycle, task.origin_cycle_id)
    assert origin is not None
    return book.template(origin.pack, origin.month, task.step_key, task.template, version=origin.pack_version)


def _shown(value: Any) -> str:
    return "是" if value is True else "否" if value is False else str(value)


@then(step_text("“{task}”任务记录了："))
def _(db: Db, book: PackBook, school: SchoolRef, task: str, datatable: list[list[str]]) -> None:
    with db() as session:
        found = find_task(session, school, task)
        by_label = {f.label: f.name for f in _template(session, book, found).evidence}
        recorded = [[label, _shown(found.evidence.get(by_label[label]))] for label, _value in datatable]
    assert recorded == datatable


@then(step_text("任务“{task}”注明条款 {clause}“{text}”，责任单位为“{unit}”"))
def _(db: Db, book: PackBook, school: SchoolRef, task: str, clause: str, text: str, unit: str) -> None:
    with db() as session:
        found = find_task(session, school, task)
        template = _template(session, book, found)
        origin = session.get(Cycle, found.origin_cycle_id)
        assert origin is not None
        quoted = book.pack(origin.pack, origin.pack_version).clause_text(clause)
    assert (template.clause, template.responsible_unit) == (clause, unit)
    assert text in quoted, f"{clause} 的原文为：{quoted}"


@then(step_text("任务“{task}”依据条款 {clause}，责任单位为“{unit}”"))
def _(db: Db, book: PackBook, school: SchoolRef, task: str, clause: str, unit: str) -> None:
    with db() as session:
        template = _template(session, book, find_task(session, school, task))
    assert (template.clause, template.responsible_unit) == (clause, unit)


@then(step_text("本月以下任务注明责任单位和条款："))
def _(db: Db, book: PackBook, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    actual = []
    with db() as session:
        for row in rows:
            wanted = dict(zip(header, row, strict=True))
            found = find_task(session, school, wanted["任务"], who=holder(session, school, wanted["负责人"]))
            template = _template(session, book, found)
            actual.append([wanted["任务"], wanted["负责人"], template.responsible_unit, template.clause])
    assert actual == rows


@then("学校的任务都不以县（市、区）教育部门为责任单位")
def _(db: Db, book: PackBook, school: SchoolRef) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        tasks = list(session.exec(select(Task).where(Task.cycle_id == cycle.id)))
        units = {_template(session, book, t).responsible_unit for t in tasks if t.template}
    assert tasks and not [u for u in units if "县（市、区）教育" in u], units
