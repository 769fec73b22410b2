"""Both file stores pass the same round trip: a folder, and an S3-compatible server really running on localhost
(moto's server over HTTP; boto3 talks to it as to any S3 endpoint, nothing of boto3 is replaced)."""

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import EvidenceFile, Task
from tests.core.helpers import cycle_of, drive_to, tasks_of
from tests.evidence_files import samples
from tests.factories import make_school
from xinyu.cycle import PackBook, complete_task
from xinyu.cycle.correction import correct_evidence
from xinyu.evidence_files import LocalStore, S3Store, Upload, default_store
from xinyu.evidence_files.stores import FileStore, content_key


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["folder", "s3"])
def configured_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FileStore:
    """The store the settings name (XINYU_FILES_DIR, or XINYU_FILES_S3_* with a fresh bucket)."""
    if request.param == "folder":
        monkeypatch.setenv("XINYU_FILES_DIR", str(tmp_path / "files"))
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"xinyu-{uuid.uuid4().hex[:8]}"
        for name, value in {"URL": endpoint, "BUCKET": bucket, "KEY_ID": "xinyu", "SECRET": "xinyu-secret"}.items():
            monkeypatch.setenv(f"XINYU_FILES_S3_{name}", value)
        store = default_store()
        assert isinstance(store, S3Store)
        store.client.create_bucket(Bucket=bucket)
    store = default_store()
    assert isinstance(store, LocalStore if request.param == "folder" else S3Store)
    return store


def test_a_file_goes_in_with_the_completion_and_comes_back_unchanged(
        session: Session, book: PackBook, configured_store: FileStore) -> None:
    school = make_school(session)
    opened: datetime = drive_to(session, book, school.id, "2026-10", "meeting")
    (task,) = tasks_of(session, cycle_of(session, school.id, "2026-10").id, template="minutes")
    photo, scan = samples.jpeg(), samples.pdf()
    # No store passed: the completion uses the one the settings name.
    complete_task(session, task_id=task.id or 0, now=opened, book=book,
                  values={"held_on": opened.date().isoformat(), "minutes": "纪要"},
                  files={"sign_in_sheet": [Upload("签到表.jpg", photo), Upload("签到表2.pdf", scan)]})
    session.commit()
    rows = session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task.id)).all()
    assert [(r.content_type, r.storage_key) for r in rows] == [
        ("image/jpeg", content_key(photo)[1]), ("application/pdf", content_key(scan)[1])]
    fresh = default_store()  # another process reads what this one wrote
    assert [fresh.get(r.storage_key) for r in rows] == [photo, scan]
    # The same bytes again (a correction re-sending the photo) share the stored object; the old one stays.
    done = session.get(Task, task.id)
    assert done is not None and done.completed_by_id is not None
    correct_evidence(session, task_id=task.id or 0, by=done.completed_by_id, now=opened, book=book,
                     values={}, remove=[rows[1].id or 0], files={"sign_in_sheet": [Upload("再传.jpg", photo)]})
    session.commit()
    again = session.exec(select(EvidenceFile).where(EvidenceFile.name == "再传.jpg")).one()
    assert again.storage_key == rows[0].storage_key
    assert fresh.get(rows[1].storage_key) == scan
    with pytest.raises(Exception):  # noqa: B017 (FileNotFoundError or botocore's NoSuchKey: a key never written)
        fresh.get(content_key(b"never stored")[1])
    with pytest.raises(ValueError, match="无效的文件存储键"):
        fresh.get("../../etc/passwd")
