"""The baseline for bench/web_pages.py: the board, my-tasks and inbox pages' data read row by row.

Each function returns the same view model as its counterpart in the core (xinyu.month_board, xinyu.task_views,
xinyu.chase.inbox_page), the way a first implementation would read it: load the list, then for each row
`session.get` its person, class, school and cycles, ask for a carried chain's newest task, guard one typed title.
(The session's identity map still spares a second `get` of the same row, as it would in that first version.)
The wording of cells, rows and labels is the core's own: only the query pattern differs.

`naive_router()` serves them under /naive/… with the very templates and context of the real pages, so the
benchmark compares whole pages and can check that both render the same HTML.
"""

from collections import Counter, defaultdict
from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from models import Cycle, District, Escalation, Extension, Person, School, SchoolClass, Step, Task
from web.context import db_session, web_context
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer, visible_class_ids
from xinyu.chase.calendar import chase_calendar
from xinyu.chase.inbox import InboxFilter, InboxItem, NoticeState, _filtered, _ordered, count_escalations
from xinyu.chase.inbox_page import PAGE_SIZE, STATUS_VIEWS, InboxPage, district_schools, group_items
from xinyu.chase.titles import TitleGuard
from xinyu.clock import as_local
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.cycle.system_templates import FREE_TEXT_TITLES, SYSTEM_STEP_LABELS
from xinyu.grades import grade_label
from xinyu.month_board import (
    OTHER_STEP,
    CarriedItem,
    Column,
    DistrictBoard,
    DistrictRow,
    LateGroup,
    LateItem,
    SchoolBoard,
    StepRow,
    View,
    cell,
)
from xinyu.months import month_of
from xinyu.roles import role_label
from xinyu.task_views import (
    CRISIS_KIND,
    GROUPS,
    Option,
    PendingExtension,
    TaskList,
    TaskQuery,
    TaskRow,
    _Rows,
    guard_titles,
    step_label,
    visible_to,
)


def _guard_one(session: Session, school_id: int, text: str) -> str:
    """One typed text guarded on its own: one query per row."""
    return guard_titles(session, {(school_id, text)})[(school_id, text)]


def _class_label(klass: SchoolClass | None) -> str | None:
    return f"{grade_label(klass.grade)}{klass.name}" if klass is not None else None


def _step_rule(book: PackBook, pack: str, month: str, key: str) -> tuple[str, str]:
    try:
        rule = book.pack(pack).step(int(month[5:]), key)
    except StopIteration:
        return key, ""
    return rule.label, rule.clause


# --- the school's board ----------------------------------------------------------------------------------


