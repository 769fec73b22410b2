"""HTTP shared by the SMS gateways and the group robots: how transport errors and status codes become
outcomes. Redirects are not followed: an API that redirects a POST is misconfigured, not delivered."""

from typing import Any

import httpx

from notifications.channels.base import DeliveryFailure, PermanentFailure, TemporaryFailure, Unreachable


def client(*, timeout: float, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                             limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))


async def post(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """The response whatever its status. No connection at all is Unreachable (the request never left, so
    no attempt); a timeout or a lost connection after that is a TemporaryFailure, and ambiguous: the
    server may have taken the request (so gateways are given an idempotency key where they take one)."""
    try:
        return await client.post(url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise Unreachable(f"无法连接（{type(exc).__name__}）") from exc
    except httpx.TimeoutException as exc:
        raise TemporaryFailure(f"请求超时（{type(exc).__name__}）") from exc
    except httpx.HTTPError as exc:
        raise TemporaryFailure(f"连接失败（{type(exc).__name__}）") from exc


def status_failure(response: httpx.Response) -> DeliveryFailure | None:
    """2xx: none. 4xx: the request itself is refused, permanently (but 408, 429: later). Else: later."""
    code = response.status_code
    if 200 <= code < 300:
        return None
    reason = f"HTTP {code} {response.text[:200]}".strip()
    if 400 <= code < 500 and code not in (408, 429):
        return PermanentFailure(reason)
    return TemporaryFailure(reason)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
