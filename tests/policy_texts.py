"""Where the policy texts and REQUIREMENTS.md are: the project's shared folder when this checkout sits in
the project tree, else the snapshot in docs/ (a fresh clone in CI), so the quote checks always run."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SNAPSHOT = ROOT / "docs"


def policy_dir() -> Path:
    return SHARED / "policy" if (SHARED / "policy").is_dir() else SNAPSHOT / "policy"


def requirements_file() -> Path:
    return SHARED / "REQUIREMENTS.md" if (SHARED / "REQUIREMENTS.md").exists() else SNAPSHOT / "REQUIREMENTS.md"
