"""The ledger pages (A, B, D listings, first page) and the QD-2 coverage page of a 3,000-student school after a
school year of records, against naive per-row twins measured in the same run.

    .venv/bin/python bench/ledger_pages.py [--classes 60] [--per-class 50] [--requests 40] [--pg]

Data (built fresh in bench/out/ledger-pages.db, or a fresh PostgreSQL database with --pg, dropped at the end):
one school of `classes × per-class` students, the school year 2025-09-01 … 2026-06-30: every student screened
twice (Sep, Mar), 5 % key students with a plan (two thirds active), a talk per student per semester plus a
second talk for a third of them, and two family feedbacks per key student per semester.

OURS   the real pages through the app (web.app.create_app, a TestClient signed in as the school leader):
       /schools/{id}/ledgers?view=A|B|D (first page of 200 rows) and /schools/{id}/coverage; the time is the
       server's own (`Server-Timing: app;dur=`), i.e. routing, the session check, the queries and the template.
NAIVE  the same figures computed row by row in the same process, WITHOUT templates (which only favours it):
       the listing's first page with `session.get` of each row's student, class and recorder; the coverage with
       one query per student (talks) and per key student (feedback) — what a first implementation does.
Ratios (naive / ours) from the same run are what to compare between runs; p95 < 100 ms is the aim for ours.
"""

import argparse
import gc
import math
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, insert, text  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from models import (  # noqa: E402
    District,
    KeyStudentPlan,
    Person,
    RoleAssignment,
    School,
    SchoolClass,
    ScreeningRecord,
    Student,
    TalkRecord,
)
from xinyu.clock import SHANGHAI  # noqa: E402

OUT = ROOT / "bench" / "out"
NOW = datetime(2026, 6, 18, 18, 0, tzinfo=SHANGHAI)
PASSWORD = "bench-ledger-2026"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AIM_MS = 100.0


def build(engine: Engine, classes: int, per_class: int) -> tuple[int, int]:
    """The school, its staff and a year of ledger rows; (school id, leader person id)."""
    from xinyu.accounts import set_password
    from xinyu.roles import Role

    with Session(engine) as session:
        district = District(name="市南区")
        session.add(district)
        session.flush()
        school = School(district_id=district.id or 0, name="青岛市基准中学", stage="初中", pack="qingdao")
        session.add(school)
        session.flush()
        sid = school.id or 0
        leader = Person(identity="bench/leader", name="王校长", email="leader@bench.example.cn")
        psych = Person(identity="bench/psych", name="李老师", email="psych@bench.example.cn")
        session.add_all([leader, psych])
        session.flush()
        for person, role in ((leader, Role.leader), (psych, Role.psych_teacher)):
            session.add(RoleAssignment(person_id=person.id or 0, role=role, district_id=district.id, school_id=sid,
                                       scope_key=f"s{sid}"))
        class_ids = []
        for n in range(classes):
            grade = 7 + n % 3
            c = SchoolClass(school_id=sid, grade=grade, name=f"{n // 3 + 1}班", stage="初中")
            session.add(c)
            session.flush()
            class_ids.append(c.id or 0)
        rows = [{"school_id": sid, "class_id": cid, "student_no": f"{cid:03d}{i:03d}", "name": f"学生{cid}-{i}",
                 "gender": "男" if i % 2 else "女"} for cid in class_ids for i in range(per_class)]
        session.execute(insert(Student), rows)
        students = list(session.execute(select(col(Student.id)).where(Student.school_id == sid)).scalars())
        stamp = {"created_at": NOW, "updated_at": NOW}
        session.execute(insert(ScreeningRecord), [
            {"school_id": sid, "student_id": s, "screened_on": on, "scale": "MHT", "total_score": (s * 7) % 100,
             "level": "无" if s % 10 else "中度", "method": "online", **stamp}
            for s in students for on in (date(2025, 9, 20), date(2026, 3, 20))])
        key = students[::20]
        session.execute(insert(KeyStudentPlan), [
            {"school_id": sid, "student_id": s, "mentor_id": psych.id, "status": "active" if i % 3 else "draft",
             "family_situation": "父母外出务工", "difficulties": "学业压力", "study_plan": "每周复盘",
             "growth_advice": "每两周谈心", "progression_path": "普通高中", "opened_on": date(2025, 10, 1), **stamp}
            for i, s in enumerate(key)])
        talks = []
        for i, s in enumerate(students):
            for start in (date(2025, 9, 1), date(2026, 2, 1)):
                talks.append({"school_id": sid, "student_id": s, "kind": "谈心", "by_id": psych.id,
                              "held_on": start + timedelta(days=20 + i % 90), "summary": "谈心，情绪平稳", **stamp})
                if i % 3 == 0:
                    talks.append({"school_id": sid, "student_id": s, "kind": "谈心", "by_id": psych.id,
                                  "held_on": start + timedelta(days=40 + i % 60), "summary": "复谈", **stamp})
        for s in key:
            for start in (date(2025, 9, 1), date(2026, 2, 1)):
                for kind, days in (("家访", 30), ("电话", 70)):
                    talks.append({"school_id": sid, "student_id": s, "kind": kind, "by_id": psych.id,
                                  "held_on": start + timedelta(days=days), "summary": "反馈学生在校情况", **stamp})
        session.execute(insert(TalkRecord), talks)
        set_password(session, person_id=leader.id or 0, password=PASSWORD, now=NOW)
        session.commit()
        print(f"data: {len(students)} students in {classes} classes, {2 * len(students)} screenings, "
              f"{len(key)} key students, {len(talks)} talks and feedbacks")
        return sid, leader.id or 0