def naive_school_board(session: Session, viewer: Viewer, school: School, *, month: str | None, today: date,
                       book: PackBook) -> SchoolBoard:
    assert school.id is not None
    view: View = ("school" if viewer.sees_whole_school(school.id) else
                  "class" if viewer.sees_school_as_staff(school.id) else "officer")
    cycles = list(session.exec(select(Cycle).where(Cycle.school_id == school.id)))
    months = sorted({c.month for c in cycles}, reverse=True)
    month = month or max((m for m in months if m <= month_of(today)), default=month_of(today))
    cycle = next((c for c in cycles if c.month == month), None)
    board = SchoolBoard(school_id=school.id, school=school.name, month=month, months=months, view=view,
                        cycle_status=None, variant=None, steps=[], open_tasks=0, overdue_tasks=0, carried_in=0,
                        late=[], carried=[])
    if cycle is None or cycle.id is None:
        return board
    board.cycle_status = "closed" if cycle.status == "closed" else "open"
    board.variant = cycle.variant
    work = book.calendar(cycle.pack)
    steps = list(session.exec(select(Step).where(Step.cycle_id == cycle.id).order_by(col(Step.order))))
    tasks = list(session.exec(select(Task).where(Task.cycle_id == cycle.id).order_by(col(Task.due), col(Task.id))))
    cutoff = work.overdue_cutoff(today)
    known = {s.key for s in steps}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for t in tasks:
        state = "overdue" if t.status == TaskStatus.open and t.due < cutoff else t.status
        counts[t.step_key if t.step_key in known else OTHER_STEP][state] += 1
    for step in steps:
        label, clause = _step_rule(book, cycle.pack, month, step.key)
        c = counts[step.key]
        board.steps.append(StepRow(key=step.key, label=label, clause=clause, earliest=step.earliest,
                                   cell=cell(step, work, today), tasks=sum(c.values()), done=c["done"],
                                   open=c["open"], overdue=c["overdue"], carried=c["carried"]))
    if counts[OTHER_STEP]:
        c = counts[OTHER_STEP]
        board.steps.append(StepRow(key=OTHER_STEP, label="其他任务（危机、督办）", clause="", earliest=None, cell=None,
                                   tasks=sum(c.values()), done=c["done"], open=c["open"], overdue=c["overdue"],
                                   carried=c["carried"]))
    board.open_tasks = sum(c["open"] + c["overdue"] for c in counts.values())
    board.overdue_tasks = sum(c["overdue"] for c in counts.values())
    board.carried_in = sum(1 for t in tasks if t.carried_over)
    me = viewer.person_id
    if view == "school":
        shown = [t for t in tasks if t.kind != CRISIS_KIND or viewer.leads(school.id) or t.assignee_id == me]
    elif view == "class":
        classes = set(visible_class_ids(session, viewer, school.id) or [])
        shown = [t for t in tasks if t.assignee_id == me or (t.class_id in classes and t.kind != CRISIS_KIND)]
    else:
        shown = tasks
    officer = view == "officer"
    chase = chase_calendar(book, cycle.pack)
    groups: dict[tuple[str, str, str | None], list[LateItem]] = defaultdict(list)
    for t in shown:  # row by row: the task's origin month, its class, its assignee, its typed title
        origin = session.get(Cycle, t.origin_cycle_id)
        assert origin is not None
        klass = session.get(SchoolClass, t.class_id) if t.class_id is not None else None
        person = session.get(Person, t.assignee_id) if t.assignee_id is not None else None
        if officer:
            title = TitleGuard.public_title(t.kind, t.title)
        else:
            title = _guard_one(session, school.id, t.title) if t.kind in FREE_TEXT_TITLES else t.title
        label = step_label(book, origin.pack, origin.month, t.step_key)
        overdue = t.status == TaskStatus.open and t.due < cutoff
        if overdue:
            who = role_label(t.role) if officer else (person.name if person else f"（未指派）{role_label(t.role)}")
            groups[(who, role_label(t.role), _class_label(klass))].append(LateItem(
                task_id=None if officer else t.id, step=t.step_key, step_label=label, title=title,
                role_label=role_label(t.role), class_label=_class_label(klass), due=t.due,
                days_overdue=max(chase.offset(t.due, today), 0),
                escalation_level=t.escalation_level if t.escalation_level in ("school", "district") else "none",
                carried_over=t.carried_over))
        if t.carried_over:
            board.carried.append(CarriedItem(
                task_id=None if officer else t.id, step_label=label, title=title, role_label=role_label(t.role),
                class_label=_class_label(klass), origin_month=origin.month, due=t.due,
                status="overdue" if overdue else t.status))  # type: ignore[arg-type]
    board.late = sorted(
        (LateGroup(who=who, role_label=role, class_label=cls, most_days=max(i.days_overdue for i in items),
                   items=items) for (who, role, cls), items in groups.items()),
        key=lambda g: (-g.most_days, g.who, g.class_label or ""))
    return board


# --- the district's board --------------------------------------------------------------------------------


