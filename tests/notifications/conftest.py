"""Fixtures of the channel and dispatcher tests: real servers on loopback, an outbox to fill."""

from collections.abc import Iterator

import pytest

from tests.notifications.servers import HttpServer, SmtpServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    with HttpServer() as server:
        yield server
