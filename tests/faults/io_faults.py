"""Input/output faults of the fault table (issue 5): servers that are down or answer badly, and files
that are broken. Each injector builds a small sample district through the real importer and the real
month (xinyu.month_run), injects its fault `times` times and returns the row; tests/faults/test_io_faults.py
asserts on the same rows that bench/fault_table.py prints.

- smtp_down_a_day: the chase queues a day's mail at 17:00, the SMTP server (aiosmtpd) is stopped for
  24 hours while the dispatcher runs every 5 minutes of simulated time, then it comes back.
- sms_gateway_500s_and_timeouts: for 3 hours after the chase queues its SMS, the gateway answers 500 or
  takes the request and answers too late (a timeout the client cannot tell from a lost request).
- malformed_pack: a pack file broken after cycles exist (bad YAML, a step's order broken, an unknown
  role) is installed; `xinyu pack install` must refuse naming file and path, exit non-zero without a
  traceback, and write nothing; the month goes on (a pack file is not read at run time).
- broken_roster: rosters broken as they arrive from schools (GBK rows appended to a UTF-8 file, a
  multibyte character cut short, a second BOM, a damaged XLSX); `xinyu import` must name file and row,
  exit non-zero without a traceback, and import nothing.
"""

import logging
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from models import OutboxMessage, PackVersion
from notifications.channels.base import Channel
from notifications.channels.sms_http import HttpSmsGateway
from notifications.channels.smtp import SmtpChannel
from notifications.dispatcher import dispatch
from notifications.routing import file_channels
from tests.core.helpers import snapshot
from tests.faults.report import FaultRow, Injector
from tests.notifications.servers import HttpRequest, HttpServer, SmtpServer
from xinyu import sample
from xinyu.clock import parse_at
from xinyu.consistency import check_consistency
from xinyu.cycle import PackBook
from xinyu.db import make_engine
from xinyu.month_run import run_days
from xinyu.roster import import_file

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "packs"
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
STEP = timedelta(minutes=5)  # the dispatch-outbox schedule (prefect.yaml, xinyu serve)
FIRST_DAY = date(2026, 10, 10)  # the first day the sample month's chase queues messages


# ---------------------------------------------------------------- a small district and its clock


def district(url: str, workdir: Path, *, seed: int, schools: int = 4, classes: int = 6) -> tuple[Engine, PackBook]:
    """A sample district imported from its roster file, the month run up to the day before FIRST_DAY."""
    engine = make_engine(url)
    book = PackBook(engine, pin_newest=True)
    workdir.mkdir(parents=True, exist_ok=True)
    staff = sample.sample_roster_rows(schools=schools, classes_per_school=classes, seed=seed)
    import_file(engine, sample.write_csv(workdir / "教职工名册.csv", staff))
    run_days(engine, first=date(2026, 10, 1), last=FIRST_DAY - timedelta(days=1), book=book, seed=seed,
             late_rate=0.5)
    return engine, book


def chase_day(engine: Engine, book: PackBook, day: date, seed: int) -> tuple[datetime, set[str]]:
    """The day's work, advance and chase at 17:00 (xinyu.month_run); the dedupe keys it queued."""
    before = _keys(engine)
    run_days(engine, first=day, last=day, book=book, seed=seed, late_rate=0.5)
    return parse_at(f"{day.isoformat()}T17:00"), _keys(engine) - before


def _keys(engine: Engine, channel: str | None = None) -> set[str]:
    query = select(OUTBOX.c.dedupe_key)
    if channel:
        query = query.where(OUTBOX.c.channel == channel)
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def _status(engine: Engine, keys: set[str]) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.dedupe_key, OUTBOX.c.status)).all()
    return Counter(status for key, status in rows if key in keys)


def _next_run(engine: Engine, after: datetime) -> datetime:
    """The next 5-minute run that has something to do: runs with nothing due are skipped (they would
    change nothing), so a simulated day costs only the runs that matter."""
    with engine.connect() as conn:
        due = conn.execute(select(func.min(OUTBOX.c.not_before)).where(OUTBOX.c.status == "queued")).scalar()
    at = after + STEP
    if due is not None:
        due = due if due.tzinfo else due.replace(tzinfo=after.tzinfo)  # SQLite gives naive UTC back
        while at < due:
            at += STEP * max(1, int((due - at) / STEP))
    return at


def _inconsistent(engine: Engine, book: PackBook) -> list[str]:
    with Session(engine) as session:
        return check_consistency(session, book)


# ---------------------------------------------------------------- SMTP down for a day


