"""Helpers for the security tests: a controllable clock and clients at given addresses."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

LOGIN = reverse("people:login")
_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


class Clock:
    """What "now" is for django-axes and Django while a test runs (no sleeps)."""

    def __init__(self) -> None:
        self.moment: datetime = timezone.now()

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("axes.handlers.proxy.now", clock)
    monkeypatch.setattr("django.utils.timezone.now", clock)
    return clock


def client_at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


def without_csrf(body: bytes) -> str:
    """A page's HTML with its per-response CSRF tokens blanked, for comparing two answers."""
    return _CSRF.sub(r"\1…", body.decode())
