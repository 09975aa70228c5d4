"""A real SMTP server in-process (aiosmtpd) for tests that follow an email.

Use the ``smtp_inbox`` fixture (registered in tests/conftest.py): Django's SMTP
backend is pointed at it, and every message it receives is parsed into
``inbox.messages``.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

SITE_URL = "https://despacho.example"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.SITE_URL = SITE_URL
    try:
        yield inbox
    finally:
        controller.stop()


def links_in(message: EmailMessage, pattern: str = r"https?://[^\s\"<>]+") -> list[str]:
    """The absolute links of the message's text part."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return re.findall(pattern, body.get_content())
