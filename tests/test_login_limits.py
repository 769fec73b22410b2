"""The failed-password limit under concurrency, at the level of the reservation itself (SQLite and PostgreSQL)."""

import threading

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from models import LoginAttempt
from tests.web.world import NOW
from xinyu.login_limits import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_LOGIN, reserve_attempt


def _reserve_at_once(engine: Engine, keys: list[str], addresses: list[str]) -> list[int | None]:
    start = threading.Barrier(len(keys))
    results: list[int | None] = []

    def reserve(key: str, address: str) -> None:
        with Session(engine) as session:
            start.wait()
            results.append(reserve_attempt(session, key=key, address=address, now=NOW))

    threads = [threading.Thread(target=reserve, args=pair) for pair in zip(keys, addresses, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_forty_reservations_at_once_for_one_person_grant_five(engine: Engine) -> None:
    granted = _reserve_at_once(engine, ["person:7"] * 40, [f"10.0.0.{i}" for i in range(40)])
    assert sum(r is not None for r in granted) == MAX_FAILURES_PER_LOGIN
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(LoginAttempt)).one() == MAX_FAILURES_PER_LOGIN


def test_forty_reservations_at_once_from_one_address_grant_twenty(engine: Engine) -> None:
    granted = _reserve_at_once(engine, [f"person:{i}" for i in range(40)], ["10.0.0.1"] * 40)
    assert sum(r is not None for r in granted) == MAX_FAILURES_PER_ADDRESS
