"""`xinyu packs`: the packs side by side, read from the packs themselves; a new pack is a new column."""

import json
import shutil
from pathlib import Path

import pytest

from tests.test_cli import run
from xinyu.cycle.packbook import PackBook
from xinyu.pack_compare import markdown, pack_table
from xinyu.settings import PROJECT_ROOT

ASPECTS = ["source", "steps", "course_rule", "theme_windows", "ladders", "roles", "oversight"]


def test_every_shipped_pack_is_a_column_with_its_own_rules(
    cli_db: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "init")[0] == 0
    code, out, _ = run(capsys, "packs", "--json")
    assert code == 0
    shown = json.loads(out)
    assert [p["id"] for p in shown["packs"]] == ["ganzhou", "qingdao"]
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
    assert code == 0 and lines[0] == "| | 赣州市（ganzhou） | 青岛市（qingdao） |" and len(lines) == 2 + len(ASPECTS)
    assert all(line.count(" | ") == 2 for line in lines[2:])  # every row has its two pack cells, none split

    code, out, _ = run(capsys, "packs")
    assert code == 0 and "【催办梯级（工作日）】" in out and "  青岛市（qingdao）" in out


def test_a_new_pack_is_a_new_column_without_code_changes(tmp_path: Path) -> None:
    for name in ("qingdao", "ganzhou"):
        shutil.copy(PROJECT_ROOT / "packs" / f"{name}.yaml", tmp_path)
    text = (PROJECT_ROOT / "packs" / "ganzhou.yaml").read_text(encoding="utf-8")
    (tmp_path / "weifang.yaml").write_text(
        text.replace("id: ganzhou", "id: weifang").replace("name: 赣州市", "name: 潍坊市"), encoding="utf-8")
    table = pack_table(PackBook(tmp_path))
    assert table.packs == [("ganzhou", "赣州市"), ("qingdao", "青岛市"), ("weifang", "潍坊市")]
    assert all(set(row.cells) == {"ganzhou", "qingdao", "weifang"} for row in table.rows)
    assert markdown(table).splitlines()[0].endswith("| 潍坊市（weifang） |")
