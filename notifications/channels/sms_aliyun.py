"""SMS through Aliyun (阿里云短信服务, dysmsapi SendSms), signed as Aliyun documents for RPC APIs.

XINYU_SMS_URL=aliyun://AccessKeyId:AccessKeySecret@dysmsapi.aliyuncs.com?sign_name=某某教育局
(optional region=cn-hangzhou; scheme=http only to reach a local test server). Mainland SMS go out only
under an approved signature and template: XINYU_SMS_TEMPLATE_CODES maps our template ids to theirs.
"""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, unquote, urlsplit

from notifications.channels import http
from notifications.channels.base import Channel, Envelope, PermanentFailure, TemporaryFailure

API_VERSION = "2017-05-25"
DEFAULT_HOST = "dysmsapi.aliyuncs.com"

# Codes about this message or this number: retrying cannot help. Every other code (throttling such
# as isv.BUSINESS_LIMIT_CONTROL, balance, signature or template approval, system errors, codes not
# listed) is retried with backoff: an operator can fix the account before the attempts run out.
PERMANENT_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号码格式错误",
    "isv.MOBILE_COUNT_OVER_LIMIT": "手机号码数量超过限制",
    "isv.BLACK_KEY_CONTROL_LIMIT": "内容含有被管控的关键词",
    "isv.PARAM_LENGTH_LIMIT": "模板变量超出长度限制",
    "isv.PARAM_NOT_SUPPORT_URL": "模板变量不支持网址",
    "isv.INVALID_JSON_PARAM": "模板变量不是合法的 JSON",
    "isv.INVALID_PARAMETERS": "参数无效",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板缺少变量",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "模板变量含有违规内容",
}


def percent_encode(value: str) -> str:
    """Aliyun's encoding: RFC 3986 unreserved characters kept, everything else %XY of its UTF-8 (space %20)."""
    return quote(value, safe="~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms(Channel):
    name = "sms"
    per_address_per_minute = 1  # Aliyun's default flow control per number; it would refuse the second
    concurrency = 8

    def __init__(self, *, key_id: str, secret: str, sign_name: str, template_codes: Mapping[str, str],
                 endpoint: str = f"https://{DEFAULT_HOST}/", region: str = "cn-hangzhou",
                 timeout: float = 10.0) -> None:
        super().__init__()
        self.key_id, self.secret, self.sign_name, self.region = key_id, secret, sign_name, region
        self.template_codes, self.endpoint, self.timeout = dict(template_codes), endpoint, timeout

    @classmethod
    def from_url(cls, url: str, *, template_codes: Mapping[str, str], timeout: float = 10.0) -> "AliyunSms":
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not (parts.username and parts.password and query.get("sign_name")):
            raise ValueError("XINYU_SMS_URL 应为 aliyun://AccessKeyId:AccessKeySecret@dysmsapi.aliyuncs.com"
                             "?sign_name=短信签名")
        host = parts.hostname or DEFAULT_HOST
        port = f":{parts.port}" if parts.port else ""
        return cls(key_id=unquote(parts.username), secret=unquote(parts.password), sign_name=query["sign_name"],
                   template_codes=template_codes, endpoint=f"{query.get('scheme', 'https')}://{host}{port}/",
                   region=query.get("region", "cn-hangzhou"), timeout=timeout)

    async def open(self) -> None:
        self._client = http.client(timeout=self.timeout, connections=self.concurrency)

    async def close(self) -> None:
        await self._client.aclose()

    def request_params(self, message: Envelope, *, now: datetime, nonce: str) -> dict[str, str]:
        """The signed form of one SendSms call."""
        if not message.template:
            raise PermanentFailure("短信只能按已备案的模板发送，此消息没有模板")
        code = self.template_codes.get(message.template)
        if not code:
            raise TemporaryFailure(f"未配置模板 {message.template} 的阿里云模板编码（XINYU_SMS_TEMPLATE_CODES）")
        params = {
            "AccessKeyId": self.key_id, "Action": "SendSms", "Format": "JSON", "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce, "SignatureVersion": "1.0",
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": API_VERSION,
            "PhoneNumbers": message.address, "SignName": self.sign_name, "TemplateCode": code,
            "TemplateParam": json.dumps({k: str(v) for k, v in message.params.items()}, ensure_ascii=False,
                                        separators=(",", ":")),
            "OutId": message.dedupe_key[:256],
        }
        return {**params, "Signature": signature(self.secret, "POST", params)}

    async def send(self, message: Envelope) -> None:
        # Aliyun refuses a Timestamp more than 15 minutes off: the wall clock, not the business clock.
        params = self.request_params(message, now=datetime.now(UTC), nonce=uuid.uuid4().hex)
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
        response = await http.post(self._client, self.endpoint, content=body.encode(),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = http.json_object(response)
        if answer is None or "Code" not in answer:
            raise http.status_failure(response) or TemporaryFailure(f"阿里云应答无法识别：HTTP {response.status_code}")
        code = str(answer["Code"])
        if code == "OK":
            return
        reason = f"阿里云 {code}：{PERMANENT_CODES.get(code) or answer.get('Message', '')}"
        raise PermanentFailure(reason) if code in PERMANENT_CODES else TemporaryFailure(reason)
