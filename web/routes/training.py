"""培训学时 (QD-T9): each member of staff's training hours this year against the minimum of their role.

The leadership group and the psychology teachers (the staff who see the whole school) read the page and
its JSON twin and record a training there (person, date, hours, topic); a bad entry is refused with the
reason and nothing is written. Staff names and hours only.
"""

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from models import School
from web.context import db_session, web_context
from web.params import SchoolId, problems
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.packs import TrainingRule
from xinyu.training import SchoolProgress, TrainingError, add_training, school_progress
from xinyu.training.records import parse_hours

router = APIRouter()
TAG = "培训学时"
NOT_FOUND = problems({404: "学校不存在、无权查看或政策包未规定培训学时"})


class PersonTrainingOut(BaseModel):
    person: str
    category: str
    minimum: int
    hours: float
    short: float
    reached: bool


class TrainingOut(BaseModel):
    school: str
    year: int
    clause: str
    staff: int
    reached: int
    hours: float
    people: list[PersonTrainingOut]


def _progress(request: Request, session: Session, viewer: Viewer, school_id: int,
              year: int | None) -> tuple[School, TrainingRule, SchoolProgress]:
    viewer.require_whole_school(school_id)
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    ctx = web_context(request)
    rule = ctx.book.pack(school.pack).training
    if rule is None:
        raise AccessDenied(f"pack {school.pack} has no training rule")
    year = year if year and 2000 <= year <= 2099 else ctx.today().year
    return school, rule, school_progress(session, school, rule, year=year)


def _page(request: Request, session: Session, viewer: Viewer, school_id: int, year: int | None, *,
          ok: bool = False, error: str | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    viewer.require_whole_school(school_id)
    found = session.get(School, school_id)
    if found is not None and web_context(request).book.pack(found.pack).training is None:
        return page(request, "training/school.html", school=found, rule=None)
    school, rule, progress = _progress(request, session, viewer, school_id, year)
    today = web_context(request).today()
    form = values or {"person_id": "", "held_on": today.isoformat(), "hours": "", "topic": ""}
    clause_text = web_context(request).book.pack(school.pack).clause_text(rule.clause)
    return page(request, "training/school.html", status_code=400 if error else 200, school=school, rule=rule,
                progress=progress, clause_text=clause_text, ok=ok, error=error, form=form, this_year=today.year)


@router.get("/schools/{school_id}/training", response_class=HTMLResponse, include_in_schema=False)
def training_page(request: Request, school_id: SchoolId, year: int | None = None, ok: str = "",
                  viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> HTMLResponse:
    return _page(request, session, viewer, school_id, year, ok=ok == "1")


@router.get("/api/schools/{school_id}/training", response_model=TrainingOut, tags=[TAG],
            summary="本校教职工培训学时与最低要求（QD-T9）", responses=NOT_FOUND)
def training_api(request: Request, school_id: SchoolId, year: int | None = None,
                 viewer: Viewer = Depends(current_viewer), session: Session = Depends(db_session)) -> TrainingOut:
    """Per member of staff: category, minimum hours of the year, hours recorded, short; the school's count reached."""
    return TrainingOut.model_validate(_progress(request, session, viewer, school_id, year)[2].as_json())


@router.post("/schools/{school_id}/training", include_in_schema=False)
def training_form(request: Request, school_id: SchoolId, person_id: str = Form("", max_length=12),
                  held_on: str = Form("", max_length=10), hours: str = Form("", max_length=8),
                  topic: str = Form("", max_length=400), viewer: Viewer = Depends(current_viewer),
                  session: Session = Depends(db_session)) -> Response:
    school, _rule, _progress_now = _progress(request, session, viewer, school_id, None)
    values = {"person_id": person_id, "held_on": held_on, "hours": hours, "topic": topic}
    try:
        if not person_id.isdigit():
            raise TrainingError("请选择参加培训的教职工")
        try:
            day = date.fromisoformat(held_on)
        except ValueError:
            raise TrainingError(f"培训日期应为 YYYY-MM-DD，实为“{held_on}”") from None
        add_training(session, school=school, person_id=int(person_id), held_on=day, hours=parse_hours(hours),
                     topic=topic, by=viewer.person_id, now=web_context(request).now())
    except TrainingError as exc:
        session.rollback()
        return _page(request, session, viewer, school_id, None, error=str(exc), values=values)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/training?ok=1", status_code=303)
