"""Group robots: WeCom (企业微信) and DingTalk (钉钉) webhooks, markdown messages, chosen by the URL.

apprise ships both, but its send answers only True/False; we need the provider's errcode to record
why and to decide between retrying and giving up. The webhook URL (with its key or access_token) is
the outbox row's address. A DingTalk robot with 加签 takes its secret as `secret=SEC…` in that URL;
it is used to sign (HMAC-SHA256 of timestamp + "\\n" + secret, as DingTalk documents) and never sent.
"""

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from notifications.channels import http
from notifications.channels.base import Channel, Envelope, PermanentFailure, TemporaryFailure


class _Robot(Channel):
    """One provider: the payload it takes and the errcodes that mean "never" (others mean "later")."""

    name = "robot"
    label = ""
    per_address_per_minute = 20  # both providers allow 20 messages a minute per robot
    permanent_codes: dict[int, str] = {}

    def __init__(self, client: httpx.AsyncClient) -> None:
        super().__init__()
        self.client = client

    def payload(self, message: Envelope) -> dict[str, Any]:
        raise NotImplementedError

    def target(self, url: str) -> str:
        return url

    async def send(self, message: Envelope) -> None:
        response = await http.post(self.client, self.target(message.address), json=self.payload(message))
        if failure := http.status_failure(response):
            raise failure
        answer = http.json_object(response) or {}
        code = answer.get("errcode")
        if code == 0:
            return
        known = self.permanent_codes.get(code) if isinstance(code, int) else None
        reason = f"{self.label} errcode {code}：{known or answer.get('errmsg', '')}"
        raise PermanentFailure(reason) if known else TemporaryFailure(reason)


class WeComRobot(_Robot):
    label = "企业微信"
    body_maxlen = 4096  # markdown content, in UTF-8 bytes
    body_limit_in_bytes = True
    permanent_codes = {93000: "webhook 地址无效", 40008: "消息类型无效", 44004: "消息内容为空", 40058: "参数无效"}

    def payload(self, message: Envelope) -> dict[str, Any]:
        content = self.clip_body(f"**{message.subject}**\n{message.body_text}")
        return {"msgtype": "markdown", "markdown": {"content": content}}


class DingTalkRobot(_Robot):
    label = "钉钉"
    title_maxlen = 64
    body_maxlen = 20000
    body_limit_in_bytes = True
    permanent_codes = {300001: "token 不存在", 300005: "token 不存在",
                       310000: "不符合机器人安全设置（关键词、加签或IP）",
                       400101: "access_token 不存在", 400102: "机器人已停用", 400106: "机器人不存在"}

    def payload(self, message: Envelope) -> dict[str, Any]:
        text = self.clip_body(f"#### {message.subject}\n\n{message.body_text}")
        return {"msgtype": "markdown", "markdown": {"title": self.clip_title(message.subject), "text": text}}

    def target(self, url: str) -> str:
        parts = urlsplit(url)
        query = parse_qsl(parts.query)
        secret = next((v for k, v in query if k == "secret"), None)
        query = [(k, v) for k, v in query if k != "secret"]
        if secret:
            # DingTalk refuses a timestamp more than an hour off: the wall clock.
            timestamp = str(int(time.time() * 1000))
            query += [("timestamp", timestamp), ("sign", dingtalk_sign(secret, timestamp))]
        return urlunsplit(parts._replace(query=urlencode(query)))


def dingtalk_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class RobotChannel(Channel):
    """Routes each message to the provider its webhook URL belongs to."""

    name = "robot"
    concurrency = 4

    def __init__(self, *, timeout: float = 10.0) -> None:
        super().__init__()
        self.timeout = timeout

    async def open(self) -> None:
        self._client = http.client(timeout=self.timeout, connections=self.concurrency)
        self._wecom, self._dingtalk = WeComRobot(self._client), DingTalkRobot(self._client)

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, message: Envelope) -> None:
        path = urlsplit(message.address).path
        if path.endswith("/cgi-bin/webhook/send"):
            await self._wecom.deliver(message)
        elif path.endswith("/robot/send"):
            await self._dingtalk.deliver(message)
        else:
            raise PermanentFailure("无法识别的群机器人地址：应为企业微信或钉钉的 webhook")
