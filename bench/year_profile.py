"""Where a month of the simulated year goes: cProfile of one month of `xinyu simulate`, top functions.

    .venv/bin/python bench/year_profile.py [--schools 150] [--month 2] [--classes 30] [--late-rate 0.2]
                                           [--orchestrator embedded|direct] [--profiler py-spy|cprofile]
                                           [--top 15] [--out FILE]

Builds the sample city in a fresh SQLite database (a temporary folder), runs the months from 2025-09 up to
and including `--month` (the n-th), and profiles only that last month: the opening month and the city
import are not in it. Prints the month's line, its wall and CPU time, and the top functions by cumulative
time:

- `py-spy` (default; `pip install py-spy`): samples every thread of this process and of its children (the
  batch tasks run in Prefect's task threads, the embedded API in a server subprocess), 100 a second; a
  function's share is the share of the month's samples with it on the stack (idle threads not sampled).
  `--out` keeps the raw samples (py-spy's "raw" format: one stack and its count a line).
- `cprofile`: this thread only (deterministic, with cProfile's own overhead); `--out` keeps the pstats file.
"""

import argparse
import cProfile
import io
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=150)
    parser.add_argument("--month", type=int, default=2, help="the n-th month from 2025-09 is profiled")
    parser.add_argument("--classes", type=int, default=30)
    parser.add_argument("--late-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orchestrator", choices=("embedded", "direct"), default="embedded")
    parser.add_argument("--profiler", choices=("py-spy", "cprofile"), default="py-spy")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--out", type=Path, help="keep the raw profile here")
    parser.add_argument("--report", type=Path, help="only print the report of raw py-spy samples kept before")
    args = parser.parse_args()
    if args.report:
        print(sampled_report(args.report, args.top))
        return 0
    if args.month < 2:
        parser.error("--month: 2 or more (the months before it are run unprofiled)")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from xinyu.simulate import SimulationOptions, run_simulation

    profiler = Sampler(args.out) if args.profiler == "py-spy" else Deterministic()
    months_seen = 0
    clock: dict[str, float] = {}

    def out(line: str) -> None:
        nonlocal months_seen
        print(f"  {line}", flush=True)
        if line[:4].isdigit() and line[4:5] == "-":  # a month's line: that month has ended
            months_seen += 1
            if months_seen == args.month - 1:
                clock["wall"], clock["cpu"] = time.perf_counter(), time.process_time()
                profiler.enable()
            elif months_seen == args.month:
                profiler.disable()
                clock["wall"] = time.perf_counter() - clock["wall"]
                clock["cpu"] = time.process_time() - clock["cpu"]

    with tempfile.TemporaryDirectory(prefix="xinyu-year-profile-") as folder:
        options = SimulationOptions(schools=args.schools, months=args.month, late_rate=args.late_rate,
                                    seed=args.seed, classes=args.classes, folder=Path(folder),
                                    orchestrator=args.orchestrator)
        run_simulation(options, out=out)
    print(f"profiled month {args.month} of {args.schools} schools × {args.classes} classes ({args.orchestrator}):"
          f" {clock['wall']:.1f} s wall, {clock['cpu']:.1f} s CPU"
          " (with the profiler's own overhead; CPU: this process's);"
          f" per school-month {clock['wall'] / args.schools * 1000:.0f} ms")
    print(profiler.report(args.top, args.out))
    return 0


class Deterministic:
    def __init__(self) -> None:
        self.profile = cProfile.Profile()

    def enable(self) -> None:
        self.profile.enable()

    def disable(self) -> None:
        self.profile.disable()

    def report(self, top: int, out: Path | None) -> str:
        if out:
            self.profile.dump_stats(out)
        text = io.StringIO()
        pstats.Stats(self.profile, stream=text).sort_stats("cumulative").print_stats(top)
        return text.getvalue()


class Sampler:
    """py-spy attached to this process for the month (it must be allowed to ptrace it: same user, or root)."""

    def __init__(self, out: Path | None) -> None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.command = [spy, "record", "--pid", str(os.getpid()), "--subprocesses", "--format", "raw",
                        "--rate", "100", "--nonblocking"]
        self.raw = out or Path(tempfile.mkstemp(prefix="year-profile-", suffix=".txt")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def enable(self) -> None:
        self.process = subprocess.Popen([*self.command, "--output", str(self.raw)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        time.sleep(1)  # attached before the month's first day

    def disable(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # py-spy writes what it sampled, then exits
        self.process.wait(timeout=120)

    def report(self, top: int, out: Path | None) -> str:
        text = sampled_report(self.raw, top)
        if out is None:
            self.raw.unlink()
        return text


# Where a thread waits (py-spy does not always see it as idle: a C call blocking under a Python frame).
WAITING = ("EpollSelector.select", "Condition.wait", "Event.wait", "Queue.get", "_worker",
           "_connection_worker_thread", "sleep", "Thread.join", "select")


def sampled_report(raw: Path, top: int) -> str:
    """Cumulative and own shares of the samples of `raw`, waits left out: per process (the simulation,
    Prefect's API server), then the top functions."""
    inclusive, own, processes, total, waiting = Counter[str](), Counter[str](), Counter[str](), 0, 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        parts = stack.split(";")
        process = [p for p in parts if p.startswith("process ")][-1:] or ["?"]
        frames = [_function(f) for f in parts if not f.startswith("process ")]
        if not frames or frames[-1].split(" (")[0] in WAITING:
            waiting += n
            continue
        total += n
        processes["uvicorn" if "uvicorn" in process[0] else "simulation"] += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    rows = [f"{total} samples on CPU (every thread of this process and of its subprocesses; {waiting} more"
            " waiting, left out): " + ", ".join(f"{p} {n / total:.1%}" for p, n in processes.most_common()),
            f"{'cumulative':>10} {'own':>6}  function"]
    rows += [f"{n / total:10.1%} {own[f] / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(rows)


def _function(frame: str) -> str:
    """"name (path/to/file.py:12)" → "name (path/to/file.py)": a function, whichever line was running."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rpartition(":")[0] or where.rstrip(")")
    for marker in ("site-packages/", "lib/python3.11/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


if __name__ == "__main__":
    sys.exit(main())
