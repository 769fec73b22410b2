"""My tasks and one task: the evidence form the pack asks for, acknowledging, asking for more time.

Pages and their JSON twins under /api/ share the core (xinyu.task_views, xinyu.cycle, xinyu.chase.extensions):
the same rule for who sees a task, the same checks on who completes it and on its evidence.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.exc import DataError
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from web.context import db_session, web_context
from web.params import MAX_ID, MONTH, problems
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.chase.extensions import ExtensionError, acknowledge_task, decide_extension, request_extension
from xinyu.clock import as_local
from xinyu.cycle import CompletionError, complete_task
from xinyu.cycle.correction import CorrectionError, correct_evidence
from xinyu.cycle.states import InvalidTransition
from xinyu.evidence_files import Upload
from xinyu.evidence_files.records import file_of_task
from xinyu.history import revisions
from xinyu.ledgers.key_student_views import pending_count
from xinyu.task_views import GROUP_LABELS, GROUPS, Group, TaskDetail, TaskList, TaskQuery, list_my_tasks, task_detail


class RefusedInput(ValueError):
    """Input the database cannot hold (too long, too large, a NUL character): refused, nothing written."""


class Conflict(ValueError):
    """The task's state forbids it now (a request already pending, a request already decided): 409."""

    status = 409


router = APIRouter()
TAG = "任务"
STEP = r"^[a-z][a-z0-9_]{0,31}$"
TaskId = Annotated[int, Path(ge=1, le=MAX_ID, description="任务编号")]
ExtensionId = Annotated[int, Path(ge=1, le=MAX_ID, description="延期申请编号")]
FileId = Annotated[int, Path(ge=1, le=MAX_ID, description="附件编号")]
STATUS_HELP = "overdue 已逾期 / due_soon 即将到期 / open 进行中 / done 已完成"
WRITE_ERRORS = (CompletionError, ExtensionError, InvalidTransition, RefusedInput, Conflict)
OK_MESSAGES = {"done": "已提交，任务完成。", "corrected": "已更正证据，原内容保留在修改记录中。",
               "ack": "已知悉：此截止日期不再提醒（逾期仍会升级）。",
               "asked": "延期申请已提交，等待组长审批。", "approved": "已批准延期。", "refused": "已拒绝延期申请。"}



ERRORS = problems({
    400: "核心规则拒绝（证据不全、非负责人、已完成……），未写入任何内容",
    403: "无权执行此操作",
    404: "任务不存在或无权查看",
    409: "任务当前状态不允许（已有待审批的延期申请、申请已审批）",
})

EvidenceText = Annotated[str, StringConstraints(max_length=5000)]
EvidenceInt = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
EvidencePicks = Annotated[list[Annotated[str, StringConstraints(max_length=32)]], Field(max_length=500)]


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[Annotated[str, StringConstraints(max_length=64)],
                 bool | EvidenceInt | EvidenceText | EvidencePicks | None] = Field(
        default_factory=dict,
        description="证据字段名 → 值（字段见任务详情的 fields；students：学号列表或逗号分隔的学号）")


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=30, description="延期工作日数")
    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    note: str = Field(default="", max_length=500)


# --- reading ---------------------------------------------------------------------------------------------


def _detail(request: Request, session: Session, viewer: Viewer, task_id: int) -> TaskDetail:
    ctx = web_context(request)
    found = task_detail(session, viewer, task_id, today=ctx.today(), book=ctx.book, now=ctx.now())
    if found is None:
        raise AccessDenied(f"task {task_id}")
    return found


def _list(request: Request, session: Session, viewer: Viewer, query: TaskQuery) -> TaskList:
    ctx = web_context(request)
    return list_my_tasks(session, viewer, today=ctx.today(), book=ctx.book, query=query)


