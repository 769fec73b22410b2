"""The crisis case (ledger C) on the web: open it, read it, log its actions, close it.

Opened by a ledger C reader (the psychology teacher, the leader) or, as a concern, by a homeroom teacher or
grade head for a student of their class or grade: the case goes to the school's handler at once and the
concern-raiser does not become a reader. The case page (readers and the handler) shows the facts, the dated
log (JL-6), the closing form (JN-4, QD-4, GZ-6.2) and the history; every read is audited. Pages and their
JSON twins share xinyu.crisis.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from models import Person, RoleAssignment, SchoolClass, Student
from web.context import db_session, web_context
from web.params import MAX_ID, SchoolId, problems
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer, visible_class_ids
from xinyu.clock import SHANGHAI, as_local
from xinyu.crisis.access import may_raise_for, opener_kind, school_pack
from xinyu.crisis.case import FIELD_LABELS, CrisisCaseError
from xinyu.crisis.closing import close_case
from xinyu.crisis.hotline import school_hotline
from xinyu.crisis.log import log_action
from xinyu.crisis.opening import CRISIS_LEVELS, CrisisError, open_crisis_case
from xinyu.crisis.records import CrisisDetail, read_crisis_case, readable_case
from xinyu.ledgers.views import class_label
from xinyu.roles import Role

router = APIRouter()
TAG = "台账"

CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="危机个案 id（C-编号）")]
ERRORS = problems({
    400: "内容不符合规则（中文说明），未写入",
    404: "学校或个案不存在，或无权查看",
})
OK_MESSAGES = {"opened": "已登记。", "logged": "已记录。", "closed": "已结案。"}


def when(moment: datetime | None) -> str:
    return as_local(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


# ---- opening ----

class StudentOption(BaseModel):
    id: int
    label: str


class OpenOptions(BaseModel):
    school_id: int
    kind: str  # reader | concern
    classes: list[tuple[str, list[StudentOption]]]
    handlers: list[StudentOption]  # staff who may be named handler (readers only)
    levels: list[str]


def _open_options(session: Session, viewer: Viewer, school_id: int) -> OpenOptions:
    viewer.require_school(school_id)
    kind = opener_kind(session, viewer, school_id)
    if kind is None:
        raise AccessDenied(f"crisis open {school_id}")
    visible = visible_class_ids(session, viewer, school_id)  # a concern-raiser: their classes and grades
    query = (select(Student, SchoolClass).join(SchoolClass, col(SchoolClass.id) == col(Student.class_id))
             .where(Student.school_id == school_id)
             .order_by(col(SchoolClass.grade), col(SchoolClass.name), col(Student.student_no)))
    if visible is not None:
        query = query.where(col(Student.class_id).in_(visible))
    groups: dict[str, list[StudentOption]] = {}
    for student, klass in session.exec(query):
        groups.setdefault(class_label(klass.grade, klass.name), []).append(
            StudentOption(id=student.id or 0, label=f"{student.student_no} {student.name}"))
    handlers = []
    if kind == "reader":
        rows = session.exec(select(Person.id, Person.name)  # type: ignore[call-overload]
                            .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                            .where(RoleAssignment.school_id == school_id,
                                   col(RoleAssignment.role).in_([Role.psych_teacher, Role.leader]))
                            .order_by(col(RoleAssignment.id)))
        seen: dict[int, str] = {}
        for pid, name in rows:
            if pid is not None:
                seen.setdefault(pid, name)
        handlers = [StudentOption(id=pid, label=name) for pid, name in seen.items()]
    return OpenOptions(school_id=school_id, kind=kind, classes=list(groups.items()), handlers=handlers,
                       levels=list(CRISIS_LEVELS))


class CrisisOpen(BaseModel):
    """A new case: the student, the level, and (for ledger C readers) the handler."""

    model_config = ConfigDict(extra="forbid")

    student_id: int = Field(ge=1, le=MAX_ID, description="学生 id")
    level: str = Field(description="一般 | 严重 | 重大")
    handler_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="处置负责人；缺省为本校专职心理教师")


class CrisisOpenedOut(BaseModel):
    id: int
    code: str
    level: str
    handler: str | None
    fast_path: bool
    task_id: int | None
    raised_as_concern: bool


def _open(session: Session, viewer: Viewer, school_id: int, change: CrisisOpen, request: Request) -> CrisisOpenedOut:
    options = _open_options(session, viewer, school_id)
    student = session.get(Student, change.student_id)
    if student is None or student.school_id != school_id:
        raise CrisisError("本校没有这名学生")
    if options.kind == "concern" and not may_raise_for(session, viewer, student):
        raise AccessDenied(f"student {change.student_id}")
    handler = change.handler_id if options.kind == "reader" else None
    if handler is not None and handler not in {h.id for h in options.handlers}:
        raise CrisisError("处置负责人应为本校专职心理教师或组长")
    ctx = web_context(request)
    opened = open_crisis_case(session, school_id=school_id, student_id=student.id or 0, level=change.level,
                              handler_id=handler, by=viewer.person_id, now=ctx.now(), book=ctx.book)
    person = session.get(Person, opened.case.handler_id) if opened.case.handler_id else None
    return CrisisOpenedOut(id=opened.case.id or 0, code=f"C-{opened.case.id}", level=opened.case.level,
                           handler=person.name if person else None, fast_path=opened.task_id is not None,
                           task_id=opened.task_id, raised_as_concern=options.kind == "concern")


@router.get("/schools/{school_id}/crisis/new", response_class=HTMLResponse, include_in_schema=False)
def crisis_new_page(request: Request, school_id: SchoolId, viewer: Viewer = Depends(current_viewer),
                    session: Session = Depends(db_session)) -> HTMLResponse:
    return page(request, "crisis/new.html", o=_open_options(session, viewer, school_id), error=None, values={},
                hotline=_hotline(session, request, school_id))


def _hotline(session: Session, request: Request, school_id: int) -> str:
    """JN-5: the pack's 24-hour hotline on every crisis page of the school."""
    return school_hotline(school_pack(session, school_id, web_context(request).book))


