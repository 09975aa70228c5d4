"""Sending access by email, over a real SMTP server in-process, and following the links."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from despacho.portal.models import EventKind, PortalAccess, PortalEvent, PortalLink, PortalUser
from tests.factories import owner_of
from tests.smtp import SITE_URL

from .scenario import access, home, issue, issuer, portal_login, receiver_rfc

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Mi.Clave.Del.Portal.2026"


def _to(inbox, address):
    return [m for m in inbox.messages if m["To"] == address]


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _password_link(text: str, company) -> str:
    pattern = rf"{re.escape(SITE_URL)}/portal/{company.slug}/contrasena/[\w-]+/"
    links = re.findall(pattern, text)
    assert len(links) == 1, text
    return links[0].removeprefix(SITE_URL)


def test_the_issuer_sends_access_and_the_receiver_chooses_a_password_and_logs_in(
    client, smtp_inbox, django_capture_on_commit_callbacks
):
    company = issuer("FERRETERA DEL NORTE SA DE CV")
    rfc = receiver_rfc()
    cfdi = issue(company, rfc)
    found = access(company, rfc, password=None, name="ÓPTICA PÉREZ", email="optica@cliente.mx")
    client.force_login(owner_of(company.account))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_manage:send", args=[found.pk]), {"email": ""})
    assert response.status_code == 302

    [message] = _to(smtp_inbox, "optica@cliente.mx")
    assert "FERRETERA DEL NORTE SA DE CV" in message["Subject"]
    text, html = _text(message), _html(message)
    assert "Hola, ÓPTICA PÉREZ" in text
    assert "72 horas" in text
    assert f"{SITE_URL}/portal/{company.slug}/" in text
    path = _password_link(text, company)
    assert f'href="{SITE_URL}{path}"' in html
    assert NEW_PASSWORD not in text  # no password ever travels by email

    receiver = Client()
    page = receiver.get(path)
    assert page.status_code == 200 and rfc in page.content.decode()
    weak = receiver.post(path, {"password": "12345", "password2": "12345"})
    assert "demasiado corta" in weak.content.decode() or "too short" in weak.content.decode()
    done = receiver.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True)
    assert "guardamos tu contraseña" in done.content.decode()
    assert portal_login(receiver, company, rfc, NEW_PASSWORD).status_code == 302
    assert cfdi.uuid_text in receiver.get(home(company)).content.decode()
    assert PortalEvent.objects.filter(kind=EventKind.PASSWORD_SET, access=found).exists()

    reused = receiver.get(path)
    assert reused.status_code == 410
    assert "ya se usó" in reused.content.decode()


def test_sending_to_another_address_typed_by_the_issuer(
    client, smtp_inbox, django_capture_on_commit_callbacks
):
    company = issuer()
    found = access(company, password=None, email="")
    client.force_login(owner_of(company.account))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal_manage:send", args=[found.pk]), {"email": "Pagos@Cliente.MX"})
    assert len(_to(smtp_inbox, "pagos@cliente.mx")) == 1
    found.refresh_from_db()
    assert found.email == "pagos@cliente.mx"  # it had none: the typed one is kept


def test_sending_without_any_address_is_refused_naming_the_field(client):
    company = issuer()
    found = access(company, password=None, email="")
    client.force_login(owner_of(company.account))
    response = client.post(reverse("portal_manage:send", args=[found.pk]), {"email": ""})
    assert response.status_code == 400
    assert "no tiene correo registrado" in response.content.decode()
    assert not PortalLink.objects.exists()


def test_a_new_link_kills_the_previous_one(client, smtp_inbox, django_capture_on_commit_callbacks):
    company = issuer()
    found = access(company, password=None, email="a@cliente.mx")
    client.force_login(owner_of(company.account))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("portal_manage:send", args=[found.pk]), {"email": ""})
    first, second = (_password_link(_text(m), company) for m in smtp_inbox.messages)
    assert Client().get(first).status_code == 410
    assert Client().get(second).status_code == 200


def test_an_expired_link_says_so(client, smtp_inbox, django_capture_on_commit_callbacks):
    company = issuer()
    found = access(company, password=None, email="a@cliente.mx")
    client.force_login(owner_of(company.account))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal_manage:send", args=[found.pk]), {"email": ""})
    path = _password_link(_text(smtp_inbox.messages[0]), company)
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().get(path)
    assert response.status_code == 410
    assert "venció" in response.content.decode()


def test_a_link_works_only_at_its_own_companys_portal(
    client, smtp_inbox, django_capture_on_commit_callbacks
):
    company, other = issuer(), issuer()
    found = access(company, password=None, email="a@cliente.mx")
    client.force_login(owner_of(company.account))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal_manage:send", args=[found.pk]), {"email": ""})
    path = _password_link(_text(smtp_inbox.messages[0]), company)
    elsewhere = path.replace(f"/portal/{company.slug}/", f"/portal/{other.slug}/")
    assert Client().get(elsewhere).status_code == 410


def test_bulk_send_queues_one_task_per_address_and_shows_each_result(
    client, smtp_inbox, django_capture_on_commit_callbacks
):
    company = issuer()
    first = access(company, password=None, email="uno@cliente.mx")
    second = access(company, password=None, email="dos@cliente.mx")
    no_email = access(company, password=None, email="")
    client.force_login(owner_of(company.account))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal_manage:send_many"),
            {"access": [first.pk, second.pk, no_email.pk]},
        )
    assert response.status_code == 302
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "uno@cliente.mx" in body and "dos@cliente.mx" in body
    assert body.count("Enviado") >= 2
    assert f"{no_email.rfc}: no enviado" in body
    assert {m["To"] for m in smtp_inbox.messages} == {"uno@cliente.mx", "dos@cliente.mx"}


def test_bulk_send_reports_an_address_the_server_refused(
    client, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    company = issuer()
    found = access(company, password=None, email="uno@cliente.mx")
    client.force_login(owner_of(company.account))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_manage:send_many"), {"access": [found.pk]})
    body = client.get(response["Location"]).content.decode()
    assert "No enviado" in body
    assert PortalLink.objects.get().send_error


def test_bulk_send_of_another_companys_access_is_not_found(client):
    company = issuer()
    foreign = access(issuer(), email="x@cliente.mx")
    client.force_login(owner_of(company.account))
    response = client.post(reverse("portal_manage:send_many"), {"access": [foreign.pk]})
    assert response.status_code == 404
    assert not PortalLink.objects.exists()


def test_a_batch_page_of_another_company_or_unknown_is_not_found(
    client, smtp_inbox, django_capture_on_commit_callbacks
):
    other = issuer()
    found = access(other, password=None, email="uno@cliente.mx")
    client.force_login(owner_of(other.account))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_manage:send_many"), {"access": [found.pk]})
    theirs = response["Location"]
    assert client.get(theirs).status_code == 200

    client.force_login(owner_of(issuer().account))
    assert client.get(theirs).status_code == 404
    unknown = reverse("portal_manage:batch", args=["00000000-0000-4000-8000-000000000000"])
    assert client.get(unknown).status_code == 404


def test_a_bulk_send_where_every_access_is_skipped_returns_to_the_list(client):
    company = issuer()
    no_email = access(company, password=None, email="")
    client.force_login(owner_of(company.account))
    response = client.post(reverse("portal_manage:send_many"), {"access": [no_email.pk]})
    assert response["Location"] == reverse("portal_manage:list")
    assert f"{no_email.rfc}: no enviado" in client.get(response["Location"]).content.decode()


def test_each_person_of_the_receiver_gets_their_own_login(
    client, smtp_inbox, django_capture_on_commit_callbacks
):
    company = issuer()
    rfc = receiver_rfc()
    cfdi = issue(company, rfc)
    shared = access(company, rfc, password=None)
    client.force_login(owner_of(company.account))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("portal_manage:person_add", args=[shared.pk]),
            {"email": "compras@cliente.mx", "name": "Ana Compras"},
        )
    [message] = _to(smtp_inbox, "compras@cliente.mx")
    path = _password_link(_text(message), company)
    receiver = Client()
    receiver.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert portal_login(receiver, company, "compras@cliente.mx", NEW_PASSWORD).status_code == 302
    assert cfdi.uuid_text in receiver.get(home(company)).content.decode()
    shared.refresh_from_db()
    assert not shared.has_password  # the access's own password was not touched
    detail = client.get(reverse("portal_manage:detail", args=[shared.pk])).content.decode()
    assert "compras@cliente.mx" in detail and "Activo" in detail
    person = PortalUser.objects.get(email="compras@cliente.mx")
    client.post(reverse("portal_manage:person_active", args=[person.pk]), {"active": "0"})
    assert receiver.get(home(company)).status_code == 302


def test_a_one_time_login_link_goes_only_to_registered_addresses(
    smtp_inbox, django_capture_on_commit_callbacks
):
    company = issuer()
    found = access(company, email="pagos@cliente.mx")
    receiver = Client()
    url = reverse("portal:link_request", args=[company.slug])
    with django_capture_on_commit_callbacks(execute=True):
        unknown = receiver.post(url, {"email": "nadie@example.mx"}, follow=True)
        known = receiver.post(url, {"email": "pagos@cliente.mx"}, follow=True)
    # The same answer either way.
    assert "Si ese correo está registrado" in unknown.content.decode()
    assert "Si ese correo está registrado" in known.content.decode()
    [message] = smtp_inbox.messages
    assert message["To"] == "pagos@cliente.mx"
    [link] = re.findall(
        rf"{re.escape(SITE_URL)}/portal/{company.slug}/enlace/[\w-]+/", _text(message)
    )
    path = link.removeprefix(SITE_URL)
    assert receiver.get(path).status_code == 200  # a GET (a mail scanner) does not use it
    assert receiver.post(path).status_code == 302
    assert receiver.get(home(company)).status_code == 200
    event = PortalEvent.objects.get(kind=EventKind.LOGIN, access=found)
    assert event.detail == {"how": "link"}
    assert Client().post(path).status_code == 410  # single use


def test_no_login_link_for_a_disabled_access(smtp_inbox, django_capture_on_commit_callbacks):
    company = issuer()
    PortalAccess.objects.filter(pk=access(company, email="pagos@cliente.mx").pk).update(
        is_active=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            reverse("portal:link_request", args=[company.slug]), {"email": "pagos@cliente.mx"}
        )
    assert smtp_inbox.messages == []
