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


def enqueued_tasks_during(call) -> tuple[object, list[tuple[str, dict]]]:
    """What ``call()`` returns, and each task it enqueued (name and arguments), in order."""
    from django_tasks.signals import task_enqueued

    enqueued: list[tuple[str, dict]] = []

    def record(sender, task_result, **kwargs):
        enqueued.append((task_result.task.name, dict(task_result.kwargs)))

    task_enqueued.connect(record, weak=False)
    try:
        result = call()
    finally:
        task_enqueued.disconnect(record)
    return result, enqueued


def served_until_closed(path: str, data: dict, address: str = "203.0.113.10", cookie: str = ""):
    """POST through Django's WSGI handler as a server does; return its status and its close.

    A WSGI server sends the body and only then closes the response, which sends
    ``request_finished``: what happens before ``close()`` happens inside the
    request, what happens at ``close()`` after the client has its answer. As in
    Django's test client, the test's database connection is kept open throughout.
    ``cookie`` adds cookies (``name=value; …``), e.g. a logged-in test client's session.
    """
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import RequestFactory

    token = "c" * 32  # an unmasked CSRF secret is accepted as its own token
    request = RequestFactory().post(
        path,
        {**data, "csrfmiddlewaretoken": token},
        HTTP_COOKIE=f"csrftoken={token}" + (f"; {cookie}" if cookie else ""),
        REMOTE_ADDR=address,
    )
    statuses: list[str] = []

    def keeping_the_connection(step):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return step()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    response = keeping_the_connection(
        lambda: WSGIHandler()(request.environ, lambda status, headers: statuses.append(status))
    )
    return statuses[0], lambda: keeping_the_connection(response.close)