# ---- the naive twins: the same figures, read row by row ----

def naive_listing(engine: Engine, sid: int, letter: str) -> int:
    table: Any = {"A": ScreeningRecord, "B": KeyStudentPlan, "D": TalkRecord}[letter]
    order = {"A": col(ScreeningRecord.screened_on).desc(), "B": col(KeyStudentPlan.id),
             "D": col(TalkRecord.held_on).desc()}[letter]
    with Session(engine) as session:
        rows = list(session.exec(select(table).where(table.school_id == sid).order_by(order).limit(200)))
        out = 0
        for r in rows:
            student = session.get(Student, r.student_id)
            assert student is not None
            session.get(SchoolClass, student.class_id)
            person = getattr(r, "by_id", None) or getattr(r, "mentor_id", None)
            if person:
                session.get(Person, person)
            out += 1
        for letter_table in (ScreeningRecord, KeyStudentPlan, TalkRecord):  # the tab counts
            len(list(session.exec(select(letter_table.id).where(letter_table.school_id == sid))))
        return out


def naive_coverage(engine: Engine, sid: int, start: date, end: date) -> int:
    with Session(engine) as session:
        total = 0
        for c in session.exec(select(SchoolClass).where(SchoolClass.school_id == sid)):
            for s in session.exec(select(Student).where(Student.class_id == c.id)):
                talked = session.exec(select(TalkRecord).where(TalkRecord.student_id == s.id, TalkRecord.kind == "谈心",
                                                               col(TalkRecord.held_on) >= start,
                                                               col(TalkRecord.held_on) <= end)).first()
                plan = session.exec(select(KeyStudentPlan).where(KeyStudentPlan.student_id == s.id,
                                                                 col(KeyStudentPlan.status).in_(["draft", "active"]))
                                    ).first()
                if plan is not None:
                    session.exec(select(TalkRecord).where(TalkRecord.student_id == s.id,
                                                          col(TalkRecord.kind).in_(["家访", "电话", "微信", "家长会"]),
                                                          col(TalkRecord.held_on) >= start,
                                                          col(TalkRecord.held_on) <= end)).first()
                total += talked is not None
        return total


# ---- measuring ----

def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def server_ms(client: Any, url: str) -> float:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    found = re.search(r"app;dur=([\d.]+)", response.headers.get("server-timing", ""))
    if found:
        return float(found.group(1))
    raise AssertionError("no Server-Timing header")


def run(url: str, classes: int, per_class: int, requests: int) -> list[tuple[str, float, float]]:
    from fastapi.testclient import TestClient

    from web.app import create_app
    from xinyu.cycle import PackBook
    from xinyu.db import make_engine

    engine = make_engine(url)
    sid, _ = build(engine, classes, per_class)
    app = create_app(engine=engine, book=PackBook(engine), clock=lambda: NOW, base_url="https://testserver")
    client = TestClient(app, base_url="https://testserver")
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    signed = client.post("/login", data={"login": "leader@bench.example.cn", "password": PASSWORD, "next": "/",
                                         "csrf_token": token.group(1)}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    gc.collect()
    gc.freeze()  # as `xinyu serve` does: the start-up heap is not walked by every full collection
    spring = (date(2026, 2, 1), date(2026, 8, 31))
    cases: list[tuple[str, str, Callable[[], Any]]] = [
        (f"ledger {letter}", f"/schools/{sid}/ledgers?view={letter}", lambda letter=letter: naive_listing(
            engine, sid, letter)) for letter in "ABD"]
    cases.append(("coverage", f"/schools/{sid}/coverage", lambda: naive_coverage(engine, sid, *spring)))
    results = []
    for name, page_url, naive in cases:
        for _ in range(3):  # warm-up
            server_ms(client, page_url)
            naive()
        ours: list[float] = []
        theirs: list[float] = []
        for block in range(0, requests, 10):
            gc.collect()  # neither side pays for the other's garbage
            ours += [server_ms(client, page_url) for _ in range(min(10, requests - block))]
            gc.collect()
            theirs += [timed(naive) for _ in range(min(10, requests - block))]
        results.append((name, p95(ours), p95(theirs)))
        print(f"  {name:10s} ours p95 {p95(ours):7.1f} ms (median {statistics.median(ours):6.1f})   "
              f"naive p95 {p95(theirs):8.1f} ms   ratio naive/ours {p95(theirs) / p95(ours):6.1f}×   "
              f"{'OK' if p95(ours) < AIM_MS else 'ABOVE'} the {AIM_MS:.0f} ms aim")
    client.close()
    engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (a fresh database, dropped after)")
    args = parser.parse_args()
    from xinyu.db import migrate

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "ledger-pages.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate(url)
    print(f"SQLite ({path}):")
    run(url, args.classes, args.per_class, args.requests)
    if args.pg:
        name = f"xinyu_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        pg_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            migrate(pg_url)
            print(f"PostgreSQL ({name}):")
            run(pg_url, args.classes, args.per_class, args.requests)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
