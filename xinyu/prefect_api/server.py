"""`python -m xinyu.prefect_api.server --fd N --parent PID [--advertise]`: Prefect's API app, as Prefect's own
ephemeral mode runs it (no UI, the ephemeral set of services), served on a socket the parent bound. It stops
when the parent stops it or is gone (checked every second), so a killed command leaves nothing running."""

import argparse
import asyncio
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn

# Prefect's SubprocessASGIServer sets the same for its child: the app treats itself as ephemeral and final.
EPHEMERAL_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xinyu.prefect_api.server")
    parser.add_argument("--fd", type=int, required=True, help="a listening TCP socket to serve on")
    parser.add_argument("--parent", type=int, required=True, help="stop when this process is gone")
    parser.add_argument("--advertise", action="store_true", help="advertise the API under PREFECT_HOME while it runs")
    args = parser.parse_args(argv)
    os.environ.update(EPHEMERAL_ENV)
    os.environ.pop("PREFECT_API_URL", None)  # the API is this process: Prefect must not look for another

    import uvicorn
    from prefect.server.api.server import create_app

    sock = socket.socket(fileno=args.fd)
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="error", lifespan="on"))
    # uvicorn re-raises the signal it stopped on once it has shut down: an exit that still withdraws the advert.
    signal.signal(signal.SIGTERM, _exit)
    asyncio.run(_serve(server, sock, args.parent, f"http://{host}:{port}/api" if args.advertise else None))
    return 0


async def _serve(server: "uvicorn.Server", sock: socket.socket, parent: int, advertised: str | None) -> None:
    from xinyu.prefect_api.discovery import advertise, withdraw

    async def watch() -> None:
        while not server.should_exit:
            if advertised and server.started:
                advertise(advertised)
                advertised_now.append(advertised)
                return await watch_parent()
            await asyncio.sleep(0.05)

    async def watch_parent() -> None:
        while not server.should_exit:
            if not _alive(parent):
                server.should_exit = True
            await asyncio.sleep(1)

    advertised_now: list[str] = []
    watcher = asyncio.create_task(watch() if advertised else watch_parent())
    try:
        await server.serve(sockets=[sock])
    finally:
        watcher.cancel()
        for url in advertised_now:
            withdraw(url)


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _alive(parent: int) -> bool:
    return os.getppid() == parent  # a child whose parent died is handed to another process


if __name__ == "__main__":
    sys.exit(main())
