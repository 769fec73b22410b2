"""Email over SMTP with aiosmtplib: a pool of reused connections sending concurrently.

XINYU_SMTP_URL: smtp://[user:pass@]host[:port][?tls=starttls|none][&verify=false] (port 587; STARTTLS
when the server offers it unless tls says otherwise), smtps://… for implicit TLS (port 465).
A refused recipient (5xx) is permanent; 4xx replies, timeouts and lost connections are temporary; a
server that cannot be reached at all (refused, no greeting in time) is Unreachable, not an attempt.
"""

import asyncio
import socket
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPException,
    SMTPRecipientRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
)

from notifications.channels.base import Channel, Envelope, PermanentFailure, TemporaryFailure, Unreachable
from notifications.email_mime import email_bytes, sender_parts


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool | None = None  # None: upgrade when the server offers STARTTLS
    username: str | None = None
    password: str | None = None
    verify_certificates: bool = True


def parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"XINYU_SMTP_URL 应为 smtp://主机[:端口] 或 smtps://主机[:端口]，而不是 {parts.scheme}://…")
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    tls = query.get("tls", "auto")
    if tls not in ("auto", "starttls", "none"):
        raise ValueError(f"XINYU_SMTP_URL 的 tls 只能是 starttls 或 none，而不是 {tls}")
    implicit = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname, port=parts.port or (465 if implicit else 587), implicit_tls=implicit,
        starttls=False if implicit or tls == "none" else (True if tls == "starttls" else None),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        verify_certificates=query.get("verify", "true") not in ("false", "0", "no"),
    )


class SmtpChannel(Channel):
    name = "email"
    title_maxlen = 200

    def __init__(self, server: SmtpServer, *, sender: str, pool_size: int = 16, timeout: float = 30.0) -> None:
        super().__init__()
        self.server, self.sender, self.timeout = server, sender, timeout
        self.sender_address = sender_parts(sender)[1]
        self.concurrency = pool_size
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(pool_size)
        self._hostname = socket.gethostname() or "xinyu"  # getfqdn() may wait on DNS for every connection

    @classmethod
    def from_url(cls, url: str, *, sender: str, pool_size: int = 16, timeout: float = 30.0) -> "SmtpChannel":
        return cls(parse_smtp_url(url), sender=sender, pool_size=pool_size, timeout=timeout)

    async def send(self, message: Envelope) -> None:
        data = email_bytes(message, sender=self.sender)
        async with self._slots:
            client = self._idle.pop() if self._idle else self._client()
            try:
                await self._transaction(client, message.address, data)
            finally:
                self._idle.append(client)  # a broken one was closed and reconnects on its next use

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            if client.is_connected:
                try:
                    await client.quit()
                except (SMTPException, OSError):
                    client.close()

    def _client(self) -> aiosmtplib.SMTP:
        s = self.server
        return aiosmtplib.SMTP(hostname=s.host, port=s.port, use_tls=s.implicit_tls, start_tls=s.starttls,
                               username=s.username, password=s.password, validate_certs=s.verify_certificates,
                               timeout=self.timeout, local_hostname=self._hostname)

    async def _transaction(self, client: aiosmtplib.SMTP, address: str, data: bytes) -> None:
        try:
            fresh = not client.is_connected
            if fresh:
                await self._connect(client)
            try:
                await client.mail(self.sender_address)
            except SMTPServerDisconnected:
                if fresh:
                    raise
                # The server closed an idle connection (timeout, messages per connection): nothing was
                # sent yet, so one reconnect is safe and spares this message a backoff.
                client.close()
                await self._connect(client)
                await client.mail(self.sender_address)
            await client.rcpt(address)
            await client.data(data)
        except SMTPConnectError as exc:  # before a byte of the message left: the server is down, not the message
            client.close()
            raise Unreachable(f"无法连接邮件服务器：{exc}") from exc
        except SMTPRecipientRefused as exc:
            await _reset(client)
            raise _by_code(exc, f"收件人被拒：{exc.code} {exc.message}") from exc
        except SMTPSenderRefused as exc:  # our From is refused: a setting to fix, not this message's fault
            await _reset(client)
            raise TemporaryFailure(f"发件人被拒：{exc.code} {exc.message}") from exc
        except SMTPAuthenticationError as exc:
            client.close()
            raise TemporaryFailure(f"SMTP 登录失败：{exc.code} {exc.message}") from exc
        except SMTPResponseException as exc:
            if exc.code == 421 or not client.is_connected:
                client.close()
            else:
                await _reset(client)
            raise _by_code(exc, f"服务器拒绝：{exc.code} {exc.message}") from exc
        except (SMTPException, OSError) as exc:  # refused, dropped, timed out, TLS failed
            client.close()
            raise TemporaryFailure(f"连接失败：{type(exc).__name__} {exc}".strip()) from exc
        except ValueError as exc:  # aiosmtplib refuses an address it cannot put in an envelope
            await _reset(client)
            raise PermanentFailure(f"邮箱地址无效：{exc}") from exc

    async def _connect(self, client: aiosmtplib.SMTP) -> None:
        await client.connect()
        if client.last_ehlo_response is None:
            await client.ehlo()


def _by_code(exc: SMTPResponseException, reason: str) -> TemporaryFailure | PermanentFailure:
    """5xx is final (RFC 5321); 4xx and anything unexpected may pass later."""
    return PermanentFailure(reason) if 500 <= exc.code < 600 else TemporaryFailure(reason)


async def _reset(client: aiosmtplib.SMTP) -> None:
    """Clear the half-made envelope so the connection can carry the next message."""
    if not client.is_connected:
        return
    try:
        await client.rset()
    except (SMTPException, OSError):
        client.close()
