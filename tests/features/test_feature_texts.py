"""The feature files themselves: zh-CN, one 功能 each, policy quoted verbatim, requirement IDs that exist."""

import re
from pathlib import Path

import pytest

from tests.policy_texts import SHARED, SNAPSHOT, policy_dir, requirements_file

FEATURES = Path(__file__).resolve().parents[2] / "features"
CLAUSE_ID = re.compile(r"\b(?:QD|JL|GZ|HLJ|JN)-[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*")
FEATURE_FILES = sorted(FEATURES.rglob("*.feature"))


def _quotes(text: str) -> list[str]:
    """原文（…）：“<verbatim>” — the text between the first ：“ and the line's last ”."""
    quotes = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("原文"):
            start, end = line.index("：“") + 2, line.rindex("”")
            quotes.append(line[start:end])
    return quotes


def test_there_are_features() -> None:
    assert len(FEATURE_FILES) >= 9


@pytest.mark.parametrize("path", FEATURE_FILES, ids=lambda p: p.stem)
def test_feature_header(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# language: zh-CN"
    assert sum(1 for line in lines if line.lstrip().startswith("功能:")) == 1


@pytest.mark.parametrize("path", FEATURE_FILES, ids=lambda p: p.stem)
def test_feature_quotes_policy_verbatim(path: Path) -> None:
    policy = "".join(p.read_text(encoding="utf-8") for p in sorted(policy_dir().glob("*.txt")))
    quotes = _quotes(path.read_text(encoding="utf-8"))
    assert quotes, "每个功能都要引用政策原文（以“原文”开头的一行）"
    for quote in quotes:
        assert quote in policy, f"不是政策原文：{quote}"


@pytest.mark.parametrize("path", FEATURE_FILES, ids=lambda p: p.stem)
def test_feature_names_known_requirement(path: Path) -> None:
    requirements = requirements_file()
    known = set(CLAUSE_ID.findall(requirements.read_text(encoding="utf-8")))
    named = set(CLAUSE_ID.findall(path.read_text(encoding="utf-8").split("背景:")[0].split("场景")[0]))
    assert named, "功能描述中要写明 REQUIREMENTS.md 的编号"
    assert named <= known, named - known


@pytest.mark.skipif(not SHARED.is_dir(), reason="not in the project tree: docs/ is the only copy here")
def test_the_snapshot_in_docs_matches_the_shared_texts() -> None:
    """docs/ is what a fresh clone checks against; it must not drift from the project's shared texts."""
    shared = {p.name: p.read_bytes() for p in [*(SHARED / "policy").iterdir(), SHARED / "REQUIREMENTS.md"]}
    snapshot = {p.name: p.read_bytes() for p in [*(SNAPSHOT / "policy").iterdir(), SNAPSHOT / "REQUIREMENTS.md"]}
    assert snapshot == shared, "copy ../shared/policy and ../shared/REQUIREMENTS.md into docs/ again"
