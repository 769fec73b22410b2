"""Evidence files in the core: type by content, size and count, where the bytes go, history, corrections."""

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import EvidenceFile, RecordRevision, Task
from tests.core.helpers import at, cycle_of, drive_to, snapshot, tasks_of
from tests.evidence_files import samples
from tests.factories import make_school
from web.limits import check_upload_cap, largest_upload_form
from xinyu.cycle import CompletionError, PackBook, complete_task
from xinyu.cycle.correction import CorrectionError, correct_evidence
from xinyu.evidence_files import FileRefused, LocalStore, Upload, check_upload
from xinyu.evidence_files.kinds import clean_name
from xinyu.evidence_files.stores import content_key, files_folder
from xinyu.history import revisions
from xinyu.packs import EvidenceField, available_packs, load_pack
from xinyu.settings import Settings

PHOTO = EvidenceField(name="sign_in_sheet", label="签到表", type="file", accept=("image", "pdf"), max_mb=1,
                      max_files=2)
PLAN = EvidenceField(name="lesson_plans", label="教案", type="file", accept=("doc",))


# --- what a file is ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "make", "content_type"), [
    ("签到表.jpg", samples.jpeg, "image/jpeg"), ("签到表.JPEG", samples.jpeg, "image/jpeg"),
    ("scan.png", samples.png, "image/png"), ("纪要.pdf", samples.pdf, "application/pdf"),
    ("IMG_0001", samples.jpeg, "image/jpeg")])
def test_accepted_by_content(name: str, make: object, content_type: str) -> None:
    checked = check_upload(PHOTO, Upload(name, make()))  # type: ignore[operator]
    assert checked.content_type == content_type
    assert checked.name.lower().endswith((".jpg", ".jpeg", ".png", ".pdf"))  # a name without one gets it


def test_office_files_by_their_parts_not_their_zip() -> None:
    assert check_upload(PLAN, Upload("教案.docx", samples.docx())).content_type.endswith("wordprocessingml.document")
    assert check_upload(PLAN, Upload("课程.xlsx", samples.xlsx())).content_type.endswith("spreadsheetml.sheet")
    with pytest.raises(FileRefused, match="不是可识别的"):
        check_upload(PLAN, Upload("教案.docx", samples.plain_zip()))


@pytest.mark.parametrize(("upload", "message"), [
    (Upload("签到表.jpg", b"this is text, named .jpg"),
     "“签到表.jpg”不是可识别的图片（JPEG、PNG）、PDF（按文件内容判断）"),
    (Upload("签到表.pdf", samples.jpeg()), "“签到表.pdf”的内容是JPEG 图片，与扩展名 .pdf 不符"),
    (Upload("教案.docx", samples.docx()), "“教案.docx”是Word 文档，“签到表”只接受图片（JPEG、PNG）、PDF"),
    (Upload("empty.png", b""), "“empty.png”是空文件"),
    (Upload("big.png", samples.png(pad=1024 * 1024)), "“big.png”大小 1.0 MB，超过“签到表”的上限 1.0 MB"),
])
def test_refused_naming_the_file_and_the_problem(upload: Upload, message: str) -> None:
    with pytest.raises(FileRefused) as refused:
        check_upload(PHOTO, upload)
    assert message in str(refused.value)


@pytest.mark.parametrize(("sent", "kept"), [
    ("../../etc/passwd.png", "passwd.png"), ("C:\\Users\\李老师\\签到表.png", "签到表.png"),
    ('a"<b>|c.png', "a__b__c.png"), ("\u202egnp.exe", "_gnp.exe"), ("", "附件"), ("...", "附件")])
def test_the_senders_name_is_data_never_a_path(sent: str, kept: str) -> None:
    assert clean_name(sent) == kept
    assert len(clean_name("长" * 300 + ".png")) == 120 and clean_name("长" * 300 + ".png").endswith(".png")


def test_pack_file_fields_are_validated() -> None:
    with pytest.raises(ValueError, match="accept 只用于且必须用于 type: file"):
        EvidenceField(name="x", label="x", type="file")
    with pytest.raises(ValueError, match="accept 只用于且必须用于 type: file"):
        EvidenceField(name="x", label="x", type="text", accept=("image",))
    with pytest.raises(ValueError, match="max_mb/max_files 只用于 type: file"):
        EvidenceField(name="x", label="x", type="text", max_files=2)
    with pytest.raises(ValueError):
        EvidenceField(name="x", label="x", type="file", accept=("exe",))
    with pytest.raises(ValueError):
        EvidenceField(name="x", label="x", type="file", accept=("image",), max_mb=51)


