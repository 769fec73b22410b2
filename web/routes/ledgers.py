"""Ledgers A–D (QD-ANNEX: 四类工作台账ABCD可以分别建立，也可以有机结合) and the crisis case page.

Pages and their JSON twins share xinyu.ledgers.views and xinyu.crisis.records: the same scope (whole-school
staff see the school, homeroom teachers their classes, officers nothing), ledger C for the case's handler
and the school leader only, and an audit row for every read of crisis records (committed by the route).
"""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from web.context import db_session, web_context
from web.exports import Sheet, xlsx_response
from web.params import MAX_ID, SchoolId, problems
from web.routes.screening import screening_panel
from web.security import current_viewer
from web.templating import page
from xinyu.access import Viewer
from xinyu.clock import as_local
from xinyu.crisis.records import CrisisDetail, CrisisUpdate, CrisisUpdateError, read_crisis_case, update_crisis_case
from xinyu.ledgers.views import (
    LEDGER_LABELS,
    NO_ACCESS,
    PAGE_SIZE,
    LedgerListing,
    LedgerScope,
    LedgerView,
    export_tables,
    ledger_listing,
    ledger_scope,
)

router = APIRouter()
TAG = "台账"

CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="危机个案 id（C-编号）")]
ClassFilter = Annotated[int | None, Query(alias="class", ge=1, le=MAX_ID, description="只看这个班级")]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100_000, description=f"页码，每页 {PAGE_SIZE} 行")]
VIEW_LABELS = {"all": "综合（按学生）", **{k: f"{k} {v}" for k, v in LEDGER_LABELS.items()}}



ERRORS = problems({
    400: "内容不符合规则（中文说明），未写入",
    404: "学校、班级或个案不存在，或无权查看",
})


