"""Completing tasks: who, when and the evidence the pack asks for, then the task's action."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_attribute, set_committed_value
from sqlmodel import Session, col, select

from models import Cycle, Person, Task
from xinyu.chase.inbox import resolve_for_done
from xinyu.cycle.actions import ORG_ACTIONS, run_action
from xinyu.cycle.actions.facts import BatchFacts
from xinyu.cycle.evidence import EvidenceError, parse_evidence
from xinyu.cycle.org_index import OrgIndex, load_org_index
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.reconcile import reconcile
from xinyu.cycle.states import TaskStatus, check_task_move
from xinyu.cycle.student_picks import propose_picks, resolve_picks
from xinyu.cycle.task_factory import AUDIT, TASKS
from xinyu.db import among, insert_rows, update_rows
from xinyu.evidence_files import FileRefused, FileStore, Upload, default_store
from xinyu.evidence_files.records import check_uploads, history_view, save_uploads
from xinyu.history import record_change
from xinyu.inspections.closing import close_findings_for_done
from xinyu.locks import lock_schools
from xinyu.roles import Role, role_label


class CompletionError(ValueError):
    """A completion that is refused; nothing of it was written."""


@dataclass
class Completion:
    task_id: int
    values: dict[str, Any] = field(default_factory=dict)
    by: int | None = None  # person id; None means the assignee
    files: dict[str, list[Upload]] = field(default_factory=dict)  # file field → uploads (xinyu.evidence_files)


def complete_task(
    session: Session, *, task_id: int, values: dict[str, Any], now: datetime, book: PackBook, by: int | None = None,
    files: dict[str, list[Upload]] | None = None, store: FileStore | None = None,
) -> Task:
    """One task done, then its school's cycle moved on at once (the next step may open)."""
    (task,) = complete_tasks(session, completions=[Completion(task_id, values, by, files or {})], now=now,
                             book=book, store=store)
    reconcile(session, now=now, book=book, school_ids=[task.school_id])
    return task


def complete_tasks(session: Session, *, completions: list[Completion], now: datetime, book: PackBook,
                   store: FileStore | None = None) -> list[Task]:
    """Many tasks in one transaction (a teacher's batch, a bulk import); the caller reconciles."""
    if store is None and any(c.files for c in completions):
        store = default_store()
    ids = [c.task_id for c in completions]
    # Schools before tasks, as every mover locks them (an advance locks the school, then updates its tasks).
    lock_schools(session, set(session.exec(select(Task.school_id).where(among(session, Task.id, ids)))))
    tasks = {t.id: t for t in session.exec(select(Task).where(among(session, Task.id, ids)).with_for_update())}
    missing = [i for i in ids if i not in tasks]
    if missing:
        raise CompletionError(f"没有任务 #{missing[0]}")
    cycle_ids = {t.cycle_id for t in tasks.values()} | {t.origin_cycle_id for t in tasks.values()}
    cycles = {c.id: c for c in session.exec(select(Cycle).where(col(Cycle.id).in_(cycle_ids)))}
    org = load_org_index(session, _schools_needing_org(completions, tasks, cycles, book))
    facts = BatchFacts(session, book, [cycles[t.origin_cycle_id] for t in tasks.values()])
    audit = []
    # The batch's changes are flushed once, at its end (one executemany per table), not before each query an
    # action makes: no query of the loop reads what the loop changed, except where it flushes itself (a ledger's
    # counts, uploads, proposals).
    with session.no_autoflush:
        for completion in completions:
            task = tasks[completion.task_id]
            origin, current = cycles[task.origin_cycle_id], cycles[task.cycle_id]
            _complete_one(session, task=task, completion=completion, origin=origin, current=current, now=now,
                          book=book, org=org, facts=facts, store=store)
            audit.append({"at": now, "actor_id": task.completed_by_id, "action": "complete_task",
                          "target": f"task:{task.id}", "detail": f"fields={','.join(sorted(task.evidence))}"})
    insert_rows(session, AUDIT, audit)
    _write_completed(session, tasks.values())
    facts.send()  # the monthly reports' e-mails
    resolve_for_done(session, tasks.values(), now)  # the district's inbox item closes with its task
    close_findings_for_done(session, tasks.values(), now)  # an inspection's finding closes with its task (QD-S2)
    session.flush()
    return [tasks[c.task_id] for c in completions]


DONE_COLUMNS = ("status", "completed_at", "completed_by_id", "evidence")


