"""`xinyu backup FILE` / `xinyu restore FILE`: the whole database in one file, the evidence files beside it.

SQLite: the online backup API (sqlite3.Connection.backup) copies a consistent snapshot while the app keeps
writing (WAL: readers never block the writer). PostgreSQL: `pg_dump --format=custom` of a snapshot exported by
the transaction that also counts the rows, so the counts printed are the dump's; `pg_restore --clean --if-exists
--no-owner --single-transaction` puts it back. A file is recognised by its first bytes ("SQLite format 3" or
"PGDMP"); a backup is only restored into the same kind of database.

Evidence files in a folder (the default store) go into `FILE.files.tar` beside the database file, taken after
the database: a file's bytes are stored before its row commits (xinyu/evidence_files/records.py), so every file
the backup's rows name is in the tar. In an S3 bucket they are not copied: the bucket is backed up on its own.
"""

import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, create_engine, inspect, make_url, text

from xinyu.cli.common import CliError
from xinyu.evidence_files.stores import _KEY, default_store, files_folder
from xinyu.ops import pgtools
from xinyu.settings import Settings

SQLITE_HEADER = b"SQLite format 3\x00"
PG_HEADER = b"PGDMP"
MAIN_TABLES = ("district", "school", "person", "student", "cycle", "task", "chase_event", "outbox",
               "evidence_file", "audit_log")
# What `xinyu init` alone puts in a database: a target holding only these counts as empty.
INIT_TABLES = {"alembic_version", "pack_version"}


@dataclass
class Outcome:
    path: Path
    kind: str                                   # "sqlite" | "postgresql"
    revision: str
    counts: dict[str, int]
    files: int | None = None                    # evidence files in the tar; None: no tar
    files_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self, verb: str) -> list[str]:
        size = self.path.stat().st_size
        main = "，".join(f"{t} {self.counts[t]}" for t in MAIN_TABLES if t in self.counts)
        lines = [f"{verb}：{self.path}（{_size(size)}，{'SQLite' if self.kind == 'sqlite' else 'PostgreSQL'}，"
                 f"迁移版本 {self.revision}）",
                 f"  {len(self.counts)} 张表共 {sum(self.counts.values())} 行：{main}"]
        if self.files_path is not None:
            tar_size = _size(self.files_path.stat().st_size)
            lines.append(f"  证明材料文件 {self.files} 个：{self.files_path}（{tar_size}）")
        return lines + [f"  {note}" for note in self.notes]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError


def files_tar(path: Path) -> Path:
    return path.with_name(path.name + ".files.tar")


def detect(path: Path) -> str:
    if not path.is_file():
        raise CliError(f"找不到备份文件 {path}" if not path.exists() else f"{path} 不是文件")
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_HEADER):
        return "postgresql"
    raise CliError(f"{path} 不是心育闭环的备份文件（既不是 SQLite 数据库，也不是 pg_dump 自定义格式）")


