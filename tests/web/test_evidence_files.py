"""Evidence files on the web: upload with the completion, download by whoever sees the task (404 to anyone
else, officers included), the upload cap, and the author's correction within the month with its history."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import EvidenceFile, OutboxMessage, RecordRevision, Task
from tests.evidence_files import samples
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.world import NOW, World
from web.app import create_app
from xinyu.cycle import PackBook
from xinyu.evidence_files import LocalStore


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "files")


@pytest.fixture
def web_app(world_engine: Engine, packs_dir_session: Path, store: LocalStore) -> FastAPI:
    """The world's app with its evidence files in this test's folder."""
    return create_app(engine=world_engine, book=PackBook(world_engine), clock=lambda: NOW,
                      base_url="https://testserver", file_store=store)


def reopened_activity(engine: Engine, world: World) -> int:
    """The school's 精神卫生日 task (photos as evidence), open again for the test (the world did it on 10-16)."""
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.school_id == world.school_id,
                                               Task.template == "mental_health_day")).one()
        task.status, task.completed_at, task.completed_by_id, task.evidence = "open", None, None, {}
        session.add(task)
        session.commit()
        assert task.id is not None
        return task.id


def complete_with(client: TestClient, task_id: int, files: list[tuple[str, bytes]], **values: str) -> object:
    page = client.get(f"/tasks/{task_id}")
    assert 'enctype="multipart/form-data"' in page.text and 'accept="image/*"' in page.text
    return client.post(f"/tasks/{task_id}/complete", data={"csrf_token": form_token(page.text), **values},
                       files=[("photos", (name, data, "application/octet-stream")) for name, data in files],
                       follow_redirects=False)


def test_upload_with_the_completion_then_download_by_those_who_see_the_task(
        client_for: ClientFor, world: World, world_engine: Engine, store: LocalStore) -> None:
    task_id = reopened_activity(world_engine, world)
    leader = client_for("leader")
    photo = samples.jpeg()
    done = complete_with(leader, task_id, [("活动现场.jpg", photo), ("海报", samples.png())], activities="2")
    assert done.status_code == 303, getattr(done, "text", "")  # type: ignore[attr-defined]
    with Session(world_engine) as session:
        rows = session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task_id)
                            .order_by(col(EvidenceFile.id))).all()
    assert [(r.name, r.content_type) for r in rows] == [("活动现场.jpg", "image/jpeg"), ("海报.png", "image/png")]
    page = leader.get(f"/tasks/{task_id}").text
    assert f'href="/tasks/{task_id}/files/{rows[0].id}"' in page and "活动现场.jpg" in page
    for role in ("leader", "psych"):  # the leader, and whole-school staff who see the task
        got = client_for(role).get(f"/tasks/{task_id}/files/{rows[0].id}")
        assert got.status_code == 200, role
        assert got.content == photo and got.headers["content-type"] == "image/jpeg"
        assert got.headers["x-content-type-options"] == "nosniff"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''%E6%B4%BB" in disposition
    api = leader.get(f"/api/tasks/{task_id}").json()
    assert [f["name"] for f in api["files"]] == ["活动现场.jpg", "海报.png"]
    for role in ("homeroom", "officer", "other_leader", "foreign_officer"):  # not their task: as if it did not exist
        client = client_for(role)
        assert client.get(f"/tasks/{task_id}/files/{rows[0].id}").status_code == 404, role
    assert leader.get(f"/tasks/{task_id + 1}/files/{rows[0].id}").status_code == 404  # not that task's file
    with Session(world_engine) as session:  # nothing of it goes out by mail
        bodies = " ".join(f"{m.subject} {m.body_text} {m.body_html}" for m in session.exec(select(OutboxMessage)))
    assert "/files/" not in bodies and "活动现场" not in bodies


def test_a_wrong_file_is_refused_on_the_page_and_nothing_is_written(
        client_for: ClientFor, world: World, world_engine: Engine, store: LocalStore) -> None:
    task_id = reopened_activity(world_engine, world)
    leader = client_for("leader")
    refused = complete_with(leader, task_id, [("活动.jpg", b"%PDF-1.4 not an image")], activities="2")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "文件“活动.jpg”是PDF，“活动照片”只接受图片（JPEG、PNG）" in refused.text  # type: ignore[attr-defined]
    big = complete_with(leader, task_id, [("大.png", samples.png(pad=5 * 1024 * 1024 + 10))], activities="2")
    assert big.status_code == 400 and "超过“活动照片”的上限 5.0 MB" in big.text  # type: ignore[attr-defined]
    with Session(world_engine) as session:
        assert session.get(Task, task_id).status == "open"  # type: ignore[union-attr]
        assert not session.exec(select(EvidenceFile)).all()
    assert not store.folder.exists()  # checked before anything is stored


