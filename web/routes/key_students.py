"""Ledger B 一生一案 on the web (QD-2, GZ-5.1): the keepers' form (new, edit, close, history) and the proposals a
homeroom teacher makes from their class, which the psychology teacher accepts or declines.

Pages and their JSON twins share xinyu.ledgers.key_students (rules), xinyu.ledgers.proposals and
xinyu.ledgers.key_student_views (what each viewer may read). Outsiders: 404.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from models import KeyStudentPlan, School, Student
from web.context import db_session, web_context
from web.params import MAX_ID, SchoolId, problems
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer, visible_class_ids
from xinyu.ledgers.key_student_views import (
    FIELD_LABELS,
    PlanChoices,
    PlanDetail,
    ProposalListing,
    find_plan,
    plan_choices,
    plan_detail,
    proposal_listing,
    require_keeper_viewer,
)
from xinyu.ledgers.key_students import (
    PLAN_FIELDS,
    STATUS_LABELS,
    KeyStudentError,
    PlanInput,
    close_plan,
    create_plan,
    update_plan,
)
from xinyu.ledgers.proposals import accept_proposal, decline_proposal, propose
from xinyu.ledgers.protector import ProtectorView, assign_protector, protector_view, sees_protectors
from xinyu.packs import KeyStudentRule

router = APIRouter()
TAG = "台账"
PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="一生一案 id（B-编号）")]
ProposalId = Annotated[int, Path(ge=1, le=MAX_ID, description="推荐 id")]
ClassPick = Annotated[int | None, Query(alias="class", ge=1, le=MAX_ID, description="班级")]
ERRORS = problems({400: "内容不符合规则（中文说明），未写入", 404: "学校、学生、方案或推荐不存在，或无权查看"})
OK = {"created": "已建立一生一案。", "saved": "已保存。", "closed": "已结案。", "protector": "已更新隐形保护人。",
      "accepted": "已接受推荐，已建立草稿方案，请补全五项内容。", "declined": "已标记为不采纳。",
      "proposed": "已推荐给专职心理教师。"}


class PlanIn(PlanInput):
    model_config = ConfigDict(extra="forbid")


class NewPlanIn(PlanIn):
    student_id: int = Field(ge=1, le=MAX_ID)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)
    closed_on: date | None = None


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_id: int = Field(ge=1, le=MAX_ID)
    note: str = Field(default="", max_length=500)


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


def _rule(request: Request, session: Session, school_id: int) -> KeyStudentRule:
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    return web_context(request).book.pack(school.pack).key_students


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(f"{FIELD_LABELS.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else ''}：内容过长或格式不对"
                        for e in exc.errors())
    return str(exc)


def _refuse(session: Session, exc: Exception) -> HTTPException:
    session.rollback()
    return HTTPException(400, _message(exc))


def _form_input(family_situation: str, difficulties: str, study_plan: str, growth_advice: str,
                progression_path: str, mentor_id: str, reason: str, categories: list[str],
                parents_informed_on: str) -> PlanInput:
    informed = parents_informed_on.strip()
    try:
        informed_on = date.fromisoformat(informed) if informed else None
    except ValueError:
        raise KeyStudentError(f"告知家长日期应为 YYYY-MM-DD，实为 {informed!r}") from None
    mentor = mentor_id.strip()
    if mentor and not (mentor.isdigit() and 1 <= int(mentor) <= MAX_ID):
        raise KeyStudentError("成长导师选择无效")
    return PlanInput(family_situation=family_situation, difficulties=difficulties, study_plan=study_plan,
                     growth_advice=growth_advice, progression_path=progression_path,
                     mentor_id=int(mentor) if mentor else None, reason=reason, categories=categories,
                     parents_informed_on=informed_on)


def _check_student(session: Session, viewer: Viewer, school_id: int, student_id: int) -> Student:
    student = session.get(Student, student_id)
    if student is None or student.school_id != school_id:
        raise AccessDenied(f"student {student_id}")
    visible = visible_class_ids(session, viewer, school_id)
    if visible is not None and student.class_id not in visible:
        raise AccessDenied(f"student {student_id}")
    return student


# ---- new plan ----

def _new_page(request: Request, choices: PlanChoices, *, values: dict[str, object] | None = None,
              student_id: int | None = None, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, "ledgers/key_student.html", status_code=status_code, plan=None, choices=choices,
                values=values or {"reason": "教师推荐", "categories": []}, student_id=student_id, error=error,
                ok=None, field_labels=FIELD_LABELS, plan_fields=PLAN_FIELDS, status_labels=STATUS_LABELS)


@router.get("/schools/{school_id}/key-students/new", response_class=HTMLResponse, include_in_schema=False)
def new_plan_page(request: Request, school_id: SchoolId, class_id: ClassPick = None,
                  student: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                  viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    choices = plan_choices(session, viewer, school_id, _rule(request, session, school_id), class_id)
    return _new_page(request, choices, student_id=student)


@router.post("/schools/{school_id}/key-students", include_in_schema=False)
def new_plan_form(
    request: Request, school_id: SchoolId, student_id: int = Form(ge=1, le=MAX_ID),
    class_id: int = Form(ge=1, le=MAX_ID),
    family_situation: str = Form("", max_length=2000), difficulties: str = Form("", max_length=2000),
    study_plan: str = Form("", max_length=2000), growth_advice: str = Form("", max_length=2000),
    progression_path: str = Form("", max_length=2000), mentor_id: str = Form("", max_length=12),
    reason: str = Form("教师推荐", max_length=16), categories: list[str] = Form([]),
    parents_informed_on: str = Form("", max_length=20),
    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session),
) -> Response:
    rule = _rule(request, session, school_id)
    require_keeper_viewer(viewer, school_id)
    _check_student(session, viewer, school_id, student_id)
    values: dict[str, object] = {
              "family_situation": family_situation, "difficulties": difficulties, "study_plan": study_plan,
              "growth_advice": growth_advice, "progression_path": progression_path, "mentor_id": mentor_id,
              "reason": reason, "categories": categories[:20], "parents_informed_on": parents_informed_on}
    try:
        plan = create_plan(session, school_id=school_id, student_id=student_id,
                           values=_form_input(**values), by=viewer.person_id,  # type: ignore[arg-type]
                           now=web_context(request).now(), rule=rule)
    except (KeyStudentError, ValidationError) as exc:
        session.rollback()
        choices = plan_choices(session, viewer, school_id, rule, class_id)
        return _new_page(request, choices, values=values, student_id=student_id, error=_message(exc),
                         status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/key-students/{plan.id}?ok=created", status_code=303)


@router.get("/api/schools/{school_id}/key-students/choices", response_model=PlanChoices, tags=[TAG], responses=ERRORS)
def choices_api(request: Request, school_id: SchoolId, class_id: ClassPick = None,
                viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> PlanChoices:
    """新建一生一案表单的选项：班级、该班学生、成长导师及其在帮扶人数与上限（GZ-5.1）、列入原因、处境不利类别（JL-12）。
    仅专职心理教师和领导小组成员。"""
    return plan_choices(session, viewer, school_id, _rule(request, session, school_id), class_id)


@router.post("/api/schools/{school_id}/key-students", response_model=PlanDetail, tags=[TAG], responses=ERRORS)
def new_plan_api(request: Request, school_id: SchoolId, body: NewPlanIn, viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> PlanDetail:
    """新建一生一案（QD-2）：五项齐全即“在案”（active），否则为草稿；成长导师超过政策包上限（GZ-5.1）、
    学生已有未结案的方案时拒绝。仅专职心理教师和领导小组成员。"""
    rule = _rule(request, session, school_id)
    require_keeper_viewer(viewer, school_id)
    _check_student(session, viewer, school_id, body.student_id)
    now = web_context(request).now()
    try:
        plan = create_plan(session, school_id=school_id, student_id=body.student_id,
                           values=PlanInput(**body.model_dump(exclude={"student_id"})), by=viewer.person_id,
                           now=now, rule=rule)
    except KeyStudentError as exc:
        raise _refuse(session, exc) from exc
    session.commit()
    assert plan.id is not None
    return plan_detail(session, viewer, school_id, plan.id, now=now)


# ---- proposals (before /{plan_id}: the paths overlap) ----

def _proposals_page(request: Request, listing: ProposalListing, *, ok: str | None = None, error: str | None = None,
                    status_code: int = 200) -> HTMLResponse:
    return page(request, "ledgers/key_student_proposals.html", status_code=status_code, L=listing, ok=ok,
                error=error)


@router.get("/schools/{school_id}/key-students/proposals", response_class=HTMLResponse, include_in_schema=False)
def proposals_page(request: Request, school_id: SchoolId, class_id: ClassPick = None, ok: str = "",
                   viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    return _proposals_page(request, proposal_listing(session, viewer, school_id, class_id), ok=OK.get(ok))


@router.get("/api/schools/{school_id}/key-students/proposals", response_model=ProposalListing, tags=[TAG],
            responses=ERRORS)
def proposals_api(school_id: SchoolId, class_id: ClassPick = None, viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> ProposalListing:
    """列入重点关爱学生台账的推荐：专职心理教师和领导小组看全校（待处理与已处理），班主任看本班的。"""
    return proposal_listing(session, viewer, school_id, class_id)


def _propose(request: Request, session: Session, viewer: Viewer, school_id: int, student_id: int, note: str) -> None:
    student = _check_student(session, viewer, school_id, student_id)
    made = propose(session, school_id=school_id, class_id=student.class_id, student_ids=[student_id],
                   source="教师推荐", by=viewer.person_id, now=web_context(request).now(), note=note)
    if not made:
        raise KeyStudentError(f"学号 {student.student_no} 的学生已在台账中或已有待处理的推荐")


@router.post("/schools/{school_id}/key-students/proposals", include_in_schema=False)
def propose_form(request: Request, school_id: SchoolId, student_id: int = Form(ge=1, le=MAX_ID),
                 note: str = Form("", max_length=500), viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> Response:
    try:
        _propose(request, session, viewer, school_id, student_id, note)
    except KeyStudentError as exc:
        session.rollback()
        return _proposals_page(request, proposal_listing(session, viewer, school_id), error=str(exc),
                               status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/key-students/proposals?ok=proposed", status_code=303)


@router.post("/api/schools/{school_id}/key-students/proposals", response_model=ProposalListing, tags=[TAG],
             responses=ERRORS)
def propose_api(request: Request, school_id: SchoolId, body: ProposeIn, viewer: Viewer = Depends(current_viewer),
                session: Session = Depends(db_session)) -> ProposalListing:
    """推荐本班学生列入重点关爱学生台账（教师推荐），由专职心理教师接受或不采纳。只能推荐自己可见班级的学生。"""
    try:
        _propose(request, session, viewer, school_id, body.student_id, body.note)
    except KeyStudentError as exc:
        raise _refuse(session, exc) from exc
    session.commit()
    return proposal_listing(session, viewer, school_id)


def _decide(request: Request, session: Session, viewer: Viewer, school_id: int, proposal_id: int,
            decline: str | None) -> int | None:
    require_keeper_viewer(viewer, school_id)
    rule = _rule(request, session, school_id)
    now = web_context(request).now()
    try:
        if decline is None:
            return accept_proposal(session, proposal_id=proposal_id, school_id=school_id, by=viewer.person_id,
                                   now=now, rule=rule).id
        decline_proposal(session, proposal_id=proposal_id, school_id=school_id, by=viewer.person_id, now=now,
                         reason=decline)
        return None
    except LookupError as exc:
        raise AccessDenied(str(exc)) from exc


@router.post("/schools/{school_id}/key-students/proposals/{proposal_id}/accept", include_in_schema=False)
def accept_form(request: Request, school_id: SchoolId, proposal_id: ProposalId,
                viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    try:
        plan_id = _decide(request, session, viewer, school_id, proposal_id, None)
    except KeyStudentError as exc:
        session.rollback()
        return _proposals_page(request, proposal_listing(session, viewer, school_id), error=str(exc),
                               status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/key-students/{plan_id}?ok=accepted", status_code=303)


@router.post("/schools/{school_id}/key-students/proposals/{proposal_id}/decline", include_in_schema=False)
def decline_form(request: Request, school_id: SchoolId, proposal_id: ProposalId,
                 reason: str = Form(max_length=500), viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> Response:
    try:
        _decide(request, session, viewer, school_id, proposal_id, reason)
    except KeyStudentError as exc:
        session.rollback()
        return _proposals_page(request, proposal_listing(session, viewer, school_id), error=str(exc),
                               status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/key-students/proposals?ok=declined", status_code=303)


@router.post("/api/schools/{school_id}/key-students/proposals/{proposal_id}/accept", response_model=PlanDetail,
             tags=[TAG], responses=ERRORS)
def accept_api(request: Request, school_id: SchoolId, proposal_id: ProposalId,
               viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> PlanDetail:
    """接受推荐：建立草稿方案（列入原因为推荐来源：班级摸排或教师推荐），再补全五项。仅专职心理教师和领导小组成员。"""
    try:
        plan_id = _decide(request, session, viewer, school_id, proposal_id, None)
    except KeyStudentError as exc:
        raise _refuse(session, exc) from exc
    session.commit()
    assert plan_id is not None
    return plan_detail(session, viewer, school_id, plan_id, now=web_context(request).now())


@router.post("/api/schools/{school_id}/key-students/proposals/{proposal_id}/decline", response_model=ProposalListing,
             tags=[TAG], responses=ERRORS)
def decline_api(request: Request, school_id: SchoolId, proposal_id: ProposalId, body: DeclineIn,
                viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> ProposalListing:
    """不采纳推荐，须写明理由（班主任可见）。仅专职心理教师和领导小组成员。"""
    try:
        _decide(request, session, viewer, school_id, proposal_id, body.reason)
    except KeyStudentError as exc:
        raise _refuse(session, exc) from exc
    session.commit()
    return proposal_listing(session, viewer, school_id)


# ---- one plan ----

def _plan_page(request: Request, detail: PlanDetail, choices: PlanChoices | None, *,
               protector: ProtectorView | None = None, ok: str | None = None,
               error: str | None = None, values: dict[str, object] | None = None,
               status_code: int = 200) -> HTMLResponse:
    shown = values or {**{n: getattr(detail, n) for n in PLAN_FIELDS}, "mentor_id": str(detail.mentor_id or ""),
                       "reason": detail.reason, "categories": detail.categories,
                       "parents_informed_on": detail.parents_informed_on.isoformat()
                       if detail.parents_informed_on else ""}
    return page(request, "ledgers/key_student.html", status_code=status_code, plan=detail, choices=choices,
                values=shown, student_id=detail.student_id, ok=ok, error=error, field_labels=FIELD_LABELS,
                plan_fields=PLAN_FIELDS, status_labels=STATUS_LABELS, revisions=detail.history or [],
                protector=protector)


def _protector(request: Request, session: Session, viewer: Viewer, detail: PlanDetail) -> ProtectorView | None:
    """JN-5 隐形保护人: shown to the leader and the psychology teachers only (xinyu/ledgers/protector.py)."""
    plan = session.get(KeyStudentPlan, detail.id)
    if plan is None:
        return None
    return protector_view(session, plan, person_id=viewer.person_id, rule=_rule(request, session, detail.school_id))


@router.post("/schools/{school_id}/key-students/{plan_id}/protector", include_in_schema=False)
def protector_form(request: Request, school_id: SchoolId, plan_id: PlanId, protector_id: str = Form("", max_length=12),
                   viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    """JN-5: the leader or a psychology teacher sets (or clears) a key student's 隐形保护人."""
    plan, _ = find_plan(session, viewer, school_id, plan_id)
    if not sees_protectors(session, viewer.person_id, school_id):
        raise AccessDenied(f"protector {plan_id}")
    now = web_context(request).now()
    try:
        if protector_id.strip() and not protector_id.strip().isdigit():
            raise KeyStudentError("请选择隐形保护人")
        assign_protector(session, plan=plan, protector_id=int(protector_id) if protector_id.strip() else None,
                         by=viewer.person_id, now=now, rule=_rule(request, session, school_id))
    except KeyStudentError as exc:
        session.rollback()
        detail = plan_detail(session, viewer, school_id, plan_id, now=now)
        return _plan_page(request, detail, _choices_if_keeper(request, session, viewer, detail),
                          protector=_protector(request, session, viewer, detail), error=str(exc), status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/key-students/{plan_id}?ok=protector", status_code=303)


def _choices_if_keeper(request: Request, session: Session, viewer: Viewer, detail: PlanDetail) -> PlanChoices | None:
    if not detail.may_edit:
        return None
    return plan_choices(session, viewer, detail.school_id, _rule(request, session, detail.school_id))


@router.get("/schools/{school_id}/key-students/{plan_id}", response_class=HTMLResponse, include_in_schema=False)
def plan_page(request: Request, school_id: SchoolId, plan_id: PlanId, ok: str = "",
              viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    detail = plan_detail(session, viewer, school_id, plan_id, now=web_context(request).now())
    return _plan_page(request, detail, _choices_if_keeper(request, session, viewer, detail),
                          protector=_protector(request, session, viewer, detail), ok=OK.get(ok))


@router.get("/api/schools/{school_id}/key-students/{plan_id}", response_model=PlanDetail, tags=[TAG],
            responses=ERRORS)
def plan_api(request: Request, school_id: SchoolId, plan_id: PlanId, viewer: Viewer = Depends(current_viewer),
             session: Session = Depends(db_session)) -> PlanDetail:
    """一名重点关爱学生的一生一案：五项内容、成长导师、列入原因、处境不利类别、告知家长、结案；
    专职心理教师和领导小组成员可见修改记录；本班班主任只读；其他人 404。"""
    return plan_detail(session, viewer, school_id, plan_id, now=web_context(request).now())


def _editable(session: Session, viewer: Viewer, school_id: int, plan_id: int) -> KeyStudentPlan:
    plan, _ = find_plan(session, viewer, school_id, plan_id)
    require_keeper_viewer(viewer, school_id)
    return plan


@router.post("/schools/{school_id}/key-students/{plan_id}", include_in_schema=False)
def plan_form(
    request: Request, school_id: SchoolId, plan_id: PlanId,
    family_situation: str = Form("", max_length=2000), difficulties: str = Form("", max_length=2000),
    study_plan: str = Form("", max_length=2000), growth_advice: str = Form("", max_length=2000),
    progression_path: str = Form("", max_length=2000), mentor_id: str = Form("", max_length=12),
    reason: str = Form("教师推荐", max_length=16), categories: list[str] = Form([]),
    parents_informed_on: str = Form("", max_length=20),
    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session),
) -> Response:
    plan = _editable(session, viewer, school_id, plan_id)
    now = web_context(request).now()
    values: dict[str, object] = {
              "family_situation": family_situation, "difficulties": difficulties, "study_plan": study_plan,
              "growth_advice": growth_advice, "progression_path": progression_path, "mentor_id": mentor_id,
              "reason": reason, "categories": categories[:20], "parents_informed_on": parents_informed_on}
    try:
        update_plan(session, plan=plan, values=_form_input(**values), by=viewer.person_id,  # type: ignore[arg-type]
                    now=now, rule=_rule(request, session, school_id))
    except (KeyStudentError, ValidationError) as exc:
        session.rollback()
        detail = plan_detail(session, viewer, school_id, plan_id, now=now)
        return _plan_page(request, detail, _choices_if_keeper(request, session, viewer, detail),
                          protector=_protector(request, session, viewer, detail),
                          error=_message(exc), values=values, status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/key-students/{plan_id}?ok=saved", status_code=303)


@router.post("/api/schools/{school_id}/key-students/{plan_id}", response_model=PlanDetail, tags=[TAG],
             responses=ERRORS)
def plan_update_api(request: Request, school_id: SchoolId, plan_id: PlanId, body: PlanIn,
                    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> PlanDetail:
    """修改一生一案（整份提交）：旧值留在修改记录中；作者当月内的修改记为“更正”。仅专职心理教师和领导小组成员。"""
    plan = _editable(session, viewer, school_id, plan_id)
    now = web_context(request).now()
    try:
        update_plan(session, plan=plan, values=PlanInput(**body.model_dump()), by=viewer.person_id, now=now,
                    rule=_rule(request, session, school_id))
    except KeyStudentError as exc:
        raise _refuse(session, exc) from exc
    session.commit()
    return plan_detail(session, viewer, school_id, plan_id, now=now)


@router.post("/schools/{school_id}/key-students/{plan_id}/close", include_in_schema=False)
def close_form(request: Request, school_id: SchoolId, plan_id: PlanId, reason: str = Form(max_length=500),
               closed_on: str = Form("", max_length=20), viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> Response:
    plan = _editable(session, viewer, school_id, plan_id)
    now = web_context(request).now()
    try:
        try:
            day = date.fromisoformat(closed_on.strip()) if closed_on.strip() else None
        except ValueError:
            raise KeyStudentError(f"结案日期应为 YYYY-MM-DD，实为 {closed_on!r}") from None
        close_plan(session, plan=plan, reason=reason, by=viewer.person_id, now=now, closed_on=day)
    except KeyStudentError as exc:
        session.rollback()
        detail = plan_detail(session, viewer, school_id, plan_id, now=now)
        return _plan_page(request, detail, _choices_if_keeper(request, session, viewer, detail),
                          protector=_protector(request, session, viewer, detail), error=str(exc),
                          status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/key-students/{plan_id}?ok=closed", status_code=303)


@router.post("/api/schools/{school_id}/key-students/{plan_id}/close", response_model=PlanDetail, tags=[TAG],
             responses=ERRORS)
def close_api(request: Request, school_id: SchoolId, plan_id: PlanId, body: CloseIn,
              viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> PlanDetail:
    """结案：写明结案原因（可注明结案日期，默认今天）。仅专职心理教师和领导小组成员。"""
    plan = _editable(session, viewer, school_id, plan_id)
    now = web_context(request).now()
    try:
        close_plan(session, plan=plan, reason=body.reason, by=viewer.person_id, now=now, closed_on=body.closed_on)
    except KeyStudentError as exc:
        raise _refuse(session, exc) from exc
    session.commit()
    return plan_detail(session, viewer, school_id, plan_id, now=now)
