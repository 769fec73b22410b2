"""Which channel sends each kind of message, from settings: a configured server, else files."""

from pathlib import Path

from notifications.channels.base import Channel
from notifications.channels.bulk import EmailBulkSink, RobotBulkSink, SmsBulkSink
from notifications.channels.files import EmailFileSink, RobotFileSink, SmsFileSink
from xinyu.settings import Settings


def file_channels(folder: Path, *, sender: str = "心育闭环 <noreply@xinyu.local>") -> dict[str, Channel]:
    """The embedded default: everything to files in `folder`."""
    return {"email": EmailFileSink(folder, sender=sender), "sms": SmsFileSink(folder), "robot": RobotFileSink(folder)}


def bulk_channels(folder: Path, *, sender: str = "心育闭环 <noreply@xinyu.local>") -> dict[str, Channel]:
    """For simulations: everything to one file per channel in `folder` (notifications/channels/bulk.py)."""
    return {"email": EmailBulkSink(folder, sender=sender), "sms": SmsBulkSink(folder), "robot": RobotBulkSink(folder)}


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    local = bulk_channels if settings.outbox_sink == "bulk" else file_channels
    channels = local(settings.outbox_dir, sender=settings.mail_from)
    if settings.smtp_url:
        from notifications.channels.smtp import SmtpChannel

        channels["email"] = SmtpChannel.from_url(settings.smtp_url, sender=settings.mail_from,
                                                 pool_size=settings.smtp_pool_size)
    if settings.sms_url:
        channels["sms"] = sms_gateway(settings)
    if settings.robot_webhooks:
        from notifications.channels.robot import RobotChannel

        channels["robot"] = RobotChannel(timeout=settings.http_timeout)
    return channels


def sms_gateway(settings: Settings) -> Channel:
    url = settings.sms_url or ""
    if url.startswith("aliyun://"):
        from notifications.channels.sms_aliyun import AliyunSms

        return AliyunSms.from_url(url, template_codes=settings.sms_template_codes, timeout=settings.http_timeout)
    if url.startswith(("http://", "https://")):
        from notifications.channels.sms_http import HttpSmsGateway

        return HttpSmsGateway(url, timeout=settings.http_timeout)
    raise ValueError(f"XINYU_SMS_URL 无法识别：应以 http://、https:// 或 aliyun:// 开头，而不是 {url.split(':')[0]}://")
