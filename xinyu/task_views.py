"""What a person sees of tasks (QD-S1): their list grouped by urgency, and one task with its evidence form.

Who sees a task: its assignee; the school's leadership group and psychology teachers; the holders of its
role in its class (homeroom, subject teacher) or grade (grade head). A crisis task (ledger C) only its
handler and the school leader. Never district officers, never other schools. The rule is one SQL
condition (`visible_to`), used by the list and by the task page alike.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import Cycle, Extension, Person, School, SchoolClass, Student, Task
from xinyu.access import Viewer
from xinyu.chase.explain import explain_due
from xinyu.clock import as_local
from xinyu.cycle.correction import correction_deadline, may_correct
from xinyu.cycle.evidence import describe_fields
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.cycle.system_templates import FREE_TEXT_TITLES, SYSTEM_STEP_LABELS
from xinyu.evidence_files.records import task_files
from xinyu.grades import grade_label
from xinyu.ledgers.monthly_counts import ReviewCounts, review_counts
from xinyu.links import path
from xinyu.privacy import mask_texts
from xinyu.roles import Role, role_label
from xinyu.statutory import PAGE_MAX_AGE, sync_calendar

Group = Literal["overdue", "due_soon", "open", "done"]
GROUPS: tuple[Group, ...] = ("overdue", "due_soon", "open", "done")
GROUP_LABELS: dict[str, str] = {"overdue": "已逾期", "due_soon": "即将到期", "open": "进行中", "done": "已完成"}
DUE_SOON_WORKDAYS = 3  # "即将到期": due within this many working days and not yet overdue
CRISIS_KIND = "crisis"


class TaskRow(BaseModel):
    id: int
    school_id: int
    school: str
    month: str  # the month whose cycle holds the task now
    origin_month: str  # the month whose rules made it (differs when carried over)
    step: str
    step_label: str
    title: str
    kind: str
    role: str
    role_label: str
    assignee_id: int | None
    assignee: str | None
    class_id: int | None
    class_label: str | None
    due: date
    due_estimated: bool = False  # 推定: the due date's year has no imported holiday schedule yet
    status: Literal["open", "overdue", "done", "carried"]
    group: Group | None  # None for a task carried into next month (it lives on there)
    past_due: bool = False  # open, its due date gone, not overdue until the next working day (a weekend, a holiday)
    completed_on: date | None
    late: bool  # done after its due date
    carried_over: bool
    escalation_level: Literal["none", "school", "district"]
    acknowledged: bool
    clause: str


class Option(BaseModel):
    value: str
    label: str


class PendingExtension(BaseModel):
    id: int
    task_id: int
    task_title: str
    requested_by: str | None
    workdays: int
    reason: str
    previous_due: date
    new_due: date


class TaskList(BaseModel):
    scope: Literal["mine", "all"]
    may_see_all: bool  # whether the viewer sees more than their own tasks (the 全校/本班 toggle)
    counts: dict[str, int]  # group → tasks, before the status filter
    tasks: list[TaskRow]
    steps: list[Option]
    classes: list[Option]
    months: list[str]
    pending_extensions: list[PendingExtension]  # for the school leader: requests waiting for a decision


@dataclass(frozen=True)
class TaskQuery:
    scope: Literal["mine", "all"] = "mine"
    step: str | None = None
    class_id: int | None = None
    status: Group | None = None
    month: str | None = None  # default: the open cycles (this month, with what was carried into it)


# --- who sees what ---------------------------------------------------------------------------------------


def visible_to(viewer: Viewer, grade: Any) -> ColumnElement[bool]:
    """SQL condition on Task (and the task's class grade) for the tasks this viewer may see."""
    not_crisis = col(Task.kind) != CRISIS_KIND
    led = [s for s in viewer.school_roles if viewer.leads(s)]
    whole = list(viewer.school_roles)
    grade_schools = sorted({s for s, _ in viewer.grade_scopes})
    # Their own tasks at the schools they still work at: someone whose roles there were withdrawn (a roster
    # replaced, xinyu.roster.replace) no longer reads the school's tasks, not even the ones they did.
    conditions: list[ColumnElement[bool]] = [and_(col(Task.assignee_id) == viewer.person_id,
                                                  col(Task.school_id).in_(sorted(viewer.school_ids)))]
    if led:
        conditions.append(col(Task.school_id).in_(led))
    if whole:
        conditions.append(and_(col(Task.school_id).in_(whole), not_crisis))
    if viewer.class_ids:
        conditions.append(and_(col(Task.class_id).in_(viewer.class_ids), not_crisis))
    for school_id, g in sorted(viewer.grade_scopes):
        conditions.append(and_(col(Task.school_id) == school_id, grade == g, not_crisis))
    if grade_schools:  # school-wide work for grade heads (e.g. a meeting decision for 年级主任)
        conditions.append(and_(col(Task.school_id).in_(grade_schools), col(Task.role) == Role.grade_head,
                               col(Task.class_id).is_(None)))
    return or_(*conditions)


def may_act(viewer: Viewer, row: TaskRow) -> bool:
    """Whether to offer the evidence form: the assignee, the holder of the task's role in its scope, or the school
    leader (as xinyu.cycle.completion allows). The core checks again and has the last word."""
    if row.assignee_id == viewer.person_id or viewer.leads(row.school_id):
        return True
    if row.kind == CRISIS_KIND:
        return False
    if row.class_id is not None:
        return row.class_id in viewer.class_ids and row.role in viewer.roles
    if row.role == Role.grade_head:
        return any(s == row.school_id for s, _ in viewer.grade_scopes)
    return row.role in viewer.school_roles.get(row.school_id, frozenset())


def may_ask(viewer: Viewer, row: TaskRow) -> bool:
    """Whether to offer 已知悉 and 申请延期: the assignee or a holder of the task's role in the school
    (as xinyu.chase.extensions allows; the leader decides requests, they do not make them for others)."""
    if row.assignee_id == viewer.person_id:
        return True
    if row.kind == CRISIS_KIND:
        return False
    return row.role in viewer.school_roles.get(row.school_id, frozenset()) or (
        row.role in viewer.roles and row.school_id in viewer.class_school_ids)


# --- the list --------------------------------------------------------------------------------------------


def guard_titles(session: Session, titles: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """Typed text (meeting decisions, notices, reasons) with the school's students masked (xinyu.privacy)."""
    return mask_texts(session, titles)


def step_label(book: PackBook, pack: str, month: str, key: str, version: str | None = None) -> str:
    """`version`: the stored version of the cycle that made the task (Cycle.pack_version)."""
    if key in SYSTEM_STEP_LABELS:
        return SYSTEM_STEP_LABELS[key]
    try:
        return book.pack(pack, version).step(int(month[5:]), key).label
    except StopIteration:
        return key


def _task_query(viewer: Viewer) -> Any:
    current, origin = aliased(Cycle), aliased(Cycle)
    return (
        sa_select(col(Task.id), col(Task.school_id), col(School.name), col(current.month), col(origin.month),
                  col(origin.pack), col(origin.pack_version),
                  col(Task.step_key), col(Task.title), col(Task.kind), col(Task.role), col(Task.assignee_id),
                  col(Person.name), col(Task.class_id), col(SchoolClass.grade), col(SchoolClass.name), col(Task.due),
                  col(Task.status), col(Task.completed_at), col(Task.carried_over), col(Task.escalation_level),
                  col(Task.acknowledged_at), col(Task.clause))
        .join(School, col(School.id) == col(Task.school_id))
        .join(current, col(current.id) == col(Task.cycle_id))
        .join(origin, col(origin.id) == col(Task.origin_cycle_id))
        .outerjoin(Person, col(Person.id) == col(Task.assignee_id))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Task.class_id))
        .where(visible_to(viewer, col(SchoolClass.grade)))
    ), current


