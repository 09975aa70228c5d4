"""Login by email, logout, password change and reset by email, session lifetime."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("people:login")
NEW_PASSWORD = "Otra.Clave.Nueva.77"


def log_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


def is_logged_in(client: Client) -> bool:
    response = client.get(reverse("home"))
    return response.status_code == 200


@pytest.mark.parametrize("typed", ["ana@example.mx", "ANA@EXAMPLE.MX", "  Ana@Example.Mx "])
def test_people_log_in_with_their_email_in_any_case(client, typed):
    make_user(email="ana@example.mx")
    response = log_in(client, typed)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert is_logged_in(client)


def test_a_wrong_password_is_refused_with_a_message_that_does_not_say_which_part_failed(client):
    make_user(email="ana@example.mx")
    wrong_password = log_in(client, "ana@example.mx", "no-es-esta")
    unknown_email = log_in(client, "nadie@example.mx")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert "Correo o contraseña incorrectos." in response.content.decode()
    assert not is_logged_in(client)


def test_a_deactivated_person_cannot_log_in(client):
    make_user(email="ana@example.mx").__class__.objects.update(is_active=False)
    assert log_in(client, "ana@example.mx").status_code == 200
    assert not is_logged_in(client)


def test_logging_in_rotates_the_session_key(client):
    make_user(email="ana@example.mx")
    session = client.session
    session["probe"] = "anonymous"
    session.save()
    anonymous_key = session.session_key
    log_in(client, "ana@example.mx")
    assert client.session.session_key != anonymous_key
    assert not Session.objects.filter(session_key=anonymous_key).exists()


def test_pages_need_a_login_and_send_back_after_it(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=/")


def test_logout_is_a_post_and_ends_the_session(client):
    client.force_login(make_user())
    assert client.get(reverse("people:logout")).status_code == 405
    response = client.post(reverse("people:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not is_logged_in(client)


def test_changing_the_password_keeps_this_session_and_ends_the_others(client):
    user = make_user(email="ana@example.mx")
    other_device = Client()
    log_in(client, "ana@example.mx")
    log_in(other_device, "ana@example.mx")
    response = client.post(
        reverse("security:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert is_logged_in(client)
    assert not is_logged_in(other_device)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action=Action.USER_PASSWORD_CHANGED, actor=user, target_id=str(user.pk)
    ).exists()


def test_changing_the_password_needs_the_current_one(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("security:password_change"),
        {"old_password": "no-es", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "contraseña antigua" in response.content.decode().lower()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=Action.USER_PASSWORD_CHANGED).exists()


def _reset_link(body: str) -> str:
    match = re.search(r"https://despacho\.example(/cuenta/recuperar/[^/\s]+/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def test_password_reset_mails_a_link_on_site_url_that_works_once(client, mailoutbox, settings):
    settings.SITE_URL = "https://despacho.example"
    user = make_user(email="ana@example.mx")
    response = client.post(reverse("security:password_reset"), {"email": "ANA@example.mx"})
    assert response["Location"] == reverse("security:password_reset_done")
    (mail,) = mailoutbox
    assert mail.to == ["ana@example.mx"]
    assert mail.subject == "Recupera tu contraseña de Despacho"
    link = _reset_link(mail.body)
    assert link in mail.alternatives[0][0]

    form_page = client.get(link, follow=True)
    assert "Elige una contraseña nueva" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == reverse("security:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=Action.USER_PASSWORD_RESET, actor=user).exists()

    again = Client().get(link, follow=True)
    assert "Enlace no válido" in again.content.decode()


def test_password_reset_answers_the_same_for_an_unknown_email(client, mailoutbox):
    make_user(email="ana@example.mx")
    known = client.post(reverse("security:password_reset"), {"email": "ana@example.mx"})
    unknown = client.post(reverse("security:password_reset"), {"email": "nadie@example.mx"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mailoutbox) == 1


def test_the_password_reset_link_ignores_the_request_host(client, mailoutbox, settings):
    settings.SITE_URL = "https://despacho.example"
    settings.ALLOWED_HOSTS = ["*"]
    make_user(email="ana@example.mx")
    client.post(
        reverse("security:password_reset"), {"email": "ana@example.mx"}, HTTP_HOST="evil.example"
    )
    assert "evil.example" not in mailoutbox[0].body
    _reset_link(mailoutbox[0].body)


def test_sessions_expire_after_inactivity(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 60 * 60 * 24


def test_an_expired_session_needs_a_new_login(client):
    client.force_login(make_user())
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not is_logged_in(client)


def test_each_request_extends_the_session(client):
    client.force_login(make_user())
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    assert is_logged_in(client)
    assert Session.objects.get().expire_date > timezone.now() + timedelta(hours=1)
