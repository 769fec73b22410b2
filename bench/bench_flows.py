"""Prefect flows the benchmark needs besides flows/monthly_cycle.py.

- `complete_flow`: the people's completions at our granularity, one Prefect task per batch of
  schools calling complete_tasks (the cycle moves on in the next advance_flow, as in production).
- `naive_*`: the baseline granularity — one Prefect task per school for school-level work (open,
  advance, school tasks) and one per class for class-level work (the task completed and its school
  reconciled in the same Prefect task, as complete_task does).

Retries and task runner are those of the real flows, so only the granularity differs. The
completion flows exist in an async and a sync flavour: a synchronous Prefect 3.8 flow waits about
1 s at exit for its heartbeat thread, an async one does not (DESIGN principle 6). The benchmark uses
the async flavour for the completions it models (both OURS and BASELINE) unless told otherwise;
open and advance are the project's own flows (sync) for OURS, and sync per-school flows for BASELINE.
"""

from datetime import datetime
from typing import Any

from prefect import flow, task
from sqlmodel import Session, col, select

from bench.lifecycle_work import open_task_completions
from flows.monthly_cycle import _total, list_batches
from flows.runtime import engine, pack_book
from models import Task
from xinyu.clock import parse_at
from xinyu.cycle import advance, complete_tasks, open_month, reconcile
from xinyu.cycle.states import TaskStatus
from xinyu.db import transaction

# --- ours: one Prefect task per batch of schools --------------------------------------------------

@task(retries=2, retry_delay_seconds=[2, 10])
def complete_batch(school_ids: list[int], now: datetime, seed: int) -> dict[str, int]:
    """Every open task of a batch of schools completed in one transaction."""
    with transaction(engine()) as session:
        book = pack_book()
        completions = open_task_completions(session, now=now, book=book, seed=seed, school_ids=school_ids)
        if completions:
            complete_tasks(session, completions=completions, now=now, book=book)
        return {"completed": len(completions), "prefect_tasks": 1}


def _complete_batches(at: str, batch_size: int, seed: int) -> dict[str, int]:
    now = parse_at(at)
    futures = [complete_batch.submit(batch, now, seed) for batch in list_batches(batch_size)]
    total = _total([f.result() for f in futures])
    total["prefect_tasks"] = total.get("prefect_tasks", 0) + 1  # list_batches
    return total


@flow(name="bench-complete-batches", log_prints=False)
async def complete_flow(at: str, batch_size: int, seed: int) -> dict[str, int]:
    return _complete_batches(at, batch_size, seed)


@flow(name="bench-complete-batches-sync", log_prints=False)
def complete_flow_sync(at: str, batch_size: int, seed: int) -> dict[str, int]:
    return _complete_batches(at, batch_size, seed)


# --- baseline: one Prefect task per school, one per class ---------------------------------------------

@task(retries=2, retry_delay_seconds=[2, 10])
def naive_open_school(school_id: int, month: str, now: datetime) -> dict[str, Any]:
    with transaction(engine()) as session:
        return vars(open_month(session, month=month, now=now, book=pack_book(), school_ids=[school_id]))


@task(retries=2, retry_delay_seconds=[2, 10])
def naive_advance_school(school_id: int, now: datetime) -> dict[str, Any]:
    with transaction(engine()) as session:
        result = advance(session, now=now, book=pack_book(), school_ids=[school_id])
        return {**vars(result), "opened": vars(result.opened)}


@task(retries=2, retry_delay_seconds=[2, 10])
def naive_complete_class_task(task_id: int, school_id: int, now: datetime, seed: int) -> dict[str, int]:
    """One class's task completed, then its school reconciled (complete_task's behaviour)."""
    with transaction(engine()) as session:
        book = pack_book()
        completions = open_task_completions(session, now=now, book=book, seed=seed, task_ids=[task_id])
        if completions:
            complete_tasks(session, completions=completions, now=now, book=book)
            reconcile(session, now=now, book=book, school_ids=[school_id])
        return {"completed": len(completions), "prefect_tasks": 1}


@task(retries=2, retry_delay_seconds=[2, 10])
def naive_complete_school_tasks(school_id: int, task_ids: list[int], now: datetime, seed: int) -> dict[str, int]:
    """A school's school-level tasks open at the start of the round (consolidation, ledgers, minutes, …)."""
    with transaction(engine()) as session:
        book = pack_book()
        completions = open_task_completions(session, now=now, book=book, seed=seed, school_ids=[school_id],
                                            task_ids=task_ids)
        if completions:
            complete_tasks(session, completions=completions, now=now, book=book)
        return {"completed": len(completions), "prefect_tasks": 1}


@task(retries=2, retry_delay_seconds=[2, 10])
def list_open_tasks() -> list[tuple[int, int, int | None]]:
    """(task id, school id, class id) of every open task, at the start of the round."""
    with Session(engine()) as session:
        return [(i, s, c) for i, s, c in session.exec(
            select(Task.id, Task.school_id, Task.class_id).where(Task.status == TaskStatus.open)
            .order_by(col(Task.id))) if i is not None]


@flow(name="bench-naive-open-month", log_prints=False)
def naive_open_flow(month: str, at: str) -> dict[str, int]:
    now = parse_at(at)
    futures = [naive_open_school.submit(batch[0], month, now) for batch in list_batches(1)]
    return {**_total([f.result() for f in futures]), "prefect_tasks": len(futures) + 1}


@flow(name="bench-naive-advance", log_prints=False)
def naive_advance_flow(at: str) -> dict[str, int]:
    now = parse_at(at)
    futures = [naive_advance_school.submit(batch[0], now) for batch in list_batches(1)]
    return {**_total([f.result() for f in futures]), "prefect_tasks": len(futures) + 1}


def _naive_complete(at: str, seed: int) -> dict[str, int]:
    now = parse_at(at)
    open_tasks = list_open_tasks()
    school_tasks: dict[int, list[int]] = {}
    futures = []
    for task_id, school_id, class_id in open_tasks:
        if class_id is not None:
            futures.append(naive_complete_class_task.submit(task_id, school_id, now, seed))
        else:
            school_tasks.setdefault(school_id, []).append(task_id)
    futures += [naive_complete_school_tasks.submit(school_id, ids, now, seed)
                for school_id, ids in school_tasks.items()]
    total = _total([f.result() for f in futures])
    total["prefect_tasks"] = total.get("prefect_tasks", 0) + 1  # the listing task
    return total


@flow(name="bench-naive-complete", log_prints=False)
async def naive_complete_flow(at: str, seed: int) -> dict[str, int]:
    return _naive_complete(at, seed)


@flow(name="bench-naive-complete-sync", log_prints=False)
def naive_complete_flow_sync(at: str, seed: int) -> dict[str, int]:
    return _naive_complete(at, seed)