class _Rows:
    """Turns query rows into TaskRows: pack labels, the overdue rule per pack, free-text titles guarded."""

    def __init__(self, book: PackBook, today: date, session: Session) -> None:
        sync_calendar(session, PAGE_MAX_AGE)  # 推定 marks follow a schedule imported meanwhile
        self.book, self.today = book, today
        self._cutoffs: dict[tuple[str, str], tuple[date, date]] = {}

    def _limits(self, pack: str, version: str) -> tuple[date, date]:
        """(overdue if due before, due soon if due on or before) for the calendar of a stored pack version."""
        if (pack, version) not in self._cutoffs:
            work = self.book.calendar(pack, version)
            self._cutoffs[(pack, version)] = (work.overdue_cutoff(self.today),
                                              work.add_workdays(self.today, DUE_SOON_WORKDAYS))
        return self._cutoffs[(pack, version)]

    def row(self, raw: Any) -> TaskRow:
        (task_id, school_id, school, month, origin_month, pack, version, step_key, title, kind, role, assignee_id,
         assignee, class_id, grade, class_name, due, status, completed_at, carried_over, escalation, acknowledged_at,
         clause) = raw
        overdue_before, soon_until = self._limits(pack, version)
        shown_status = "overdue" if status == TaskStatus.open and due < overdue_before else status
        group: Group | None = None
        if status == TaskStatus.done:
            group = "done"
        elif status == TaskStatus.open:
            group = "overdue" if due < overdue_before else "due_soon" if due <= soon_until else "open"
        completed_on = as_local(completed_at).date() if completed_at else None
        return TaskRow(
            id=task_id, school_id=school_id, school=school, month=month, origin_month=origin_month, step=step_key,
            step_label=step_label(self.book, pack, origin_month, step_key, version),
            title=title, kind=kind,
            role=role, role_label=role_label(role), assignee_id=assignee_id, assignee=assignee, class_id=class_id,
            class_label=f"{grade_label(grade)}{class_name}" if class_id is not None else None, due=due,
            due_estimated=self.book.calendar(pack, version).is_estimated(due), status=shown_status, group=group,
            completed_on=completed_on, past_due=status == TaskStatus.open and due < self.today,
            late=completed_on is not None and completed_on > due, carried_over=carried_over,
            escalation_level=escalation if escalation in ("school", "district") else "none",
            acknowledged=acknowledged_at is not None, clause=clause,
        )