def _form_query(scope: str, step: str, class_id: str, status: str, month: str) -> TaskQuery:
    """The filter form sends empty strings for "all": read them as absent, refuse anything malformed."""
    def bad(what: str) -> HTTPException:
        return HTTPException(422, f"筛选条件“{what}”格式不对")
    if scope not in ("", "mine", "all"):
        raise bad("范围")
    if step and not re.fullmatch(STEP, step):
        raise bad("步骤")
    if class_id and not (class_id.isdigit() and 1 <= int(class_id) <= MAX_ID):
        raise bad("班级")
    if status and status not in GROUPS:
        raise bad("状态")
    if month and not re.fullmatch(MONTH, month):
        raise bad("月份")
    return TaskQuery(scope="all" if scope == "all" else "mine", step=step or None,
                     class_id=int(class_id) if class_id else None, status=status or None,  # type: ignore[arg-type]
                     month=month or None)


@router.get("/tasks", response_class=HTMLResponse, include_in_schema=False)
def tasks_page(request: Request, scope: str = "", step: str = "", class_id: str = Query("", alias="class"),
               status: str = "", month: str = "", viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> HTMLResponse:
    query = _form_query(scope, step, class_id, status, month)
    listing = _list(request, session, viewer, query)
    proposals = [(sid, n) for sid in sorted(viewer.school_roles) if (n := pending_count(session, sid))]
    return page(request, "tasks/list.html", listing=listing, query=query, group_labels=GROUP_LABELS,
                groups=GROUPS, pending_proposals=proposals)


@router.get("/api/tasks", response_model=TaskList, tags=[TAG], summary="我的任务")
def tasks_api(
    request: Request,
    scope: Annotated[Literal["mine", "all"], Query(description="mine：指派给我的；all：我可查看的全部")] = "mine",
    step: Annotated[str | None, Query(pattern=STEP, description="步骤 key")] = None,
    class_id: Annotated[int | None, Query(alias="class", ge=1, le=MAX_ID, description="班级编号")] = None,
    status: Annotated[Group | None, Query(description=STATUS_HELP)] = None,
    month: Annotated[str | None, Query(pattern=MONTH, description="YYYY-MM；默认为进行中的月份")] = None,
    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session),
) -> TaskList:
    """The signed-in person's tasks, grouped by urgency, with the filters' choices."""
    return _list(request, session, viewer, TaskQuery(scope=scope, step=step, class_id=class_id, status=status,
                                                     month=month))


@router.get("/tasks/{task_id}", response_class=HTMLResponse, include_in_schema=False)
def task_page(request: Request, task_id: TaskId, ok: str = "", viewer: Viewer = Depends(current_viewer),
              session: Session = Depends(db_session)) -> HTMLResponse:
    detail = _detail(request, session, viewer, task_id)
    return _task_page(request, detail, ok=OK_MESSAGES.get(ok))


