"""Running the stack's deployments from Python and reading back their results."""

import asyncio
from datetime import datetime
from typing import Any


class ServerOrchestrator:
    """The flows through the server's deployments, waiting for each run and returning its result.

    The same two methods as the simulation's embedded orchestrator (xinyu/simulate/orchestrators.py):
    advance(at) is advance-cycles (opens the month when due, moves every cycle, chases, district
    digests), spread over the workers; dispatch(at) is dispatch-outbox. Results are read from the
    workers' result files, so the caller runs on the stack's machine (or shares that folder).
    """

    def __init__(self, api_url: str, *, batch_size: int | None = None, groups: int | None = None,
                 poll_seconds: float = 0.5) -> None:
        self.api_url, self.poll_seconds = api_url, poll_seconds
        self.spread = {k: v for k, v in {"batch_size": batch_size, "groups": groups}.items() if v is not None}
        self.flow_runs: list[str] = []  # ids of the runs started here, oldest first

    def advance(self, at: datetime) -> dict[str, int]:
        return self.run("advance-cycles/advance-cycles", {"at": at.isoformat(), **self.spread})

    def open_month(self, month: str, at: datetime) -> dict[str, int]:
        return self.run("open-month/open-month", {"month": month, "at": at.isoformat(), **self.spread})

    def dispatch(self, at: datetime) -> dict[str, int]:
        return self.run("dispatch-outbox/dispatch-outbox", {"at": at.isoformat()})

    def run(self, deployment: str, params: dict[str, Any]) -> dict[str, int]:
        return asyncio.run(self._run(deployment, params))

    async def _run(self, deployment: str, params: dict[str, Any]) -> dict[str, int]:
        from prefect.client.orchestration import PrefectClient
        from prefect.deployments import arun_deployment

        from flows.report import deployment_run_name

        async with PrefectClient(api=self.api_url) as client:
            run = await arun_deployment(deployment, client=client, parameters={"params": params}, timeout=None,
                                        flow_run_name=deployment_run_name(deployment, {"params": params}),
                                        poll_interval=self.poll_seconds, as_subflow=False)
        self.flow_runs.append(str(run.id))
        if run.state is None or not run.state.is_completed():
            state = run.state.name if run.state else "no state"
            message = run.state.message if run.state else ""
            raise RuntimeError(f"{deployment} run {run.name} ended {state}: {message}")
        result: dict[str, int] = await run.state.aresult()
        return result
