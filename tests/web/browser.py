"""Helpers for browser tests: Debian's Chromium driven by Playwright, and a live uvicorn server.

Playwright never downloads a browser here: it drives `/usr/bin/chromium` (installed with apt by
`scripts/ensure-browser`, which also installs the CJK font without which Chinese renders as boxes).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from playwright.sync_api import Browser, Playwright, ViewportSize

CHROMIUM = "/usr/bin/chromium"

# The network is closed: these keep Chromium from reaching out (and logging refused connections).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--disable-client-side-phishing-detection",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    "--metrics-recording-only",
    "--password-store=basic",
]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}

REPO_ROOT = Path(__file__).resolve().parents[2]


def launch_chromium(playwright: Playwright, **kwargs: Any) -> Browser:
    """Headless Debian Chromium; extra keyword arguments go to `chromium.launch`."""
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/ensure-browser (never `playwright install`)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **kwargs)


def screenshot_dir() -> Path:
    """`$XINYU_TEST_OUTPUT/screenshots`, else `test-output/screenshots` at the repository root (created)."""
    root = Path(os.environ["XINYU_TEST_OUTPUT"]) if os.environ.get("XINYU_TEST_OUTPUT") else REPO_ROOT / "test-output"
    path = root / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


class LiveServer:
    """Serves an ASGI app with uvicorn in a background thread on 127.0.0.1, on a free port.

    `url` uses the name `localhost`: the app's cookies are `Secure`, which Chromium stores and sends
    over plain http on localhost (it does on 127.0.0.1 too; localhost keeps one cookie jar per test).

        with LiveServer(app) as server:
            page.goto(server.url + "/login")
    """

    def __init__(self, app: Any, *, startup_timeout: float = 10.0, **config: Any) -> None:
        self.app = app
        self.startup_timeout = startup_timeout
        self._config = {"log_level": "warning", "lifespan": "auto", **config}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("LiveServer is not running")
        return f"http://localhost:{self.port}"

    def start(self) -> LiveServer:
        # Bind the socket ourselves and hand it to uvicorn: no window where another process takes the port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, **self._config)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"live-server-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self.stop()
                raise RuntimeError("LiveServer: uvicorn exited during startup")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"LiveServer: uvicorn did not start within {self.startup_timeout} s")
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", self.port), timeout=self.startup_timeout):
            pass  # accepts connections
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self.port = 0

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
