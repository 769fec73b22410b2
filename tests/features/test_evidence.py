"""Evidence: a task without its required fields is refused, naming the field, and nothing changes; files as
evidence (checked by content, kept with the task and its history, never sent to the district or by mail); the
author's corrections within the month."""

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import scenarios, then, when
from sqlmodel import Session, col, select

from models import Escalation, EvidenceFile, LedgerReview, OutboxMessage, RecordRevision, RoleAssignment, School
from tests.evidence_files import samples
from tests.features.support import (
    Attempt,
    Db,
    SchoolRef,
    class_id,
    cycle_of,
    describe_holder,
    evidence_values,
    find_task,
    holder,
    snapshot,
    step_text,
)
from tests.features.test_chase_steps import *  # noqa: F403  (系统在…每天…推进月度闭环并催办)
from xinyu.access import load_viewer
from xinyu.clock import as_local
from xinyu.cycle import CompletionError, PackBook, complete_task
from xinyu.cycle.correction import CorrectionError, correct_evidence
from xinyu.evidence_files import LocalStore, Upload
from xinyu.evidence_files.records import file_of_task
from xinyu.history import revisions
from xinyu.roles import Role
from xinyu.task_views import find_task as find_visible_task

scenarios("月度闭环/完成任务须留存证据.feature")

CONTENTS = {"JPEG 照片": samples.jpeg, "PNG 图片": samples.png, "PDF": samples.pdf, "一段文字": lambda: "签到".encode()}


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    """The school's file store: a folder of this scenario."""
    return LocalStore(tmp_path / "files")


@then("本月还没有复核任何台账")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        assert not list(session.exec(select(LedgerReview).where(LedgerReview.cycle_id == cycle.id)))


def _form(session: Session, book: PackBook, task: Any, table: list[list[str]]) -> tuple[dict[str, Any],
                                                                                       dict[str, list[Upload]]]:
    """The table's rows: values for the fields, uploads for the file fields (“名称.jpg（JPEG 照片）”)."""
    files_by_label = {f.label: f.name for f in book.template(cycle_of_task(session, task).pack,
                                                            cycle_of_task(session, task).month, task.step_key,
                                                            task.template).evidence if f.type == "file"}
    uploads: dict[str, list[Upload]] = {}
    rest = []
    for label, value in table:
        if label in files_by_label:
            name, _, kind = value.partition("（")
            uploads.setdefault(files_by_label[label], []).append(Upload(name, CONTENTS[kind.rstrip("）")]()))
        else:
            rest.append([label, value])
    return evidence_values(session, book, task, rest), uploads


def cycle_of_task(session: Session, task: Any) -> Any:
    from models import Cycle

    return session.get(Cycle, task.origin_cycle_id)


def _whole(session: Session, school: SchoolRef) -> dict[str, Any]:
    """The school's snapshot, with the files and the history of records."""
    state = snapshot(session, school)
    state["files"] = [(f.task_id, f.name, f.storage_key, f.removed_at) for f in session.exec(
        select(EvidenceFile).where(EvidenceFile.school_id == school.id).order_by(col(EvidenceFile.id)))]
    state["revisions"] = [(r.kind, r.record_id, r.action, json.dumps(r.before, ensure_ascii=False, sort_keys=True),
                           json.dumps(r.after, ensure_ascii=False, sort_keys=True)) for r in session.exec(
        select(RecordRevision).where(RecordRevision.school_id == school.id).order_by(col(RecordRevision.id)))]
    return state


def _attempt(db: Db, school: SchoolRef, action: Any) -> Attempt:
    with db() as session:
        before = _whole(session, school)
    error = None
    try:
        with db() as session:
            action(session)
    except (CompletionError, CorrectionError) as exc:
        error = str(exc)
    with db() as session:
        after = _whole(session, school)
    return Attempt(error=error, before=before, after=after)


def _complete_with_files(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, who: str, title: str,
                         at: datetime, table: list[list[str]]) -> None:
    with db() as session:
        _complete_in(session, book, store, school, who, title, at, table)


@when(step_text("{who}于 {at:At} 完成“{task}”，填写并上传："))
def _(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, who: str, at: datetime, task: str,
      datatable: list[list[str]]) -> None:
    _complete_with_files(db, book, store, school, who, task, at, datatable)


@given(step_text("{who}于 {at:At} 完成“{task}”，填写并上传："))  # noqa: F405
def _(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, who: str, at: datetime, task: str,
      datatable: list[list[str]]) -> None:
    _complete_with_files(db, book, store, school, who, task, at, datatable)


@when(step_text("{who}于 {at:At} 提交“{task}”，填写并上传："), target_fixture="attempt")
def _(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, who: str, at: datetime, task: str,
      datatable: list[list[str]]) -> Attempt:
    return _attempt(db, school, lambda session: _complete_in(session, book, store, school, who, task, at,
                                                             datatable))


def _complete_in(session: Session, book: PackBook, store: LocalStore, school: SchoolRef, who: str, title: str,
                 at: datetime, table: list[list[str]]) -> None:
    person = holder(session, school, who)
    task = find_task(session, school, title, who=person)
    values, uploads = _form(session, book, task, table)
    complete_task(session, task_id=task.id or 0, values=values, files=uploads, now=at, book=book,
                  by=person.person_id, store=store)


@then(step_text("“{title}”的附件有“{name}”，类型为 {content_type}"))
def _(db: Db, school: SchoolRef, store: LocalStore, title: str, name: str, content_type: str) -> None:
    with db() as session:
        task = find_task(session, school, title)
        rows = session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task.id)).all()
        assert [(r.name, r.content_type) for r in rows] == [(name, content_type)]
        assert task.status == "done" and task.evidence[rows[0].field] == [rows[0].id]
        assert store.get(rows[0].storage_key)[:3] == b"\xff\xd8\xff"


