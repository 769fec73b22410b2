"""`xinyu backup` / `xinyu restore` (issue 14): a simulated month backed up and restored into a fresh database
keeps every table's rows and the same contents, and `xinyu check` is clean on the restored copy; refusals are
one clear line. On a SQLite file or a fresh PostgreSQL database (XINYU_TEST_DB), as tests/test_upgrade.py.
"""

import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PG_ADMIN_URL, TEST_DB
from xinyu.cli import main
from xinyu.db import alembic_config
from xinyu.evidence_files.stores import LocalStore, content_key

CHECKSUMMED = ("student", "task", "chase_event", "outbox", "audit_log")


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """fresh_database(name) -> the URL of a new empty database (a SQLite file, or a PostgreSQL database
    created here and dropped after the test)."""
    created: list[str] = []
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT") if TEST_DB == "postgresql" else None

    def make(name: str) -> str:
        if admin is None:
            return f"sqlite:///{tmp_path / name}.db"
        database = f"xinyu_backup_{name}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        created.append(database)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for database in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def use(monkeypatch: pytest.MonkeyPatch, url: str, files: Path) -> None:
    monkeypatch.setenv("XINYU_DATABASE_URL", url)
    monkeypatch.setenv("XINYU_FILES_DIR", str(files))


def contents(url: str) -> tuple[str, dict[str, int], dict[str, str]]:
    """(migration revision, rows of every table, a checksum of the rows of a few tables in id order)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
            sums = {t: hashlib.sha256(repr(conn.execute(text(f'SELECT * FROM "{t}" ORDER BY id')).all()).encode())
                    .hexdigest() for t in CHECKSUMMED}
    finally:
        engine.dispose()
    return revision, counts, sums


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_simulated_month_restored_into_a_fresh_database_keeps_every_row(
        tmp_path: Path, fresh_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    source, target = fresh_database("source"), fresh_database("target")
    code, _, err = run(capsys, "simulate", "--schools", "2", "--months", "1", "--late-rate", "0.3", "--classes", "4",
                       "--students", "--orchestrator", "direct", "--dir", str(tmp_path / "sim"),
                       "--database-url", source)
    assert code == 0, err
    evidence = b"%PDF-1.4 a scanned register\n"
    key = content_key(evidence)[1]
    LocalStore(tmp_path / "files-source").put(key, evidence, "application/pdf")
    before = contents(source)
    assert before[1]["task"] > 0 and before[1]["student"] > 0 and before[1]["chase_event"] > 0

    use(monkeypatch, source, tmp_path / "files-source")
    backup_file = tmp_path / "backups" / "xinyu.backup"
    code, out, err = run(capsys, "backup", str(backup_file))
    assert code == 0, err
    assert f"task {before[1]['task']}" in out and f"student {before[1]['student']}" in out
    assert "证明材料文件 1 个" in out
    assert backup_file.read_bytes()[:5] == (b"SQLit" if TEST_DB == "sqlite" else b"PGDMP")

    use(monkeypatch, target, tmp_path / "files-target")
    code, out, err = run(capsys, "restore", str(backup_file))
    assert code == 0, err
    after = contents(target)
    assert after[1] == before[1]  # every table, every row
    assert after[2] == before[2]  # the same rows, field for field
    assert after[0] == ScriptDirectory.from_config(alembic_config(target)).get_current_head()
    assert (tmp_path / "files-target" / key).read_bytes() == evidence
    code, out, err = run(capsys, "check")
    assert code == 0 and "一致：" in out, out + err

    # Again over the restored (now non-empty) database: refused without --force, then done with it.
    code, _, err = run(capsys, "restore", str(backup_file))
    assert code == 1 and "已有数据" in err and "--force" in err
    code, _, err = run(capsys, "restore", str(backup_file), "--force")
    assert code == 0, err
    assert contents(target)[1:] == before[1:]


def test_an_older_backup_is_upgraded_when_restored(
        tmp_path: Path, fresh_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    source, target = fresh_database("older"), fresh_database("upgraded")
    script = ScriptDirectory.from_config(alembic_config(source))
    head = script.get_current_head()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    command.upgrade(alembic_config(source), previous)  # the schema an earlier release left
    use(monkeypatch, source, tmp_path / "files")
    code, _, err = run(capsys, "backup", str(tmp_path / "older.backup"))
    assert code == 0, err
    use(monkeypatch, target, tmp_path / "files")
    code, out, err = run(capsys, "restore", str(tmp_path / "older.backup"))
    assert code == 0, err
    assert f"迁移版本 {previous} → {head}" in out
    assert contents(target)[0] == head


def test_refusals_are_one_clear_line(tmp_path: Path, fresh_database: Callable[[str], str],
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    use(monkeypatch, fresh_database("target"), tmp_path / "files")
    code, _, err = run(capsys, "restore", str(not_a_backup))
    assert code == 1 and "不是心育闭环的备份文件" in err and err.count("\n") == 1
    code, _, err = run(capsys, "restore", str(tmp_path / "missing.backup"))
    assert code == 1 and "找不到备份文件" in err

    # A backup of the other kind of database is refused before anything is touched.
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP\x01\x0e\x00" if TEST_DB == "sqlite" else b"SQLite format 3\x00" + bytes(100))
    code, _, err = run(capsys, "restore", str(other))
    assert code == 1 and "不能跨数据库类型恢复" in err, err


@pytest.mark.skipif(TEST_DB != "sqlite", reason="the SQLite online backup API; PostgreSQL's snapshot is pg_dump's")
def test_a_backup_taken_while_the_app_writes_is_a_consistent_snapshot(
        tmp_path: Path, fresh_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    source = fresh_database("busy")
    use(monkeypatch, source, tmp_path / "files")
    assert run(capsys, "init")[0] == 0
    engine = create_engine(source, connect_args={"timeout": 30})
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:  # pairs of rows in one transaction: a torn snapshot would hold an odd count
        while not stop.is_set():
            with engine.begin() as conn:
                for _ in range(2):
                    conn.execute(text("INSERT INTO login_attempt (login, address, ok, at)"
                                      " VALUES ('backup-test', '127.0.0.1', 0, CURRENT_TIMESTAMP)"))
            written.append(2)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        code, out, err = run(capsys, "backup", str(tmp_path / "busy.backup"))
    finally:
        stop.set()
        thread.join()
    engine.dispose()
    assert code == 0, err
    copy = create_engine(f"sqlite:///{tmp_path / 'busy.backup'}")
    with copy.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM login_attempt")).scalar_one()
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    copy.dispose()
    assert rows >= 40 and rows % 2 == 0 and rows <= sum(written)