def list_my_tasks(session: Session, viewer: Viewer, *, today: date, book: PackBook,
                  query: TaskQuery = TaskQuery()) -> TaskList:
    """The viewer's tasks (or, with scope "all", every task they may see), grouped by urgency."""
    may_see_all = bool(viewer.school_roles or viewer.class_ids or viewer.grade_scopes)
    scope = query.scope if may_see_all else "mine"
    sql, current = _task_query(viewer)
    sql = sql.where(col(Task.status) != TaskStatus.carried)  # the carried copy lives on in next month
    in_month = (col(Cycle.month) == query.month) if query.month else (col(Cycle.status) == CycleStatus.open)
    if scope == "mine":
        sql = sql.where(col(Task.assignee_id) == viewer.person_id)
    else:  # the month's cycles of the viewer's schools first: an index lookup, not a year of the school's tasks
        cycles = list(session.exec(select(Cycle.id).where(col(Cycle.school_id).in_(viewer.school_ids), in_month)))
        sql = sql.where(col(Task.cycle_id).in_(cycles))
    if query.month:
        sql = sql.where(current.month == query.month)
    else:
        sql = sql.where(current.status == CycleStatus.open)
    if query.step:
        sql = sql.where(col(Task.step_key) == query.step)
    if query.class_id is not None:
        sql = sql.where(col(Task.class_id) == query.class_id)
    rows = _Rows(book, today, session)
    tasks = _guarded(session, [rows.row(r) for r in session.execute(sql.order_by(col(Task.due), col(Task.id)))])
    counts = {g: sum(t.group == g for t in tasks) for g in GROUPS}
    if query.status is not None:
        tasks = [t for t in tasks if t.group == query.status]
    order = {g: n for n, g in enumerate(GROUPS)}
    tasks.sort(key=lambda t: (order.get(t.group or "done", 9), t.due, t.id))
    steps, classes, months = _options(session, viewer, book)
    return TaskList(scope=scope, may_see_all=may_see_all, counts=counts, tasks=tasks, steps=steps,
                    classes=classes, months=months, pending_extensions=_pending_extensions(session, viewer))


