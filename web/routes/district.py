"""The district: the escalation inbox (签收, 督办) and the on-time dashboard, for the district's officers only.

Officers see schools as counts, due dates and escalations, never a student's name: inbox items carry the
school, the step, the class and the role (xinyu.chase.inbox), the dashboard only counts.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError
from sqlmodel import Session

from web.context import db_session, web_context
from web.exports import Sheet, xlsx_response
from web.params import MAX_ID, problems
from web.routes.inspections import OpenFindingOut, district_counts, district_findings, finding_out
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.chase.inbox import InboxConflict, InboxError, InboxItem, acknowledge, issue_notice
from xinyu.chase.inbox_bulk import BulkResult, NotTheOfficers, acknowledge_many, notice_many
from xinyu.chase.inbox_page import (
    REASON_LABELS,
    STATUS_LABELS,
    STATUS_VIEWS,
    VIEW_LABELS,
    InboxPage,
    group_items,
    inbox_page,
    officer_item,
)
from xinyu.district_dashboard import (
    MIN_MONTH_WORK,
    MIN_SCHOOL_WORK,
    OK_AT,
    SHORT_BELOW,
    OnTimeTable,
    Rate,
    on_time_table,
)

router = APIRouter()
TAG = "区县督办"
EscalationId = Annotated[int, Path(ge=1, le=MAX_ID, description="督办箱事项编号")]
StatusView = Literal["open", "new", "acknowledged", "resolved", "all"]
Order = Literal["overdue", "newest"]
Level = Literal["district", "school"]
Reason = Literal["overdue", "crisis"]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="公历年份，默认今年")]
NOTICE_LABELS = {"open": "整改中", "overdue": "整改逾期", "done": "已整改", "carried": "已结转"}
ORDER_LABELS = {"overdue": "逾期最久在前", "newest": "最新上报在前"}
OK_MESSAGES = {"ack": "第 {id} 项已签收。", "notice": "第 {id} 项已下发督办通知，学校组长将收到整改任务。",
               "acks": "已签收 {n} 项。", "notices": "已督办 {n} 项：向 {m} 所学校各下发一份督办通知。"}
SKIPPED_NOTE = "另有 {k} 项已处理过或已办结，未改动。"



ERRORS = problems({
    400: "督办要求不完整或期限不对，未写入任何内容",
    404: "事项不存在，或不属于您负责的区县",
    409: "事项已办结或已下发过督办通知，未写入任何内容",
})


# --- the inbox ------------------------------------------------------------------------------------------


class NoticeOut(BaseModel):
    task_id: int = Field(description="学校整改任务编号（组长负责）")
    due: date
    status: Literal["open", "overdue", "done", "carried"]


class InboxItemOut(BaseModel):
    id: int
    school_id: int
    school: str
    board_url: str = Field(description="该校月度看板（计数与日期）")
    class_label: str | None = Field(description="班级（按班任务）")
    step: str
    step_label: str
    kind: str
    role: str = Field(description="责任角色")
    role_code: str
    level: str
    reason: Reason
    summary: str = Field(description="工作类别｜班级｜角色：不含任何姓名")
    due: date
    days_overdue: int = Field(description="逾期工作日数（未办结时按今天实时计算）")
    raised_at: datetime | None
    status: Literal["new", "acknowledged", "resolved"]
    task_id: int | None = Field(description="学校当前要完成的任务（结转链上最新的一个）")
    notice: NoticeOut | None
    resolution: str | None


class StatusCounts(BaseModel):
    new: int
    acknowledged: int
    resolved: int


class InboxPageOut(BaseModel):
    items: list[InboxItemOut]
    total: int
    page: int
    pages: int
    page_size: int
    counts: StatusCounts
    open_findings: list[OpenFindingOut] = Field(default=[], description="专项巡查未整改的问题（QD-S2）")


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=30, description="整改期限（工作日）")
    text: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$", description="督办要求（请勿填写学生姓名）")


def _item_out(item: InboxItem) -> InboxItemOut:
    notice = item.notice
    return InboxItemOut(
        id=item.id, school_id=item.school_id, school=item.school, board_url=f"/schools/{item.school_id}/board",
        class_label=item.class_label, step=item.step, step_label=item.step_label, kind=item.kind, role=item.role,
        role_code=item.role_code, level=item.level, reason=item.reason,  # type: ignore[arg-type]
        summary=item.summary, due=item.due, days_overdue=item.days_overdue, raised_at=item.raised_at,
        status=item.status, task_id=item.task_id, resolution=item.resolution,  # type: ignore[arg-type]
        notice=NoticeOut(task_id=notice.task_id, due=notice.due, status=notice.status)  # type: ignore[arg-type]
        if notice else None,
    )


def _require_officer(viewer: Viewer) -> frozenset[int]:
    if not viewer.is_officer:
        raise AccessDenied("not a district officer")
    return viewer.district_ids


RESOLUTION_LABELS = {"task_done": "学校已完成", "extended": "已批准延期", "case_closed": "个案已结案"}


class InboxView:
    """The filters of the inbox page, as the query string carries them (and as a form posts them back)."""

    def __init__(self, status: str = "open", school: int | None = None, reason: str | None = None,
                 sort: str = "overdue", page: int = 1, level: str | None = None) -> None:
        self.status, self.school, self.reason, self.sort, self.page, self.level = (
            status, school, reason, sort, page, level)

    @classmethod
    def lenient(cls, query: str) -> "InboxView":
        """From a posted `back` string: anything malformed falls back to the default."""
        given = dict(parse_qsl(query[:500]))
        school, page_no = given.get("school", ""), given.get("page", "")
        return cls(
            status=given.get("status", "") if given.get("status") in STATUS_VIEWS else "open",
            school=int(school) if school.isdigit() and int(school) <= MAX_ID else None,
            reason=given.get("reason") if given.get("reason") in REASON_LABELS else None,
            sort=given.get("sort", "") if given.get("sort") in ORDER_LABELS else "overdue",
            page=int(page_no) if page_no.isdigit() and 1 <= int(page_no) <= 10_000 else 1,
            level=given.get("level") if given.get("level") in ("district", "school") else None,
        )

    def query(self, **changes: Any) -> str:
        values = {"status": self.status, "school": self.school, "level": self.level, "reason": self.reason,
                  "sort": self.sort, "page": self.page, **changes}
        defaults = {"status": "open", "sort": "overdue", "page": 1}
        return urlencode({k: v for k, v in values.items() if v not in (None, "") and defaults.get(k) != v})


def _load_page(request: Request, session: Session, viewer: Viewer, view: InboxView) -> InboxPage:
    ctx = web_context(request)
    return inbox_page(session, district_ids=_require_officer(viewer), today=ctx.today(), book=ctx.book,
                      status=view.status, school_id=view.school, level=view.level, reason=view.reason,
                      order=view.sort, page=view.page)


def _inbox_html(request: Request, session: Session, viewer: Viewer, view: InboxView, *, ok: str | None = None,
                error: str | None = None, status_code: int = 200) -> HTMLResponse:
    data = _load_page(request, session, viewer, view)
    findings = district_findings(request, session, viewer)  # QD-S2: open inspection findings
    return page(request, "district/inbox.html", status_code=status_code, p=data, view=view, ok=ok, error=error,
                findings=findings, groups=group_items(data.items),
                status_labels=STATUS_LABELS, view_labels=VIEW_LABELS, reason_labels=REASON_LABELS,
                notice_labels=NOTICE_LABELS, order_labels=ORDER_LABELS, resolutions=RESOLUTION_LABELS,
                back=view.query())


@router.get("/district/inbox", response_class=HTMLResponse, include_in_schema=False)
def inbox_html(
    request: Request, status: StatusView = "open", school: str = Query("", pattern=r"^[0-9]{0,10}$"),
    level: Literal["", "district", "school"] = "", reason: Literal["", "overdue", "crisis"] = "",
    sort: Order = "overdue", page_no: int = Query(1, alias="page", ge=1, le=10_000),
    ok: Literal["", "ack", "notice", "acks", "notices"] = "", item: int = Query(0, ge=0, le=MAX_ID),
    n: int = Query(0, ge=0, le=10_000), m: int = Query(0, ge=0, le=10_000), k: int = Query(0, ge=0, le=10_000),
    viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session),
) -> HTMLResponse:
    if school and int(school) > MAX_ID:
        raise AccessDenied(f"school {school}")
    view = InboxView(status=status, school=int(school) if school else None, reason=reason or None, sort=sort,
                     page=page_no, level=level or None)
    message = OK_MESSAGES[ok].format(id=item, n=n, m=m) + (SKIPPED_NOTE.format(k=k) if k else "") if ok else None
    return _inbox_html(request, session, viewer, view, ok=message)


@router.get("/api/district/inbox", response_model=InboxPageOut, tags=[TAG], summary="督办收件箱",
            responses={404: ERRORS[404]})
def inbox_api(
    request: Request, status: StatusView = "open", school: int | None = Query(None, ge=1, le=MAX_ID),
    level: Level | None = None, reason: Reason | None = None, sort: Order = "overdue",
    page_no: int = Query(1, alias="page", ge=1, le=10_000), viewer: Viewer = Depends(current_viewer),
    session: Session = Depends(db_session),
) -> InboxPageOut:
    """The officer's districts' escalations, 100 a page: `open` = new or acknowledged (the default).

    `overdue` puts open crisis reports first, then the oldest due date; `newest` the latest raised."""
    data = _load_page(request, session, viewer, InboxView(status=status, school=school, reason=reason, sort=sort,
                                                          page=page_no, level=level))
    return InboxPageOut(items=[_item_out(i) for i in data.items], total=data.total, page=data.page,
                        pages=data.pages, page_size=data.page_size, counts=StatusCounts(**data.counts),
                        open_findings=[finding_out(f) for f in district_findings(request, session, viewer)])


def _officer_write(request: Request, session: Session, viewer: Viewer, escalation_id: int, action: Any) -> InboxItem:
    """Check the item is the officer's (404 otherwise), run the core write, commit; a refusal writes nothing."""
    ctx = web_context(request)
    districts = _require_officer(viewer)
    officer_item(session, district_ids=districts, escalation_id=escalation_id, today=ctx.today(), book=ctx.book)
    try:
        action(ctx)
        session.commit()
    except DataError as exc:  # text the database will not store (PostgreSQL refuses NUL): nothing written
        session.rollback()
        raise InboxError("督办要求含有无法保存的字符，请修改后重试") from exc
    except BaseException:
        session.rollback()
        raise
    return officer_item(session, district_ids=districts, escalation_id=escalation_id, today=ctx.today(),
                        book=ctx.book)


