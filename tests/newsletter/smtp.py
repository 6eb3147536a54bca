"""A real SMTP server in the test process, for tests that send email.

The ``smtp_server`` fixture starts aiosmtpd on 127.0.0.1 on a free port and
points Django's default mailer at it, so mail goes through the same SMTP
backend as in production rather than the in-memory outbox. Tests read what
arrived from ``smtp_server.messages`` (parsed ``email.message.EmailMessage``
objects), can make the server refuse chosen recipients with an SMTP code
(``smtp_server.reject("a@example.org", 550)``), and can stop and start it to
simulate an outage (``smtp_server.stop()`` / ``smtp_server.start()``; the
port stays the same, so Django's settings stay valid), and can be made slow
(``smtp_server.delay = 0.05`` seconds per message) to watch a send progress.

Registered for every test through an import in ``tests/conftest.py``.
"""

import asyncio
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

_DEFAULT_REPLIES = {
    550: "550 5.1.1 Mailbox unavailable",
    551: "551 5.1.6 User not local",
    552: "552 5.2.2 Mailbox full",
    553: "553 5.1.3 Mailbox name not allowed",
    421: "421 4.3.2 Service not available, closing channel",
    450: "450 4.2.1 Mailbox busy, try again later",
    451: "451 4.3.0 Local error in processing, try again later",
    452: "452 4.2.2 Insufficient storage, try again later",
}


@dataclass(frozen=True)
class Envelope:
    """What the client said in the SMTP dialogue, beside the message itself."""

    mail_from: str
    rcpt_tos: tuple[str, ...]


class _RecordingHandler:
    """aiosmtpd handler: refuses the recipients it was told to, keeps the rest."""

    def __init__(self, mailbox: "SMTPTestServer"):
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook name)
        reply = self.mailbox._rejections.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        if self.mailbox.delay:
            await asyncio.sleep(self.mailbox.delay)
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.mailbox._record(message, Envelope(envelope.mail_from, tuple(envelope.rcpt_tos)), envelope.original_content)
        return "250 Message accepted for delivery"


class SMTPTestServer:
    """An in-process SMTP server that keeps every message it accepts."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or _free_port(host)
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.raw_messages: list[bytes] = []  # as received, for checking signatures
        self.delay = 0.0  # seconds the server takes over each message, to watch a send go out
        self._rejections: dict[str, str] = {}
        self._arrived = threading.Condition()
        self._controller: Controller | None = None
        self._login: tuple[str, str] | None = None

    # -- running -----------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Start listening (again, after ``stop()``) on the same port."""
        if self._controller is not None:
            return
        auth = {}
        if self._login is not None:
            # AUTH PLAIN without STARTTLS: acceptable on loopback in tests only.
            auth = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
                "auth_exclude_mechanism": ["LOGIN"],
            }
        controller = Controller(
            _RecordingHandler(self),
            hostname=self.host,
            port=self.port,
            enable_SMTPUTF8=True,
            ready_timeout=5,
            **auth,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start()``, as in an outage."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def require_login(self, username: str, password: str) -> None:
        """Demand SMTP AUTH with these credentials (restarts the server); wrong ones get 535."""
        self._login = (username, password)
        self.stop()
        self.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        given = (
            (auth_data.login.decode(), auth_data.password.decode()) if isinstance(auth_data, LoginPassword) else None
        )
        if given == self._login:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535

    # -- refusing recipients -----------------------------------------------

    def reject(self, address: str, code: int = 550, message: str | None = None) -> None:
        """Answer RCPT TO for ``address`` with ``code`` (5xx permanent, 4xx temporary)."""
        reply = f"{code} {message}" if message else _DEFAULT_REPLIES.get(code, f"{code} Refused by test server")
        self._rejections[address.lower()] = reply

    def accept(self, address: str) -> None:
        """Stop refusing ``address``."""
        self._rejections.pop(address.lower(), None)

    def accept_all(self) -> None:
        self._rejections.clear()

    # -- reading what arrived ----------------------------------------------

    def _record(self, message: EmailMessage, envelope: Envelope, raw: bytes = b"") -> None:
        with self._arrived:
            self.messages.append(message)
            self.envelopes.append(envelope)
            self.raw_messages.append(raw)
            self._arrived.notify_all()

    def wait_for(self, n: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until at least ``n`` messages have arrived; fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"expected {n} email(s) within {timeout}s, {len(self.messages)} arrived")
                self._arrived.wait(remaining)
            return list(self.messages)

    def messages_to(self, address: str) -> list[EmailMessage]:
        """Messages whose envelope included ``address`` (case-insensitive)."""
        address = address.lower()
        return [
            message
            for message, envelope in zip(self.messages, self.envelopes, strict=True)
            if address in (rcpt.lower() for rcpt in envelope.rcpt_tos)
        ]

    def clear(self) -> None:
        with self._arrived:
            self.messages.clear()
            self.envelopes.clear()
            self.raw_messages.clear()


def body_text(message: EmailMessage) -> str:
    """The plain-text part of a message (or its only part)."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def body_html(message: EmailMessage) -> str:
    """The HTML part of a message, or an empty string if it has none."""
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""


def links_in(message: EmailMessage) -> list[str]:
    """Every http(s) address in the plain-text part, in order."""
    return re.findall(r"https?://[^\s<>\"')\]]+", body_text(message))


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A running in-process SMTP server that Django's default mailer sends to."""
    # aiosmtpd logs every SMTP command at INFO; that drowns a failing test's output.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = SMTPTestServer()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": server.host, "port": server.port, "use_tls": False, "timeout": 5},
        }
    }
    try:
        yield server
    finally:
        server.stop()