def _file_named(session: Session, school: SchoolRef, name: str) -> EvidenceFile:
    return session.exec(select(EvidenceFile).where(EvidenceFile.school_id == school.id,
                                                   EvidenceFile.name == name)).one()


def _download(session: Session, book: PackBook, store: LocalStore, person_id: int, row: EvidenceFile,
              today: date) -> bytes | None:
    """What the download route (web/routes/tasks.py) answers: the bytes to whoever sees the task, else None (404)."""
    viewer = load_viewer(session, person_id)
    assert viewer is not None
    if find_visible_task(session, viewer, row.task_id, today=today, book=book) is None:
        return None
    found = file_of_task(session, row.task_id, row.id or 0)
    return None if found is None else store.get(found.storage_key)


@then(step_text("{who}可以下载附件“{name}”，内容与上传的相同"))
def _(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, who: str, name: str) -> None:
    with db() as session:
        row = _file_named(session, school, name)
        got = _download(session, book, store, holder(session, school, who).person_id, row, date(2026, 10, 20))
        assert got == samples.jpeg()


@then(step_text("区县负责人打开附件“{name}”的链接，得到“页面不存在”"))
def _(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, name: str) -> None:
    with db() as session:
        row = _file_named(session, school, name)
        district_id = session.get(School, school.id).district_id  # type: ignore[union-attr]
        officers = list(session.exec(select(RoleAssignment.person_id).where(
            RoleAssignment.role == Role.district_officer, RoleAssignment.district_id == district_id)))
        assert officers
        for officer in officers:
            assert _download(session, book, store, officer, row, date(2026, 10, 30)) is None


@then(step_text("待发的邮件、短信和群消息中都没有“{word}”，也没有附件链接"))
def _(db: Db, word: str) -> None:
    with db() as session:
        messages = list(session.exec(select(OutboxMessage)))
    assert messages, "这个月应有催办消息"
    for m in messages:
        text = f"{m.subject}\n{m.body_text}\n{m.body_html or ''}\n{json.dumps(m.params, ensure_ascii=False)}"
        assert word not in text and "/files/" not in text, (m.channel, m.subject)


@then(step_text("区县督办箱的事项中都没有“{word}”"))
def _(db: Db, word: str) -> None:
    with db() as session:
        items = [e.model_dump_json() for e in session.exec(select(Escalation))]
    assert items, "这个月应有报区县的事项"
    assert not [i for i in items if word in i]  # pydantic writes JSON in UTF-8: the word as typed


@then(step_text("组长在修改记录中看到“{name}”"))
def _(db: Db, school: SchoolRef, name: str) -> None:
    with db() as session:
        row = _file_named(session, school, name)
        (created,) = revisions(session, kind="evidence", record_id=row.task_id)
        assert any(new and name in str(new) for _, _, new in created.changed), created.changed


# --- corrections ---------------------------------------------------------------------------------


def _correct(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, who: str, at: datetime, title: str,
             table: list[list[str]], klass: str | None) -> Attempt:
    def action(session: Session) -> None:
        person = holder(session, school, who)
        task = find_task(session, school, title, who=None if klass else person,
                         class_id_=class_id(session, school, klass) if klass else None)
        correct_evidence(session, task_id=task.id or 0, by=person.person_id, now=at, book=book,
                         values=evidence_values(session, book, task, table), store=store)

    return _attempt(db, school, action)


@when(step_text("{who}于 {at:At} 更正“{task}”，填写："), target_fixture="attempt")
def _(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, who: str, at: datetime, task: str,
      datatable: list[list[str]]) -> Attempt:
    return _correct(db, book, store, school, who, at, task, datatable, None)


@when(step_text("{who}于 {at:At} 更正{klass}的“{task}”，填写："), target_fixture="attempt")
def _(db: Db, book: PackBook, store: LocalStore, school: SchoolRef, who: str, at: datetime, klass: str, task: str,
      datatable: list[list[str]]) -> Attempt:
    return _correct(db, book, store, school, who, at, task, datatable, klass)


@then(step_text("{klass}“{title}”的证据“{label}”为“{value}”"))
def _(attempt: Attempt, db: Db, book: PackBook, school: SchoolRef, klass: str, title: str, label: str,
      value: str) -> None:
    assert attempt.error is None, attempt.error
    with db() as session:
        task = find_task(session, school, title, class_id_=class_id(session, school, klass))
        (name,) = evidence_values(session, book, task, [[label, value]])
        assert task.evidence[name] == value


@then(step_text("组长在修改记录中看到{who}于 {at:At} 把“{label}”由“{old}”更正为“{new}”"))
def _(db: Db, school: SchoolRef, who: str, at: datetime, label: str, old: str, new: str) -> None:
    with db() as session:
        leader = holder(session, school, "组长")
        assert leader.person_id  # the leader reads the record's history (the task page shows it to them)
        person = holder(session, school, who)
        task = find_task(session, school, "本班月度心理状况摸排", who=person)
        (revision,) = session.exec(select(RecordRevision).where(RecordRevision.kind == "evidence",
                                                                RecordRevision.record_id == task.id)).all()
        assert (revision.action, revision.by_id, as_local(revision.at)) == ("corrected", person.person_id, at)  # type: ignore[arg-type]
        assert describe_holder(session, revision.by_id) == who
        (shown,) = revisions(session, kind="evidence", record_id=task.id or 0)
        assert shown.changed == [("note", old, new)]