@router.post("/schools/{school_id}/crisis/new", include_in_schema=False)
def crisis_new_form(request: Request, school_id: SchoolId, student_id: str = Form("", max_length=12),
                    level: str = Form("", max_length=8), handler_id: str = Form("", max_length=12),
                    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    values = {"student_id": student_id, "level": level, "handler_id": handler_id}
    try:
        if not student_id.isdigit():
            raise CrisisError("请选择学生")
        change = CrisisOpen(student_id=int(student_id), level=level,
                            handler_id=int(handler_id) if handler_id.isdigit() else None)
        out = _open(session, viewer, school_id, change, request)
    except (CrisisError, ValueError) as exc:
        session.rollback()
        return page(request, "crisis/new.html", status_code=400, o=_open_options(session, viewer, school_id),
                    error=_message(exc), values=values, hotline=_hotline(session, request, school_id))
    session.commit()
    if out.raised_as_concern:
        return page(request, "crisis/raised.html", out=out, school_id=school_id,
                    hotline=_hotline(session, request, school_id))
    return RedirectResponse(f"/schools/{school_id}/crisis/{out.id}?ok=opened", status_code=303)


@router.post("/api/schools/{school_id}/crisis", response_model=CrisisOpenedOut, tags=[TAG], responses=ERRORS)
def crisis_open_api(request: Request, school_id: SchoolId, change: CrisisOpen,
                    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)
                    ) -> CrisisOpenedOut:
    """登记危机个案：C 台账查看者（组长、专职心理教师）登记；班主任、年级主任为本班/本年级学生报告，
    个案立即交处置负责人。"""
    try:
        out = _open(session, viewer, school_id, change, request)
    except CrisisError as exc:
        session.rollback()
        raise HTTPException(400, str(exc)) from exc
    session.commit()
    return out


# ---- one case ----

@router.get("/schools/{school_id}/crisis/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def crisis_case_page(request: Request, school_id: SchoolId, case_id: CaseId, ok: str | None = None,
                     viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)
                     ) -> HTMLResponse:
    ctx = web_context(request)
    detail = read_crisis_case(session, viewer, school_id=school_id, case_id=case_id, now=ctx.now(), book=ctx.book)
    session.commit()
    return _case_page(request, detail, ok=OK_MESSAGES.get(ok or ""))


