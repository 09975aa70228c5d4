"""Login and password reset answer the same for known and unknown emails; reset links die."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse
from django_tasks.signals import task_enqueued

from tests.factories import make_user
from tests.security.conftest import (
    client_at,
    enqueued_tasks_during,
    log_in,
    served_until_closed,
    without_csrf,
)

pytestmark = pytest.mark.django_db

RESET = reverse("security:password_reset")
NEW_PASSWORD = "Otra.Clave.Nueva.77"


class CountingHasher(MD5PasswordHasher):
    """Django's test hasher, counting how many passwords it hashes."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_login_answers.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def test_a_wrong_password_and_an_unknown_email_get_the_same_page(counting_hasher):
    make_user(email="ana@example.mx")
    wrong_password = log_in(Client(), "ana@example.mx", "no-es-la-clave")
    unknown_email = log_in(Client(), "nadie@example.mx", "no-es-la-clave")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert without_csrf(wrong_password.content).replace("ana@", "X@") == without_csrf(
        unknown_email.content
    ).replace("nadie@", "X@")


def test_a_wrong_password_and_an_unknown_email_both_hash_a_password_once(counting_hasher):
    make_user(email="ana@example.mx")
    counting_hasher.calls = 0
    log_in(Client(), "ana@example.mx", "no-es-la-clave")
    known = counting_hasher.calls
    counting_hasher.calls = 0
    log_in(Client(), "nadie@example.mx", "no-es-la-clave")
    assert known == counting_hasher.calls == 1


def _reset(email: str):
    enqueued: list[str] = []

    def record(sender, task_result, **kwargs):
        enqueued.append(task_result.task.name)

    task_enqueued.connect(record, weak=False)
    try:
        response = Client().post(RESET, {"email": email}, follow=True)
    finally:
        task_enqueued.disconnect(record)
    return response, enqueued


def test_password_reset_answers_the_same_page_after_the_same_work(mailoutbox):
    make_user(email="ana@example.mx")
    known, known_tasks = _reset("ana@example.mx")
    unknown, unknown_tasks = _reset("nadie@example.mx")
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf(known.content) == without_csrf(unknown.content)
    # The request only enqueues the mail task; the task looks the person up.
    assert known_tasks == unknown_tasks == ["password_reset_send"]
    assert [m.to for m in mailoutbox] == [["ana@example.mx"]]


def test_the_fourth_reset_request_for_an_address_within_the_hour_sends_no_mail_and_answers_the_same(
    mailoutbox, clock
):
    make_user(email="ana@example.mx")
    answers = [_reset("ana@example.mx") for _ in range(4)]
    assert len(mailoutbox) == 3
    first, fourth = answers[0], answers[3]
    assert fourth[1] == []  # nothing enqueued
    assert fourth[0].redirect_chain == first[0].redirect_chain
    assert without_csrf(fourth[0].content) == without_csrf(first[0].content)
    # However it is typed: a look-alike of the address is the same address.
    assert _reset("ANA@ＥＸＡＭＰＬＥ.MX")[1] == []
    clock.advance(hours=1)
    _reset("ana@example.mx")
    assert len(mailoutbox) == 4


def test_one_client_address_asks_for_at_most_twenty_reset_mails_an_hour(mailoutbox):
    make_user(email="ana@example.mx")
    guesser = client_at("198.51.100.66")
    for n in range(20):
        _answer, enqueued = enqueued_tasks_during(
            lambda n=n: guesser.post(RESET, {"email": f"persona{n}@example.mx"})
        )
        assert [name for name, _kwargs in enqueued] == ["password_reset_send"]
    answer, enqueued = enqueued_tasks_during(
        lambda: guesser.post(RESET, {"email": "ana@example.mx"}, follow=True)
    )
    assert enqueued == [] and mailoutbox == []
    assert answer.redirect_chain == [(reverse("security:password_reset_done"), 302)]
    # Another address is not affected.
    Client(REMOTE_ADDR="203.0.113.10").post(RESET, {"email": "ana@example.mx"})
    assert len(mailoutbox) == 1


def test_in_process_tasks_mail_the_reset_link_only_after_the_answer_has_gone_out(mailoutbox):
    make_user(email="ana@example.mx")
    for email in ("ana@example.mx", "nadie@example.mx"):
        before = len(mailoutbox)
        status, close = served_until_closed(RESET, {"email": email})
        assert status.startswith("302")
        assert len(mailoutbox) == before  # no mail work while answering, for either email
        close()
    assert [m.to for m in mailoutbox] == [["ana@example.mx"]]


def _link(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/cuenta/recuperar/[^/\s]+/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def test_a_reset_link_works_once_then_is_dead(mailoutbox):
    user = make_user(email="ana@example.mx")
    _reset("ana@example.mx")
    link = _link(mailoutbox[0].body)
    client = Client()
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    for again in (Client(), client):
        assert "Enlace no válido" in again.get(link, follow=True).content.decode()


def test_a_reset_link_dies_after_an_hour(settings, mailoutbox, monkeypatch):
    from datetime import datetime, timedelta

    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    make_user(email="ana@example.mx")
    _reset("ana@example.mx")
    link = _link(mailoutbox[0].body)
    generator = "django.contrib.auth.tokens.PasswordResetTokenGenerator._now"
    later = datetime.now() + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(generator, lambda self: later)
    assert "Enlace no válido" in Client().get(link, follow=True).content.decode()