def _task_page(request: Request, detail: TaskDetail, *, ok: str | None = None, error: str | None = None,
               values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    history: list[Any] = []
    if detail.may_read_history:
        with Session(web_context(request).engine) as session:
            history = revisions(session, kind="evidence", record_id=detail.task.id)
    return page(request, "tasks/detail.html", status_code=status_code, d=detail, t=detail.task, ok=ok, error=error,
                values=values or {}, group_labels=GROUP_LABELS, when=_when, revisions=history,
                field_labels={f.name: f.label for f in detail.fields}, size_text=size_text,
                file_accept=file_accept)


def _when(moment: datetime) -> str:
    return f"{as_local(moment):%Y-%m-%d %H:%M}"


@router.get("/api/tasks/{task_id}", response_model=TaskDetail, tags=[TAG], summary="任务详情", responses=ERRORS)
def task_api(request: Request, task_id: TaskId, viewer: Viewer = Depends(current_viewer),
             session: Session = Depends(db_session)) -> TaskDetail:
    """One task: how its due date was worked out, its evidence form, what was given, extension requests."""
    return _detail(request, session, viewer, task_id)


# --- writing ---------------------------------------------------------------------------------------------


def _require_act(detail: TaskDetail) -> None:
    if not detail.may_act:
        raise HTTPException(403, "您不是此任务的负责人，或任务已完成/已结转")


def _require_ask(detail: TaskDetail) -> None:
    if not detail.may_ask:
        raise HTTPException(403, "只有任务的负责人可以确认或申请延期，且任务须未完成")


def _refused(exc: ValueError) -> HTTPException:
    """A core refusal for the API: 409 for a state conflict, else 400 with the core's message."""
    return HTTPException(getattr(exc, "status", 400), str(exc))


def _write(request: Request, session: Session, action: Any) -> None:
    """Run a core write and commit it; a refusal rolls everything back and is raised on."""
    try:
        action(web_context(request))
        session.commit()
    except DataError as exc:  # longer or larger than a column holds, or a NUL (PostgreSQL checks, SQLite not)
        session.rollback()
        raise RefusedInput("填写的内容过长、数值超出范围或含有无效字符，请修改后重试") from exc
    except BaseException:
        session.rollback()
        raise


def _complete(request: Request, session: Session, viewer: Viewer, task_id: int, values: dict[str, Any],
              files: dict[str, list[Upload]] | None = None) -> None:
    _require_act(_detail(request, session, viewer, task_id))
    _write(request, session, lambda ctx: complete_task(session, task_id=task_id, values=values, now=ctx.now(),
                                                       book=ctx.book, by=viewer.person_id, files=files,
                                                       store=ctx.files() if files else None))


async def read_form(request: Request) -> dict[str, str]:
    """The posted form's text fields (read once; the CSRF check has read it already); a field sent several
    times (the class list's checkboxes) is joined with commas."""
    return _text_fields(await request.form())


def _text_fields(form: FormData) -> dict[str, str]:
    """A form's text fields; one sent several times (the class list's checkboxes) joined with commas."""
    return {k: ",".join(v for v in form.getlist(k) if isinstance(v, str)) for k in form.keys()
            if any(isinstance(v, str) for v in form.getlist(k))}


@dataclass
class PostedForm:
    """A multipart form: its text fields, its files (file inputs left empty are dropped), the boxes ticked
    to remove files (a correction)."""

    texts: dict[str, str]
    files: dict[str, list[Upload]]
    remove: list[str]


async def read_upload_form(request: Request) -> PostedForm:
    """The form with its files, read once (Starlette spools each file to disk past 1 MB; the body's size is
    capped by web.limits before this runs)."""
    form = await request.form()
    files: dict[str, list[Upload]] = {}
    for name, item in form.multi_items():
        if isinstance(item, StarletteUpload) and item.filename:
            data = await item.read()
            if data:
                files.setdefault(name, []).append(Upload(name=item.filename, data=data))
    texts = _text_fields(form)
    remove = [v for v in form.getlist("remove") if isinstance(v, str)]
    return PostedForm(texts=texts, files=files, remove=remove)


def _form_values(detail: TaskDetail, form: PostedForm) -> tuple[dict[str, str], dict[str, list[Upload]]]:
    texts = {f.name for f in detail.fields if f.type != "file"}
    uploads = {f.name for f in detail.fields if f.type == "file"}
    return ({k: v for k, v in form.texts.items() if k in texts},
            {k: v for k, v in form.files.items() if k in uploads})


@router.post("/tasks/{task_id}/complete", include_in_schema=False)
def complete_form(request: Request, task_id: TaskId, form: PostedForm = Depends(read_upload_form),
                  viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    detail = _detail(request, session, viewer, task_id)
    values, files = _form_values(detail, form)
    try:
        _complete(request, session, viewer, task_id, dict(values), files)
    except WRITE_ERRORS as exc:
        return _task_page(request, _detail(request, session, viewer, task_id), error=str(exc), values=values,
                          status_code=400)
    return RedirectResponse(f"/tasks/{task_id}?ok=done", status_code=303)


def _require_correct(detail: TaskDetail) -> None:
    if not detail.may_correct:
        raise HTTPException(403, "只有证据的填写人可以在完成当月内更正")


@router.post("/tasks/{task_id}/correct", include_in_schema=False)
def correct_form(request: Request, task_id: TaskId, form: PostedForm = Depends(read_upload_form),
                 viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    """The author corrects the evidence within the month: changed fields, files added, files removed."""
    detail = _detail(request, session, viewer, task_id)
    values, files = _form_values(detail, form)
    given = {e.name: _shown(e.value) for e in detail.evidence}
    changed = {k: v for k, v in values.items() if v.strip() != given.get(k, "")}
    try:
        if not all(r.isdigit() and len(r) <= 12 for r in form.remove):
            raise RefusedInput("要删除的附件编号不对")
        _require_correct(detail)
        _write(request, session, lambda ctx: correct_evidence(
            session, task_id=task_id, by=viewer.person_id, now=ctx.now(), book=ctx.book, values=changed,
            files=files, remove=[int(r) for r in form.remove], store=ctx.files()))
    except (*WRITE_ERRORS, CorrectionError) as exc:
        return _task_page(request, _detail(request, session, viewer, task_id), error=str(exc), values=values,
                          status_code=400)
    return RedirectResponse(f"/tasks/{task_id}?ok=corrected", status_code=303)


def _shown(value: Any) -> str:
    """An evidence value as its form field shows it (是/否 for a yes/no)."""
    if value is True:
        return "是"
    if value is False:
        return "否"
    return "" if value is None else str(value)


@router.get("/tasks/{task_id}/files/{file_id}", include_in_schema=False)
def evidence_file(request: Request, task_id: TaskId, file_id: FileId, viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> Response:
    """An evidence file, to whoever may see its task (404 to anyone else, officers included), as an attachment."""
    _detail(request, session, viewer, task_id)
    row = file_of_task(session, task_id, file_id)
    if row is None:
        raise AccessDenied(f"file {file_id}")
    data = web_context(request).files().get(row.storage_key)
    ascii_name = f"evidence-{row.id}{row.name[row.name.rfind('.'):] if '.' in row.name else ''}"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name)
    return Response(data, media_type=row.content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.name, safe='')}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 100 * 1024 else f"{max(1, round(size / 1024))} KB"


def file_accept(kinds: list[str] | None) -> str:
    """The file input's accept: image/* lets a phone offer its camera."""
    parts = {"image": "image/*", "pdf": "application/pdf,.pdf",
             "doc": ".docx,.xlsx,application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    return ",".join(parts[k] for k in kinds or [] if k in parts)


@router.post("/api/tasks/{task_id}/complete", response_model=TaskDetail, tags=[TAG], summary="提交证据并完成任务",
             responses=ERRORS)
def complete_api(request: Request, task_id: TaskId, body: CompleteIn, viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> TaskDetail:
    """Complete the task with the evidence the pack asks for; the school's cycle moves on at once."""
    try:
        _complete(request, session, viewer, task_id, dict(body.values))
    except WRITE_ERRORS as exc:
        raise _refused(exc) from exc
    return _detail(request, session, viewer, task_id)


def _acknowledge(request: Request, session: Session, viewer: Viewer, task_id: int) -> None:
    _require_ask(_detail(request, session, viewer, task_id))
    _write(request, session, lambda ctx: acknowledge_task(session, task_id=task_id, by=viewer.person_id,
                                                          now=ctx.now()))


def _ask(request: Request, session: Session, viewer: Viewer, task_id: int, days: int, reason: str) -> None:
    detail = _detail(request, session, viewer, task_id)
    _require_ask(detail)
    pending = [e.id for e in detail.extensions if e.status == "requested"]
    if pending:
        raise Conflict(f"任务 #{task_id} 已有待审批的延期申请（#{pending[0]}）")
    _write(request, session, lambda ctx: request_extension(
        session, task_id=task_id, by=viewer.person_id, workdays=days, reason=reason, now=ctx.now(), book=ctx.book))


def _decide(request: Request, session: Session, viewer: Viewer, task_id: int, extension_id: int, approve: bool,
            note: str) -> None:
    detail = _detail(request, session, viewer, task_id)
    extension = next((e for e in detail.extensions if e.id == extension_id), None)
    if extension is None:
        raise AccessDenied(f"extension {extension_id}")
    if not detail.may_decide:
        raise HTTPException(403, "只有本校领导小组组长可以审批延期")
    if extension.status != "requested" or detail.task.status not in ("open", "overdue"):
        raise Conflict(f"延期申请 #{extension_id} 已{'批准' if extension.status == 'approved' else '处理'}")
    _write(request, session, lambda ctx: decide_extension(
        session, extension_id=extension_id, by=viewer.person_id, approve=approve, now=ctx.now(), book=ctx.book,
        note=note))


def _form_write(request: Request, session: Session, viewer: Viewer, task_id: int, ok: str,
                      action: Any) -> Response:
    try:
        action()
    except WRITE_ERRORS as exc:
        return _task_page(request, _detail(request, session, viewer, task_id), error=str(exc),
                          status_code=getattr(exc, "status", 400))
    return RedirectResponse(f"/tasks/{task_id}?ok={ok}", status_code=303)


@router.post("/tasks/{task_id}/acknowledge", include_in_schema=False)
def acknowledge_form(request: Request, task_id: TaskId, viewer: Viewer = Depends(current_viewer),
                     session: Session = Depends(db_session)) -> Response:
    return _form_write(request, session, viewer, task_id, "ack",
                             lambda: _acknowledge(request, session, viewer, task_id))


@router.post("/api/tasks/{task_id}/acknowledge", response_model=TaskDetail, tags=[TAG], summary="已知悉",
             responses=ERRORS)
def acknowledge_api(request: Request, task_id: TaskId, viewer: Viewer = Depends(current_viewer),
                    session: Session = Depends(db_session)) -> TaskDetail:
    """The reminder was seen: no more reminders for this due date (escalation goes on)."""
    try:
        _acknowledge(request, session, viewer, task_id)
    except WRITE_ERRORS as exc:
        raise _refused(exc) from exc
    return _detail(request, session, viewer, task_id)


@router.post("/tasks/{task_id}/extensions", include_in_schema=False)
def extension_form(request: Request, task_id: TaskId, form: dict[str, str] = Depends(read_form),
                   viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    days_text, reason = str(form.get("days", "")).strip(), str(form.get("reason", ""))
    if not days_text.isdigit() or not 1 <= int(days_text) <= 30:
        return _task_page(request, _detail(request, session, viewer, task_id), error="延期应为 1–30 个工作日",
                          status_code=400)
    return _form_write(request, session, viewer, task_id, "asked",
                             lambda: _ask(request, session, viewer, task_id, int(days_text), reason[:500]))


@router.post("/api/tasks/{task_id}/extensions", response_model=TaskDetail, tags=[TAG], summary="申请延期",
             responses=ERRORS)
def extension_api(request: Request, task_id: TaskId, body: ExtensionIn, viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> TaskDetail:
    """Ask the school leader for more working days, with a reason (one pending request at a time)."""
    try:
        _ask(request, session, viewer, task_id, body.days, body.reason)
    except WRITE_ERRORS as exc:
        raise _refused(exc) from exc
    return _detail(request, session, viewer, task_id)


@router.post("/tasks/{task_id}/extensions/{extension_id}/decision", include_in_schema=False)
def decision_form(request: Request, task_id: TaskId, extension_id: ExtensionId,
                  form: dict[str, str] = Depends(read_form), viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> Response:
    decision, note = form.get("decision"), str(form.get("note", ""))[:500]
    if decision not in ("approve", "refuse"):
        raise HTTPException(422, "请选择批准或拒绝")
    return _form_write(request, session, viewer, task_id, "approved" if decision == "approve" else "refused",
                             lambda: _decide(request, session, viewer, task_id, extension_id,
                                             decision == "approve", note))


@router.post("/api/tasks/{task_id}/extensions/{extension_id}/decision", response_model=TaskDetail, tags=[TAG],
             summary="审批延期申请（组长）", responses=ERRORS)
def decision_api(request: Request, task_id: TaskId, extension_id: ExtensionId, body: DecisionIn,
                 viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> TaskDetail:
    """The school leader approves (the due date moves, escalation resets) or refuses an extension request."""
    try:
        _decide(request, session, viewer, task_id, extension_id, body.approve, body.note)
    except WRITE_ERRORS as exc:
        raise _refused(exc) from exc
    return _detail(request, session, viewer, task_id)
