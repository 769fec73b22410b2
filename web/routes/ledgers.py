"""Ledgers A–D (QD-ANNEX: 四类工作台账ABCD可以分别建立，也可以有机结合) and the crisis case page.

Pages and their JSON twins share xinyu.ledgers.views: the same scope (whole-school staff see the school,
homeroom teachers their classes, officers nothing), ledger C for its readers (xinyu.crisis.access) and a
case's handler, and an audit row for every read of crisis records (committed by the route). One crisis
case has its own pages: web/routes/crisis.py.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from models import School
from web.context import db_session, web_context
from web.exports import Sheet, xlsx_response
from web.params import MAX_ID, SchoolId, problems
from web.routes.screening import screening_panel
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.clock import as_local
from xinyu.crisis.access import opener_kind
from xinyu.ledgers.key_student_views import pending_count
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
from xinyu.packs import Pack, tier_label

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
    opener = opener_kind(session, viewer, school_id, web_context(request).book)  # who may open a crisis case
    pending = pending_count(session, school_id) if view == "B" and viewer.sees_whole_school(school_id) else None
    screening = (screening_panel(session, viewer, school_id, scope.class_ids, web_context(request).today())
                 if view == "A" else None)
    pack = _school_pack(session, request, school_id)
    return page(request, "ledgers/index.html", listing=listing, view_labels=tiered_view_labels(pack),
                no_access=NO_ACCESS, when=when, query=_query, crisis_opener=opener, pending_proposals=pending,
                screening=screening, tiers=pack.tiers)


def tiered_view_labels(pack: Pack) -> dict[str, str]:
    """The tabs; a pack with tiers (JN-3) names each ledger's tier: “一级 发展 · A台账 心理测评与档案台账”."""
    return {**VIEW_LABELS, **{k: f"{tier_label(pack, k)} {LEDGER_LABELS[k]}" for k in "ABCD" if tier_label(pack, k)}}


def _school_pack(session: Session, request: Request, school_id: int) -> Pack:
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    return web_context(request).book.pack(school.pack)


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
