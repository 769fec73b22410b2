"""Shared fixtures: a migrated database per test, on SQLite or on PostgreSQL (XINYU_TEST_DB).

The schema is built once per session through the Alembic migrations; each test then gets a copy
of the SQLite file, or the PostgreSQL tables truncated, so tests are isolated and fast.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, insert, select, text
from sqlmodel import Session, SQLModel

from models import PackVersion
from xinyu.cycle import PackBook
from xinyu.cycle.packbook import release_reader
from xinyu.db import make_engine, migrate
from xinyu.statutory import STATUTORY

TEST_DB = os.environ.get("XINYU_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("XINYU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_DB == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate(f"sqlite:///{path}")
        yield str(path)
        return
    name = f"xinyu_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    yield url
    cleaner = _CLEANERS.pop(url, None)
    if cleaner is not None:
        cleaner.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(database_template: str, tmp_path: Path) -> str:
    if TEST_DB == "sqlite":
        target = tmp_path / "xinyu.db"
        shutil.copy(database_template, target)
        return f"sqlite:///{target}"
    empty_postgresql(database_template)
    return database_template


def empty_postgresql(url: str) -> None:
    """Every table emptied, the shipped packs put back: the database as `xinyu init` leaves it.

    `DELETE` children first, then every table's own sequence back to 1 — what `TRUNCATE … RESTART IDENTITY`
    did, at a tenth of its cost on these small tables (a TRUNCATE gives each of ~40 tables and their indexes
    new files, and took 0.5–2.5 s per test on this machine's PostgreSQL).
    """
    cleaner = _CLEANERS.get(url)
    if cleaner is None:
        cleaner = _CLEANERS[url] = _Cleaner(url)
    cleaner.empty()


class _Cleaner:
    """One pooled connection to the shared test database, and what emptying it takes (read once)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, pool_size=1)
        self.tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]  # children before parents
        self.delete = text("".join(f'DELETE FROM "{name}";' for name in self.tables))
        with self.engine.connect() as conn:
            self.sequences = list(conn.execute(text(
                "SELECT DISTINCT d.objid::regclass::text FROM pg_depend d"
                " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                " JOIN pg_class t ON t.oid = d.refobjid"
                " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
                " AND d.deptype IN ('a', 'i') AND t.relname = ANY(:tables)"), {"tables": self.tables}).scalars())

    def empty(self) -> None:
        with self.engine.begin() as conn:
            shipped = _shipped_packs(conn)
            conn.execute(self.delete)
            if self.sequences:  # RESTART IDENTITY: each table's ids start at 1 again
                conn.execute(text("SELECT setval(CAST(s AS regclass), 1, false) FROM unnest(CAST(:s AS text[])) AS s"),
                             {"s": self.sequences})
            conn.execute(insert(PackVersion), shipped)  # the packs migrate() installed, as a fresh database has them

    def close(self) -> None:
        self.engine.dispose()


_CLEANERS: dict[str, _Cleaner] = {}
_SHIPPED: list[dict[str, object]] = []


def _shipped_packs(conn: Connection) -> list[dict[str, object]]:
    """The pack versions of the freshly migrated template (read once: the first test finds only those)."""
    if not _SHIPPED:
        rows = conn.execute(select(PackVersion.__table__)).mappings()  # type: ignore[call-overload,attr-defined]
        _SHIPPED.extend({k: v for k, v in row.items() if k != "id"} for row in rows)  # ids from the sequence
    return _SHIPPED


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    release_reader(engine)  # the books' own connections to this test's database
    engine.dispose()


@pytest.fixture
def packs_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "packs"


@pytest.fixture
def book(engine: Engine) -> PackBook:
    """The packs as stored in the test database (the shipped ones, installed by migrate)."""
    return PackBook(engine)


def memory_book() -> PackBook:
    """The shipped packs installed in a private in-memory database: for tests of rules that need no other rows."""
    from xinyu.policy.install import install_shipped

    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    install_shipped(engine, Path(__file__).resolve().parent.parent / "packs")
    return PackBook(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database for tests of the core; the test commits where it needs to."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


# The web app sends login codes and links as the request ends; tests drive the dispatcher themselves (with their
# own outbox folder or SMTP server), except those that turn it back on (tests/web/test_browser_accounts.py).
os.environ.setdefault("XINYU_SEND_LOGINS_AT_ONCE", "false")


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One temporary Prefect API for the whole session: starting it takes seconds."""
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture(autouse=True)
def forget_imported_schedules() -> Iterator[None]:
    """Imported holiday schedules live in a process-wide calendar: one test's import never reaches the next."""
    yield
    if STATUTORY.imported_years():
        STATUTORY.install([])


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The test database as the `xinyu` command's own (XINYU_DATABASE_URL), the outbox and cwd in tmp_path."""
    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.chdir(tmp_path)
    return db_url


# --- which tests run in the PostgreSQL half ---------------------------------------------------------------
# `make test` runs the suite twice, once per database (scripts/test-both). A test that never reaches the test
# database proves the same thing in both runs, so the PostgreSQL run (the longer one) leaves it to the SQLite run.
# A test reaches the database through these fixtures (every database fixture builds on one of them) …
DATABASE_FIXTURES = frozenset({"database_template", "world_template"})
# … or by choosing its databases itself by TEST_DB (a module that imports it: fresh databases, skip markers), or
# through fixtures resolved only while it runs: pytest-bdd's step fixtures (tests/features), and request.
# getfixturevalue (tests/test_cli_contract.py). Those run in both halves whatever their fixtures say.
BOTH_HALVES = ("tests/features/", "tests/test_cli_contract.py")


def reaches_test_database(item: pytest.Item) -> bool:
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    module = getattr(item, "module", None)
    if module is None or getattr(module, "TEST_DB", None) is not None:
        return True
    path = Path(str(item.path)).resolve().relative_to(Path(__file__).resolve().parent.parent).as_posix()
    return path.startswith(BOTH_HALVES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DB != "postgresql" or os.environ.get("XINYU_TEST_EVERYTHING_TWICE"):
        return
    once = [item for item in items if not reaches_test_database(item)]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if reaches_test_database(item)]
