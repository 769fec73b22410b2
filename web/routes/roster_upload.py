"""Rosters kept on the web by the people who keep them: a school's leader (组长) uploads the school's roster,
a 区县管理员 any school's of the district, or a whole-district file that may create schools.

The same importer as `xinyu import` (CSV in UTF-8 or GBK, or XLSX): every bad row is shown (row, column, value,
message) and nothing of the file is written. "作为本校完整名册（替换）" first shows the preview (who is added,
whose roles change, who loses which roles); a second POST confirms it. Between the two the file waits in the
database (xinyu.roster.uploads: the confirmation may reach another worker process), and the confirmation applies
only what was previewed (its digest). A leader never reaches another school (404), nor a file naming one.
"""

from dataclasses import dataclass

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import update
from sqlmodel import Session, col, select

from models import District, RosterUpload, School
from web.context import db_session, web_context
from web.params import MAX_ID, SchoolId
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.roster import detect_kind, run_import
from xinyu.roster.columns import Kind
from xinyu.roster.errors import RosterError, RowError
from xinyu.roster.replace import apply_replace, preview_replace
from xinyu.roster.uploads import MAX_BYTES, as_file, checked_name, confirmable, keep_upload
from xinyu.roster.within import Within

router = APIRouter()
TEMPLATE = "roster/upload.html"


@dataclass(frozen=True)
class Target:
    """Where the page's file goes: one school, or the whole district."""

    district: District
    school: School | None
    within: Within

    @property
    def url(self) -> str:
        return f"/schools/{self.school.id}/roster" if self.school else f"/districts/{self.district.id}/roster"

    @property
    def page_url(self) -> str:
        """Where the page is read (a district's page is the administrator's /roster; its forms post to `url`)."""
        return self.url if self.school else f"/roster?district={self.district.id}"

    @property
    def title(self) -> str:
        return self.school.name if self.school else f"{self.district.name}（全区县）"


def school_target(session: Session, viewer: Viewer, school_id: int) -> Target:
    """The school's leader, or an administrator of its district; anyone else: 404."""
    school = session.get(School, school_id)
    if school is None or not (viewer.leads(school_id) or viewer.administers(school.district_id)):
        raise AccessDenied(f"roster of school {school_id}")
    district = session.get(District, school.district_id)
    assert district is not None
    return Target(district, school, Within(district.name, school.name, sets_pack=viewer.administers(district.id or 0)))


def district_target(session: Session, viewer: Viewer, district_id: int) -> Target:
    """Administrators of the district only."""
    district = session.get(District, district_id) if viewer.administers(district_id) else None
    if district is None:
        raise AccessDenied(f"roster of district {district_id}")
    names = frozenset(session.exec(select(School.name).where(School.district_id == district_id)))
    return Target(district, None, Within(district.name, None, names))


def _schools(session: Session, target: Target) -> list[School]:
    """A whole-district page links to each school's own page."""
    if target.school is not None:
        return []
    return list(session.exec(select(School).where(School.district_id == target.district.id)
                             .order_by(col(School.name))))


def _form(request: Request, session: Session, target: Target, status_code: int = 200, **shown: object) -> HTMLResponse:
    return page(request, TEMPLATE, status_code=status_code, target=target, schools=_schools(session, target),
                max_mb=MAX_BYTES // 1024 // 1024, **{"error": None, "result": None, "preview": None,
                                                     "report": None, "upload": None, "refusal": None, **shown})


@router.get("/schools/{school_id}/roster", response_class=HTMLResponse, include_in_schema=False)
def school_roster_form(request: Request, school_id: SchoolId, viewer: Viewer = Depends(current_viewer),
                       session: Session = Depends(db_session)) -> HTMLResponse:
    return _form(request, session, school_target(session, viewer, school_id))


@router.get("/roster", response_model=None, include_in_schema=False)
def my_roster(request: Request, district: int | None = Query(None), viewer: Viewer = Depends(current_viewer),
              session: Session = Depends(db_session)) -> Response:
    """The menu's 名册: an administrator's district page (`?district=` for another district they keep), a
    leader's school page; anyone else: 404."""
    if viewer.is_admin:
        chosen = district if district is not None else min(viewer.admin_district_ids)
        return _form(request, session, district_target(session, viewer, _district_id(chosen)))
    led = sorted(s for s in viewer.school_roles if viewer.leads(s))
    if not led or district is not None:
        raise AccessDenied("roster")
    return RedirectResponse(f"/schools/{led[0]}/roster", status_code=303)


