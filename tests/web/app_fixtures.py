"""Fixtures for the web app: the world (built once per session, copied per test), the app, signed-in clients."""

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from tests.conftest import PG_ADMIN_URL, TEST_DB
from tests.web.world import NOW, PASSWORD, World, build_world
from web.app import create_app
from xinyu.cycle import PackBook
from xinyu.db import make_engine, migrate


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory, packs_dir_session: Path) -> Iterator[tuple[str, World]]:
    """The world built once: a SQLite file to copy, or a PostgreSQL database to use as a template."""
    workdir = tmp_path_factory.mktemp("world")
    if TEST_DB == "sqlite":
        url = f"sqlite:///{workdir / 'world.db'}"
        migrate(url)
        engine = make_engine(url)
        book = PackBook(engine)
        world = build_world(engine, book, workdir / "files")
        book.close()
        engine.dispose()
        yield url, world
        return
    name = f"xinyu_world_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    engine = make_engine(url)
    book = PackBook(engine)
    world = build_world(engine, book, workdir / "files")
    book.close()  # the world is a template: no connection may stay open on it
    engine.dispose()
    yield url, world
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def packs_dir_session() -> Path:
    return Path(__file__).resolve().parents[2] / "packs"


@pytest.fixture
def world(world_template: tuple[str, World]) -> World:
    return world_template[1]


@contextmanager
def world_copy(template_url: str, workdir: Path) -> Iterator[Engine]:
    """A private copy of the world template: a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL."""
    if TEST_DB == "sqlite":
        target = workdir / f"world-{uuid.uuid4().hex[:6]}.db"
        shutil.copy(template_url.removeprefix("sqlite:///"), target)
        engine = make_engine(f"sqlite:///{target}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    template = template_url.rsplit("/", 1)[1]
    name = f"{template}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine = make_engine(template_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world_engine(world_template: tuple[str, World], tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the world for one test, so what a test writes never leaks into the next."""
    with world_copy(world_template[0], tmp_path) as engine:
        yield engine


@pytest.fixture
def web_app(world_engine: Engine, packs_dir_session: Path) -> FastAPI:
    """The app on the world's copy, its clock stopped at the world's evening (2026-10-20 18:00)."""
    return create_app(engine=world_engine, book=PackBook(world_engine), clock=lambda: NOW,
                      base_url="https://testserver")


ClientFor = Callable[[str], TestClient]


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    response = client.post("/login", data={"login": login, "password": password, "next": "/",
                                           "csrf_token": token.group(1)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    me = client.get("/api/me").json()
    client.headers["X-CSRF-Token"] = me["csrf_token"]  # the API's writes send it as a header


@pytest.fixture
def client_for(web_app: FastAPI, world: World) -> Iterator[ClientFor]:
    """`client_for("homeroom")`: a TestClient signed in as that world account (https, so Secure cookies flow).

    Its `X-CSRF-Token` header is set for the API; HTML forms post the token as the `csrf_token` field.
    """
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(web_app, base_url="https://testserver")
        clients.append(client)
        sign_in(client, world.accounts[role].login)
        return client

    yield make
    for client in clients:
        client.close()


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)
