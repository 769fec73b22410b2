"""Advance-side faults of the fault table (issue 5): two workers at once, the database connection dropped
mid-advance, SIGKILL during advance and during dispatch, a clock set back. Each injector runs a small
sample district day by day (tests/faults/advance_run.py), injects its fault `times` times, and compares the
end with a clean run of the same days (tests/state_snapshot.py) and with xinyu.consistency; deliveries are
counted by dedupe key on a real SMTP server (aiosmtpd on loopback).
"""

import math
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select, text, update
from sqlmodel import Session

from models import ChaseEvent, School
from tests.faults.advance_run import (
    Worker,
    World,
    advance_all,
    at,
    build_world,
    clean_run,
    days,
    delivery_counts,
    dispatch_now,
    outbox_keys,
    people_work,
    problems,
)
from tests.faults.report import FaultRow, Injector
from tests.notifications.faults import run_with_kills
from tests.notifications.servers import SmtpServer
from tests.state_snapshot import describe_difference, snapshot
from xinyu.chase import run_chase
from xinyu.consistency import check_consistency
from xinyu.locks import ClockBehind

SIGKILL = -9


def _row(fault: str, injected: int, keys: list[str], deliveries: Counter[str], inconsistent: int,
         note: str) -> FaultRow:
    delivered, duplicated, lost = delivery_counts(keys, deliveries)
    return FaultRow(fault=fault, injected=injected, queued=len(keys), delivered=delivered, duplicated=duplicated,
                    lost=lost, inconsistent=inconsistent, note=note)


# ---------------------------------------------------------------- two workers at once


def two_workers_at_once(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    """`times` simulated days; each day two worker processes advance every school at the same moment (one
    batch after another, in opposite orders, so they meet on every school), then both dispatch at once."""
    day_list = days(times)
    with SmtpServer() as reference_server, SmtpServer() as server:
        reference = clean_run(build_world(new_db(), workdir / "clean", seed=seed, smtp_url=reference_server.url),
                              day_list, seed)
        world = build_world(new_db(), workdir / "run", seed=seed, smtp_url=server.url)
        workers = [Worker(world.env()), Worker(world.env())]
        failed = 0
        try:
            for day in day_list:
                people_work(world, day, seed)
                for command in (f"advance {at(day).isoformat()}", f"dispatch {at(day, 18).isoformat()}"):
                    for worker, order in zip(workers, ("asc", "desc"), strict=True):
                        worker.start(f"{command} {order}")
                    failed += sum(1 for worker in workers if worker.finish() != 0)
        finally:
            for worker in workers:
                worker.close()
        keys = outbox_keys(world.engine)
        strays = sum(n for k, n in server.recorder.deliveries.items() if k not in set(keys))
        found = problems(world, reference)
        return _row("两个工作进程同时推进并发送", times, keys, server.recorder.deliveries,
                    len(found) + failed + strays,
                    f"{times} 轮 × 2 进程；失败的运行 {failed}，无出处的投递 {strays}" + _first(found))


# ---------------------------------------------------------------- the database connection dropped mid-advance


class ConnectionDropper:
    """Counts the engine's statements; at the chosen one, terminates its backend (pg_terminate_backend,
    waiting until it is gone) just before the statement goes out, so that statement and its transaction fail."""

    def __init__(self, engine: Engine, admin: Engine) -> None:
        self.engine, self.admin = engine, admin
        self.count, self.target, self.fired = 0, 0, False
        event.listen(engine, "before_cursor_execute", self.before)

    def before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        self.count += 1
        if self.count == self.target:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with self.admin.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            self.fired = True

    def arm(self, target: int) -> None:
        self.count, self.target, self.fired = 0, target, False

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self.before)


