"""QD-S1: the chase ladder over the real core — the day each rung fires, once only, acknowledging, extensions,
and why a due date is what it is."""

from pytest_bdd import scenarios, then

from tests.features.support import Db, SchoolRef, find_task, holder, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)
from xinyu.chase.explain import explain_due
from xinyu.cycle import PackBook

scenarios("催办与督办/逾期催办与逐级升级.feature")


def explanation(db: Db, book: PackBook, school: SchoolRef, who: str, title: str) -> list[str]:
    with db() as session:
        task = find_task(session, school, title, who=holder(session, school, who))
        assert task.id is not None
        return explain_due(session, task_id=task.id, book=book)


@then(step_text("{who}的“{title}”任务的截止说明为："))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, title: str, docstring: str) -> None:
    lines = explanation(db, book, school, who, title)
    assert lines[0].endswith(f"「{find_title(lines[0])}」") and title in lines[0], lines[0]
    assert lines[1:] == docstring.splitlines(), "\n".join(lines)


@then(step_text("{who}的“{title}”任务的截止说明包括："))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, title: str, docstring: str) -> None:
    lines = explanation(db, book, school, who, title)
    missing = [line for line in docstring.splitlines() if line not in lines]
    assert not missing, "\n".join(lines)


def find_title(first_line: str) -> str:
    return first_line.split("「", 1)[1].rstrip("」")