def _pending_extensions(session: Session, viewer: Viewer) -> list[PendingExtension]:
    """Extension requests of open tasks in the schools the viewer leads (组长 decides them)."""
    led = [s for s in viewer.school_roles if viewer.leads(s)]
    if not led:
        return []
    rows = list(session.execute(
        sa_select(Extension, col(Task.title), col(Task.kind), col(Task.school_id), col(Person.name))
        .join(Task, col(Task.id) == col(Extension.task_id))
        .outerjoin(Person, col(Person.id) == col(Extension.requested_by_id))
        .where(col(Extension.status) == "requested", col(Task.status) == TaskStatus.open,
               col(Task.school_id).in_(led))
        .order_by(col(Extension.id))))
    texts = {(school_id, e.reason) for e, _, _, school_id, _ in rows}
    texts |= {(school_id, title) for _, title, kind, school_id, _ in rows if kind in FREE_TEXT_TITLES}
    guarded = guard_titles(session, texts)
    return [PendingExtension(id=e.id or 0, task_id=e.task_id, task_title=guarded.get((school_id, title), title),
                             requested_by=name, workdays=e.workdays, reason=guarded[(school_id, e.reason)],
                             previous_due=e.previous_due, new_due=e.new_due)
            for e, title, _, school_id, name in rows]


def _guarded(session: Session, rows: list[TaskRow]) -> list[TaskRow]:
    """The rows with typed titles guarded (see guard_titles)."""
    typed = {(r.school_id, r.title) for r in rows if r.kind in FREE_TEXT_TITLES}
    if not typed:
        return rows
    guarded = guard_titles(session, typed)
    return [r.model_copy(update={"title": guarded[(r.school_id, r.title)]}) if r.kind in FREE_TEXT_TITLES else r
            for r in rows]


def _options(session: Session, viewer: Viewer, book: PackBook) -> tuple[list[Option], list[Option], list[str]]:
    """The filters' choices: the steps of the viewer's packs, the classes they see, the months that exist."""
    school_ids = sorted(viewer.school_ids)
    if not school_ids:
        return [], [], []
    packs = sorted(set(session.exec(select(School.pack).where(col(School.id).in_(school_ids)))))
    steps: dict[str, str] = {}
    for pack_id in packs:
        pack = book.pack(pack_id)
        for variant in pack.variants.values():
            for step in variant.steps:
                steps.setdefault(step.key, step.label)
    steps.update(SYSTEM_STEP_LABELS)
    classes = select(SchoolClass).where(col(SchoolClass.school_id).in_(school_ids))
    seen = [c for c in session.exec(classes.order_by(col(SchoolClass.school_id), col(SchoolClass.grade),
                                                     col(SchoolClass.name)))
            if c.id is not None and viewer.sees_class(c.school_id, c.id, c.grade)]
    months = sorted(set(session.exec(select(Cycle.month).where(col(Cycle.school_id).in_(school_ids)))),
                    reverse=True)
    return ([Option(value=k, label=v) for k, v in steps.items()],
            [Option(value=str(c.id), label=f"{grade_label(c.grade)}{c.name}") for c in seen], months)


# --- one task --------------------------------------------------------------------------------------------


class FieldSpec(BaseModel):
    name: str
    label: str
    type: Literal["text", "int", "bool", "date", "datetime", "choice", "file", "students"]
    required: bool
    choices: list[str]
    min: int | None = None  # type int: the pack's bounds
    max: int | None = None
    # type file only (absent from the other fields' JSON): image / pdf / doc, checked by content; limits
    accept: list[str] | None = Field(default=None, exclude_if=lambda v: v is None)
    max_mb: float | None = Field(default=None, exclude_if=lambda v: v is None)
    max_files: int | None = Field(default=None, exclude_if=lambda v: v is None)

    proposes: Literal["B"] | None = None  # type students: each pick proposes a ledger B entry
    options: list[Option] = []  # type students: the class list (value 学号, label 学号 姓名)


