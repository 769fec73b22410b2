"""The customer's rule "Upgrades keep data": a database filled by the previous release's own code is
upgraded by the current code with every row kept, and `xinyu check` is clean afterwards.

The previous release is the last landed commit before this one's migrations (PREVIOUS_RELEASE, head
migration 0021), exported with `git archive` and run with the same interpreter (its own `xinyu`
package first on PYTHONPATH); it fills the database with `simulate`. The current code then upgrades
it with `xinyu init`. On a SQLite file (XINYU_TEST_DB=sqlite) or a fresh PostgreSQL database
(XINYU_TEST_DB=postgresql).
"""

import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PG_ADMIN_URL, TEST_DB
from xinyu.db import alembic_config

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS_RELEASE = "5bed22e"
PREVIOUS_HEAD = "0021"


def previous_release(into: Path) -> Path:
    """The previous release's files, exported from git; fetched if a shallow clone lacks it."""
    git = shutil.which("git")
    assert git is not None, "git is needed to export the previous release (apt-get install git)"
    found = subprocess.run([git, "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
                           capture_output=True)
    if found.returncode != 0:  # a shallow clone: fetch the one commit from where this checkout came from
        subprocess.run([git, "-C", str(ROOT), "fetch", "--quiet", "origin", PREVIOUS_RELEASE], capture_output=True)
    assert subprocess.run([git, "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
                          capture_output=True).returncode == 0, f"commit {PREVIOUS_RELEASE} is not in this checkout"
    archive = subprocess.run([git, "-C", str(ROOT), "archive", "--format=tar", PREVIOUS_RELEASE],
                             capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    if TEST_DB == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    name = f"xinyu_upgrade_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def environment(tmp_path: Path, url: str, pythonpath: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XINYU_", "PYTHONPATH"))}
    env.update(XINYU_DATABASE_URL=url, XINYU_OUTBOX_DIR=str(tmp_path / "outbox"),
               PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def row_counts(url: str) -> tuple[str, dict[str, int]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    finally:
        engine.dispose()
    return version, counts


def stored_packs(url: str) -> set[tuple[str, int, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {tuple(row) for row in conn.execute(text("SELECT pack_id, version, content_hash FROM pack_version"))}
    finally:
        engine.dispose()


def test_an_upgrade_keeps_every_row_of_the_previous_release(tmp_path: Path, fresh_url: str) -> None:
    old = previous_release(tmp_path / "previous")
    old_env = environment(tmp_path, fresh_url, old)
    which = subprocess.run([sys.executable, "-c", "import xinyu; print(xinyu.__file__)"], env=old_env, cwd=tmp_path,
                           capture_output=True, text=True, check=True)
    assert which.stdout.strip().startswith(str(old)), which.stdout  # the previous release's code, not ours
    filled = subprocess.run(
        [sys.executable, "-m", "xinyu.cli", "simulate", "--schools", "2", "--months", "1", "--late-rate", "0.3",
         "--classes", "4", "--students", "--orchestrator", "direct", "--dir", str(tmp_path / "sim"),
         "--database-url", fresh_url],
        env=old_env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert filled.returncode == 0, filled.stderr[-3000:]
    version, before = row_counts(fresh_url)
    assert version == PREVIOUS_HEAD
    packs_before = stored_packs(fresh_url)
    assert before["task"] > 0 and before["chase_event"] > 0 and before["outbox"] > 0 and before["student"] > 0

    new_env = environment(tmp_path, fresh_url, None)
    upgraded = subprocess.run([sys.executable, "-m", "xinyu.cli", "init"], env=new_env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    version, after = row_counts(fresh_url)
    assert version == ScriptDirectory.from_config(alembic_config(fresh_url)).get_current_head()
    # Every table of the previous release, every row; the stored packs may gain a new version when this
    # release changed a shipped pack (xinyu init installs it), but keep every version stored before.
    kept = set(before) - {"pack_version"}
    assert {t: after[t] for t in kept} == {t: before[t] for t in kept}
    assert stored_packs(fresh_url) >= packs_before and packs_before
    assert all(after[t] == 0 for t in set(after) - set(before))  # new tables start empty
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:  # the open cycles keep the pack version they started on
            versions = set(conn.execute(text("SELECT DISTINCT pack, pack_version FROM cycle")).all())
            indexes = {i["name"] for i in inspect(conn).get_indexes("outbox")}
    finally:
        engine.dispose()
    assert versions == {("qingdao", "1")}
    assert ("ix_outbox_claimable" in indexes) == (TEST_DB == "postgresql")  # 0022: PostgreSQL's claim index

    check = subprocess.run([sys.executable, "-m", "xinyu.cli", "check"], env=new_env, cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert "一致：" in check.stdout
