"""Ledger D on a phone (QD-2 一生一谈…一反馈): the class list with “谈心”/“反馈” buttons, a short form, corrections.

The homeroom teacher records for their class; psychology teachers and the leadership group for any class of
the school. Anyone else (and anyone outside the school) gets 404. A record's page shows its history; its
author may correct it within the month.
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from models import Person, School, SchoolClass, Student, TalkRecord
from web.context import db_session, web_context
from web.params import MAX_ID, SchoolId
from web.security import current_viewer
from web.templating import page
from xinyu.access import AccessDenied, Viewer
from xinyu.history import revisions
from xinyu.ledgers.coverage import current_term
from xinyu.ledgers.talks import (
    FEEDBACK_KINDS,
    FIELD_LABELS,
    KINDS,
    TALK,
    TalkError,
    add_talk,
    class_talks,
    correct_talk,
    may_correct,
    recorder_classes,
)
from xinyu.ledgers.views import class_label, ledger_scope

router = APIRouter()
ClassParam = Annotated[int | None, Query(alias="class", ge=1, le=MAX_ID)]
StudentParam = Annotated[int | None, Query(alias="student", ge=1, le=MAX_ID)]
TalkId = Annotated[int, Path(ge=1, le=MAX_ID, description="D 台账记录 id")]


@dataclass
class StudentLine:
    id: int
    student_no: str
    name: str
    last_talk: date | None
    last_feedback: date | None


def _classes(session: Session, viewer: Viewer, school_id: int) -> list[SchoolClass]:
    """The classes the viewer records for; none → 404 (the page is not theirs)."""
    viewer.require_school(school_id)
    allowed = recorder_classes(session, viewer.person_id, school_id)
    query = select(SchoolClass).where(SchoolClass.school_id == school_id)
    if allowed is not None:
        query = query.where(col(SchoolClass.id).in_(allowed))
    classes = sorted(session.exec(query), key=lambda c: (c.grade, len(c.name), c.name))
    if not classes:
        raise AccessDenied(f"talks of school {school_id}")
    return classes


@router.get("/schools/{school_id}/talks", response_class=HTMLResponse, include_in_schema=False)
def talks_class_page(request: Request, school_id: SchoolId, class_id: ClassParam = None,
                     ok: int | None = Query(None, ge=1, le=MAX_ID), viewer: Viewer = Depends(current_viewer),
                     session: Session = Depends(db_session)) -> HTMLResponse:
    classes = _classes(session, viewer, school_id)
    chosen = next((c for c in classes if c.id == class_id), None) if class_id else classes[0]
    if chosen is None:
        raise AccessDenied(f"class {class_id}")
    ctx = web_context(request)
    school = session.get(School, school_id)
    assert school is not None
    pack = ctx.book.pack(school.pack)
    term = current_term(pack, ctx.today())
    talks = class_talks(session, chosen.id or 0, term.start)
    students = [StudentLine(s.id or 0, s.student_no, s.name, *talks.get(s.id or 0, (None, None)))
                for s in session.exec(select(Student).where(Student.class_id == chosen.id)
                                      .order_by(col(Student.student_no)))]
    saved = session.get(TalkRecord, ok) if ok else None
    if saved is not None and saved.school_id != school_id:
        saved = None
    return page(request, "talks/class.html", school_id=school_id, classes=classes, chosen=chosen,
                label=class_label(chosen.grade, chosen.name), students=students, term=term,
                talked=sum(1 for s in students if s.last_talk), saved=saved,
                saved_student=session.get(Student, saved.student_id) if saved else None)


def _student(session: Session, viewer: Viewer, school_id: int, student_id: int | None) -> Student:
    viewer.require_school(school_id)
    student = session.get(Student, student_id) if student_id else None
    if student is None or student.school_id != school_id:
        raise AccessDenied(f"student {student_id}")
    allowed = recorder_classes(session, viewer.person_id, school_id)
    if allowed is not None and student.class_id not in allowed:
        raise AccessDenied(f"student {student_id}")
    return student


def _form(request: Request, session: Session, *, school_id: int, student: Student, values: dict[str, str],
          error: str | None = None, status_code: int = 200) -> HTMLResponse:
    school_class = session.get(SchoolClass, student.class_id)
    assert school_class is not None
    return page(request, "talks/form.html", status_code=status_code, school_id=school_id, student=student,
                label=class_label(school_class.grade, school_class.name), kinds=KINDS, talk=TALK,
                feedback_kinds=FEEDBACK_KINDS, values=values, error=error)


@router.get("/schools/{school_id}/talks/new", response_model=None, include_in_schema=False)
def talk_form(request: Request, school_id: SchoolId, student_id: StudentParam = None,
              kind: str = Query(TALK, max_length=8), viewer: Viewer = Depends(current_viewer),
              session: Session = Depends(db_session)) -> Response:
    if student_id is None:  # no student picked yet: the class list is where one is picked
        _classes(session, viewer, school_id)
        return RedirectResponse(f"/schools/{school_id}/talks", status_code=303)
    student = _student(session, viewer, school_id, student_id)
    chosen = kind if kind in KINDS else FEEDBACK_KINDS[0] if kind == "反馈" else TALK
    values = {"kind": chosen, "held_on": web_context(request).today().isoformat(), "summary": ""}
    return _form(request, session, school_id=school_id, student=student, values=values)


@router.post("/schools/{school_id}/talks", include_in_schema=False)
def talk_add(request: Request, school_id: SchoolId, student_id: int = Form(0, ge=0, le=MAX_ID),
             kind: str = Form("", max_length=16), held_on: str = Form("", max_length=20),
             summary: str = Form("", max_length=4000), viewer: Viewer = Depends(current_viewer),
             session: Session = Depends(db_session)) -> Response:
    student = _student(session, viewer, school_id, student_id)
    try:
        record = add_talk(session, person_id=viewer.person_id, student=student, kind=kind, held_on=held_on,
                          summary=summary, now=web_context(request).now())
    except TalkError as exc:
        session.rollback()
        values = {"kind": kind, "held_on": held_on, "summary": summary}
        return _form(request, session, school_id=school_id, student=student, values=values, error=str(exc),
                     status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/talks?class={student.class_id}&ok={record.id}", status_code=303)


# ---- one record: read, correct, history ----

def _record(session: Session, viewer: Viewer, school_id: int, record_id: int) -> tuple[TalkRecord, Student]:
    """A record the viewer may read: ledger D's scope (whole-school staff, the class's teachers)."""
    record = session.get(TalkRecord, record_id)
    if record is None or record.school_id != school_id:
        raise AccessDenied(f"talk {record_id}")
    student = session.get(Student, record.student_id)
    assert student is not None
    scope = ledger_scope(session, viewer, school_id)
    if scope.class_ids is not None and student.class_id not in scope.class_ids:
        raise AccessDenied(f"talk {record_id}")
    return record, student


def _record_page(request: Request, session: Session, viewer: Viewer, record: TalkRecord, student: Student, *,
                 error: str | None = None, values: dict[str, str] | None = None, ok: bool = False,
                 status_code: int = 200) -> HTMLResponse:
    school_class = session.get(SchoolClass, student.class_id)
    assert school_class is not None and record.id is not None
    author = session.get(Person, record.by_id) if record.by_id else None
    shown = values or {"kind": record.kind, "held_on": record.held_on.isoformat(), "summary": record.summary}
    return page(request, "talks/record.html", status_code=status_code, record=record, student=student,
                label=class_label(school_class.grade, school_class.name), author=author.name if author else None,
                may_correct=may_correct(record, viewer.person_id, web_context(request).now()), kinds=KINDS,
                values=shown, error=error, ok=ok, revisions=revisions(session, kind="ledger_d", record_id=record.id),
                field_labels=FIELD_LABELS)


@router.get("/schools/{school_id}/talks/{talk_id}", response_class=HTMLResponse, include_in_schema=False)
def talk_page(request: Request, school_id: SchoolId, talk_id: TalkId,
              ok: int | None = Query(None, ge=0, le=1), viewer: Viewer = Depends(current_viewer),
              session: Session = Depends(db_session)) -> HTMLResponse:
    record, student = _record(session, viewer, school_id, talk_id)
    return _record_page(request, session, viewer, record, student, ok=bool(ok))


@router.post("/schools/{school_id}/talks/{talk_id}", include_in_schema=False)
def talk_correct(request: Request, school_id: SchoolId, talk_id: TalkId,
                 kind: str = Form("", max_length=16), held_on: str = Form("", max_length=20),
                 summary: str = Form("", max_length=4000), viewer: Viewer = Depends(current_viewer),
                 session: Session = Depends(db_session)) -> Response:
    record, student = _record(session, viewer, school_id, talk_id)
    try:
        correct_talk(session, person_id=viewer.person_id, record=record, kind=kind, held_on=held_on,
                     summary=summary, now=web_context(request).now())
    except TalkError as exc:
        session.rollback()
        record, student = _record(session, viewer, school_id, talk_id)
        return _record_page(request, session, viewer, record, student, error=str(exc),
                            values={"kind": kind, "held_on": held_on, "summary": summary}, status_code=400)
    session.commit()
    return RedirectResponse(f"/schools/{school_id}/talks/{talk_id}?ok=1", status_code=303)