def naive_district_board(session: Session, district: District, *, month: str | None, today: date,
                         book: PackBook) -> DistrictBoard:
    """School by school: its cycles, the month's steps, the month's tasks counted in Python."""
    assert district.id is not None
    schools = list(session.exec(select(School).where(School.district_id == district.id).order_by(col(School.name))))
    cycles = {s.id: list(session.exec(select(Cycle).where(Cycle.school_id == s.id))) for s in schools}
    months = sorted({c.month for found in cycles.values() for c in found}, reverse=True)
    month = month or next((m for m in months if m <= month_of(today)), month_of(today))
    columns: dict[str, Column] = {}
    rows, missing = [], []
    for school in schools:
        cycle = next((c for c in cycles[school.id] if c.month == month), None)
        if cycle is None or cycle.id is None or school.id is None:
            missing.append(school.name)
            continue
        work = book.calendar(cycle.pack)
        cutoff = work.overdue_cutoff(today)
        steps = session.exec(select(Step).where(Step.cycle_id == cycle.id).order_by(col(Step.order)))
        cells = {}
        for step in steps:
            column = columns.setdefault(step.key, Column(key=step.key, label=_step_rule(book, cycle.pack, month,
                                                                                      step.key)[0],
                                                         done_schools=0, overdue_schools=0))
            cells[step.key] = found = cell(step, work, today)
            column.done_schools += found.status == "done"
            column.overdue_schools += found.status == "overdue"
        tasks = list(session.exec(select(Task).where(Task.cycle_id == cycle.id)))
        open_tasks = [t for t in tasks if t.status == TaskStatus.open]
        rows.append(DistrictRow(school_id=school.id, school=school.name, cells=cells, open_tasks=len(open_tasks),
                                overdue_tasks=sum(t.due < cutoff for t in open_tasks),
                                carried_in=sum(t.carried_over for t in tasks)))
    return DistrictBoard(district_id=district.id, district=district.name, month=month, months=months,
                         columns=list(columns.values()), rows=rows, schools_without_cycle=missing,
                         open_tasks=sum(r.open_tasks for r in rows), overdue_tasks=sum(r.overdue_tasks for r in rows),
                         carried_in=sum(r.carried_in for r in rows))


# --- my tasks --------------------------------------------------------------------------------------------


def naive_list_my_tasks(session: Session, viewer: Viewer, *, today: date, book: PackBook,
                        query: TaskQuery = TaskQuery()) -> TaskList:
    may_see_all = bool(viewer.school_roles or viewer.class_ids or viewer.grade_scopes)
    scope = query.scope if may_see_all else "mine"
    sql = (select(Task).join(Cycle, col(Cycle.id) == col(Task.cycle_id))
           .outerjoin(SchoolClass, col(SchoolClass.id) == col(Task.class_id))
           .where(visible_to(viewer, col(SchoolClass.grade)), col(Task.status) != TaskStatus.carried))
    sql = sql.where(col(Cycle.month) == query.month) if query.month else sql.where(
        col(Cycle.status) == CycleStatus.open)
    if scope == "mine":
        sql = sql.where(col(Task.assignee_id) == viewer.person_id)
    if query.step:
        sql = sql.where(col(Task.step_key) == query.step)
    if query.class_id is not None:
        sql = sql.where(col(Task.class_id) == query.class_id)
    rows = _Rows(book, today, session)
    tasks: list[TaskRow] = []
    for t in session.exec(sql.order_by(col(Task.due), col(Task.id))):
        school = session.get(School, t.school_id)
        current = session.get(Cycle, t.cycle_id)
        origin = session.get(Cycle, t.origin_cycle_id)
        person = session.get(Person, t.assignee_id) if t.assignee_id is not None else None
        klass = session.get(SchoolClass, t.class_id) if t.class_id is not None else None
        assert school is not None and current is not None and origin is not None
        row = rows.row((t.id, t.school_id, school.name, current.month, origin.month, origin.pack,
                        origin.pack_version, t.step_key, t.title,
                        t.kind, t.role, t.assignee_id, person.name if person else None, t.class_id,
                        klass.grade if klass else None, klass.name if klass else None, t.due, t.status,
                        t.completed_at, t.carried_over, t.escalation_level, t.acknowledged_at, t.clause))
        if row.kind in FREE_TEXT_TITLES:
            row = row.model_copy(update={"title": _guard_one(session, row.school_id, row.title)})
        tasks.append(row)
    counts = {g: sum(t.group == g for t in tasks) for g in GROUPS}
    if query.status is not None:
        tasks = [t for t in tasks if t.group == query.status]
    order = {g: n for n, g in enumerate(GROUPS)}
    tasks.sort(key=lambda t: (order.get(t.group or "done", 9), t.due, t.id))
    steps, classes, months = _naive_options(session, viewer, book)
    return TaskList(scope=scope, may_see_all=may_see_all, counts=counts, tasks=tasks, steps=steps,
                    classes=classes, months=months, pending_extensions=_naive_pending(session, viewer))