class SmtpOutage:
    """The loopback SMTP server (aiosmtpd) taken down and brought back on the same port, the same
    recorder counting every delivery (an aiosmtpd controller cannot start again once stopped)."""

    def __init__(self) -> None:
        self.server = SmtpServer()  # its port and recorder; not listening yet
        self.controller: Controller | None = None

    def up(self) -> None:
        self.controller = Controller(self.server.recorder, hostname="127.0.0.1", port=self.server.port)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def smtp_down_a_day(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    engine, book = district(new_db(), workdir / "district", seed=seed)
    outage = SmtpOutage()
    url = outage.server.url
    queued: set[str] = set()
    failed = most_attempts = 0
    latest = timedelta(0)  # longest wait from the server's return to a message's delivery
    try:
        day = FIRST_DAY
        for _ in range(times):
            now, fresh = chase_day(engine, book, day, seed)
            mail = fresh & _keys(engine, "email")
            queued |= mail
            back = now + timedelta(days=1)
            while now < back:  # the server is down: every run finds it so
                _dispatch(engine, now, workdir, email=SmtpChannel.from_url(url, sender=SENDER, timeout=2))
                now = _next_run(engine, now)
            outage.up()
            now = back
            for _ in range(24 * 12 * 3):  # three more days of runs at most
                _dispatch(engine, now, workdir, email=SmtpChannel.from_url(url, sender=SENDER))
                left = _status(engine, mail)
                if not left["queued"] and not left["sending"]:
                    break
                now = _next_run(engine, now)
            latest = max(latest, now - back)
            outage.down()
            with engine.connect() as conn:
                rows = conn.execute(select(OUTBOX.c.dedupe_key, OUTBOX.c.status, OUTBOX.c.attempts)).all()
            failed += sum(1 for key, status, _ in rows if key in mail and status == "failed")
            most_attempts = max([most_attempts, *(n for key, _, n in rows if key in mail)])
            day += timedelta(days=2)  # the next outage starts after this one's last run
    finally:
        outage.down()
    return _row("SMTP 服务器停机一个模拟日（每 5 分钟一次发送）", times, queued, outage.server.recorder.deliveries,
                len(_inconsistent(engine, book)),
                f"永久失败 {failed}；每封最多尝试 {most_attempts} 次；恢复后最晚 {_minutes(latest)} 送达")


SENDER = "心育闭环 <noreply@xinyu.example>"


def _dispatch(engine: Engine, now: datetime, workdir: Path, **channels: Channel) -> None:
    logging.getLogger("notifications.dispatcher").setLevel(logging.ERROR)  # one "unreachable" a run: noise here
    dispatch(engine, now=now, channels={**file_channels(workdir / "outbox"), **channels})


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} 分钟"


def _row(fault: str, injected: int, queued: set[str], deliveries: Counter[str], inconsistent: int,
         note: str) -> FaultRow:
    return FaultRow(fault=fault, injected=injected, queued=len(queued),
                    delivered=sum(1 for k in queued if deliveries[k]),
                    duplicated=sum(max(0, deliveries[k] - 1) for k in queued),
                    lost=sum(1 for k in queued if not deliveries[k]), inconsistent=inconsistent, note=note)


# ---------------------------------------------------------------- SMS gateway: 500s and timeouts


class FlakyGateway:
    """The SMS gateway on loopback: within `bad_until` it answers 500 or takes the request and answers
    too late; after, 200. What it takes it sends: so a request it took and answered late counts as
    sent, and the client's retry of it is a second SMS unless the gateway honours the Idempotency-Key."""

    def __init__(self, server: HttpServer, rng: random.Random) -> None:
        self.server, self.rng = server, rng
        self.bad_until: datetime | None = None
        self.now: datetime | None = None
        self.sent: Counter[str] = Counter()  # by dedupe key, as a gateway that ignores the key would send
        self.keys: dict[str, set[str]] = {}  # dedupe key → Idempotency-Keys seen
        self.answers: Counter[str] = Counter()
        self.timed_out: Counter[str] = Counter()  # by dedupe key: requests taken and answered too late
        self.by_key: dict[str, str] = {}  # Idempotency-Key → dedupe key (from the test's own outbox)
        server.answer = self.answer

    def answer(self, request: HttpRequest) -> tuple[int, object] | str:
        key = request.headers.get("idempotency-key", "")
        dedupe = self.by_key.get(key, key)
        self.keys.setdefault(dedupe, set()).add(key)
        bad = self.now is not None and self.bad_until is not None and self.now < self.bad_until
        kind = self.rng.choices(["500", "timeout", "ok"], [5, 3, 2])[0] if bad else "ok"
        self.answers[kind] += 1
        if kind == "500":
            return 500, {"error": "internal"}
        self.sent[dedupe] += 1
        self.timed_out[dedupe] += kind == "timeout"
        return "hang" if kind == "timeout" else (200, {"ok": True})