@router.post("/schools/{school_id}/roster", response_class=HTMLResponse, include_in_schema=False)
def school_roster_upload(request: Request, school_id: SchoolId, file: UploadFile | None = File(None),
                         replace: str = Form(""), viewer: Viewer = Depends(current_viewer),
                         session: Session = Depends(db_session)) -> HTMLResponse:
    target = school_target(session, viewer, school_id)
    return _upload(request, session, viewer, target, file, bool(replace))


@router.post("/districts/{district_id}/roster", response_class=HTMLResponse, include_in_schema=False)
def district_roster_upload(request: Request, district_id: int, file: UploadFile | None = File(None),
                           replace: str = Form(""), viewer: Viewer = Depends(current_viewer),
                           session: Session = Depends(db_session)) -> HTMLResponse:
    target = district_target(session, viewer, _district_id(district_id))
    return _upload(request, session, viewer, target, file, bool(replace))


@router.post("/schools/{school_id}/roster/confirm", response_class=HTMLResponse, include_in_schema=False)
def school_roster_confirm(request: Request, school_id: SchoolId, upload: int = Form(0), digest: str = Form(""),
                          viewer: Viewer = Depends(current_viewer),
                          session: Session = Depends(db_session)) -> HTMLResponse:
    return _confirm(request, session, viewer, school_target(session, viewer, school_id), upload, digest)


@router.post("/districts/{district_id}/roster/confirm", response_class=HTMLResponse, include_in_schema=False)
def district_roster_confirm(request: Request, district_id: int, upload: int = Form(0), digest: str = Form(""),
                            viewer: Viewer = Depends(current_viewer),
                            session: Session = Depends(db_session)) -> HTMLResponse:
    target = district_target(session, viewer, _district_id(district_id))
    return _confirm(request, session, viewer, target, upload, digest)


def _district_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise AccessDenied(f"district {value}")
    return value


def _upload(request: Request, session: Session, viewer: Viewer, target: Target, file: UploadFile | None,
            replace: bool) -> HTMLResponse:
    # A sync route: the upload is read in the thread pool, as database work must be.
    data = file.file.read(MAX_BYTES + 1) if file else b""
    now = web_context(request).now()
    try:
        name = checked_name((file.filename if file else "") or "", data)
        with as_file(name, data) as path:
            kind = detect_kind(path)
            if kind is Kind.screening:
                raise RosterError([RowError(name, 1, "（表头）", "", "是测评结果文件：请在本校“台账 → A”页面导入")])
            if replace:
                report = preview_replace(session, path, within=target.within)
            else:
                result = run_import(session, path, within=target.within, now=now, actor_id=viewer.person_id)
    except RosterError as exc:
        session.rollback()
        return _form(request, session, target, status_code=400, error=exc, replace=replace)
    if not replace:
        session.commit()
        return _form(request, session, target, result=result)
    session.rollback()  # the preview only read
    kept = keep_upload(session, person_id=viewer.person_id, district_id=target.district.id or 0,
                       school_id=target.school.id if target.school else None, name=name, data=data, now=now)
    session.commit()
    return _form(request, session, target, preview=report, upload=kept, replace=True)


def _confirm(request: Request, session: Session, viewer: Viewer, target: Target, upload_id: int,
             digest: str) -> HTMLResponse:
    upload = session.get(RosterUpload, upload_id) if 1 <= upload_id <= MAX_ID else None
    school_id = target.school.id if target.school else None
    if upload is None or upload.person_id != viewer.person_id or upload.district_id != target.district.id \
            or upload.school_id != school_id:
        raise AccessDenied(f"roster upload {upload_id}")
    now = web_context(request).now()
    refusal = confirmable(upload, now)
    if refusal is None:
        # Applied once: of two confirmations at the same time (two workers), the second finds it taken.
        taken = session.execute(update(RosterUpload).where(col(RosterUpload.id) == upload.id,
                                                           col(RosterUpload.applied_at).is_(None))
                                .values(applied_at=now))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            refusal = "该名册已经替换过（同一次上传只能确认一次）；如需再次替换，请重新上传"
    if refusal is not None:
        session.rollback()
        return _form(request, session, target, status_code=409, refusal=refusal)
    try:
        with as_file(upload.filename, upload.content) as path:
            report = apply_replace(session, path, within=target.within, now=now, actor_id=viewer.person_id,
                                   expected=digest)
    except RosterError as exc:
        session.rollback()
        return _form(request, session, target, status_code=409, error=exc)
    session.commit()
    return _form(request, session, target, report=report)
