"""Sending the project's emails: Spanish subject, text and HTML from templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils import translation


def subject_render(template_name: str, context: dict[str, Any]) -> str:
    """An email subject: plain text, so never HTML-escaped ("A & B", not "A &amp; B"),
    and one line (a header cannot carry line breaks)."""
    template = engines["django"].get_template(template_name).template  # type: ignore[attr-defined]
    return " ".join(template.render(Context(context, autoescape=False)).split())


def email_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> None:
    """Render ``<template>_subject.txt``, ``.txt`` and ``.html`` in Spanish and send them.

    ``attachments`` are (file name, bytes, MIME type), attached unchanged.
    """
    with translation.override(settings.LANGUAGE_CODE):
        context = {"site_url": settings.SITE_URL, **context}
        subject = subject_render(f"{template}_subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send()