def test_shipped_packs_ask_for_the_proofs_and_fit_the_upload_cap(packs_dir: Path) -> None:
    packs = [load_pack(p, packs_dir) for p in available_packs(packs_dir)]
    for pack in packs:
        minutes = pack.step(10, "meeting").tasks[0]
        assert [f.name for f in minutes.evidence if f.type == "file"] == ["sign_in_sheet"]
        check = pack.step(10, "course_check").tasks[0]
        assert [f.name for f in check.evidence if f.type == "file"] == ["lesson_plans"]
    need, where = largest_upload_form(packs)
    assert need == 25 * 1024 * 1024 and where
    check_upload_cap(packs, Settings().max_upload_bytes)  # the default cap holds the largest form
    with pytest.raises(ValueError, match="XINYU_MAX_UPLOAD_BYTES（16 MB）小于 .* 的附件上限之和（25 MB"):
        check_upload_cap(packs, 16 * 1024 * 1024)


def test_the_default_folder_is_beside_the_database(tmp_path: Path) -> None:
    assert files_folder(Settings(database_url=f"sqlite:///{tmp_path}/x.db")) == tmp_path / "files"
    assert files_folder(Settings(files_dir=tmp_path / "elsewhere")) == tmp_path / "elsewhere"
    assert files_folder(Settings(database_url="postgresql+psycopg://h/db", outbox_dir=tmp_path / "outbox")) \
        == tmp_path / "files"


# --- completing with files ---------------------------------------------------------------------------------


@pytest.fixture
def meeting(session: Session, book: PackBook) -> tuple[Task, datetime]:
    """The leader's meeting task of 2026-10, open."""
    school = make_school(session)
    opened = drive_to(session, book, school.id, "2026-10", "meeting")
    session.commit()
    (task,) = tasks_of(session, cycle_of(session, school.id, "2026-10").id, template="minutes")
    return task, opened


def test_a_photo_of_the_sign_in_sheet_is_stored_by_content_and_kept_with_the_history(
        session: Session, book: PackBook, meeting: tuple[Task, datetime], tmp_path: Path) -> None:
    task, opened = meeting
    store = LocalStore(tmp_path / "files")
    photo = samples.jpeg()
    complete_task(session, task_id=task.id or 0, now=opened, book=book, store=store,
                  values={"held_on": opened.date().isoformat(), "minutes": "研究本月重点关爱学生"},
                  files={"sign_in_sheet": [Upload("../签到表.jpg", photo)]})
    session.commit()
    (row,) = session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task.id)).all()
    digest, key = content_key(photo)
    assert (row.name, row.content_type, row.size, row.sha256, row.storage_key) == (
        "签到表.jpg", "image/jpeg", len(photo), digest, key)
    assert (tmp_path / "files" / key).read_bytes() == photo  # the store's name is the content's, not the sender's
    assert not list((tmp_path / "files").rglob("*签到表*"))
    done = session.get(Task, task.id)
    assert done is not None and done.evidence["sign_in_sheet"] == [row.id]
    (created,) = revisions(session, kind="evidence", record_id=task.id or 0)
    assert created.action == "created" and ("sign_in_sheet", None, f"签到表.jpg（#{row.id}）") in created.changed


def test_a_refused_file_writes_nothing(engine: Engine, session: Session, book: PackBook,
                                       meeting: tuple[Task, datetime], tmp_path: Path) -> None:
    task, opened = meeting
    before = snapshot(engine)
    values = {"held_on": opened.date().isoformat(), "minutes": "纪要"}
    with pytest.raises(CompletionError, match="文件“签到表.jpg”不是可识别的"):
        complete_task(session, task_id=task.id or 0, now=opened, book=book, store=LocalStore(tmp_path),
                      values=values, files={"sign_in_sheet": [Upload("签到表.jpg", b"GIF89a...")]})
    session.rollback()
    with pytest.raises(CompletionError, match="“签到表（照片或扫描件）”最多 3 个文件，实为 4 个"):
        complete_task(session, task_id=task.id or 0, now=opened, book=book, store=LocalStore(tmp_path),
                      values=values, files={"sign_in_sheet": [Upload(f"{n}.png", samples.png()) for n in range(4)]})
    session.rollback()
    with pytest.raises(CompletionError, match="“签到表（照片或扫描件）”（sign_in_sheet）应上传文件"):
        complete_task(session, task_id=task.id or 0, now=opened, book=book, values={**values, "sign_in_sheet": "x"})
    session.rollback()
    assert snapshot(engine) == before
    assert not list(tmp_path.rglob("*.png"))


# --- corrections -------------------------------------------------------------------------------------------


@pytest.fixture
def class_report(session: Session, book: PackBook) -> tuple[Task, datetime]:
    """A homeroom teacher's class report of 2026-10, done on 10-09 with a note."""
    school = make_school(session)
    opened = drive_to(session, book, school.id, "2026-10", "screening")
    task = tasks_of(session, cycle_of(session, school.id, "2026-10").id, template="class_report")[0]
    complete_task(session, task_id=task.id or 0, now=at("2026-10-09"), book=book,
                  values={"committee_consulted": "是", "note": "两人情绪低落"})
    session.commit()
    return task, opened


