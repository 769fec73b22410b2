"""`xinyu packs`: the packs side by side, read from the packs themselves; a new pack is a new column."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.test_cli import run
from xinyu.cycle.packbook import PackBook
from xinyu.pack_compare import markdown, pack_table
from xinyu.policy.install import install_pack
from xinyu.settings import PROJECT_ROOT

ASPECTS = ["source", "steps", "course_rule", "theme_windows", "ladders", "roles", "oversight"]


def test_every_shipped_pack_is_a_column_with_its_own_rules(
    cli_db: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "init")[0] == 0
    code, out, _ = run(capsys, "packs", "--json")
    assert code == 0
    shown = json.loads(out)
    shipped = sorted(path.stem for path in (PROJECT_ROOT / "packs").glob("*.yaml"))
    assert [p["id"] for p in shown["packs"]] == shipped
    rows = {r["key"]: r["cells"] for r in shown["rows"]}
    assert list(rows) == ASPECTS
    assert "3. 领导小组专题会议（QD-S1b；第6个工作日起，第12个工作日止）" in rows["steps"]["qingdao"]
    assert "3. 心理健康工作例会（GZ-A2；第6个工作日起，第12个工作日止）" in rows["steps"]["ganzhou"]
    assert "每两周至少 1 次心理活动课" in rows["course_rule"]["ganzhou"]
    assert rows["course_rule"]["qingdao"][0] == "“1+1”（QD-T5）"
    assert "5月，31日前：组织“心理健康教育月”主题活动（QD-T7）" in rows["theme_windows"]["qingdao"]
    assert rows["ladders"]["qingdao"][0].startswith("default（其他任务）：截止前提醒(-2) → ")
    assert (rows["oversight"]["qingdao"], rows["oversight"]["ganzhou"]) == (["每年至少 3 次（QD-S2）"], ["—"])

    code, out, _ = run(capsys, "packs", "--markdown")
    lines = out.strip().splitlines()
    header = "| | " + " | ".join(f"{p['name']}（{p['id']}）" for p in shown["packs"]) + " |"
    assert code == 0 and lines[0] == header and len(lines) == 2 + len(ASPECTS)
    assert all(line.count(" | ") == len(shipped) for line in lines[2:])  # a cell per pack in every row, none split

    code, out, _ = run(capsys, "packs")
    assert code == 0 and "【催办梯级（工作日）】" in out and "  青岛市（qingdao）" in out


def test_a_new_pack_is_a_new_column_without_code_changes(engine: Engine, tmp_path: Path) -> None:
    text = (PROJECT_ROOT / "packs" / "ganzhou.yaml").read_text(encoding="utf-8")
    (tmp_path / "weifang.yaml").write_text(
        text.replace("id: ganzhou", "id: weifang").replace("name: 赣州市", "name: 潍坊市"), encoding="utf-8")
    install_pack(engine, tmp_path / "weifang.yaml", by="test")
    table = pack_table(PackBook(engine))
    assert ("weifang", "潍坊市") in table.packs and table.packs == sorted(table.packs)
    assert all(set(row.cells) == {pack_id for pack_id, _ in table.packs} for row in table.rows)
    assert markdown(table).splitlines()[0].endswith("| 潍坊市（weifang） |")
