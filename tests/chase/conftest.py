"""Fixtures of the chase tests: the pack book and a session on the test database."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from xinyu.cycle import PackBook


@pytest.fixture
def book(packs_dir: Path) -> PackBook:
    return PackBook(packs_dir)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
