"""SMS through a generic HTTP JSON gateway (XINYU_SMS_URL=http(s)://…), for an in-house or agency gateway.

POST {"phone", "template", "params", "text"}: 2xx sent; 4xx refused for good; 5xx, 429, timeouts later.
A timeout is ambiguous (the gateway may have taken it), so every request of one message carries the same
`Idempotency-Key` header (a hash of its dedupe key): a gateway that honours it sends a retry only once.
"""

import hashlib

from notifications.channels import http
from notifications.channels.base import Channel, Envelope, PermanentFailure
from notifications.sms_templates import render_sms


class HttpSmsGateway(Channel):
    name = "sms"
    body_maxlen = 500  # long SMS are joined by the handset up to about this many characters

    def __init__(self, url: str, *, timeout: float = 10.0, concurrency: int = 8) -> None:
        super().__init__()
        self.url, self.timeout, self.concurrency = url, timeout, concurrency

    async def open(self) -> None:
        self._client = http.client(timeout=self.timeout, connections=self.concurrency)

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, message: Envelope) -> None:
        text = render_sms(message.template, message.params) if message.template else message.body_text
        if self.body_maxlen is not None and len(text) > self.body_maxlen:
            raise PermanentFailure(f"短信过长（{len(text)}字）")
        payload = {"phone": message.address, "template": message.template, "params": message.params, "text": text}
        response = await http.post(self._client, self.url, json=payload,
                                    headers={"Idempotency-Key": idempotency_key(message.dedupe_key)})
        if failure := http.status_failure(response):
            raise failure


def idempotency_key(dedupe_key: str) -> str:
    """Stable per message, ASCII, and carrying nothing of the message (dedupe keys name people's ids)."""
    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