class FileItem(BaseModel):
    """A file given as evidence; `removed_at` set once removed or replaced (it stays stored and downloadable)."""

    id: int
    field: str
    label: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    uploaded_at: datetime | None
    removed_at: datetime | None
    url: str


class EvidenceValue(BaseModel):
    name: str
    label: str
    value: str | int | bool | list[str] | None
    shown: str | None = None  # students: 学号 and name, for the school's own pages


class ExtensionItem(BaseModel):
    id: int
    status: Literal["requested", "approved", "refused"]
    workdays: int
    reason: str
    requested_by: str | None
    requested_at: datetime | None
    previous_due: date
    new_due: date
    decided_by: str | None
    decided_at: datetime | None
    note: str


class TaskDetail(BaseModel):
    task: TaskRow
    due_explained: list[str]
    fields: list[FieldSpec]
    evidence: list[EvidenceValue]
    completed_by: str | None
    completed_at: datetime | None
    acknowledged_at: datetime | None
    extensions: list[ExtensionItem]
    carried_from_id: int | None
    carried_to_id: int | None
    may_act: bool  # may complete it (when open)
    may_ask: bool  # may acknowledge it and ask for more time (when open)
    may_decide: bool  # the school leader decides extension requests
    files: list[FileItem] = []  # evidence files, current and removed (seen by whoever sees the task)
    may_correct: bool = False  # the author, within the month of completion (xinyu.cycle.correction)
    correct_until: date | None = None
    may_read_history: bool = False  # the author and the school leader read the evidence's history
    files_only: bool = False  # the system acted on the evidence (minutes, reviews…): a correction takes files only
    ledger_counts: ReviewCounts | None = None  # a ledger task: 本月新增/更新, counted from the ledger's rows
    clause_text: str = ""  # the words of task.clause as the pack quotes them; "" when it does not
    responsible: str = ""  # 责任单位 (HLJ-all): the template's, else its role's label


def find_task(session: Session, viewer: Viewer, task_id: int, *, today: date, book: PackBook) -> TaskRow | None:
    """The task if this viewer may see it; None otherwise (the caller answers 404 either way)."""
    sql, _ = _task_query(viewer)
    found = session.execute(sql.where(col(Task.id) == task_id)).first()
    if found is None:
        return None
    row = _Rows(book, today, session).row(found)
    # The task's own page shows what its line in the list shows: typed text with students masked.
    return _guarded(session, [row])[0]


