"""A cap on request bodies, before they are read into memory (pure ASGI, so nothing buffers in front of it).

A declared Content-Length above the cap is answered 413 at once, without reading a byte of the body. A body
sent without one (chunked) is counted as the app reads it: the read that passes the cap raises BodyTooLarge,
an HTTP 413 the app's error handlers answer, so at most one chunk past the cap is ever held.

Forms that carry evidence files (UPLOAD_PATHS: completing or correcting a task) get their own, larger cap
(XINYU_MAX_UPLOAD_BYTES); every other request keeps XINYU_MAX_BODY_BYTES. `check_upload_cap` refuses to start
an app whose upload cap cannot hold the largest form a pack allows (each file field's max_mb × max_files).
"""

import json
import re
from collections.abc import Iterable
from html import escape

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyu.packs import Pack


def too_large_message(max_bytes: int) -> str:
    size = f"{max_bytes / 1024 / 1024:g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} 字节"
    return f"请求内容过大（上限 {size}），未处理"


class BodyTooLarge(HTTPException):
    """A body past the cap, found while reading it (FastAPI re-raises HTTPExceptions met while parsing)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(max_bytes))


# Roster uploads (web/routes/roster_upload.py) refuse a file over 5 MB themselves, with the file's name.
UPLOAD_PATHS = re.compile(r"^(/tasks/\d{1,12}/(complete|correct)|/(schools|districts)/\d{1,12}/roster)$")
FORM_TEXT_ALLOWANCE = 1024 * 1024  # the text fields beside the files, and multipart's own headers


class BodyLimit:
    """ASGI middleware: `app.add_middleware(BodyLimit, max_bytes=…, upload_bytes=…)`."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = max(upload_bytes or max_bytes, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.max_bytes
        if scope.get("method") == "POST" and UPLOAD_PATHS.match(str(scope.get("path", ""))):
            cap = self.upload_bytes
        await self._capped(scope, receive, send, cap)

    async def _capped(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _refuse(scope, send, cap)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
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
            await _refuse(scope, send, cap)  # read outside the app's handlers (a middleware)


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


def largest_upload_form(packs: Iterable[Pack]) -> tuple[int, str]:
    """The most bytes one form of these packs may carry in files (Σ max_mb × max_files), and where."""
    best, where = 0, ""
    for pack in packs:
        templates = [t for v in pack.variants.values() for step in v.steps for t in step.tasks]
        for template in [*templates, *pack.extra_tasks]:
            total = sum(f.file_limits[0] * f.file_limits[1] for f in template.evidence if f.type == "file")
            if total > best:
                best, where = total, f"{pack.file} 任务 {template.key}"
    return best, where


def check_upload_cap(packs: Iterable[Pack], upload_bytes: int) -> None:
    """Refuse an upload cap that cannot hold the largest form the packs allow (with its text fields)."""
    files, where = largest_upload_form(packs)
    if files and files + FORM_TEXT_ALLOWANCE > upload_bytes:
        raise ValueError(f"XINYU_MAX_UPLOAD_BYTES（{upload_bytes / 1024 / 1024:g} MB）小于 {where} 的附件上限之和"
                         f"（{files / 1024 / 1024:g} MB，另加 1 MB 文字）：请调高上限或调低政策包的 max_mb / max_files")