def _naive_pending(session: Session, viewer: Viewer) -> list[PendingExtension]:
    led = [s for s in viewer.school_roles if viewer.leads(s)]
    if not led:
        return []
    found = []
    for e in session.exec(select(Extension).join(Task, col(Task.id) == col(Extension.task_id))
                          .where(col(Extension.status) == "requested", col(Task.status) == TaskStatus.open,
                                 col(Task.school_id).in_(led)).order_by(col(Extension.id))):
        task = session.get(Task, e.task_id)
        person = session.get(Person, e.requested_by_id) if e.requested_by_id is not None else None
        assert task is not None
        title = _guard_one(session, task.school_id, task.title) if task.kind in FREE_TEXT_TITLES else task.title
        found.append(PendingExtension(id=e.id or 0, task_id=e.task_id, task_title=title,
                                      requested_by=person.name if person else None, workdays=e.workdays,
                                      reason=_guard_one(session, task.school_id, e.reason),
                                      previous_due=e.previous_due, new_due=e.new_due))
    return found


def _naive_options(session: Session, viewer: Viewer, book: PackBook) -> tuple[list[Option], list[Option], list[str]]:
    """School by school: its pack, its classes, its months."""
    school_ids = sorted(viewer.school_ids)
    steps: dict[str, str] = {}
    classes: list[Option] = []
    months: set[str] = set()
    packs = set()
    for school_id in school_ids:
        school = session.get(School, school_id)
        assert school is not None
        packs.add(school.pack)
        for c in session.exec(select(SchoolClass).where(SchoolClass.school_id == school_id)
                              .order_by(col(SchoolClass.grade), col(SchoolClass.name))):
            if c.id is not None and viewer.sees_class(school_id, c.id, c.grade):
                classes.append(Option(value=str(c.id), label=f"{grade_label(c.grade)}{c.name}"))
        months |= {c.month for c in session.exec(select(Cycle).where(Cycle.school_id == school_id))}
    for pack_id in sorted(packs):
        for variant in book.pack(pack_id).variants.values():
            for step in variant.steps:
                steps.setdefault(step.key, step.label)
    if school_ids:
        steps.update(SYSTEM_STEP_LABELS)
    return [Option(value=k, label=v) for k, v in steps.items()], classes, sorted(months, reverse=True)


# --- the district's inbox --------------------------------------------------------------------------------


def _newest_of_chain(session: Session, first: int) -> Task | None:
    return session.exec(select(Task).where((col(Task.lineage_id) == first) | (col(Task.id) == first))
                        .order_by(col(Task.id).desc())).first()


