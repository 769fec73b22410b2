"""Ledger D on the web (who records for whom, corrections, history), the coverage page, ledger A's upload."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import RecordRevision, ScreeningRecord, Student, TalkRecord
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.test_ledgers import holder, students_of
from tests.web.world import World
from xinyu.roles import Role


def _post_talk(client: TestClient, school_id: int, student_id: int, **values: str) -> object:
    page = client.get(f"/schools/{school_id}/talks/new?student={student_id}&kind=谈心")
    assert page.status_code == 200
    data = {"csrf_token": form_token(page.text), "student_id": str(student_id), "kind": "谈心",
            "held_on": "2026-10-20", "summary": "聊了期中考试的安排", **values}
    return client.post(f"/schools/{school_id}/talks", data=data, follow_redirects=False)


def _talks(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(TalkRecord)).one())


def test_homeroom_records_for_her_class_only(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    homeroom = client_for("homeroom")
    own = students_of(world_engine, world.accounts["homeroom"].class_id or 0)
    page = homeroom.get(f"/schools/{world.school_id}/talks")
    assert page.status_code == 200 and f'data-testid="talk-{own[0].id}"' in page.text
    form = homeroom.get(f"/schools/{world.school_id}/talks/new?student={own[0].id}&kind=谈心")
    assert 'value="2026-10-20"' in form.text  # prefilled with today (the world's clock)
    before = _talks(world_engine)
    response = _post_talk(homeroom, world.school_id, own[0].id or 0)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert _talks(world_engine) == before + 1
    after = homeroom.get(response.headers["location"])  # type: ignore[attr-defined]
    assert 'data-testid="talk-saved"' in after.text
    _, other_class = holder(world_engine, world.school_id, Role.homeroom, not_class=world.accounts["homeroom"].class_id)
    other = students_of(world_engine, other_class or 0)[0]
    assert homeroom.get(f"/schools/{world.school_id}/talks/new?student={other.id}").status_code == 404
    assert homeroom.get(f"/schools/{world.school_id}/talks?class={other_class}").status_code == 404
    bad = _post_talk(homeroom, world.school_id, own[1].id or 0, kind="闲聊")
    assert bad.status_code == 400 and "kind" in bad.text  # type: ignore[attr-defined]
    bad = _post_talk(homeroom, world.school_id, own[1].id or 0, held_on="2026-10-21")
    assert bad.status_code == 400 and "held_on" in bad.text  # type: ignore[attr-defined]
    assert _talks(world_engine) == before + 1


def test_officer_and_other_school_get_404(client_for: ClientFor, world: World) -> None:
    for role in ("officer",):
        client = client_for(role)
        assert client.get(f"/schools/{world.school_id}/talks").status_code == 404
        assert client.get(f"/schools/{world.school_id}/coverage").status_code == 404


def test_author_corrects_and_leader_reads_history(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    student = students_of(world_engine, world.accounts["homeroom"].class_id or 0)[2]
    response = _post_talk(psych, world.school_id, student.id or 0, kind="家访", summary="家访：作息")
    assert response.status_code == 303  # type: ignore[attr-defined]
    record_id = int(re.search(r"ok=(\d+)", response.headers["location"]).group(1))  # type: ignore
    page = psych.get(f"/schools/{world.school_id}/talks/{record_id}")
    assert 'data-testid="talk-correct"' in page.text
    fixed = psych.post(f"/schools/{world.school_id}/talks/{record_id}",
                       data={"csrf_token": form_token(page.text), "kind": "电话", "held_on": "2026-10-19",
                             "summary": "电话：作息"}, follow_redirects=False)
    assert fixed.status_code == 303
    leader = client_for("leader")
    history = leader.get(f"/schools/{world.school_id}/talks/{record_id}")
    assert history.status_code == 200 and "修改记录（2）" in history.text and "<del>家访</del>" in history.text
    assert 'data-testid="talk-correct"' not in history.text  # not the author
    with Session(world_engine) as session:
        assert session.exec(select(func.count()).select_from(RecordRevision).where(
            RecordRevision.kind == "ledger_d", RecordRevision.record_id == record_id)).one() == 2


def test_coverage_page_shows_red_below_target(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    leader = client_for("leader")
    page = leader.get(f"/schools/{world.school_id}/coverage")
    assert page.status_code == 200 and 'data-testid="coverage-table"' in page.text
    assert "2026年秋季学期" in page.text and 'data-short="1"' in page.text
    assert leader.get(f"/schools/{world.school_id}/coverage?semester=2026-冬").status_code == 400
    homeroom = client_for("homeroom")
    mine = homeroom.get(f"/schools/{world.school_id}/coverage")
    assert mine.status_code == 200 and mine.text.count('data-testid="coverage-') - 3 == 1  # table, summary, select


def test_screening_upload_same_checks_as_cli(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    page = psych.get(f"/schools/{world.school_id}/ledgers?view=A")
    assert 'data-testid="screening-import"' in page.text and 'data-testid="screening-coverage"' in page.text
    token = form_token(page.text.split('data-testid="screening-import"')[1])
    with Session(world_engine) as session:
        students = list(session.exec(select(Student).where(Student.school_id == world.school_id)
                                     .order_by(col(Student.id)).limit(2)))
        before = int(session.exec(select(func.count()).select_from(ScreeningRecord)).one())
    good = "学号,测评日期,量表,总分,预警等级\n" + "".join(
        f"{s.student_no},2026-10-15,MHT-W,{50 + i},无\n" for i, s in enumerate(students))
    bad = good + f"{students[0].student_no},2026-13-01,MHT-W,abc,无\n"
    refused = psych.post(f"/schools/{world.school_id}/ledgers/screening", data={"csrf_token": token},
                         files={"file": ("测评结果.csv", bad.encode(), "text/csv")})
    assert refused.status_code == 400 and "测评结果.csv" in refused.text and "测评日期" in refused.text
    assert "总分" in refused.text and "未导入任何数据" in refused.text
    with Session(world_engine) as session:
        assert int(session.exec(select(func.count()).select_from(ScreeningRecord)).one()) == before
    done = psych.post(f"/schools/{world.school_id}/ledgers/screening", data={"csrf_token": token},
                      files={"file": ("测评结果.csv", good.encode(), "text/csv")})
    assert done.status_code == 200 and "新增 2" in done.text
    with Session(world_engine) as session:
        rows = session.exec(select(ScreeningRecord).where(ScreeningRecord.scale == "MHT-W")).all()
        assert len(rows) == 2 and all(r.created_at is not None and r.updated_at is not None for r in rows)
    homeroom = client_for("homeroom")
    mine = homeroom.get(f"/schools/{world.school_id}/ledgers?view=A")
    assert 'data-testid="screening-import"' not in mine.text
    assert homeroom.post(f"/schools/{world.school_id}/ledgers/screening", data={"csrf_token": form_token(mine.text)},
                         files={"file": ("x.csv", good.encode(), "text/csv")}).status_code == 404
