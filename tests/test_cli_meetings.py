"""`xinyu meeting set` and `xinyu agenda` (issue 12 item 8): the leader sets the meeting from the command line;
the agenda shows it with the grouped overdue work; refusals write nothing."""

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Meeting, MeetingAttendee, RecordRevision
from tests.core.helpers import drive_to
from tests.factories import make_school
from xinyu.cli import main
from xinyu.cycle import PackBook
from xinyu.db import transaction


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_leader_sets_the_meeting_and_the_agenda_shows_it(cli_db: str, engine: Engine, book: PackBook,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    with transaction(engine) as session:
        school = make_school(session, name="芝罘第一中学")
        drive_to(session, book, school.id, "2026-10", "meeting")
        leader, deputy = school.people["leader"].name, school.people["deputy"].name
        psych = school.people["psych_teacher"].name
        homeroom = next(p.name for k, p in school.people.items() if k.startswith("homeroom:"))
    base = ["meeting", "set", "--school", "芝罘第一中学", "--month", "2026-10", "--at", "2026-10-14T10:00"]
    code, _, err = run(capsys, *base, "--at-time", "2026-10-16T15:00", "--place", "会议室", "--by", psych)
    assert code == 1 and err.startswith("错误：") and "只有组长" in err
    code, _, err = run(capsys, *base, "--at-time", "2026-09-16T15:00", "--place", "会议室", "--by", leader)
    assert code == 1 and "早于 2026-10 月初" in err
    code, _, err = run(capsys, *base, "--at-time", "2026-10-16T15:00", "--place", "会议室", "--by", leader,
                       "--attendee", "查无此人")
    assert code == 1 and "查无此人" in err
    with Session(engine) as session:
        assert session.exec(select(MeetingAttendee)).first() is None
        assert session.exec(select(RecordRevision)).first() is None
    code, out, err = run(capsys, *base, "--at-time", "2026-10-16T15:00", "--place", "行政楼会议室", "--by", leader,
                         "--recorder", psych, "--attendee", leader, "--attendee", deputy, "--attendee", homeroom,
                         "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["starts_at"] == "2026-10-16T15:00:00+08:00" and shown["place"] == "行政楼会议室"
    assert (shown["host"], shown["recorder"], shown["attendees"]) == (leader, psych, [leader, deputy, homeroom])
    code, out, err = run(capsys, "agenda", "--school", "芝罘第一中学", "--month", "2026-10")
    assert code == 0, err
    assert "逾期与结转事项" in out and "时间：2026-10-16 15:00　地点：行政楼会议室" in out
    assert f"参会人员：{leader}、{deputy}、{homeroom}" in out
    with Session(engine) as session:
        meeting = session.exec(select(Meeting)).one()
        assert meeting.recorder_id == school.people["psych_teacher"].id
        assert session.exec(select(RecordRevision).where(RecordRevision.kind == "meeting")).one().after
