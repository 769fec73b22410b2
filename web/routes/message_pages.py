"""Pages that messages link to (xinyu.links) and no menu needs: one district inbox item, a crisis alert.

A district digest names each item; its link opens that item with the inbox's own actions (签收, 督办).
The crisis relay's message opens the alert page of xinyu.crisis.alert (no ledger C details).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from web.context import db_session, web_context
from web.params import MAX_ID
from web.routes.district import (
    NOTICE_LABELS,
    ORDER_LABELS,
    RESOLUTION_LABELS,
    InboxView,
    _require_officer,
)
from web.security import current_viewer
from web.templating import page
from xinyu.access import Viewer
from xinyu.chase.inbox import InboxFilter, count_escalations
from xinyu.chase.inbox_page import (
    PAGE_SIZE,
    REASON_LABELS,
    STATUS_LABELS,
    VIEW_LABELS,
    InboxPage,
    district_schools,
    group_items,
    officer_item,
)
from xinyu.clock import as_local
from xinyu.crisis.alert import crisis_alert

router = APIRouter()
EscalationId = Annotated[int, Path(ge=1, le=MAX_ID, description="督办箱事项编号")]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="危机个案 id（C-编号）")]


@router.get("/district/inbox/{escalation_id}", response_class=HTMLResponse, include_in_schema=False)
def inbox_item_page(request: Request, escalation_id: EscalationId, viewer: Viewer = Depends(current_viewer),
                    session: Session = Depends(db_session)) -> HTMLResponse:
    """One item of the officer's inbox, whatever its status, with the inbox's actions; 404 for another's."""
    ctx = web_context(request)
    districts = _require_officer(viewer)
    item = officer_item(session, district_ids=districts, escalation_id=escalation_id, today=ctx.today(),
                        book=ctx.book)
    view = InboxView(status="all")
    counts = count_escalations(session, InboxFilter(district_ids=districts, statuses=tuple(STATUS_LABELS)))
    data = InboxPage(items=[item], total=1, page=1, pages=1, page_size=PAGE_SIZE, counts=counts,
                     schools=district_schools(session, districts))
    return page(request, "district/inbox.html", p=data, view=view, ok=None, error=None, single=item.id,
                groups=group_items([item]), status_labels=STATUS_LABELS, view_labels=VIEW_LABELS,
                reason_labels=REASON_LABELS,
                notice_labels=NOTICE_LABELS, order_labels=ORDER_LABELS, resolutions=RESOLUTION_LABELS,
                back=view.query())


@router.get("/crisis-alerts/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def crisis_alert_page(request: Request, case_id: CaseId, viewer: Viewer = Depends(current_viewer),
                      session: Session = Depends(db_session)) -> HTMLResponse:
    ctx = web_context(request)
    alert = crisis_alert(session, viewer, case_id, today=ctx.today(), book=ctx.book)
    return page(request, "crisis/alert.html", a=alert,
                when=lambda moment: f"{as_local(moment):%Y-%m-%d %H:%M}" if moment else "—")
