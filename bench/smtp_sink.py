"""An SMTP server for the dispatch benchmarks, run as its own process so it never shares a GIL with
the dispatcher it measures: aiosmtpd on loopback that accepts every message and counts them.

    python bench/smtp_sink.py PORT [--delay-ms 20]

--delay-ms waits before every reply (the greeting too), as a relay across a city would: each SMTP
command then costs one round trip of that length. Prints "ready" once listening; each line on stdin
is answered with the number of messages accepted so far; end of stdin stops it.
"""

import argparse
import asyncio
import sys
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Counting:
    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.accepted += 1
        return "250 2.0.0 queued"


class SlowSMTP(SMTP):
    delay = 0.0

    async def push(self, status: Any) -> None:
        await asyncio.sleep(self.delay)
        await super().push(status)


class SlowController(Controller):
    def factory(self) -> SMTP:
        return SlowSMTP(self.handler, **self.SMTP_kwargs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    SlowSMTP.delay = args.delay_ms / 1000
    handler = Counting()
    # The readiness probe waits for the (delayed) greeting; give it time.
    controller = SlowController(handler, hostname="127.0.0.1", port=args.port, ready_timeout=10)
    controller.start()
    print("ready", flush=True)
    for _ in sys.stdin:
        print(handler.accepted, flush=True)
    controller.stop()


if __name__ == "__main__":
    main()
