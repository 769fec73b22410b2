"""What every area of the command line shares: the one-line refusal, the database and packs, a staff name."""

import argparse
from collections.abc import Callable

from sqlmodel import Session, col, select

from models import Person, RoleAssignment
from xinyu.cycle import PackBook
from xinyu.db import make_engine
from xinyu.settings import get_settings
from xinyu.statutory import sync_calendar

Command = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


class CliError(ValueError):
    """Shown to the user as one clear line; exit code 1 (xinyu/cli/errors.py)."""


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--at", help="运行时间（ISO 8601；无时区按北京时间）")
    p.add_argument("--direct", action="store_true", help="不经 Prefect，直接调用核心（脚本与排错用）")


def engine_and_book():  # type: ignore[no-untyped-def]
    settings = get_settings()
    engine = make_engine(settings.database_url)
    sync_calendar(engine)  # imported holiday schedules (xinyu calendar import) win over the package
    return engine, PackBook(engine, pin_newest=True)


def resolve_person(session: Session, name: str, school_id: int) -> int:
    ids = set(session.exec(
        select(Person.id).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(Person.name == name, RoleAssignment.school_id == school_id)
    ))
    if not ids:
        raise CliError(f"本校没有名为 {name} 的教职工")
    if len(ids) > 1:
        raise CliError(f"本校有 {len(ids)} 位 {name}，请用任务负责人完成或联系管理员")
    (person_id,) = ids
    assert person_id is not None
    return person_id