def _case_page(request: Request, detail: CrisisDetail, *, ok: str | None = None, error: str | None = None,
               form: str | None = None, values: dict[str, str] | None = None, status_code: int = 200
               ) -> HTMLResponse:
    now = web_context(request).now()
    return page(request, "crisis/case.html", status_code=status_code, case=detail, ok=ok, error=error, form=form,
                values=values or {}, when=when, field_labels=FIELD_LABELS,
                now_local=f"{as_local(now):%Y-%m-%dT%H:%M}")


def _refused(request: Request, session: Session, viewer: Viewer, school_id: int, case_id: int, exc: Exception,
             form: str, values: dict[str, str]) -> HTMLResponse:
    session.rollback()
    ctx = web_context(request)
    detail = read_crisis_case(session, viewer, school_id=school_id, case_id=case_id, now=ctx.now(), book=ctx.book,
                              purpose="form error")
    session.commit()
    return _case_page(request, detail, error=_message(exc), form=form, values=values, status_code=400)


def _moment(text: str, now: datetime) -> datetime:
    text = text.strip()
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text.replace("/", "-").replace(" ", "T", 1))
    except ValueError:
        raise CrisisCaseError(f"处置时间应为 YYYY-MM-DD HH:MM，实为 {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise CrisisCaseError(f"复学证明日期应为 YYYY-MM-DD，实为 {text!r}") from None


def _message(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "；".join(f"{e['loc'][0] if e['loc'] else ''}：内容过长或格式不对" for e in exc.errors())
    return str(exc)


class CrisisActionIn(BaseModel):
    """One entry of the log (JL-6); `at` defaults to now."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="值班 | 预约 | 面谈 | 转介 | 重点反馈 | 家长通报 | 复学评估")
    at: datetime | None = Field(default=None, description="发生时间（无时区按北京时间）")
    note: str = Field(default="", max_length=2000)
    hospital: str | None = Field(default=None, max_length=128, description="转介：医院（区县名单中的一家）")
    method: str | None = Field(default=None, max_length=8, description="家长通报：面谈 | 电话 | 微信")


class CrisisCloseIn(BaseModel):
    """Closing (JN-4): an outcome; 返校复学 after a referral needs the certificate (GZ-6.2)."""

    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(description="返校复学 | 继续就医 | 休学 | 转学 | 风险解除 | 其他")
    note: str = Field(default="", max_length=2000)
    certificate_on: date | None = Field(default=None, description="复学证明日期")
    certificate_by: str = Field(default="", max_length=128, description="复学证明出具机构")
    return_plan: str = Field(default="", max_length=2000,
                             description="复课衔接计划（政策包 crisis.return_plan_required 时，返校复学必填：HLJ-12）")


def _log(session: Session, viewer: Viewer, request: Request, school_id: int, case_id: int,
         entry: CrisisActionIn) -> None:
    readable_case(session, viewer, school_id, case_id)
    ctx = web_context(request)
    now = ctx.now()
    at = entry.at if entry.at is None or entry.at.tzinfo else entry.at.replace(tzinfo=SHANGHAI)
    values = {"note": entry.note}
    if entry.kind == "转介":
        values["hospital"] = entry.hospital or ""
    if entry.kind == "家长通报" and entry.method:
        values["method"] = entry.method
    log_action(session, viewer, case_id=case_id, kind=entry.kind, at=at or now, values=values, now=now,
               book=ctx.book)


def _close(session: Session, viewer: Viewer, request: Request, school_id: int, case_id: int,
           closing: CrisisCloseIn) -> None:
    readable_case(session, viewer, school_id, case_id)
    ctx = web_context(request)
    close_case(session, viewer, case_id=case_id, outcome=closing.outcome, note=closing.note,
               certificate_on=closing.certificate_on, certificate_by=closing.certificate_by,
               return_plan=closing.return_plan, now=ctx.now(), book=ctx.book)


@router.post("/schools/{school_id}/crisis/{case_id}/actions", include_in_schema=False)
def crisis_action_form(
    request: Request, school_id: SchoolId, case_id: CaseId, kind: str = Form("", max_length=8),
    at: str = Form("", max_length=32), note: str = Form("", max_length=2000), hospital: str = Form("", max_length=200),
    method: str = Form("", max_length=8), viewer: Viewer = Depends(current_viewer),
    session: Session = Depends(db_session),
) -> Response:
    values = {"kind": kind, "at": at, "note": note, "hospital": hospital, "method": method}
    try:
        now = web_context(request).now()
        entry = CrisisActionIn(kind=kind, at=_moment(at, now), note=note, hospital=hospital or None,
                               method=method or None)
        _log(session, viewer, request, school_id, case_id, entry)
    except ValueError as exc:  # CrisisCaseError, CompletionError, pydantic's ValidationError
        return _refused(request, session, viewer, school_id, case_id, exc, "log", values)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/crisis/{case_id}?ok=logged#log", status_code=303)


@router.post("/schools/{school_id}/crisis/{case_id}/close", include_in_schema=False)
def crisis_close_form(
    request: Request, school_id: SchoolId, case_id: CaseId, outcome: str = Form("", max_length=8),
    note: str = Form("", max_length=2000), certificate_on: str = Form("", max_length=20),
    certificate_by: str = Form("", max_length=200), return_plan: str = Form("", max_length=2000),
    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session),
) -> Response:
    values = {"outcome": outcome, "note": note, "certificate_on": certificate_on, "certificate_by": certificate_by,
              "return_plan": return_plan}
    try:
        closing = CrisisCloseIn(outcome=outcome, note=note, certificate_on=_date(certificate_on),
                                certificate_by=certificate_by, return_plan=return_plan)
        _close(session, viewer, request, school_id, case_id, closing)
    except ValueError as exc:
        return _refused(request, session, viewer, school_id, case_id, exc, "close", values)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/crisis/{case_id}?ok=closed", status_code=303)


@router.get("/api/schools/{school_id}/crisis/{case_id}", response_model=CrisisDetail, tags=[TAG], responses=ERRORS)
def crisis_api(request: Request, school_id: SchoolId, case_id: CaseId, viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> CrisisDetail:
    """一个危机个案（C 台账）：处置负责人和本校C台账查看者（政策包 ledger_readers.C）可见，其他人 404；
    每次读取记入审计日志。"""
    ctx = web_context(request)
    detail = read_crisis_case(session, viewer, school_id=school_id, case_id=case_id, now=ctx.now(), book=ctx.book,
                              purpose="api")
    session.commit()
    return detail


@router.post("/api/schools/{school_id}/crisis/{case_id}/actions", response_model=CrisisDetail, tags=[TAG],
             responses=ERRORS)
def crisis_action_api(request: Request, school_id: SchoolId, case_id: CaseId, entry: CrisisActionIn,
                      viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)
                      ) -> CrisisDetail:
    """记录一条处置（JL-6：值班、预约、面谈、转介、重点反馈、家长通报、复学评估）；转介须写医院。"""
    return _api_write(request, session, viewer, school_id, case_id,
                      lambda: _log(session, viewer, request, school_id, case_id, entry))


@router.post("/api/schools/{school_id}/crisis/{case_id}/close", response_model=CrisisDetail, tags=[TAG],
             responses=ERRORS)
def crisis_close_api(request: Request, school_id: SchoolId, case_id: CaseId, closing: CrisisCloseIn,
                     viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)
                     ) -> CrisisDetail:
    """结案（JN-4 一案一清）：须有结果；严重、重大个案须先转介（QD-4）；转介后“返校复学”须有医院证明（GZ-6.2）。"""
    return _api_write(request, session, viewer, school_id, case_id,
                      lambda: _close(session, viewer, request, school_id, case_id, closing))


def _api_write(request: Request, session: Session, viewer: Viewer, school_id: int, case_id: int,
               write: Callable[[], object]) -> CrisisDetail:
    """A JSON twin's write: a refusal rolls back and answers 400 with its message; else the case as it now is."""
    try:
        write()
    except CrisisCaseError as exc:
        session.rollback()
        raise HTTPException(400, str(exc)) from exc
    return _after_write(request, session, viewer, school_id, case_id)


def _after_write(request: Request, session: Session, viewer: Viewer, school_id: int, case_id: int) -> CrisisDetail:
    ctx = web_context(request)
    detail = read_crisis_case(session, viewer, school_id=school_id, case_id=case_id, now=ctx.now(), book=ctx.book,
                              purpose="api")
    session.commit()
    return detail