def task_detail(session: Session, viewer: Viewer, task_id: int, *, today: date, book: PackBook,
                now: datetime | None = None) -> TaskDetail | None:
    row = find_task(session, viewer, task_id, today=today, book=book)
    if row is None:
        return None
    task = session.get(Task, task_id)
    assert task is not None
    origin = session.get(Cycle, task.origin_cycle_id)
    assert origin is not None
    template = book.template(origin.pack, origin.month, task.step_key, task.template, version=origin.pack_version)
    fields = [FieldSpec(**f) for f in describe_fields(template.evidence)]
    labels = {f.name: f.label for f in fields}
    file_names = {f.name for f in fields if f.type == "file"}
    evidence = [EvidenceValue(name=k, label=labels.get(k, LEGACY_LABELS.get(k, k)), value=v)
                for k, v in task.evidence.items() if k not in file_names]
    stored = task_files(session, task_id)
    if any(f.type == "students" for f in fields):
        _class_list(session, task, fields, evidence)
    extensions = list(session.exec(select(Extension).where(Extension.task_id == task_id)
                                   .order_by(col(Extension.id))))
    people = _names(session, [task.completed_by_id] + [e.requested_by_id for e in extensions]
                    + [e.decided_by_id for e in extensions] + [f.uploaded_by_id for f in stored])
    typed = {(task.school_id, text) for e in extensions for text in (e.reason, e.decision_note)}
    reasons = guard_titles(session, typed)  # the reasons and the leader's notes, students masked
    carried_to = None
    if task.status == TaskStatus.carried:  # its successor, found through the (indexed) lineage of the chain
        carried_to = session.exec(select(Task.id).where(Task.lineage_id == (task.lineage_id or task.id),
                                                        Task.carried_from_id == task_id)).first()
    lines = explain_due(session, task_id=task_id, book=book)
    if row.title != task.title:
        lines[0] = f"任务 #{task.id}「{row.title}」"
    return TaskDetail(
        task=row, due_explained=lines, fields=fields, evidence=evidence,
        completed_by=people.get(task.completed_by_id or 0), completed_at=task.completed_at,
        acknowledged_at=task.acknowledged_at,
        extensions=[ExtensionItem(
            id=e.id or 0, status=e.status if e.status in ("approved", "refused") else "requested",
            workdays=e.workdays, reason=reasons[(task.school_id, e.reason)],
            requested_by=people.get(e.requested_by_id or 0), requested_at=e.requested_at,
            previous_due=e.previous_due, new_due=e.new_due, decided_by=people.get(e.decided_by_id or 0),
            decided_at=e.decided_at, note=reasons[(task.school_id, e.decision_note)]) for e in extensions],
        carried_from_id=task.carried_from_id, carried_to_id=carried_to,
        may_act=row.status in ("open", "overdue") and may_act(viewer, row),
        may_ask=row.status in ("open", "overdue") and may_ask(viewer, row),
        may_decide=viewer.leads(task.school_id),
        files=[FileItem(id=f.id or 0, field=f.field, label=labels.get(f.field, f.field), name=f.name,
                        content_type=f.content_type, size=f.size, sha256=f.sha256,
                        uploaded_by=people.get(f.uploaded_by_id or 0), uploaded_at=f.uploaded_at,
                        removed_at=f.removed_at, url=path("evidence_file", task_id=task_id, file_id=f.id))
               for f in stored],
        may_correct=now is not None and may_correct(task, viewer.person_id, now),
        correct_until=correction_deadline(task.completed_at).date() if task.completed_at else None,
        may_read_history=task.completed_by_id == viewer.person_id or viewer.leads(task.school_id),
        files_only=template.action is not None,
        ledger_counts=_ledger_counts(session, viewer, row, task, template.ledger if template.action == "ledger_review"
                                     else None, origin),
        clause_text=book.pack(origin.pack, origin.pack_version).clause_text(task.clause),
        responsible=template.responsible_unit,
    )


def _class_list(session: Session, task: Task, fields: list[FieldSpec], evidence: list[EvidenceValue]) -> None:
    """A students field's options (the task's class list) and the picks shown with names (school pages only)."""
    students = [(no, name) for no, name in session.exec(
        select(Student.student_no, Student.name).where(Student.class_id == task.class_id)
        .order_by(col(Student.student_no)))] if task.class_id is not None else []
    options = [Option(value=no, label=f"{no} {name}") for no, name in students]
    names = dict(students)
    for spec in fields:
        if spec.type == "students":
            spec.options = options
    kinds = {f.name: f.type for f in fields}
    for item in evidence:
        if kinds.get(item.name) == "students":
            if isinstance(item.value, list):
                item.shown = "、".join(f"{no} {names.get(no, '')}".strip() for no in item.value) or "（无）"
            else:  # a count typed before picks existed
                item.shown = f"{item.value} 人"



# Evidence fields a pack no longer asks for, still shown on the tasks completed with them.
LEGACY_LABELS = {"changed": "本月新增或更新条数（填报）"}


def _ledger_counts(session: Session, viewer: Viewer, row: TaskRow, task: Task, ledger: str | None,
                   origin: Cycle) -> ReviewCounts | None:
    """Ledger C's counts tell of cases: only for whoever may act on its task and the leader."""
    if ledger is None or origin.id is None:
        return None
    if ledger == "C" and not (may_act(viewer, row) or viewer.leads(task.school_id)):
        return None
    return review_counts(session, ledger=ledger, cycle_id=origin.id, school_id=origin.school_id, month=origin.month,
                         done=task.status == TaskStatus.done)


def _names(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {i: n for i, n in session.exec(select(Person.id, Person.name).where(col(Person.id).in_(wanted)))
            if i is not None}
