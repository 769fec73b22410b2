"""The Jinan (JN-3/4/5, GZ-6.2b) and Heilongjiang (HLJ-6/10/12/all) packs: quoted clauses, tiers, hotline,
return plan, responsible units; their new settings refuse bad values with the file and the dotted path."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.policy_texts import policy_dir
from xinyu.packs import PackError, load_pack, load_pack_file, tier_label

POLICY = "\n".join(p.read_text(encoding="utf-8") for p in sorted(policy_dir().glob("*.txt")))


@pytest.mark.parametrize("pack_id", ["jinan", "heilongjiang"])
def test_every_cited_clause_is_quoted_verbatim(pack_id: str, packs_dir: Path) -> None:
    pack = load_pack(pack_id, packs_dir)
    cited = {clause for _, clause in pack.cited()}
    assert cited <= set(pack.clauses), cited - set(pack.clauses)
    for clause, words in pack.clauses.items():
        for part in words.split("……"):
            assert part and part in POLICY, (clause, part)


def test_heilongjiang_every_task_names_its_units(packs_dir: Path) -> None:
    """HLJ-all: every task carries （责任单位：…） as the 分工方案 words them."""
    pack = load_pack("heilongjiang", packs_dir)
    units = {t.responsible for m in range(1, 13) for s in pack.steps_for(m) for t in pack.templates_for(m, s.key)}
    assert None not in units
    for unit in units:
        assert f"（责任单位：{unit}）" in POLICY or f"（责任单位：{unit}" in POLICY.replace("\n", ""), unit


def test_heilongjiang_rhythm(packs_dir: Path) -> None:
    pack = load_pack("heilongjiang", packs_dir)
    (lesson,) = pack.course_rule.monthly
    assert (lesson.kind, lesson.min, lesson.per, pack.course_rule.clause) == ("guidance_lesson", 1, "fortnight",
                                                                             "HLJ-6")
    assert [e.key for e in pack.extra_tasks if 9 in e.months] == ["term_start_screening"]
    assert not [e for e in pack.extra_tasks if 10 in e.months]
    assert pack.crisis is not None and pack.crisis.return_plan_required and pack.crisis.return_plan_clause == "HLJ-12"


def test_jinan_tiers_hotline_protector_and_parent_training(packs_dir: Path) -> None:
    pack = load_pack("jinan", packs_dir)
    assert [tier_label(pack, ledger) for ledger in "ABCD"] == [
        "一级 发展 · A台账", "二级 预防 · B台账", "三级 干预 · C台账", "D台账"]
    assert tier_label(load_pack("qingdao", packs_dir), "A") == ""
    assert pack.crisis is not None and pack.crisis.hotline == "87-525-525"
    assert pack.key_students.protector
    (training,) = [e for e in pack.extra_tasks if e.key == "parent_training"]
    assert training.months == (6,) and training.clause == "GZ-6.2b"
    assert next(f for f in training.evidence if f.name == "periods").bounds[0] == 8


def _jinan_raw(packs_dir: Path) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((packs_dir / "jinan.yaml").read_text(encoding="utf-8"))
    return raw


def _refused(raw: dict[str, Any], tmp_path: Path) -> str:
    path = tmp_path / "jinan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PackError) as error:
        load_pack_file(path)
    return str(error.value)


def test_two_tiers_on_one_ledger_are_refused(packs_dir: Path, tmp_path: Path) -> None:
    raw = _jinan_raw(packs_dir)
    raw["tiers"]["levels"]["二级"]["ledger"] = "A"
    message = _refused(raw, tmp_path)
    assert "jinan.yaml" in message and "tiers.levels.二级.ledger: 二级与一级都对应A台账" in message


def test_a_missing_tier_is_refused(packs_dir: Path, tmp_path: Path) -> None:
    raw = _jinan_raw(packs_dir)
    del raw["tiers"]["levels"]["三级"]
    assert "tiers.levels: 三级体系缺少 三级" in _refused(raw, tmp_path)


def test_a_hotline_without_its_clause_is_refused(packs_dir: Path, tmp_path: Path) -> None:
    raw = _jinan_raw(packs_dir)
    del raw["crisis"]["hotline_clause"]
    assert "crisis.hotline_clause: 设了 hotline 须注明依据条款" in _refused(raw, tmp_path)


def test_a_cited_clause_not_quoted_is_refused(packs_dir: Path, tmp_path: Path) -> None:
    raw = _jinan_raw(packs_dir)
    del raw["clauses"]["JN-3"]
    assert "variants.regular.steps.0.tasks.1.clause: 条款 JN-3 未在 clauses 中引用原文" in _refused(raw, tmp_path)


def test_a_return_plan_rule_without_clause_is_refused(packs_dir: Path, tmp_path: Path) -> None:
    raw: dict[str, Any] = yaml.safe_load((packs_dir / "heilongjiang.yaml").read_text(encoding="utf-8"))
    del raw["crisis"]["return_plan_clause"]
    path = tmp_path / "heilongjiang.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PackError, match="crisis.return_plan_clause: 设了 return_plan_required"):
        load_pack_file(path)
