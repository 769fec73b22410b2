"""What `xinyu dispatch` prints: per channel, sent / retry later / failed for good / held, and where to."""

from datetime import datetime
from urllib.parse import urlsplit

from notifications.dispatcher import DispatchResult
from xinyu.clock import as_local
from xinyu.settings import Settings
from xinyu.textwidth import table

CHANNELS = {"email": "邮件", "sms": "短信", "robot": "群机器人"}


def dispatch_report(result: DispatchResult, *, settings: Settings, at: datetime) -> str:
    rows = [[CHANNELS.get(ch, ch), *(str(result.count(o, ch)) for o in ("sent", "retried", "failed", "held")),
             destination(ch, settings)] for ch in _channels(result)]
    lines = [f"发件箱 · {as_local(at):%Y-%m-%d %H:%M}（北京时间）",
             table(["渠道", "已发送", "稍后重试", "永久失败", "静默时段暂缓", "发往"], rows)]
    if result.failures:
        lines.append("永久失败（不再重试，请核对地址后重新登记）：")
        lines += [f"  #{f.id} {CHANNELS.get(f.channel, f.channel)} {shown_address(f.channel, f.address)}：{f.reason}"
                  for f in result.failures]
    return "\n".join(lines)


def destination(channel: str, settings: Settings) -> str:
    folder = f"文件 {settings.outbox_dir}/"
    if channel == "email":
        return _server(settings.smtp_url) if settings.smtp_url else folder
    if channel == "sms":
        return _server(settings.sms_url) if settings.sms_url else folder
    return "各校群机器人 webhook" if settings.robot_webhooks else folder


def shown_address(channel: str, address: str) -> str:
    """A robot's webhook URL carries its key: show where it points, not the key."""
    if channel != "robot":
        return address
    url = urlsplit(address)
    return f"{url.netloc}{url.path}"


def _server(url: str) -> str:
    """scheme://host:port, never the credentials in it."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _channels(result: DispatchResult) -> list[str]:
    seen = {ch for ch, _ in result.counts}
    return [*(ch for ch in CHANNELS if ch in seen or ch == "email"), *sorted(seen - set(CHANNELS))]
