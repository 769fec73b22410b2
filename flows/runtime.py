"""What flows need from the environment: one engine per process and the packs."""

from functools import lru_cache

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Cycle, School
from xinyu.cycle import PackBook
from xinyu.cycle.states import CycleStatus
from xinyu.db import make_engine
from xinyu.gc_tuning import tune_gc
from xinyu.settings import get_settings
from xinyu.statutory import sync_calendar

tune_gc()  # every process that runs batches imports this module: flow runs, task workers, the CLI, benchmarks


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return engine_for(get_settings().database_url)


def pack_book() -> PackBook:
    sync_calendar(engine())  # imported holiday schedules: reloaded only when the table changed
    return PackBook(engine(), pin_newest=True)  # the run applies the newest as it was at its start


def packs_in_use() -> PackBook:
    """Every pack version in use, loaded: the newest of each school's pack and the version of each open cycle. A
    pack not installed fails the run before any batch moves a school (one batch per transaction: otherwise the
    schools of other packs' batches would move and these not)."""
    book = pack_book()
    with Session(engine()) as session:
        for pack_id in session.exec(select(School.pack).distinct()):
            book.pack(pack_id)
        for pack_id, version in session.exec(select(Cycle.pack, Cycle.pack_version).distinct()
                                             .where(Cycle.status == CycleStatus.open)):
            book.pack(pack_id, version)
    return book


def school_batches(batch_size: int) -> list[list[int]]:
    with Session(engine()) as session:
        ids = [i for i in session.exec(select(School.id).order_by(col(School.id))) if i is not None]
    return [ids[n:n + batch_size] for n in range(0, len(ids), batch_size)]