def sms_gateway_500s_and_timeouts(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    from notifications.channels.sms_http import idempotency_key

    engine, book = district(new_db(), workdir / "district", seed=seed)
    queued: set[str] = set()
    failed = 0
    with HttpServer() as server:
        gateway = FlakyGateway(server, random.Random(seed))
        day = FIRST_DAY
        for _ in range(times):
            now, fresh = chase_day(engine, book, day, seed)
            texts = fresh & _keys(engine, "sms")
            queued |= texts
            gateway.by_key.update({idempotency_key(k): k for k in texts})
            gateway.bad_until = now + timedelta(hours=3)
            for _ in range(24 * 12 * 3):
                gateway.now = now
                _dispatch(engine, now, workdir, sms=HttpSmsGateway(f"{server.base}/sms", timeout=0.2))
                left = _status(engine, texts)
                if not left["queued"] and not left["sending"]:
                    break
                now = _next_run(engine, now)
            failed += _status(engine, texts)["failed"]
            day += timedelta(days=3)
        server.hung_up.set()
    timeouts = gateway.answers["timeout"]
    one_key = all(len(keys) == 1 for keys in gateway.keys.values())
    unexplained = sum(max(0, gateway.sent[k] - 1 - gateway.timed_out[k]) for k in queued)
    return _row("短信网关返回 500 与超时（3 小时）", times, queued, gateway.sent, len(_inconsistent(engine, book)),
                f"500 共 {gateway.answers['500']} 次、超时 {timeouts} 次；重复中无法以超时解释的 {unexplained} 条"
                "（超时的请求网关可能已收下，重试即重复）；"
                f"{'每条短信的各次请求带同一 Idempotency-Key' if one_key else 'Idempotency-Key 不一致！'}"
                f"（网关按键去重则重复为 0；阿里云 OutId 不去重）；永久失败 {failed}")


# ---------------------------------------------------------------- a malformed pack at run time


def _break_yaml(text: str) -> str:
    return text.replace("vacation_months: [2, 7, 8]", "vacation_months: [2, 7, 8", 1)


def _break_order(text: str) -> str:  # the screening step opens after it is due
    return text.replace("    earliest: 1\n    due: 5\n", "    earliest: 7\n    due: 5\n", 1)


def _unknown_role(text: str) -> str:
    return text.replace("        role: homeroom\n", "        role: janitor\n", 1)


def _step_removed(text: str) -> str:  # valid on its own, but the open cycles have this step
    return text.replace("    key: feedback\n", "    key: month_feedback\n", 1)


PACK_BREAKS: list[tuple[str, Callable[[str], str], str]] = [
    ("YAML 语法错误", _break_yaml, "qingdao.yaml"),
    ("步骤顺序错误", _break_order, "earliest"),
    ("未知角色", _unknown_role, "role"),
]
# Not in the list: a step renamed (_step_removed) is a valid pack: installed, it is a new version the open
# cycles never read (tests/features/test_pack_versions.py); Pack.step still refuses a step a pack lacks by name.


def malformed_pack(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    url = new_db()
    engine, book = district(url, workdir / "district", seed=seed)
    packs = workdir / "packs"
    shutil.copytree(PACKS, packs)
    good = (packs / "qingdao.yaml").read_text(encoding="utf-8")
    refused, unclear, changed = 0, list[str](), 0
    day = FIRST_DAY
    for n in range(times):
        name, breaks, names = PACK_BREAKS[n % len(PACK_BREAKS)]
        (packs / "qingdao.yaml").write_text(breaks(good), encoding="utf-8")
        before = (snapshot(engine), _versions(engine))
        run = _cli(["pack", "install", str(packs / "qingdao.yaml")], url, packs)
        if run.returncode != 0 and "qingdao.yaml" in run.stderr and names in run.stderr:
            refused += 1
        if run.returncode == 0 or "Traceback" in run.stderr or "qingdao.yaml" not in run.stderr:
            unclear.append(f"{name}: exit {run.returncode}: {run.stderr.strip()[-300:]}")
        changed += (snapshot(engine), _versions(engine)) != before
        (packs / "qingdao.yaml").write_text(good, encoding="utf-8")
        chase_day(engine, book, day, seed)  # the month goes on on its stored version
        day += timedelta(days=1)
    problems = _inconsistent(engine, book)
    return FaultRow("安装损坏的政策包（YAML 语法、步骤顺序、未知角色）", times, 0, 0, 0, 0,
                    changed + len(unclear) + len(problems),
                    f"拒绝并指明文件与位置 {refused}/{times}；有改动 {changed}；"
                    + ("；".join(unclear[:2]) if unclear else "无回溯") + (f"；{problems[:2]}" if problems else ""))


def _versions(engine: Engine) -> list[tuple[str, int]]:
    with Session(engine) as session:
        return [(p, v) for p, v in session.exec(select(PackVersion.pack_id, PackVersion.version))]


def _cli(args: list[str], url: str, packs: Path) -> subprocess.CompletedProcess[str]:
    """The real command in its own process, as an operator runs it."""
    env = {**os.environ, "XINYU_DATABASE_URL": url, "XINYU_PACKS_DIR": str(packs),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "xinyu.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


# ---------------------------------------------------------------- broken rosters


def _staff_bytes(seed: int) -> tuple[bytes, bytes]:
    """A school's staff roster as UTF-8 bytes, and a few more of its rows exported as GBK."""
    rows = sample.sample_roster_rows(schools=2, classes_per_school=3, seed=seed)
    head, tail = rows[:-4], rows[-4:]
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    first = sample.write_csv(folder / f"xinyu-roster-{os.getpid()}-a.csv", head).read_bytes()
    more = sample.write_csv(folder / f"xinyu-roster-{os.getpid()}-b.csv", tail, encoding="gbk").read_bytes()
    return first, more.split(b"\n", 1)[1]  # without its header row


def _gbk_appended(utf8: bytes, gbk_rows: bytes) -> tuple[bytes, int]:
    return utf8 + gbk_rows, utf8.count(b"\n") + 1


def _cut_character(utf8: bytes, gbk_rows: bytes) -> tuple[bytes, int]:
    lines = utf8.split(b"\n")
    target = len(lines) // 2
    line = lines[target]
    cut = next(i for i in range(len(line)) if line[i] >= 0xE0)  # the first byte of a 3-byte character
    lines[target] = line[:cut + 1] + line[cut + 3:]
    return b"\n".join(lines), target + 1


def _second_bom(utf8: bytes, gbk_rows: bytes) -> tuple[bytes, int]:
    lines = utf8.split(b"\n")
    target = len(lines) // 3
    lines[target] = b"\xef\xbb\xbf" + lines[target]
    return b"\n".join(lines), target + 1


ROSTER_BREAKS: list[tuple[str, Callable[[bytes, bytes], tuple[bytes, int]]]] = [
    ("UTF-8 文件末尾追加 GBK 行", _gbk_appended),
    ("多字节字符被截断", _cut_character),
    ("文件中间有 BOM", _second_bom),
]


def broken_roster(new_db: Callable[[], str], workdir: Path, times: int, seed: int) -> FaultRow:
    url = new_db()
    engine = make_engine(url)
    workdir.mkdir(parents=True, exist_ok=True)
    utf8, gbk_rows = _staff_bytes(seed)
    refused, unclear, changed = 0, list[str](), 0
    for n in range(times):
        name, breaks = ROSTER_BREAKS[n % len(ROSTER_BREAKS)]
        data, row = breaks(utf8, gbk_rows)
        path = workdir / f"教职工名册-{n}.csv"
        path.write_bytes(data)
        before = snapshot(engine)
        run = _cli(["import", str(path)], url, PACKS)
        if run.returncode != 0 and path.name in run.stderr and f"第{row}行" in run.stderr:
            refused += 1
        else:
            unclear.append(f"{name}: exit {run.returncode}: {run.stderr.strip()[-300:]}")
        if "Traceback" in run.stderr:
            unclear.append(f"{name}: traceback")
        changed += snapshot(engine) != before
    return FaultRow("名册文件损坏（GBK 行混入 UTF-8、字符截断、中间 BOM）", times, 0, 0, 0, 0, changed + len(unclear),
                    f"拒绝并指明文件与行 {refused}/{times}；有导入 {changed}"
                    + ("；" + "；".join(unclear[:2]) if unclear else "；无回溯"))


INJECTORS: list[Injector] = [smtp_down_a_day, sms_gateway_500s_and_timeouts, malformed_pack, broken_roster]
