"""A cap on request bodies, before they are read into memory (pure ASGI, so nothing buffers in front of it).

A declared Content-Length above the cap is answered 413 at once, without reading a byte of the body. A body
sent without one (chunked) is counted as the app reads it: the read that passes the cap raises BodyTooLarge,
an HTTP 413 the app's error handlers answer, so at most one chunk past the cap is ever held.
"""

import json
from html import escape

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large_message(max_bytes: int) -> str:
    size = f"{max_bytes / 1024 / 1024:g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} 字节"
    return f"请求内容过大（上限 {size}），未处理"


class BodyTooLarge(HTTPException):
    """A body past the cap, found while reading it (FastAPI re-raises HTTPExceptions met while parsing)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(max_bytes))


class BodyLimit:
    """ASGI middleware: `app.add_middleware(BodyLimit, max_bytes=…)`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(scope, send, self.max_bytes)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, send, self.max_bytes)  # read outside the app's handlers (a middleware)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


async def _refuse(scope: Scope, send: Send, max_bytes: int) -> None:
    message = too_large_message(max_bytes)
    if str(scope.get("path", "")).startswith("/api/"):
        body, kind = json.dumps({"detail": message}, ensure_ascii=False).encode(), b"application/json"
    else:
        body = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>413 请求内容过大</title>'
                f"<p>{escape(message)}</p></html>").encode()
        kind = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