def when(moment: datetime | None) -> str:
    return as_local(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _scope(session: Session, viewer: Viewer, school_id: int, class_id: int | None) -> LedgerScope:
    return ledger_scope(session, viewer, school_id, class_id)


# ---- the ledgers ----

@router.get("/schools/{school_id}/ledgers", response_class=HTMLResponse, include_in_schema=False)
def ledgers_page(request: Request, school_id: SchoolId, view: LedgerView = "all", class_id: ClassFilter = None,
                 page_no: PageNumber = 1, viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> HTMLResponse:
    scope = _scope(session, viewer, school_id, class_id)
    listing = ledger_listing(session, scope, view=view, page=page_no, now=web_context(request).now())
    session.commit()  # the audit rows of a crisis read
    screening = (screening_panel(session, viewer, school_id, scope.class_ids, web_context(request).today())
                 if view == "A" else None)
    return page(request, "ledgers/index.html", listing=listing, view_labels=VIEW_LABELS, no_access=NO_ACCESS,
                when=when, query=_query, screening=screening)


def _query(listing: LedgerListing, **changes: object) -> str:
    """The page's query string with some parameters changed (tabs, class filter, pages, export)."""
    params: dict[str, object] = {"view": listing.view, "class": listing.class_id, "page": None}
    params.update(changes)
    return "&".join(f"{k}={v}" for k, v in params.items() if v not in (None, ""))


@router.get("/api/schools/{school_id}/ledgers/{letter}", response_model=LedgerListing, tags=[TAG], responses=ERRORS)
def ledgers_api(request: Request, school_id: SchoolId, letter: Annotated[LedgerView, Path(description="A|B|C|D|all")],
                class_id: ClassFilter = None, page_no: PageNumber = 1,
                viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> LedgerListing:
    """一类台账（A 心理测评与档案、B 重点关爱学生、C 心理危机干预与转介、D 谈心谈话与家校反馈）或按学生综合（all）。

    班主任只看本班学生；C 台账只有个案处置负责人和组长可见（其他人 `crisis_allowed=false`，
    没有条目也没有条数），每次读取都记入审计日志。区县人员：404。
    """
    scope = _scope(session, viewer, school_id, class_id)
    listing = ledger_listing(session, scope, view=letter, page=page_no, now=web_context(request).now())
    session.commit()
    return listing


@router.get("/schools/{school_id}/ledgers.xlsx", include_in_schema=False)
def ledgers_xlsx(request: Request, school_id: SchoolId, view: LedgerView = "all", class_id: ClassFilter = None,
                 viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    scope = _scope(session, viewer, school_id, class_id)
    ctx = web_context(request)
    tables = export_tables(session, scope, view=view, now=ctx.now())
    session.commit()
    name = "四类工作台账" if view == "all" else f"{view}台账"
    return xlsx_response(f"{scope.school_name}_{name}_{ctx.today().isoformat()}.xlsx",
                         [Sheet(t.title, t.header, t.rows) for t in tables])


# ---- one crisis case ----

@router.get("/schools/{school_id}/crisis/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def crisis_page(request: Request, school_id: SchoolId, case_id: CaseId, ok: int | None = Query(None, ge=0, le=1),
                viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    detail = read_crisis_case(session, viewer, school_id=school_id, case_id=case_id, now=web_context(request).now())
    session.commit()
    return _crisis_form(request, detail, ok=bool(ok))


def _crisis_form(request: Request, detail: CrisisDetail, *, ok: bool = False, error: str | None = None,
                 values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    shown = values or {
        "referral_hospital": detail.referral_hospital or "", "outcome": detail.outcome or "",
        "certificate_on": detail.certificate_on.isoformat() if detail.certificate_on else ""}
    return page(request, "ledgers/crisis.html", status_code=status_code, case=detail, ok=ok, error=error,
                values=shown, when=when)


@router.post("/schools/{school_id}/crisis/{case_id}", include_in_schema=False)
def crisis_update_form(
    request: Request, school_id: SchoolId, case_id: CaseId, referral_hospital: str = Form("", max_length=500),
    certificate_on: str = Form("", max_length=20), outcome: str = Form("", max_length=2000),
    close: str = Form(""), viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session),
) -> Response:
    now = web_context(request).now()
    values = {"referral_hospital": referral_hospital, "certificate_on": certificate_on, "outcome": outcome}
    try:
        change = CrisisUpdate(referral_hospital=referral_hospital, outcome=outcome, close=bool(close),
                              certificate_on=_date(certificate_on))
        update_crisis_case(session, viewer, school_id=school_id, case_id=case_id, change=change, now=now)
    except ValueError as exc:  # CrisisUpdateError, or pydantic's ValidationError (too long)
        session.rollback()
        detail = read_crisis_case(session, viewer, school_id=school_id, case_id=case_id, now=now, purpose="form error")
        session.commit()
        return _crisis_form(request, detail, error=_message(exc), values=values, status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/crisis/{case_id}?ok=1", status_code=303)


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise CrisisUpdateError(f"复学证明日期应为 YYYY-MM-DD，实为 {text!r}") from None


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        fields = {"referral_hospital": "转介医院", "outcome": "处置结果", "certificate_on": "复学证明日期"}
        return "；".join(f"{fields.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else ''}：内容过长或格式不对"
                        for e in exc.errors())
    return str(exc)


@router.get("/api/schools/{school_id}/crisis/{case_id}", response_model=CrisisDetail, tags=[TAG], responses=ERRORS)
def crisis_api(request: Request, school_id: SchoolId, case_id: CaseId, viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> CrisisDetail:
    """一个危机个案（C 台账）：只有处置负责人和组长可见，其他人 404；每次读取记入审计日志。"""
    detail = read_crisis_case(session, viewer, school_id=school_id, case_id=case_id, now=web_context(request).now(),
                              purpose="api")
    session.commit()
    return detail


@router.post("/api/schools/{school_id}/crisis/{case_id}", response_model=CrisisDetail, tags=[TAG], responses=ERRORS)
def crisis_update_api(request: Request, school_id: SchoolId, case_id: CaseId, change: CrisisUpdate,
                      viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)
                      ) -> CrisisDetail:
    """更新转介医院、复学证明日期、处置结果，或结案（结案需先有处置结果）。只限处置负责人和组长；记入审计日志。"""
    try:
        detail = update_crisis_case(session, viewer, school_id=school_id, case_id=case_id, change=change,
                                    now=web_context(request).now())
    except CrisisUpdateError as exc:
        session.rollback()
        raise HTTPException(400, str(exc)) from exc
    session.commit()
    return detail
