"""Ledger A from the web (QD-3): the screening import form and coverage per class on the ledger A page.

Psychology teachers and the leadership group upload the provider's CSV/XLSX; the same checks and error table
as `xinyu import` (file, row, column, expected), nothing written when any row is wrong.
"""

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from models import School
from web.context import db_session, web_context
from web.params import SchoolId
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.ledgers.coverage import ClassCoverage, screening_coverage
from xinyu.ledgers.screening_upload import MAX_BYTES, import_screening_upload
from xinyu.roster.errors import RosterError

router = APIRouter()


@dataclass
class ScreeningPanel:
    may_import: bool
    year_start: date
    classes: list[ClassCoverage]


def screening_panel(session: Session, viewer: Viewer, school_id: int, class_ids: list[int] | None,
                    today: date) -> ScreeningPanel:
    """What the ledger A page shows above its rows: this school year's coverage per class, the import form."""
    start, classes = screening_coverage(session, school_id=school_id, today=today, class_ids=class_ids)
    return ScreeningPanel(may_import=viewer.sees_whole_school(school_id), year_start=start, classes=classes)


@router.post("/schools/{school_id}/ledgers/screening", response_class=HTMLResponse, include_in_schema=False)
def screening_import(request: Request, school_id: SchoolId, file: UploadFile | None = File(None),
                           viewer: Viewer = Depends(current_viewer),
                           session: Session = Depends(db_session)) -> HTMLResponse:
    viewer.require_whole_school(school_id)  # psychology teachers and the leadership group
    # A sync route: the upload is read in the thread pool, as database work must be.
    data = file.file.read(MAX_BYTES + 1) if file else b""
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    ctx = web_context(request)
    try:
        result = import_screening_upload(session, school=school, filename=(file.filename if file else "") or "",
                                         data=data, now=ctx.now())
    except RosterError as exc:
        session.rollback()
        return page(request, "ledgers/screening_import.html", status_code=400, school=school, error=exc,
                    result=None)
    session.commit()
    return page(request, "ledgers/screening_import.html", school=school, error=None, result=result)