def test_the_author_corrects_within_the_month_and_the_old_value_stays(
        session: Session, book: PackBook, class_report: tuple[Task, datetime]) -> None:
    task, _ = class_report
    correct_evidence(session, task_id=task.id or 0, by=task.assignee_id or 0, now=at("2026-10-31", 23, 30),
                     book=book, values={"committee_consulted": "否", "note": ""})
    session.commit()
    fixed = session.get(Task, task.id)
    assert fixed is not None and fixed.evidence == {"attention_students": [], "committee_consulted": False}
    (revision,) = session.exec(select(RecordRevision).where(RecordRevision.record_id == task.id)).all()
    assert (revision.kind, revision.action, revision.by_id) == ("evidence", "corrected", task.assignee_id)
    assert revision.before == {"attention_students": [], "committee_consulted": True, "note": "两人情绪低落"}
    assert revision.after == {"attention_students": [], "committee_consulted": False}


@pytest.mark.parametrize(("who", "when", "message"), [
    ("author", "2026-11-01", "完成于 2026-10-09，证据只能在当月内更正（至 2026-10-31），已过更正期限"),
    ("other", "2026-10-20", "的证据只能由填写人"),
])
def test_others_and_late_corrections_are_refused_writing_nothing(
        engine: Engine, session: Session, book: PackBook, class_report: tuple[Task, datetime],
        who: str, when: str, message: str) -> None:
    task, _ = class_report
    other = tasks_of(session, task.cycle_id, template="class_report")[1].assignee_id
    before = snapshot(engine)
    with pytest.raises(CorrectionError, match=message):
        correct_evidence(session, task_id=task.id or 0, by=(task.assignee_id if who == "author" else other) or 0,
                         now=at(when, 0, 0), book=book, values={"note": "五人"})
    session.rollback()
    assert snapshot(engine) == before


def test_a_bad_value_or_no_change_is_refused(session: Session, book: PackBook,
                                             class_report: tuple[Task, datetime]) -> None:
    task, _ = class_report
    by, now = task.assignee_id or 0, at("2026-10-20")
    with pytest.raises(CorrectionError, match="“已听取本班心理委员反馈”（committee_consulted）应为"):
        correct_evidence(session, task_id=task.id or 0, by=by, now=now, book=book, values={"committee_consulted": "两"})
    with pytest.raises(CorrectionError, match="缺少必填项“已听取本班心理委员反馈”"):
        correct_evidence(session, task_id=task.id or 0, by=by, now=now, book=book, values={"committee_consulted": ""})
    with pytest.raises(CorrectionError, match="没有任何更改"):
        correct_evidence(session, task_id=task.id or 0, by=by, now=now, book=book, values={"note": "两人情绪低落"})


def test_a_replaced_file_stays_stored_and_listed(session: Session, book: PackBook, meeting: tuple[Task, datetime],
                                                 tmp_path: Path) -> None:
    task, opened = meeting
    store = LocalStore(tmp_path)
    complete_task(session, task_id=task.id or 0, now=opened, book=book, store=store,
                  values={"held_on": opened.date().isoformat(), "minutes": "纪要"},
                  files={"sign_in_sheet": [Upload("模糊.png", samples.png(2, 2))]})
    session.commit()
    leader = session.get(Task, task.id)
    assert leader is not None and leader.completed_by_id is not None
    (first,) = session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task.id)).all()
    with pytest.raises(CorrectionError, match="只能补充或更换附件"):  # the minutes themselves: the meeting page
        correct_evidence(session, task_id=task.id or 0, by=leader.completed_by_id, now=opened, book=book,
                         values={"minutes": "改过的纪要"})
    correct_evidence(session, task_id=task.id or 0, by=leader.completed_by_id, now=opened, book=book, store=store,
                     values={}, remove=[first.id or 0],
                     files={"sign_in_sheet": [Upload("清晰.png", samples.png(8, 8))]})
    session.commit()
    rows = session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task.id)).all()
    assert [(r.name, r.removed_at is not None) for r in rows] == [("模糊.png", True), ("清晰.png", False)]
    assert store.get(first.storage_key) == samples.png(2, 2)  # the replaced file's bytes stay
    history = revisions(session, kind="evidence", record_id=task.id or 0)
    assert [r.action for r in history] == ["created", "corrected"]
    assert history[1].changed == [("sign_in_sheet", f"模糊.png（#{first.id}）", f"清晰.png（#{rows[1].id}）")]


def test_a_required_file_field_needs_a_file_and_unknown_file_fields_are_named() -> None:
    from xinyu.evidence_files.records import check_uploads

    required = EvidenceField(name="sign_in_sheet", label="签到表", type="file", accept=("image",), required=True)
    with pytest.raises(FileRefused, match="缺少必填项“签到表”（sign_in_sheet）：请上传文件"):
        check_uploads((required,), {})
    assert check_uploads((required,), {}, kept={"sign_in_sheet": 1}) == {}  # a correction keeping the file
    with pytest.raises(FileRefused, match="此任务没有可上传文件的字段 photo；可上传：sign_in_sheet（签到表）"):
        check_uploads((required,), {"photo": [Upload("a.png", samples.png())]})
