"""The hand-built MIME reads back, through the standard library's parser, as what was queued."""

from email import policy
from email.parser import BytesParser

import pytest

from notifications.channels.base import PermanentFailure
from notifications.email_mime import email_bytes
from tests.notifications.helpers import envelope

SENDER = "心育闭环 <noreply@xinyu.example>"


@pytest.mark.parametrize("subject", [
    "Monthly report",
    "【逾期】" + "四年级各班月度心理筛查汇总表尚未提交，请班主任于10月13日前完成。" * 4,
    "混合 ASCII and 中文 with emoji 🙂 and “引号”",
])
def test_subjects_of_any_length_and_script_read_back_exactly(subject: str) -> None:
    data = email_bytes(envelope("a@school.example.cn", subject=subject), sender=SENDER)
    assert data.isascii() and all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert BytesParser(policy=policy.default).parsebytes(data)["Subject"] == subject


def test_a_line_break_in_a_subject_cannot_add_a_header() -> None:
    data = email_bytes(envelope("a@school.example.cn", subject="提醒\r\nBcc: everyone@example.org"), sender=SENDER)
    mail = BytesParser(policy=policy.default).parsebytes(data)
    assert mail["Bcc"] is None and "Bcc" in mail["Subject"]


@pytest.mark.parametrize("address", ["two@at@x.cn", "a b@x.cn", "a@x.cn\r\nBcc: e@x.cn", "<a@x.cn>", "nobody"])
def test_an_address_that_could_not_be_a_mailbox_is_refused_for_good(address: str) -> None:
    with pytest.raises(PermanentFailure):
        email_bytes(envelope(address), sender=SENDER)