def db_dropped_mid_advance(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    """The advancing connection's backend terminated after the N-th statement of a day's advance (N drawn
    from that day's statements in the clean run), `times` times over 10 days; after each, the next run."""
    url = new_db()
    if not url.startswith("postgresql"):
        return FaultRow("推进中数据库连接中断", 0, 0, 0, 0, 0, 0, "只在 PostgreSQL 上注入")
    rng = random.Random(seed)
    day_list = days(10)
    per_day = math.ceil(times / len(day_list))
    with SmtpServer() as reference_server, SmtpServer() as server:
        clean = build_world(url, workdir / "clean", seed=seed, smtp_url=reference_server.url)
        counter = ConnectionDropper(clean.engine, clean.engine)
        statements = []
        for day in day_list:  # the clean run, counting each day's advance statements
            people_work(clean, day, seed)
            counter.arm(0)
            advance_all(clean.engine, clean.book, at(day))
            statements.append(counter.count)
            dispatch_now(clean, at(day, 18))
        counter.close()
        reference = snapshot(clean.engine)
        world = build_world(new_db(), workdir / "run", seed=seed, smtp_url=server.url)
        dropper = ConnectionDropper(world.engine, clean.engine)
        dropped, targets = 0, []
        try:
            for day, count in zip(day_list, statements, strict=True):
                people_work(world, day, seed)
                for _ in range(min(per_day, times - dropped)):
                    target = rng.randint(1, count)
                    dropper.arm(target)
                    try:
                        advance_all(world.engine, world.book, at(day))
                    except Exception:  # the dropped connection, as the flow's task would see it
                        pass
                    dropped += dropper.fired
                    targets.append(target)
                dropper.arm(0)
                advance_all(world.engine, world.book, at(day))  # the next run
                dispatch_now(world, at(day, 18))
        finally:
            dropper.close()
        found = problems(world, reference)
        return _row("推进中数据库连接中断（pg_terminate_backend）", dropped, outbox_keys(world.engine),
                    server.recorder.deliveries, len(found),
                    f"在第 {min(targets, default=0)}–{max(targets, default=0)} 条语句处中断（每日共 "
                    f"{min(statements)}–{max(statements)} 条）" + _first(found))


# ---------------------------------------------------------------- SIGKILL during advance


def sigkill_during_advance(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    """A worker process running a day's advance SIGKILLed at a random moment of it (drawn from the clean
    run's duration of that day), `times` times over 10 days; after each day's kills, a run that finishes."""
    rng = random.Random(seed)
    day_list = days(10)
    per_day = math.ceil(times / len(day_list))
    with SmtpServer() as reference_server, SmtpServer() as server:
        clean = build_world(new_db(), workdir / "clean", seed=seed, smtp_url=reference_server.url)
        durations = []
        for day in day_list:
            people_work(clean, day, seed)
            started = time.perf_counter()
            advance_all(clean.engine, clean.book, at(day))
            durations.append(time.perf_counter() - started)
            dispatch_now(clean, at(day, 18))
        reference = snapshot(clean.engine)
        world = build_world(new_db(), workdir / "run", seed=seed, smtp_url=server.url)
        worker = Worker(world.env())
        kills = tries = failed = 0
        try:
            for day, duration in zip(day_list, durations, strict=True):
                people_work(world, day, seed)
                for _ in range(4 * per_day):  # a kill may land after the run ended: try again
                    if kills >= times or kills >= per_day * (day_list.index(day) + 1):
                        break
                    tries += 1
                    pid = worker.start(f"advance {at(day).isoformat()} asc")
                    timer = threading.Timer(rng.uniform(0, duration * 1.5) + 0.05, _kill, [pid])
                    timer.start()
                    code = worker.finish()
                    timer.cancel()
                    kills += code == SIGKILL
                    failed += code not in (0, SIGKILL)
                worker.start(f"advance {at(day).isoformat()} asc")  # the next run
                failed += worker.finish() != 0
                dispatch_now(world, at(day, 18))
        finally:
            worker.close()
        found = problems(world, reference)
        return _row("推进中工作进程被 SIGKILL", kills, outbox_keys(world.engine), server.recorder.deliveries,
                    len(found) + failed, f"{tries} 次运行中 {kills} 次被杀；其他失败 {failed}" + _first(found))


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)  # not reaped until the worker is asked: still this child's pid
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------- SIGKILL during dispatch


def sigkill_during_dispatch(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    """Ten days of advance queue the district's mail; dispatchers sending it are SIGKILLed `times` times
    (tests/notifications/faults.py run_with_kills: mid-SMTP-transaction or at a random delay)."""
    with SmtpServer() as server:
        world = build_world(new_db(), workdir / "run", seed=seed, smtp_url=server.url)
        for day in days(10):
            people_work(world, day, seed)
            advance_all(world.engine, world.book, at(day))
        server.recorder.data_delay = 0.002  # so timed kills land mid-run
        last = at(days(10)[-1], 18).isoformat()
        most = max(2, len(outbox_keys(world.engine)) // 8)
        report = run_with_kills(engine=world.engine, server=server, env=world.env(), at=last, kills=times, seed=seed,
                                most_per_run=most)
        with Session(world.engine) as session:
            found = check_consistency(session, world.book)
        return FaultRow("发送中工作进程被 SIGKILL", report.kills, report.queued, report.delivered, report.duplicated,
                        report.lost, len(found) + report.unexplained,
                        f"重复 {report.duplicated} 封均为被杀时在途（已送达未记录 {report.delivered_unrecorded}）；"
                        f"无法解释的重复 {report.unexplained}" + _first(found))


# ---------------------------------------------------------------- clock skew


def earlier_times(rng: random.Random, last: date, first: date, count: int) -> list[tuple[date, int]]:
    """Earlier clocks: the same day in the morning, the day before, any earlier day, last month."""
    kinds = [(last, 9), (last - timedelta(days=1), 17), (first - timedelta(days=10), 17)]
    span = (last - first).days
    while len(kinds) < count:
        kinds.append((first + timedelta(days=rng.randint(0, max(0, span - 1))), rng.randint(7, 17)))
    return kinds[:count]


def clock_skew(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    """Runs every fourth day (the scheduler missed the others) up to T, then `times` advances (with chase and
    digests) and dispatches at earlier clocks: each must change nothing; then the next run goes on as in a
    clean run. Also measured: what a chase on each missed day before T would fire if the schools did not
    remember their latest chase (school.chased_at): the reminders T rightly skipped, sent late."""
    rng = random.Random(seed)
    run_days = days(25)[::4]  # 10-08 … 11-01: the last run opens November
    with SmtpServer() as reference_server, SmtpServer() as server:
        reference = clean_run(build_world(new_db(), workdir / "clean", seed=seed, smtp_url=reference_server.url),
                              run_days, seed)
        world = build_world(new_db(), workdir / "run", seed=seed, smtp_url=server.url)
        for day in run_days[:-1]:
            people_work(world, day, seed)
            advance_all(world.engine, world.book, at(day))
            dispatch_now(world, at(day, 18))
        before = snapshot(world.engine)
        refused = changed = 0
        for day, hour in earlier_times(rng, run_days[-2], run_days[0], times):
            try:
                advance_all(world.engine, world.book, at(day, hour))
            except ClockBehind:
                refused += 1
            dispatch_now(world, at(day, hour))
            changed += bool(describe_difference(before, snapshot(world.engine)))
        missed = [day for day in days((run_days[-2] - run_days[0]).days) if day not in run_days]
        unguarded = sum(_fired_without_the_mark(world, at(day)) for day in missed)
        people_work(world, run_days[-1], seed)  # the next run, as the clean run had it
        advance_all(world.engine, world.book, at(run_days[-1]))
        dispatch_now(world, at(run_days[-1], 18))
        found = problems(world, reference)
        return _row("时钟回拨（更早的 --at）", times, outbox_keys(world.engine), server.recorder.deliveries,
                    len(found) + changed,
                    f"拒绝 {refused} 次（早一天及以上）；改动了已有状态 {changed} 次；若不记上次催办时间，"
                    f"在漏跑的日子补跑催办会迟发 {unguarded} 个梯级" + _first(found))


def _fired_without_the_mark(world: World, earlier: Any) -> int:
    """How many rungs the chase at an earlier day fires with the schools' latest chase forgotten; rolled back."""
    with Session(world.engine) as session:
        events = select(func.count()).select_from(ChaseEvent)
        session.execute(update(School).values(chased_at=None))
        before = session.execute(events).scalar_one()
        run_chase(session, now=earlier, book=world.book)
        fired = session.execute(events).scalar_one() - before
        session.rollback()
    return fired


def _first(found: list[str]) -> str:
    return f"；{found[0][:200]}" if found else ""


INJECTORS: list[Injector] = [two_workers_at_once, db_dropped_mid_advance, sigkill_during_advance,
                             sigkill_during_dispatch, clock_skew]
