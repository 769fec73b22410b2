"""QD-2 coverage page: the school's classes × talked / with plan / family feedback for a semester (red below target).

Whole-school staff see every class; a homeroom teacher or grade head sees their classes; others 404. Counts
only: the page names no student.
"""

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from models import School
from web.context import db_session, web_context
from web.params import SchoolId
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer, visible_class_ids
from xinyu.ledgers.coverage import (
    SemesterError,
    current_term,
    parse_term,
    school_coverage,
    share,
    term_choices,
)

router = APIRouter()


@router.get("/schools/{school_id}/coverage", response_class=HTMLResponse, include_in_schema=False)
def coverage_page(request: Request, school_id: SchoolId, semester: str | None = Query(None, max_length=12),
                  viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    viewer.require_school(school_id)
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    visible = visible_class_ids(session, viewer, school_id)
    if visible is not None and not visible:
        raise AccessDenied(f"coverage of school {school_id}")
    ctx = web_context(request)
    pack = ctx.book.pack(school.pack)
    error = None
    try:
        term = parse_term(pack, semester) if semester else current_term(pack, ctx.today())
    except SemesterError as exc:
        term, error = current_term(pack, ctx.today()), str(exc)
    coverage = school_coverage(session, school_id=school_id, pack=pack, term=term, class_ids=visible)
    return page(request, "coverage/index.html", status_code=400 if error else 200, school=school,
                coverage=coverage, choices=term_choices(pack, ctx.today()), share=share, error=error)