def naive_inbox_page(
    session: Session, *, district_ids: frozenset[int], today: date, book: PackBook, status: str = "open",
    school_id: int | None = None, level: str | None = None, reason: str | None = None, order: str = "overdue",
    page: int = 1, page_size: int = PAGE_SIZE,
) -> InboxPage:
    """A page of escalations, then per item its school, task, district, origin cycle, class and carried chains
    (the per-row list_escalations of old, paged in SQL as the page is)."""
    if not district_ids:
        raise AccessDenied("not a district officer")
    schools = district_schools(session, district_ids)
    if school_id is not None and school_id not in {s.id for s in schools}:
        raise AccessDenied(f"school {school_id}")
    where = InboxFilter(district_ids=district_ids, statuses=STATUS_VIEWS[status], school_id=school_id,
                        level=level, reason=reason)
    counts = count_escalations(session, where)
    total = sum(counts[s] for s in where.statuses)
    pages = max(1, -(-total // page_size))
    query = _ordered(_filtered(select(Escalation), where), order).limit(page_size).offset((page - 1) * page_size)
    items = []
    for item in session.exec(query) if total else []:
        school = session.get(School, item.school_id)
        task = session.get(Task, item.task_id)
        district = session.get(District, item.district_id)
        assert school is not None and task is not None and district is not None and item.id is not None
        origin = session.get(Cycle, task.origin_cycle_id)
        klass = session.get(SchoolClass, task.class_id) if task.class_id is not None else None
        assert origin is not None
        if task.step_key in SYSTEM_STEP_LABELS:
            label = SYSTEM_STEP_LABELS[task.step_key]
        else:
            label = _step_rule(book, origin.pack, origin.month, task.step_key)[0]
        due = date.fromisoformat(item.occasion)
        live = chase_calendar(book, school.pack).offset(due, today) if item.status != "resolved" else \
            item.days_overdue
        newest = _newest_of_chain(session, item.lineage_id)
        notice = _newest_of_chain(session, item.notice_task_id) if item.notice_task_id is not None else None
        notice_state = None
        if notice is not None and notice.id is not None:
            late = notice.status == TaskStatus.open and book.calendar(school.pack).is_overdue(notice.due, today)
            notice_state = NoticeState(task_id=notice.id, due=notice.due, status="overdue" if late else notice.status)
        items.append(InboxItem(
            id=item.id, district=district.name, school_id=item.school_id, school=school.name, step=task.step_key,
            step_label=label, task_id=newest.id if newest else None, role=role_label(task.role), role_code=task.role,
            kind=task.kind, class_label=_class_label(klass) if item.reason != "crisis" else None,  # as the app
            level=item.level, reason=item.reason,
            summary=item.summary, due=due, days_overdue=max(live, 0),
            raised_at=as_local(item.raised_at) if item.raised_at else None, status=item.status,
            notice_task_id=item.notice_task_id, notice=notice_state, resolution=item.resolution))
    return InboxPage(items=items, total=total, page=page, pages=pages, page_size=page_size, counts=counts,
                     schools=schools)


# --- the pages, on the real app's templates ---------------------------------------------------------------


def _same_path(request: Request) -> str:
    """The real page's path, so the menu marks the same entry and the HTML can be compared."""
    return request.url.path.removeprefix("/naive")


def naive_router() -> APIRouter:
    """/naive/… twins of the board, my-tasks and inbox pages: the same checks, templates and context."""
    from web.routes import board as board_routes
    from web.routes import district as district_routes
    from web.routes import tasks as task_routes
    from xinyu.task_views import GROUP_LABELS

    router = APIRouter(prefix="/naive", include_in_schema=False)

    @router.get("/schools/{school_id}/board", response_class=HTMLResponse)
    def school_board_page(request: Request, school_id: int, viewer: Viewer = Depends(current_viewer),
                          session: Session = Depends(db_session)) -> HTMLResponse:
        ctx = web_context(request)
        school = board_routes._school(session, viewer, school_id)
        board = naive_school_board(session, viewer, school, month=None, today=ctx.today(), book=ctx.book)
        return page(request, "board/school.html", board=board, status_labels=board_routes.STEP_STATUS_LABELS,
                    path=_same_path(request))

    @router.get("/district/board", response_class=HTMLResponse)
    def district_board_page(request: Request, viewer: Viewer = Depends(current_viewer),
                            session: Session = Depends(db_session)) -> HTMLResponse:
        ctx = web_context(request)
        district = board_routes._district(session, viewer, None)
        board = naive_district_board(session, district, month=None, today=ctx.today(), book=ctx.book)
        return page(request, "board/district.html", board=board, status_labels=board_routes.STEP_STATUS_LABELS,
                    path=_same_path(request))

    @router.get("/tasks", response_class=HTMLResponse)
    def tasks_page(request: Request, scope: str = "", viewer: Viewer = Depends(current_viewer),
                   session: Session = Depends(db_session)) -> HTMLResponse:
        ctx = web_context(request)
        query = task_routes._form_query(scope, "", "", "", "")
        listing = naive_list_my_tasks(session, viewer, today=ctx.today(), book=ctx.book, query=query)
        return page(request, "tasks/list.html", listing=listing, query=query, group_labels=GROUP_LABELS,
                    groups=GROUPS, path=_same_path(request))

    @router.get("/district/inbox", response_class=HTMLResponse)
    def inbox_page(request: Request, status: str = Query("open", pattern="^(open|new|acknowledged|resolved|all)$"),
                   viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
        ctx = web_context(request)
        view = district_routes.InboxView(status=status)
        data = naive_inbox_page(session, district_ids=district_routes._require_officer(viewer), today=ctx.today(),
                                book=ctx.book, status=view.status, order=view.sort, page=view.page)
        return page(request, "district/inbox.html", p=data, view=view, ok=None, error=None,
                    findings=district_routes.district_findings(request, session, viewer),
                    groups=group_items(data.items), status_labels=district_routes.STATUS_LABELS,
                    view_labels=district_routes.VIEW_LABELS,
                    reason_labels=district_routes.REASON_LABELS, notice_labels=district_routes.NOTICE_LABELS,
                    order_labels=district_routes.ORDER_LABELS, resolutions=district_routes.RESOLUTION_LABELS,
                    back=view.query(), path=_same_path(request))

    return router