def test_the_upload_cap_is_larger_on_the_evidence_forms_only(client_for: ClientFor, world: World,
                                                            world_engine: Engine) -> None:
    task_id = reopened_activity(world_engine, world)
    leader = client_for("leader")
    token = form_token(leader.get(f"/tasks/{task_id}").text)
    two_mb = samples.png(pad=2 * 1024 * 1024)
    elsewhere = leader.post(f"/tasks/{task_id}/extensions", data={"csrf_token": token, "days": "2", "reason": "x"},
                            files=[("photos", ("a.png", two_mb, "image/png"))])
    assert elsewhere.status_code == 413  # every other form keeps XINYU_MAX_BODY_BYTES (1 MB)
    ok = complete_with(leader, task_id, [("a.png", samples.png(pad=4 * 1024 * 1024))], activities="1")
    assert ok.status_code == 303  # type: ignore[attr-defined]
    too_big = leader.post(f"/tasks/{task_id}/complete", data={"csrf_token": token},
                          files=[("photos", ("a.png", b"\x89PNG" + b"x" * (33 * 1024 * 1024), "image/png"))])
    assert too_big.status_code == 413 and "上限 32 MB" in too_big.text


def class_report_of(engine: Engine, world: World) -> Task:
    """The homeroom teacher's class report: done by her on 10-10 (the world), so correctable until 10-31."""
    with Session(engine) as session:
        return session.exec(select(Task).where(Task.template == "class_report",
                                               Task.completed_by_id == world.accounts["homeroom"].person_id)).one()


def test_the_author_corrects_her_class_report_and_the_leader_reads_the_history(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    task = class_report_of(world_engine, world)
    homeroom = client_for("homeroom")
    page = homeroom.get(f"/tasks/{task.id}").text
    assert 'data-testid="correct-form"' in page and "可更正至 2026-10-31" in page
    old = dict(task.evidence)
    sent = homeroom.post(f"/tasks/{task.id}/correct", follow_redirects=False, data={
        "csrf_token": form_token(page),
        "committee_consulted": "否" if old["committee_consulted"] else "是", "note": "补充：一人转学"})
    assert sent.status_code == 303, sent.text
    with Session(world_engine) as session:
        fixed = session.get(Task, task.id)
        (revision,) = session.exec(select(RecordRevision).where(RecordRevision.kind == "evidence",
                                                                RecordRevision.record_id == task.id)).all()
    assert fixed is not None and fixed.evidence["committee_consulted"] is not old["committee_consulted"]
    assert revision.before is not None and revision.before["committee_consulted"] == old["committee_consulted"]
    for role in ("homeroom", "leader"):
        shown = client_for(role).get(f"/tasks/{task.id}").text
        assert 'data-testid="evidence-history"' in shown and "更正" in shown and "补充：一人转学" in shown, role
        assert f"<del>{'是' if old['committee_consulted'] else '否'}</del>" in shown, role
    psych = client_for("psych")  # sees the task, is neither its author nor the leader
    shown = psych.get(f"/tasks/{task.id}").text
    assert 'data-testid="evidence-history"' not in shown and 'data-testid="correct-form"' not in shown
    refused = psych.post(f"/tasks/{task.id}/correct", data={"csrf_token": form_token(shown), "note": "x"})
    assert refused.status_code == 403
    leader = client_for("leader")  # the leader reads the history but does not correct another's evidence
    assert 'data-testid="correct-form"' not in leader.get(f"/tasks/{task.id}").text


def test_after_the_month_the_form_is_gone_and_a_post_is_refused(
        world_engine: Engine, packs_dir_session: Path, world: World, store: LocalStore) -> None:
    from tests.web.app_fixtures import sign_in
    from xinyu.clock import parse_at

    task = class_report_of(world_engine, world)
    app = create_app(engine=world_engine, book=PackBook(world_engine), clock=lambda: parse_at("2026-11-02T09:00"),
                     base_url="https://testserver", file_store=store)
    with TestClient(app, base_url="https://testserver") as homeroom:
        sign_in(homeroom, world.accounts["homeroom"].login)
        page = homeroom.get(f"/tasks/{task.id}").text
        assert 'data-testid="correct-form"' not in page
        refused = homeroom.post(f"/tasks/{task.id}/correct", data={"csrf_token": form_token(page), "note": "迟"})
        assert refused.status_code == 403 and "完成当月内更正" in refused.text


def test_a_required_file_field_is_required_on_completion_but_not_on_correction() -> None:
    """A pack may make a file field required: the completion form asks for a file, the correction form (which
    keeps the files given) does not; the camera is offered for images."""
    from web.routes.tasks import file_accept
    from web.templating import templates

    field = {"name": "sign_in_sheet", "label": "签到表", "required": True, "accept": ["image"], "max_mb": 8,
             "max_files": 1}
    template = templates.env.get_template("tasks/_file_input.html")
    asked = template.render(f=field, file_accept=file_accept)
    assert 'accept="image/*"' in asked and " required " in asked and "multiple" not in asked and "可直接拍照" in asked
    kept = template.render(f=field, file_accept=file_accept, keep_required=True)
    assert " required " not in kept
