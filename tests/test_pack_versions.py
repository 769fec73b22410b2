"""Versioned policy (issue 13 item 2): packs stored as immutable versions; a cycle runs on the one it opened with."""

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import PackVersion
from tests.core.helpers import at, cycle_of, steps_of, tasks_of
from tests.factories import make_school
from xinyu.cli import main
from xinyu.cycle import PackBook, advance, complete_task, open_month
from xinyu.db import transaction
from xinyu.packs import PackError
from xinyu.policy.install import install_pack

QINGDAO = Path(__file__).resolve().parent.parent / "packs" / "qingdao.yaml"
SHIPPED = sorted(path.stem for path in QINGDAO.parent.glob("*.yaml"))
REQUIRED = "          - {name: committee_consulted, label: 已听取本班心理委员反馈, type: bool, required: true}\n"


def changed_qingdao(folder: Path, name: str = "我的青岛.yaml") -> Path:
    """Version 2: screening due on the 7th working day (was 5th), a new title and a new required field for the class
    report, the meeting step renamed."""
    text = QINGDAO.read_text(encoding="utf-8")
    for old, new in [("    earliest: 1\n    due: 5\n", "    earliest: 1\n    due: 7\n"),
                     ("title: 本班月度心理状况摸排（会同本班心理委员）", "title: 本班心理状况摸排（第二版）"),
                     (REQUIRED, REQUIRED + "          - {name: new_required, label: 新增必填项, type: text, "
                                           "required: true}\n"),
                     ("    key: meeting\n", "    key: monthly_meeting\n")]:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_install_keeps_versions_and_names_the_pack_by_its_id(engine: Engine, tmp_path: Path) -> None:
    same = install_pack(engine, QINGDAO, "张老师")
    assert (same.new, same.version) == (False, 1) and "与已安装的版本 1 内容相同" in same.summary()
    second = install_pack(engine, changed_qingdao(tmp_path), "张老师")  # another file name: the id comes from id:
    assert (second.pack_id, second.version, second.new) == ("qingdao", 2, True)
    assert install_pack(engine, changed_qingdao(tmp_path, "again.yaml"), "李老师").version == 2  # unchanged text
    with Session(engine) as session:
        rows = session.exec(select(PackVersion).where(PackVersion.pack_id == "qingdao")
                            .order_by(PackVersion.version)).all()
    assert [(r.version, r.installed_by) for r in rows] == [(1, "随版本安装（xinyu init）"), (2, "张老师")]
    assert rows[1].content == changed_qingdao(tmp_path).read_text(encoding="utf-8")
    assert len(rows[1].content_hash) == 64 and rows[1].installed_at.tzinfo is not None


def test_an_invalid_pack_is_refused_with_the_file_and_the_dotted_path(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(QINGDAO.read_text(encoding="utf-8").replace("    due: 12\n", "    due: 0\n", 1), encoding="utf-8")
    with pytest.raises(PackError, match=r"bad\.yaml 无效：\n  definitions|variants\.regular\.steps\.\d+\.due"):
        install_pack(engine, bad, "张老师")
    with Session(engine) as session:
        assert session.exec(select(PackVersion.version).where(PackVersion.pack_id == "qingdao")).all() == [1]


def test_a_cycle_finishes_on_its_version_and_the_next_month_opens_on_the_newest(
        engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        school = make_school(session)
        open_month(session, month="2026-10", now=at("2026-10-01", 0), book=PackBook(engine))
    install_pack(engine, changed_qingdao(tmp_path), "张老师")  # mid-month: October's steps not opened yet
    book = PackBook(engine)
    with transaction(engine) as session:
        advance(session, now=at("2026-10-09", 9), book=book)
        october = cycle_of(session, school.id, "2026-10")
        assert october.pack_version == "1"
        screening = steps_of(session, october.id)["screening"]
        assert screening.due == date(2026, 10, 13)  # version 1: the 5th working day (version 2 says the 7th)
        assert "meeting" in steps_of(session, october.id)
        task = tasks_of(session, october.id, template="class_report")[0]
        assert task.title == "本班月度心理状况摸排（会同本班心理委员）"
        # version 1's form: without version 2's new required field, the task completes
        complete_task(session, task_id=task.id or 0, values={"committee_consulted": True},
                      now=at("2026-10-09", 10), book=book)
        advance(session, now=at("2026-10-20", 9), book=book)  # nothing fails on the renamed step
    with transaction(engine) as session:
        advance(session, now=at("2026-11-02", 9), book=book)
        november = cycle_of(session, school.id, "2026-11")
        assert november.pack_version == "2"
        steps = steps_of(session, november.id)
        assert "monthly_meeting" in steps and "meeting" not in steps
        assert steps["screening"].calendar_due == date(2026, 11, 10)  # the 7th working day of November
        fields = book.template("qingdao", "2026-11", "screening", "class_report", version="2").evidence
        assert "new_required" in {f.name for f in fields}


def test_a_book_sees_a_new_install_at_once_unless_pinned_for_its_run(engine: Engine, tmp_path: Path) -> None:
    web, run = PackBook(engine), PackBook(engine, pin_newest=True)
    assert web.pack("qingdao").step(10, "meeting").label == run.pack("qingdao").step(10, "meeting").label
    install_pack(engine, changed_qingdao(tmp_path), "张老师")
    assert web.newest_version("qingdao") == 2 and run.newest_version("qingdao") == 1
    assert web.pack("qingdao") is PackBook(engine).pack("qingdao", "2")  # parsed once per process (by content)
    with pytest.raises(PackError, match="政策包 qingdao 没有版本 3（已安装：1、2）"):
        web.pack("qingdao", "3")
    assert web.pack_ids() == SHIPPED


def test_pack_cli_install_list_and_diff(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "install", str(changed_qingdao(tmp_path)), "--by", "张老师", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 2
    assert main(["pack", "list", "--json"]) == 0
    rows = {(r["id"], r["version"]): r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {(pack_id, 1) for pack_id in SHIPPED} | {("qingdao", 2)}
    assert rows[("qingdao", 2)]["installed_by"] == "张老师" and rows[("qingdao", 2)]["open_cycles"] == 0
    assert main(["pack", "diff", "qingdao", "1", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("--- qingdao 版本 1（") and "+++ qingdao 版本 2（" in out
    assert "-    key: meeting\n+    key: monthly_meeting\n" in out
    assert main(["pack", "diff", "qingdao", "1", "5"]) == 1
    assert "政策包 qingdao 没有版本 5（已安装版本：1、2）" in capsys.readouterr().err
    assert main(["pack", "diff", "atlantis", "1", "2"]) == 1
    assert f"没有政策包 atlantis（已安装：{'、'.join(SHIPPED)}）" in capsys.readouterr().err


def test_list_counts_schools_and_open_cycles_per_version(engine: Engine, tmp_path: Path) -> None:
    from xinyu.policy.listing import pack_rows

    with transaction(engine) as session:
        make_school(session)
        open_month(session, month="2026-10", now=at("2026-10-01", 0), book=PackBook(engine))
    install_pack(engine, changed_qingdao(tmp_path), "张老师")
    with Session(engine) as session:
        rows = {(r["id"], r["version"]): (r["schools"], r["open_cycles"]) for r in pack_rows(session)}
    # version 1: the school whose open October runs on it; version 2 (the newest): the schools given qingdao
    assert rows == {**{(pack_id, 1): (0, 0) for pack_id in SHIPPED}, ("qingdao", 1): (1, 1), ("qingdao", 2): (1, 0)}