def _write_completed(session: Session, tasks: Iterable[Task]) -> None:
    """The batch's completed tasks in one statement (xinyu.db.update_rows), not the ORM's flush of each: their
    four columns are written, then marked unchanged in the session. Any other change to a task (an action's)
    stays for the ORM's flush; a task flushed mid-batch (uploads, proposals) has nothing left here."""
    rows = []
    for task in tasks:
        changed = inspect(task).committed_state
        if any(name in changed for name in DONE_COLUMNS):
            rows.append({"id": task.id, **{name: getattr(task, name) for name in DONE_COLUMNS}})
            for name in DONE_COLUMNS:
                set_committed_value(task, name, getattr(task, name))
    update_rows(session, TASKS, rows)


def _schools_needing_org(
    completions: list[Completion], tasks: dict[Any, Task], cycles: dict[Any, Cycle], book: PackBook,
) -> set[int]:
    """Whose org index the batch reads: to check a completer other than the assignee, and for the actions
    that create tasks. Most completions need none (a year of 1,500 schools loaded it daily for nothing)."""
    needed = set()
    for completion in completions:
        task = tasks[completion.task_id]
        origin = cycles[task.origin_cycle_id]
        action = book.template(origin.pack, origin.month, task.step_key, task.template,
                               version=origin.pack_version).action
        if completion.by not in (None, task.assignee_id) or action in ORG_ACTIONS:
            needed.add(task.school_id)
    return needed


def _complete_one(
    session: Session, *, task: Task, completion: Completion, origin: Cycle, current: Cycle, now: datetime,
    book: PackBook, org: OrgIndex, facts: BatchFacts, store: FileStore | None = None,
) -> None:
    if task.status == TaskStatus.done:
        raise CompletionError(f"任务 #{task.id} 已于此前完成")
    if task.status == TaskStatus.carried:
        successor = session.exec(select(Task.id).where(Task.carried_from_id == task.id)).first()
        raise CompletionError(f"任务 #{task.id} 已结转到下月，请完成任务 #{successor}")
    actor = completion.by if completion.by is not None else task.assignee_id
    if actor is None:
        raise CompletionError(f"任务 #{task.id} 尚未指派（学校没有{role_label(task.role)}），请指明完成人")
    if not _may_complete(org, actor, task):
        person = session.get(Person, actor)
        raise CompletionError(
            f"{person.name if person else actor} 不是任务 #{task.id} 的负责人（应为本校{role_label(task.role)}或组长）")
    template = book.template(origin.pack, origin.month, task.step_key, task.template, version=origin.pack_version)
    try:
        evidence = parse_evidence(template.evidence, completion.values)
        checked = check_uploads(template.evidence, completion.files)
        picked = resolve_picks(session, task=task, fields=template.evidence, evidence=evidence)
    except (EvidenceError, FileRefused) as exc:
        raise CompletionError(f"任务 #{task.id}「{task.title}」：{exc}") from exc
    # set_attribute: SQLAlchemy's own setter, without SQLModel's pydantic bookkeeping per attribute (tens of
    # thousands of tasks a month)
    set_attribute(task, "status", check_task_move(task.status, TaskStatus.done))
    if checked:
        assert store is not None
        session.flush()  # the batch so far, as the uploads' own queries would have seen it (autoflush is off)
        evidence.update(save_uploads(session, task=task, checked=checked, by=actor, now=now, store=store))
        # The files given are kept with the record's history (issue 12 item 9), from this first version on.
        record_change(session, kind="evidence", record_id=task.id or 0, school_id=task.school_id, by=actor, now=now,
                      action="created", before=None, after=history_view(session, evidence, template.evidence))
    for key, value in (("completed_at", now), ("completed_by_id", actor), ("evidence", evidence)):
        set_attribute(task, key, value)
    if any(picked.values()):
        session.flush()  # as above: a proposal checks the ledger and the proposals already made
        propose_picks(session, task=task, fields=template.evidence, picked=picked, by=actor, now=now)
    if template.action:
        try:
            run_action(template.action, session, task=task, origin=origin, current=current, evidence=evidence,
                       now=now, book=book, org=org, ledger=template.ledger, facts=facts)
        except EvidenceError as exc:
            raise CompletionError(f"任务 #{task.id}「{task.title}」：{exc}") from exc


def _may_complete(org: OrgIndex, person_id: int, task: Task) -> bool:
    return (
        person_id == task.assignee_id
        or org.holds(person_id, task.school_id, task.role, task.class_id)
        or org.holds(person_id, task.school_id, Role.leader, None)
    )
