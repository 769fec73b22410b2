"""What flows need from the environment: one engine per process and the packs."""

from functools import lru_cache

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import School
from xinyu.cycle import PackBook
from xinyu.db import make_engine
from xinyu.settings import get_settings


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return engine_for(get_settings().database_url)


def pack_book() -> PackBook:
    return PackBook(get_settings().packs_dir)


def school_batches(batch_size: int) -> list[list[int]]:
    with Session(engine()) as session:
        ids = [i for i in session.exec(select(School.id).order_by(col(School.id))) if i is not None]
    return [ids[n:n + batch_size] for n in range(0, len(ids), batch_size)]
