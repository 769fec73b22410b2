"""Jinja2 for pages: one environment, the viewer and CSRF token in every page's context."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web.calendar_banner import calendar_banner
from web.context import web_context
from xinyu.clock import as_local
from xinyu.grades import grade_label
from xinyu.roles import role_label

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(role_label=role_label, grade_label=grade_label, calendar_banner=calendar_banner)
templates.env.filters["md"] = lambda d: f"{d:%m-%d}" if d else "—"


def history_value(value: Any) -> str:
    """A value of a record's history as people read it: 是/否, lists joined, an empty value as （空）."""
    if value is True or value is False:
        return "是" if value else "否"
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


templates.env.filters["history_value"] = history_value
templates.env.filters["local_time"] = lambda t: f"{as_local(t):%Y-%m-%d %H:%M}" if t else "—"


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; `viewer`, `csrf_token`, `today` and `nav` are always there."""
    viewer = getattr(request.state, "viewer", None)
    base = {
        "viewer": viewer,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "today": web_context(request).today(),
        "nav": navigation(viewer),
        "path": request.url.path,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def navigation(viewer: Any) -> list[tuple[str, str]]:
    """The menu a viewer's roles call for: officers work the district, staff their school."""
    if viewer is None:
        return []
    links: list[tuple[str, str]] = []
    if viewer.school_ids:
        school = min(viewer.school_ids)
        links += [("我的任务", "/tasks"), ("月度看板", f"/schools/{school}/board"),
                  ("课程1+1", f"/schools/{school}/courses")]
        if viewer.sees_whole_school(school):
            links += [("台账", f"/schools/{school}/ledgers"), ("会议", f"/schools/{school}/meeting"),
                      ("年度清单", f"/schools/{school}/year")]
        elif viewer.class_ids or viewer.grade_scopes:
            links.append(("台账", f"/schools/{school}/ledgers"))  # their classes' rows of ledgers A, B, D
        if viewer.sees_whole_school(school) or "homeroom" in viewer.roles:  # ledger D on a phone (QD-2)
            links += [("谈心反馈", f"/schools/{school}/talks"), ("一生一谈", f"/schools/{school}/coverage")]
        if viewer.sees_whole_school(school):
            links.append(("心理健康网络", f"/schools/{school}/network"))
            links.append(("培训学时", f"/schools/{school}/training"))
    if viewer.is_admin:
        links.append(("区县管理", "/admin"))
    led = sorted(s for s in viewer.school_roles if viewer.leads(s))
    if led and not viewer.is_admin:
        links.append(("人员与账号", f"/admin/schools/{led[0]}"))
    if viewer.is_officer:
        links += [("督办收件箱", "/district/inbox"), ("数据看板", "/district/dashboard"),
                  ("学校看板", "/district/board"), ("专项巡查", "/district/inspections"),
                  ("心理健康网络", "/district/network")]
    links += roster_links(viewer)
    links.append(("修改密码", "/account/password"))
    return links


def roster_links(viewer: Any) -> list[tuple[str, str]]:
    """名册: the school's leader keeps the school's roster, a 区县管理员 the district's (web/routes/roster_upload)."""
    if viewer.is_admin:
        return [("名册", "/roster")]
    led = sorted(s for s in viewer.school_roles if viewer.leads(s))
    return [("名册", f"/schools/{led[0]}/roster")] if led else []