def _ack(request: Request, session: Session, viewer: Viewer, escalation_id: int) -> InboxItem:
    return _officer_write(request, session, viewer, escalation_id, lambda ctx: acknowledge(
        session, escalation_id=escalation_id, by=viewer.person_id, now=ctx.now()))


def _notice(request: Request, session: Session, viewer: Viewer, escalation_id: int, days: int,
            text: str) -> InboxItem:
    return _officer_write(request, session, viewer, escalation_id, lambda ctx: issue_notice(
        session, escalation_id=escalation_id, by=viewer.person_id, workdays=days, text=text, now=ctx.now(),
        book=ctx.book))


def _refused(exc: InboxError) -> int:
    return 409 if isinstance(exc, InboxConflict) else 400


def _form_done(request: Request, session: Session, viewer: Viewer, back: str, escalation_id: int, ok: str,
               action: Any) -> Response:
    view = InboxView.lenient(back)
    try:
        action()
    except InboxError as exc:
        return _inbox_html(request, session, viewer, view, error=str(exc), status_code=_refused(exc))
    target = view.query(ok=ok, item=escalation_id)
    return RedirectResponse(f"/district/inbox?{target}#e{escalation_id}", status_code=303)


@router.post("/district/inbox/{escalation_id}/ack", include_in_schema=False)
def ack_form(request: Request, escalation_id: EscalationId, back: str = Form("", max_length=500),
             viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    return _form_done(request, session, viewer, back, escalation_id, "ack",
                      lambda: _ack(request, session, viewer, escalation_id))


@router.post("/api/district/inbox/{escalation_id}/ack", response_model=InboxItemOut, tags=[TAG],
             summary="签收", responses=ERRORS)
def ack_api(request: Request, escalation_id: EscalationId, viewer: Viewer = Depends(current_viewer),
            session: Session = Depends(db_session)) -> InboxItemOut:
    """The officer has seen the item (签收); acknowledging twice changes nothing."""
    try:
        return _item_out(_ack(request, session, viewer, escalation_id))
    except InboxError as exc:
        raise HTTPException(_refused(exc), str(exc)) from exc


@router.post("/district/inbox/{escalation_id}/notice", include_in_schema=False)
def notice_form(request: Request, escalation_id: EscalationId, days: str = Form(""),
                text: str = Form("", max_length=500), back: str = Form("", max_length=500),
                viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    ctx = web_context(request)
    officer_item(session, district_ids=_require_officer(viewer), escalation_id=escalation_id, today=ctx.today(),
                 book=ctx.book)  # someone else's item is not there, whatever the form says

    def act() -> None:
        workdays = days.strip()
        if not workdays.isdigit() or len(workdays) > 3:
            raise InboxError("整改期限应为 1–30 个工作日")
        _notice(request, session, viewer, escalation_id, int(workdays), text)
    return _form_done(request, session, viewer, back, escalation_id, "notice", act)


@router.post("/api/district/inbox/{escalation_id}/notice", response_model=InboxItemOut, tags=[TAG],
             summary="督办：下发整改通知", responses=ERRORS)
def notice_api(request: Request, escalation_id: EscalationId, body: NoticeIn, viewer: Viewer = Depends(current_viewer),
               session: Session = Depends(db_session)) -> InboxItemOut:
    """A notice (督办) to the school: a rectification task for its leader, due in `days` working days.

    Student names typed by mistake are replaced in what the school is sent; the district sees only the kind."""
    try:
        return _item_out(_notice(request, session, viewer, escalation_id, body.days, body.text))
    except InboxError as exc:
        raise HTTPException(_refused(exc), str(exc)) from exc


@router.post("/district/inbox/bulk", include_in_schema=False)
def bulk_form(request: Request, action: str = Form("", max_length=16),
              ids: list[int] = Form([], max_length=500), days: str = Form(""),
              text: str = Form("", max_length=500), back: str = Form("", max_length=500),
              viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> Response:
    """Several items at once, in one transaction: 签收 each, or 督办 with one notice per school.

    Items already handled are left alone, so a form sent twice changes and sends nothing the second time."""
    view = InboxView.lenient(back)
    districts = _require_officer(viewer)
    ctx = web_context(request)
    try:
        if action not in ("ack", "notice"):  # checked after the officer: nobody else learns the form
            raise InboxError("请选择签收或督办")
        if not ids:
            raise InboxError("请先勾选要处理的事项")
        if any(not 1 <= i <= MAX_ID for i in ids):
            raise AccessDenied("escalation")
        if action == "ack":
            result: BulkResult = acknowledge_many(session, ids, by=viewer.person_id, now=ctx.now(),
                                                  district_ids=districts)
        else:
            workdays = days.strip()
            if not workdays.isdigit() or len(workdays) > 3:
                raise InboxError("整改期限应为 1–30 个工作日")
            result = notice_many(session, ids, by=viewer.person_id, workdays=int(workdays), text=text,
                                 now=ctx.now(), book=ctx.book, district_ids=districts)
        session.commit()
    except DataError:
        session.rollback()
        return _inbox_html(request, session, viewer, view, error="督办要求含有无法保存的字符，请修改后重试",
                           status_code=400)
    except NotTheOfficers as exc:
        session.rollback()
        raise AccessDenied("escalation") from exc  # someone else's item is not there, whatever the form says
    except InboxError as exc:
        session.rollback()
        return _inbox_html(request, session, viewer, view, error=str(exc), status_code=_refused(exc))
    except BaseException:
        session.rollback()
        raise
    target = view.query(ok="acks" if action == "ack" else "notices", n=len(result.done), m=len(result.notices),
                        k=len(result.skipped))
    return RedirectResponse(f"/district/inbox?{target}", status_code=303)


# --- the dashboard --------------------------------------------------------------------------------------


DEFINITION = (
    "按时完成率 = 按期完成的工作 ÷ 到期的工作。计入的工作：月度闭环各步骤的任务、领导小组会议决定、"
    "“1+1”整改、区县督办通知和专项巡查整改（危机个案与“补做”任务不计入）。结转到下月的工作只算一次，计入它最初到期的月份；"
    "截止日期前批准的延期以新的截止日期为准。当天及以后到期、尚未完成的工作暂不计入。按期：完成日期（北京时间）不晚于截止日期。"
    "逾期后才批准的延期不算按期：这类工作计为未按期，并单列为“逾期后获批延期”。"
    f"全区某月计入的工作少于{MIN_MONTH_WORK}项，或不足全区一半学校有到期工作时，该月标为“样本不足”"
    f"（学校某月少于{MIN_SCHOOL_WORK}项同样标注），不着色、不参与排名。"
    "全区比率按全区工作合计计算，不是各校比率的平均。"
)


class RateOut(BaseModel):
    on_time: int = Field(description="按期完成")
    due: int = Field(description="到期（计入）的工作")
    rate: float | None = Field(description="on_time ÷ due；没有到期工作时为空")
    late_extended: int = Field(description="逾期后获批延期：计入 due、不计入 on_time")
    thin: bool = Field(description="样本不足：比率仅供参考，不着色、不排名")


class SchoolRatesOut(BaseModel):
    school_id: int
    name: str
    board_url: str
    months: dict[str, RateOut] = Field(description="YYYY-MM → 比率；没有到期工作的月份不列出")
    year: RateOut
    open_escalations: int = Field(description="未办结的督办箱事项")


class OnTimeOut(BaseModel):
    year: int
    through: date = Field(description="统计截至（不含）这一天到期的工作，以及已完成的工作")
    definition: str
    min_month_work: int = Field(description="全区某月计入的工作少于此数即为样本不足")
    months: list[str]
    district: dict[str, RateOut]
    district_year: RateOut
    schools: list[SchoolRatesOut]


def _rate_out(rate: Rate) -> RateOut:
    return RateOut(on_time=rate.on_time, due=rate.due, rate=None if rate.value is None else round(rate.value, 4),
                   late_extended=rate.late_extended, thin=rate.thin)


def _table(request: Request, session: Session, viewer: Viewer, year: int | None) -> OnTimeTable:
    ctx = web_context(request)
    return on_time_table(session, district_ids=_require_officer(viewer), year=year or ctx.today().year,
                         today=ctx.today())


def _chart_data(table: OnTimeTable) -> dict[str, Any]:
    """What district.js draws: the district's line, and the schools' bars (the five lowest when many).
    A rate too few to judge is drawn grey (`thin`) and a school whose year is so is never ranked lowest."""
    ranked = sorted((s for s in table.schools if s.year.due), key=lambda s: (s.year.thin, s.year.value, s.name))
    shown = ranked if len(ranked) <= 8 else ranked[:5]
    return {
        "months": table.months, "labels": [f"{int(m[5:])}月" for m in table.months],
        "district": [table.district(m).percent for m in table.months],
        "district_thin": [table.district(m).thin for m in table.months],
        "schools": [{"name": s.name, "rates": [s.month(m).percent for m in table.months],
                     "thin": [s.month(m).thin for m in table.months]} for s in shown],
        "few": len(ranked) <= 8,
    }


@router.get("/district/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_html(request: Request, year: Year = None, viewer: Viewer = Depends(current_viewer),
                   session: Session = Depends(db_session)) -> HTMLResponse:
    table = _table(request, session, viewer, year)
    inspections = district_counts(request, session, viewer, table.year)  # QD-S2: against the minimum
    return page(request, "district/dashboard.html", t=table, chart=_chart_data(table), definition=DEFINITION,
                ok_at=round(OK_AT * 100), short_below=round(SHORT_BELOW * 100), zero=Rate(), year=table.year,
                schools=inspections)


@router.get("/api/district/on-time", response_model=OnTimeOut, tags=[TAG], summary="按时完成率（学校 × 月份）")
def on_time_api(request: Request, year: Year = None, viewer: Viewer = Depends(current_viewer),
                session: Session = Depends(db_session)) -> OnTimeOut:
    """On-time rate per school and month of the officer's districts, with open escalations per school."""
    table = _table(request, session, viewer, year)
    return OnTimeOut(
        year=table.year, through=table.through, definition=DEFINITION, min_month_work=MIN_MONTH_WORK,
        months=table.months,
        district={m: _rate_out(table.district(m)) for m in table.months}, district_year=_rate_out(table.district_year),
        schools=[SchoolRatesOut(school_id=s.school_id, name=s.name, board_url=f"/schools/{s.school_id}/board",
                                months={m: _rate_out(s.month(m)) for m in s.months}, year=_rate_out(s.year),
                                open_escalations=s.open_escalations) for s in table.schools],
    )


@router.get("/district/on-time.xlsx", include_in_schema=False)
def on_time_xlsx(request: Request, year: Year = None, viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> Response:
    table = _table(request, session, viewer, year)
    labels = [f"{int(m[5:])}月" for m in table.months]

    def percent(rate: Rate) -> float | str:
        return "" if rate.value is None else round(rate.value * 100, 1)

    def counts(rate: Rate) -> str:
        if not rate.due:
            return ""
        late = f"，逾期后获批延期{rate.late_extended}" if rate.late_extended else ""
        return f"{rate.on_time}/{rate.due}{late}{'（样本不足）' if rate.thin else ''}"

    rows: list[tuple[str, list[Rate], Rate, Any]] = [
        (s.name, [s.month(m) for m in table.months], s.year, s.open_escalations) for s in table.schools]
    rows.append(("全区", [table.district(m) for m in table.months], table.district_year,
                 sum(s.open_escalations for s in table.schools)))
    header = ["学校", *(f"{label}(%)" for label in labels), "全年(%)", "未办结督办"]
    return xlsx_response(f"按时完成率-{table.year}.xlsx", [
        Sheet(f"{table.year}年按时完成率", header,
              [[name, *(percent(r) for r in rates), percent(year_rate), open_count]
               for name, rates, year_rate, open_count in rows]),
        Sheet("按期完成数÷到期数", ["学校", *labels, "全年"],
              [[name, *(counts(r) for r in rates), counts(year_rate)] for name, rates, year_rate, _ in rows]),
        Sheet("口径说明", ["说明"], [[DEFINITION], [f"统计日期：{table.through.isoformat()}"]]),
    ])
