"""Lock-out of repeated failed logins (django-axes with Despacho's policy, docs/security.md)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD, make_user
from tests.security.conftest import client_at, log_in, without_csrf

pytestmark = pytest.mark.django_db

HOME = reverse("home")
WRONG = "no-es-la-clave"


def fail(client, email: str, times: int):
    response = None
    for _ in range(times):
        response = log_in(client, email, WRONG)
    return response


def is_logged_in(client) -> bool:
    return client.get(HOME).status_code == 200


def test_the_fifth_wrong_password_locks_that_email_at_that_address_and_says_how_long(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    fourth = fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT - 1)
    assert fourth.status_code == 200
    assert "Correo o contraseña incorrectos" in fourth.content.decode()
    fifth = fail(client, "ana@example.mx", 1)
    assert fifth.status_code == 429
    body = fifth.content.decode()
    assert "Demasiados intentos fallidos" in body
    assert "Espera 15 minutos antes de volver a intentarlo" in body


def test_a_locked_out_attempt_gets_the_same_answer_with_the_right_password(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT)
    wrong = log_in(client, "ana@example.mx", WRONG)
    right = log_in(client, "ana@example.mx", PASSWORD)
    assert wrong.status_code == right.status_code == 429
    assert without_csrf(wrong.content) == without_csrf(right.content)
    assert not is_logged_in(client)


def test_the_lock_lifts_after_the_cool_off(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT)
    clock.advance(minutes=14)
    assert log_in(client, "ana@example.mx").status_code == 429
    clock.advance(minutes=2)
    assert log_in(client, "ana@example.mx").status_code == 302
    assert is_logged_in(client)


def test_attempts_during_a_lock_out_do_not_extend_it(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT)
    for _ in range(15):
        clock.advance(minutes=1)
        log_in(client, "ana@example.mx", WRONG)
    clock.advance(minutes=1)
    assert log_in(client, "ana@example.mx").status_code == 302


def test_the_cool_off_doubles_with_each_lock_out_of_the_address(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    waits = []
    for _ in range(3):
        response = fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT)
        assert response.status_code == 429
        waits.append(response.content.decode())
        clock.advance(hours=2)  # past every cool-off so far
    assert "Espera 15 minutos" in waits[0]
    assert "Espera 30 minutos" in waits[1]
    assert "Espera 60 minutos" in waits[2]


def test_the_second_lock_out_really_lasts_thirty_minutes(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT)
    clock.advance(minutes=16)
    fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT)
    clock.advance(minutes=16)
    assert log_in(client, "ana@example.mx").status_code == 429
    clock.advance(minutes=15)
    assert log_in(client, "ana@example.mx").status_code == 302


def test_the_cool_off_stops_growing_at_its_cap(clock, settings):
    from despacho.security.lockout import cool_off_after

    assert cool_off_after(0).total_seconds() == cool_off_after(1).total_seconds() == 15 * 60
    assert cool_off_after(4).total_seconds() == 120 * 60
    assert cool_off_after(50).total_seconds() == settings.LOGIN_COOLOFF_MAX_HOURS * 3600


def test_the_wait_is_named_in_whole_minutes_rounded_up_and_never_less_than_one():
    # The staff lock-out page and the portal's refusal both name it through minutes_left.
    from datetime import UTC, datetime, timedelta

    from despacho.security.lockout import minutes_left

    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert minutes_left(now + timedelta(minutes=15), now) == 15
    assert minutes_left(now + timedelta(minutes=14, seconds=1), now) == 15
    assert minutes_left(now + timedelta(seconds=5), now) == 1
    assert minutes_left(now - timedelta(minutes=3), now) == 1


def test_a_stranger_elsewhere_cannot_lock_the_person_out(clock):
    make_user(email="ana@example.mx")
    stranger = client_at("198.51.100.66")
    assert fail(stranger, "ana@example.mx", settings.AXES_FAILURE_LIMIT + 3).status_code == 429
    ana = client_at("203.0.113.10")
    assert log_in(ana, "ana@example.mx").status_code == 302
    assert is_logged_in(ana)


def test_an_address_alone_is_locked_after_thirty_failures_across_emails(clock):
    make_user(email="ana@example.mx")
    guesser = client_at("198.51.100.66")
    per_ip = settings.LOGIN_FAILURE_LIMIT_PER_IP
    below = settings.AXES_FAILURE_LIMIT - 1
    emails = [f"persona{n}@example.mx" for n in range(per_ip // below + 1)]
    responses = [log_in(guesser, email, WRONG) for email in emails for _ in range(below)]
    assert [r.status_code for r in responses[: per_ip - 1]] == [200] * (per_ip - 1)
    assert responses[per_ip - 1].status_code == 429
    # Any email, even the right password, from that address; another address is unaffected.
    assert log_in(guesser, "ana@example.mx").status_code == 429
    assert log_in(client_at("203.0.113.10"), "ana@example.mx").status_code == 302


def test_the_email_counts_however_it_is_typed(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    for typed in ["ana@example.mx", "ANA@example.mx", " Ana@Example.MX", "ana@EXAMPLE.mx"]:
        log_in(client, typed, WRONG)
    assert log_in(client, "ANA@EXAMPLE.MX", WRONG).status_code == 429


def test_fullwidth_and_case_folded_look_alikes_count_as_the_same_email(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    # The form takes a fullwidth domain (IDNA maps it); each spelling is one more failure.
    spellings = [
        "ana@ｅｘａｍｐｌｅ.ｍｘ",
        "ANA@ＥＸＡＭＰＬＥ.mx",
        "ana@example.ｍｘ",
        "ANA@EXAMPLE.MX",
    ]
    for typed in spellings:
        assert log_in(client, typed, WRONG).status_code == 200
    assert log_in(client, "ana@example.mx", WRONG).status_code == 429


def test_a_successful_login_clears_the_failures_of_that_email_and_address(clock):
    make_user(email="ana@example.mx")
    client = client_at("203.0.113.10")
    fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "ana@example.mx").status_code == 302
    client.post(reverse("people:logout"))
    assert fail(client, "ana@example.mx", settings.AXES_FAILURE_LIMIT - 1).status_code == 200
