"""A task shows its clause's words and its responsible unit (issue 13 item 1): `xinyu tasks --json` and the task
page's JSON twin, from the pack's `clauses:` and the template's `responsible:`; an unquoted clause is the ID alone."""

from pathlib import Path

import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from models import Task
from tests.factories import make_school
from xinyu.access import load_viewer
from xinyu.clock import parse_at
from xinyu.cycle import PackBook, advance
from xinyu.policy.install import install_pack
from xinyu.queries import list_tasks
from xinyu.settings import PROJECT_ROOT
from xinyu.task_views import task_detail

AT = parse_at("2026-10-08T09:00")
QUOTED = "学校层面，成立心理健康工作领导小组（专班），由学校主要领导任组长"


def quoting_book(folder: Path, engine: Engine) -> tuple[PackBook, dict[str, str]]:
    """The shipped Qingdao pack, quoting QD-T10 with these words (and whatever else it quotes already),
    installed as the newest version: the month opened next runs on it."""
    raw = yaml.safe_load((PROJECT_ROOT / "packs" / "qingdao.yaml").read_text(encoding="utf-8"))
    raw["clauses"] = {**(raw.get("clauses") or {}), "QD-T10": QUOTED}
    (folder / "qingdao.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    install_pack(engine, folder / "qingdao.yaml", by="test")
    return PackBook(engine), raw["clauses"]


def test_every_task_has_its_clause_text_and_responsible_unit(session: Session, engine: Engine,
                                                              tmp_path: Path) -> None:
    book, clauses = quoting_book(tmp_path, engine)
    school = make_school(session)
    advance(session, now=AT, book=book)
    tasks = list_tasks(session, today=AT.date(), book=book)
    assert any(t["clause"] == "QD-T10" for t in tasks)
    for task in tasks:
        assert task["clause_text"] == clauses.get(task["clause"], "")
        assert task["responsible"]  # the template's `responsible:`, else its role's label
    leader = load_viewer(session, school.people["leader"].id or 0)
    assert leader is not None
    quoted = next(t for t in tasks if t["clause"] == "QD-T10")
    detail = task_detail(session, leader, quoted["id"], today=AT.date(), book=book)
    assert detail is not None and (detail.clause_text, detail.responsible) == (QUOTED, quoted["responsible"])
    row = session.get(Task, quoted["id"])
    assert row is not None
    template = book.pack("qingdao").template(10, row.step_key, row.template)
    assert quoted["responsible"] == (template.responsible or template.role.label)  # no unit named: the role's label

    # A clause the pack does not quote: the ID alone, never an error.
    row.clause = "QD-X9"
    session.add(row)
    session.flush()
    listed = next(t for t in list_tasks(session, today=AT.date(), book=book) if t["id"] == quoted["id"])
    detail = task_detail(session, leader, quoted["id"], today=AT.date(), book=book)
    assert detail is not None and (listed["clause"], listed["clause_text"], detail.clause_text) == ("QD-X9", "", "")
