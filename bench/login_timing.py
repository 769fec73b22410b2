"""A failed login takes the same time whether or not the login exists (issue 11): the ratio, in one run.

    .venv/bin/python -m bench.login_timing [--rounds 30]

Times `authenticate` with a wrong password for an existing account and for an unknown login, alternating,
on a fresh SQLite database (bench/out/login_timing.db); each attempt is 16 minutes after the last, so the
failed-password limit never answers first. Prints the medians and the ratio existing/unknown (≈ 1.0 now;
before, only a known login paid the argon2 check: ~100 here, 135 ms against 1 ms).
"""

import argparse
import statistics
import time
from datetime import timedelta

from sqlmodel import Session

from bench.out_db import fresh_sqlite
from models import District, Person, RoleAssignment
from xinyu.accounts import AccountError, authenticate, set_password
from xinyu.clock import parse_at
from xinyu.db import make_engine
from xinyu.roles import Role

START = parse_at("2026-10-20T09:00")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    engine = make_engine(fresh_sqlite("login_timing.db"))
    with Session(engine) as session:
        district = District(name="青岛市市南区")
        session.add(district)
        session.flush()
        person = Person(identity="13800000001", name="李校长", email="li@school.example.cn", phone="13800000001")
        session.add(person)
        session.flush()
        assert district.id is not None and person.id is not None
        session.add(RoleAssignment(person_id=person.id, role=Role.district_officer.value, district_id=district.id,
                                   scope_key=f"d{district.id}"))
        set_password(session, person_id=person.id, password="the-right-password", now=START)
        session.commit()
    times: dict[str, list[float]] = {"existing": [], "unknown": []}
    logins = {"existing": "li@school.example.cn", "unknown": "nobody@school.example.cn"}
    with Session(engine) as session:
        for round_ in range(args.rounds + 1):  # round 0 warms up (the dummy hash is made once per process)
            for kind, login in logins.items():
                now = START + timedelta(minutes=16 * (2 * round_ + (kind == "unknown")))
                started = time.perf_counter()
                try:
                    authenticate(session, login=login, password="a-wrong-password", address="10.0.0.1", now=now)
                except AccountError:
                    pass
                if round_:
                    times[kind].append(time.perf_counter() - started)
    existing, unknown = statistics.median(times["existing"]), statistics.median(times["unknown"])
    print(f"wrong password, existing account: median {existing * 1000:.1f} ms over {args.rounds}")
    print(f"wrong password, unknown login:    median {unknown * 1000:.1f} ms over {args.rounds}")
    print(f"ratio existing/unknown: {existing / unknown:.2f}")


if __name__ == "__main__":
    main()
