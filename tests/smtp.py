"""A real SMTP server started in-process (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from email.message import EmailMessage

SITE_URL = "https://despacho.example"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]


def links_in(text: str, path_prefix: str) -> list[str]:
    """Absolute links to SITE_URL + path_prefix found in a text part."""
    return re.findall(re.escape(SITE_URL + path_prefix) + r"[\w-]+/", text)
