"""`xinyu simulate --orchestrator server`: each simulated day's advance-cycles and dispatch-outbox runs are runs
on a Prefect server of the simulation's own, their batches taken by its two batch workers (Prefect task
workers); the figures of every month and every table's rows equal the core's alone (`direct`).
"""

from pathlib import Path
from typing import Any

import pytest

from bench.year_scale import count_rows
from tests.conftest import TEST_DB
from tests.faults.databases import fresh_databases
from xinyu.simulate import SimulationOptions, run_simulation
from xinyu.simulate.orchestrators import ServerOrchestrator

pytestmark = pytest.mark.skipif(TEST_DB != "postgresql", reason="a Prefect server with several workers runs on "
                                                               "PostgreSQL only (both databases)")


class Watched:
    """The server orchestrator, keeping what its batch workers claimed before the stack goes down."""

    def __init__(self, inner: ServerOrchestrator) -> None:
        self.inner, self.claimers, self.parents = inner, set[str](), 0

    def advance(self, at: Any) -> dict[str, int]:
        self.parents += 1
        return self.inner.advance(at)

    def dispatch(self, at: Any) -> dict[str, int]:
        self.parents += 1
        return self.inner.dispatch(at)

    def close(self) -> None:
        claims = self.inner.stack.config.home / "results" / "claims"
        self.claimers = {path.read_text() for path in claims.iterdir()} if claims.is_dir() else set()
        self.workers = self.inner.stack.batch_workers()
        self.inner.close()


def test_simulated_days_through_the_server_equal_the_core_alone(tmp_path: Path) -> None:
    results, counts = {}, {}
    watched: Watched | None = None
    with fresh_databases("postgresql", tmp_path / "db") as database:
        for name in ("server", "direct"):
            url = database()
            options = SimulationOptions(schools=4, classes=3, months=1, late_rate=0.4, seed=11, days=9,
                                        batch_size=2, folder=tmp_path / name, database_url=url, orchestrator=name)
            runner = None
            if name == "server":
                from xinyu.simulate.session import simulation_settings

                runner = watched = Watched(ServerOrchestrator(simulation_settings(options)))
            results[name] = run_simulation(options, out=lambda _: None, orchestrator=runner)
            counts[name] = count_rows(url)
    server, direct = results["server"], results["direct"]
    assert [{k: v for k, v in vars(m).items() if k != "seconds"} for m in server.months] == \
        [{k: v for k, v in vars(m).items() if k != "seconds"} for m in direct.months]
    assert counts["server"] == counts["direct"] and counts["server"]["task"] > 0 and counts["server"]["outbox"] > 0
    assert watched is not None and watched.parents == 2 * 9  # two runs a simulated day
    # Every advance handed its two batches to the batch workers: they, not the parent, claimed them.
    assert watched.claimers and watched.claimers <= watched.workers, (watched.claimers, watched.workers)
