"""SMS through Aliyun's SendSms: the documented signature, the request, and each answer's outcome."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from notifications.channels.base import Envelope
from notifications.channels.sms_aliyun import AliyunSms, signature, string_to_sign
from tests.notifications.helpers import envelope, kind, outcomes
from tests.notifications.servers import HttpAnswer, HttpServer

CODES = {"chase_digest": "SMS_271234567"}
PARAMS = {"count": "3", "overdue": "1", "earliest": "10月13日", "link": "https://xinyu.example/my"}


def sms(number: str = "13800000000", template: str | None = "chase_digest") -> Envelope:
    return envelope(number, channel="sms", subject="", body_text="", body_html=None, template=template,
                    params=PARAMS)


def gateway(server: HttpServer, **kwargs: object) -> AliyunSms:
    host = server.base.removeprefix("http://")
    url = f"aliyun://testId:testSecret@{host}?sign_name=某某区教育体育局&scheme=http"
    return AliyunSms.from_url(url, template_codes=CODES, **kwargs)  # type: ignore[arg-type]


def test_the_signature_matches_aliyuns_worked_example() -> None:
    # Aliyun's SMS documentation ("HTTP 协议及签名"): these parameters, secret testSecret, GET.
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
        "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD"
        "%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
        "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp"
        "%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25")
    assert signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def independent_signature(secret: str, form: dict[str, str]) -> str:
    """The rule re-read from the documentation, written differently: byte by byte."""

    def enc(text: str) -> str:
        keep = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
        return "".join(chr(b) if b in keep else f"%{b:02X}" for b in text.encode())

    pairs = sorted((k, v) for k, v in form.items() if k != "Signature")
    canonical = "&".join(enc(k) + "=" + enc(v) for k, v in pairs)
    to_sign = "POST&" + enc("/") + "&" + enc(canonical)
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def test_the_request_carries_the_approved_signature_name_template_code_and_a_valid_signature(
    http_server: HttpServer,
) -> None:
    http_server.answer = lambda request: (200, {"Code": "OK", "Message": "OK", "BizId": "9006197469364984"})
    message = sms("13912345678")
    assert outcomes(gateway(http_server), [message]) == [None]
    [request] = http_server.requests
    form = request.form()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form["Signature"] == independent_signature("testSecret", form)
    assert {k: form[k] for k in ("Action", "Version", "AccessKeyId", "PhoneNumbers", "SignName", "TemplateCode",
                                 "OutId", "SignatureMethod", "SignatureVersion", "Format")} == {
        "Action": "SendSms", "Version": "2017-05-25", "AccessKeyId": "testId", "PhoneNumbers": "13912345678",
        "SignName": "某某区教育体育局", "TemplateCode": "SMS_271234567", "OutId": message.dedupe_key,
        "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Format": "JSON"}
    assert form["TemplateParam"] == '{"count":"3","overdue":"1","earliest":"10月13日","link":"https://xinyu.example/my"}'
    stamp = datetime.strptime(form["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 600  # the wall clock, which Aliyun checks


def aliyun_code(code: str, status: int = 200) -> HttpAnswer:
    return (status, {"Code": code, "Message": "…", "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"})


@pytest.mark.parametrize(("answer", "expected", "reason"), [
    (aliyun_code("OK"), "sent", None),
    (aliyun_code("isv.MOBILE_NUMBER_ILLEGAL"), "PermanentFailure", "手机号码格式错误"),
    (aliyun_code("isv.TEMPLATE_MISSING_PARAMETERS"), "PermanentFailure", "模板缺少变量"),
    (aliyun_code("isv.BUSINESS_LIMIT_CONTROL"), "TemporaryFailure", "isv.BUSINESS_LIMIT_CONTROL"),  # throttled
    (aliyun_code("isv.AMOUNT_NOT_ENOUGH"), "TemporaryFailure", "isv.AMOUNT_NOT_ENOUGH"),  # top up, then it goes
    (aliyun_code("isv.SOMETHING_NEW"), "TemporaryFailure", "isv.SOMETHING_NEW"),  # unknown code
    (aliyun_code("SignatureDoesNotMatch", 400), "TemporaryFailure", "SignatureDoesNotMatch"),
    ((500, "<html>Internal Server Error</html>"), "TemporaryFailure", "HTTP 500"),
    ("drop", "TemporaryFailure", "连接失败"),
    ("hang", "TemporaryFailure", "超时"),
])
def test_each_answer_of_aliyun_is_an_outcome(
    http_server: HttpServer, answer: HttpAnswer, expected: str, reason: str | None
) -> None:
    http_server.answer = lambda request: answer
    [outcome] = outcomes(gateway(http_server, timeout=0.3), [sms()])
    assert kind(outcome) == expected
    if reason:
        assert outcome is not None and reason in outcome.reason


def test_without_a_registered_template_nothing_is_sent(http_server: HttpServer) -> None:
    unmapped = sms("13800000001", template="district_inbox")
    no_template = sms("13800000002", template=None)
    results = outcomes(gateway(http_server), [unmapped, no_template])
    assert [kind(r) for r in results] == ["TemporaryFailure", "PermanentFailure"]  # a setting to add; never
    assert http_server.requests == []


def test_a_second_sms_to_the_same_number_within_a_minute_waits(http_server: HttpServer) -> None:
    http_server.answer = lambda request: aliyun_code("OK")
    results = outcomes(gateway(http_server), [sms("13800000001"), sms("13800000001"), sms("13800000002")])
    assert [kind(r) for r in results] == ["sent", "Deferred", "sent"]
    assert len(http_server.requests) == 2


@pytest.mark.parametrize("url", ["aliyun://dysmsapi.aliyuncs.com?sign_name=x", "aliyun://id:secret@dysmsapi.aliyuncs.com"])
def test_an_incomplete_aliyun_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="aliyun://"):
        AliyunSms.from_url(url, template_codes=CODES)


def test_the_default_endpoint_is_aliyuns() -> None:
    channel = AliyunSms.from_url("aliyun://id:s%2Fecret@dysmsapi.aliyuncs.com?sign_name=x", template_codes=CODES)
    assert (channel.endpoint, channel.secret, channel.region) == ("https://dysmsapi.aliyuncs.com/", "s/ecret",
                                                                  "cn-hangzhou")