def backend(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise CliError(f"不支持备份此类数据库：{name}")
    return name


def counts(conn: Connection) -> dict[str, int]:
    tables = sorted(t for t in inspect(conn).get_table_names() if t != "alembic_version")
    return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables}


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path`, renamed onto it when the block succeeds: never a half-written backup."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# --- backup -----------------------------------------------------------------------------------------------

def backup(settings: Settings, path: Path) -> Outcome:
    url = settings.database_url
    if path.exists() and path.is_dir():
        raise CliError(f"{path} 是文件夹：请给出备份文件名，如 {path / 'xinyu.backup'}")
    outcome = _backup_sqlite(url, path) if backend(url) == "sqlite" else _backup_postgresql(url, path)
    _backup_files(settings, outcome)
    return outcome


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if database in (None, "", ":memory:"):
        raise CliError("内存中的 SQLite 数据库无法备份或恢复")
    return Path(str(database))


def _backup_sqlite(url: str, path: Path) -> Outcome:
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise CliError(f"找不到数据库文件 {source_path}")
    with _replacing(path) as temporary:
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(temporary)
        try:
            source.backup(target)  # one step: a consistent snapshot even while the app writes
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            target.close()
            source.close()
        revision, rows = _sqlite_contents(temporary)
    return Outcome(path, "sqlite", revision, rows)


def _sqlite_contents(path: Path) -> tuple[str, dict[str, int]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return _revision(conn), counts(conn)
    finally:
        engine.dispose()


def _revision(conn: Connection) -> str:
    if "alembic_version" not in inspect(conn).get_table_names():
        return "（无）"
    return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none() or "（无）")


def _server_major(conn: Connection) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _backup_postgresql(url: str, path: Path) -> Outcome:
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            major = _server_major(conn)
            tool = pgtools.pick("pg_dump", major)
            # The rows counted and the rows dumped are one snapshot: this transaction exports it to pg_dump.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision, rows = _revision(conn), counts(conn)
            target, env = pgtools.libpq(url)
            with _replacing(path) as temporary:
                pgtools.run(tool, ["--format=custom", f"--snapshot={snapshot}", f"--file={temporary}",
                                   f"--dbname={target}"], env, "pg_dump 备份")
            conn.rollback()
    finally:
        engine.dispose()
    return Outcome(path, "postgresql", revision, rows, notes=[f"pg_dump {tool.major}（{tool.path}），服务器 {major}"])


def _backup_files(settings: Settings, outcome: Outcome) -> None:
    if settings.files_s3_bucket:
        outcome.notes.append(f"证明材料文件在 S3 存储桶 {settings.files_s3_bucket}，未包含在本备份中："
                             "请另行备份该存储桶")
        return
    folder = files_folder(settings)
    tar_path = files_tar(outcome.path)
    keys = sorted(p for p in folder.rglob("*") if p.is_file() and _KEY.match(p.relative_to(folder).as_posix())) \
        if folder.is_dir() else []
    with _replacing(tar_path) as temporary, tarfile.open(temporary, "w") as tar:
        for file in keys:
            tar.add(file, arcname=file.relative_to(folder).as_posix(), recursive=False)
    outcome.files, outcome.files_path = len(keys), tar_path


# --- restore ----------------------------------------------------------------------------------------------

def restore(settings: Settings, path: Path, *, force: bool) -> Outcome:
    url = settings.database_url
    kind, target_kind = detect(path), backend(url)
    shown = make_url(url).render_as_string(hide_password=True)
    if kind != target_kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise CliError(f"{path} 是 {names[kind]} 备份，而配置的数据库 {shown} 是 {names[target_kind]}："
                       "不能跨数据库类型恢复")
    revision = _sqlite_backup_revision(path) if kind == "sqlite" else _pg_backup_revision(path)
    known = {s.revision for s in ScriptDirectory.from_config(_alembic(url)).walk_revisions()}
    if revision not in known:
        raise CliError(f"{path} 的迁移版本 {revision} 不是本版本已知的：这是更新版本的备份，请先安装那个版本再恢复")
    if kind == "sqlite":
        _restore_sqlite(url, path, force=force, shown=shown)
    else:
        _restore_postgresql(url, path, force=force, shown=shown)
    outcome = Outcome(path, kind, revision, {})
    _restore_files(settings, path, outcome)
    return outcome


def _alembic(url: str):  # type: ignore[no-untyped-def]
    from xinyu.db import alembic_config

    return alembic_config(url)


def _refuse_unless_empty(conn: Connection, shown: str, force: bool) -> None:
    if force:
        return
    rows = {t: n for t, n in counts(conn).items() if n and t not in INIT_TABLES}
    if rows:
        raise CliError(f"目标数据库 {shown} 已有数据（{len(rows)} 张表共 {sum(rows.values())} 行）："
                       "恢复会覆盖全部数据；确认后加 --force 重新运行")


def _sqlite_backup_revision(path: Path) -> str:
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if source.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise CliError(f"{path} 已损坏（SQLite quick_check 未通过）")
            row = source.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise CliError(f"{path} 不是心育闭环的数据库备份：{exc}") from exc
    if row is None:
        raise CliError(f"{path} 没有迁移版本（alembic_version 为空）：不是心育闭环的数据库备份")
    return str(row[0])


def _restore_sqlite(url: str, path: Path, *, force: bool, shown: str) -> None:
    target_path = _sqlite_path(url)
    if target_path.exists() and target_path.stat().st_size:
        engine = create_engine(f"sqlite:///{target_path}")
        try:
            with engine.connect() as conn:
                _refuse_unless_empty(conn, shown, force)
        finally:
            engine.dispose()
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)  # page by page into the live file, under its write lock: readers see old or new
    except sqlite3.Error as exc:
        raise CliError(f"恢复到 {target_path} 失败：{exc}（请先停止网页端与定时任务）") from exc
    finally:
        target.close()
        source.close()


def _pg_backup_revision(path: Path) -> str:
    tool = pgtools.pick("pg_restore", 0)
    listing = subprocess.run([tool.path, "--data-only", "--table=alembic_version", "--file=-", str(path)],
                             capture_output=True, text=True)
    if listing.returncode != 0:
        reason = listing.stderr.strip().splitlines()[-1] if listing.stderr.strip() else ""
        raise CliError(f"pg_restore {tool.major} 读不了 {path}：{reason}")
    lines = listing.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines) and lines[i + 1] != "\\.":
            return lines[i + 1].strip()
    raise CliError(f"{path} 没有迁移版本（alembic_version）：不是心育闭环的数据库备份")


def _restore_postgresql(url: str, path: Path, *, force: bool, shown: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            major = _server_major(conn)
            _refuse_unless_empty(conn, shown, force)
            # Tables a newer `xinyu init` made would survive --clean and clash with the upgrade: all go first.
            existing = MetaData()
            existing.reflect(conn)
            existing.drop_all(conn)
    finally:
        engine.dispose()
    tool = pgtools.pick("pg_restore", major)
    target, env = pgtools.libpq(url)
    pgtools.run(tool, ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                       f"--dbname={target}", str(path)], env, "pg_restore 恢复")


def _restore_files(settings: Settings, path: Path, outcome: Outcome) -> None:
    tar_path = files_tar(path)
    if not tar_path.is_file():
        outcome.notes.append(f"没有 {tar_path.name}：未恢复证明材料文件（S3 存储桶或另行备份的文件夹请自行恢复）")
        return
    store = default_store(settings)
    restored = 0
    with tarfile.open(tar_path) as tar:
        for member in tar:
            if not member.isfile() or not _KEY.match(member.name):
                continue
            extracted = tar.extractfile(member)
            assert extracted is not None
            store.put(member.name, extracted.read(), "application/octet-stream")
            restored += 1
    outcome.files, outcome.files_path = restored, tar_path


def after_restore(url: str, outcome: Outcome) -> None:
    """Bring the restored database to this release's head (as `xinyu init`), and count what it holds."""
    from xinyu.db import migrate

    head = ScriptDirectory.from_config(_alembic(url)).get_current_head()
    migrate(url)
    if outcome.revision != head:
        outcome.notes.append(f"已升级：迁移版本 {outcome.revision} → {head}（同 xinyu init）")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            outcome.counts = counts(conn)
            outcome.revision = _revision(conn)
    finally:
        engine.dispose()


__all__ = ["Outcome", "after_restore", "backup", "detect", "files_tar", "restore"]
