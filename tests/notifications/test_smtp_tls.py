"""SMTP over TLS as the URL says: STARTTLS (required, or taken when offered) and implicit TLS (smtps://),
with a login the server accepts only inside TLS. A self-signed certificate made for the test."""

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifications.channels.smtp import SmtpChannel
from tests.notifications.helpers import envelope, kind, outcomes
from tests.notifications.servers import SmtpRecorder, free_port

SENDER = "心育闭环 <noreply@xinyu.example>"


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(Path(folder / "cert.pem"), Path(folder / "key.pem"))
    return context


def accept_teacher(server: object, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"p@ss:word")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def serve(recorder: SmtpRecorder, **kwargs: object) -> Iterator[int]:
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, authenticator=accept_teacher,
                            **kwargs)  # type: ignore[arg-type]
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def starttls_port(tls_context: ssl.SSLContext) -> Iterator[tuple[int, SmtpRecorder]]:
    recorder = SmtpRecorder()
    for port in serve(recorder, tls_context=tls_context, require_starttls=True, auth_require_tls=True):
        yield port, recorder


@pytest.fixture
def smtps_port(tls_context: ssl.SSLContext) -> Iterator[tuple[int, SmtpRecorder]]:
    recorder = SmtpRecorder()
    # Implicit TLS (aiosmtpd counts only STARTTLS as TLS for AUTH, hence auth_require_tls off).
    for port in serve(recorder, ssl_context=tls_context, server_hostname="127.0.0.1", auth_require_tls=False):
        yield port, recorder


@pytest.mark.parametrize("query", ["tls=starttls&verify=false", "verify=false"])  # required, or taken when offered
def test_starttls_then_login_then_send(starttls_port: tuple[int, SmtpRecorder], query: str) -> None:
    port, recorder = starttls_port
    channel = SmtpChannel.from_url(f"smtp://mailer:p%40ss%3Aword@127.0.0.1:{port}?{query}", sender=SENDER)
    assert outcomes(channel, [envelope("ok@school.example.cn")]) == [None]
    assert recorder.messages[0]["Subject"] == "十月心育工作提醒"


def test_implicit_tls_with_smtps(smtps_port: tuple[int, SmtpRecorder]) -> None:
    port, recorder = smtps_port
    channel = SmtpChannel.from_url(f"smtps://mailer:p%40ss%3Aword@127.0.0.1:{port}?verify=false", sender=SENDER)
    assert outcomes(channel, [envelope("ok@school.example.cn")]) == [None]
    assert len(recorder.messages) == 1


def test_an_unverifiable_certificate_is_refused_unless_the_url_says_so(starttls_port: tuple[int, SmtpRecorder]) -> None:
    port, recorder = starttls_port
    channel = SmtpChannel.from_url(f"smtp://mailer:p%40ss%3Aword@127.0.0.1:{port}", sender=SENDER)
    [outcome] = outcomes(channel, [envelope("ok@school.example.cn")])
    assert kind(outcome) == "TemporaryFailure" and recorder.messages == []


def test_a_wrong_password_is_a_temporary_failure_to_fix_in_settings(starttls_port: tuple[int, SmtpRecorder]) -> None:
    port, recorder = starttls_port
    channel = SmtpChannel.from_url(f"smtp://mailer:wrong@127.0.0.1:{port}?verify=false", sender=SENDER)
    [outcome] = outcomes(channel, [envelope("ok@school.example.cn")])
    assert kind(outcome) == "TemporaryFailure" and "535" in (outcome.reason if outcome else "")


def test_without_tls_a_server_that_requires_it_refuses(starttls_port: tuple[int, SmtpRecorder]) -> None:
    port, _ = starttls_port
    channel = SmtpChannel.from_url(f"smtp://127.0.0.1:{port}?tls=none", sender=SENDER)
    [outcome] = outcomes(channel, [envelope("ok@school.example.cn")])
    assert kind(outcome) == "TemporaryFailure" and "530" in (outcome.reason if outcome else "")
