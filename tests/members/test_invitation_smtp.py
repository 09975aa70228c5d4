"""The whole invitation, through a real SMTP server started in-process (aiosmtpd).

The owner adds a user on the Users page; the email travels over SMTP; the test
reads it from the server, checks its HTML and text parts and the absolute link,
follows the link with the test client, sets a password, and is in.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from despacho.tenancy.models import Membership, MembershipStatus
from tests.factories import make_account, make_company, owner_of, profile
from tests.smtp import SITE_URL

pytestmark = pytest.mark.django_db


def test_owner_invites_over_smtp_and_the_invitee_follows_the_link_and_is_in(
    client, smtp_inbox, django_capture_on_commit_callbacks
):
    account = make_account(name="Méndez Ríos Contadores")
    first = make_company(account, razon_social="KEMPER URGATE SA DE CV")
    second = make_company(account, razon_social="HERRERIA ELECTRICOS SA DE CV")
    make_company(account, razon_social="SIN ACCESO SA DE CV")
    client.force_login(owner_of(account))
    ventas = profile("auxiliar_ventas")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("users:add"),
            {
                "full_name": "Ana Torres Vega",
                "email": "ana.torres@example.mx",
                "role": "member",
                f"company_{first.pk}": ventas.pk,
                f"company_{second.pk}": ventas.pk,
            },
        )
    assert response.status_code == 302, response.content.decode()

    assert len(smtp_inbox.messages) == 1
    message = smtp_inbox.messages[0]
    assert message["To"] == "ana.torres@example.mx"
    assert "Méndez Ríos Contadores" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hola, Ana Torres Vega" in text
    assert "72 horas" in text
    links = re.findall(r"https://despacho\.example/cuenta/invitacion/[\w-]+/", text)
    assert len(links) == 1
    link = links[0]
    assert f'href="{link}"' in html

    client.logout()
    path = link.removeprefix(SITE_URL)
    page = client.get(path)
    assert page.status_code == 200
    assert 'value="Ana Torres Vega"' in page.content.decode()
    response = client.post(
        path,
        {
            "full_name": "Ana Torres Vega",
            "password1": "Facturas.Claras.2026",
            "password2": "Facturas.Claras.2026",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Te damos la bienvenida a Méndez Ríos Contadores." in body
    assert "KEMPER URGATE SA DE CV" in body
    assert "HERRERIA ELECTRICOS SA DE CV" in body
    assert "SIN ACCESO SA DE CV" not in body
    membership = Membership.objects.get(user__email="ana.torres@example.mx")
    assert membership.status == MembershipStatus.ACTIVE
    assert int(client.session["_auth_user_id"]) == membership.user_id

    client.logout()
    assert client.login(username="ana.torres@example.mx", password="Facturas.Claras.2026")
    client.logout()
    reused = client.get(path)
    assert reused.status_code == 410
    assert "ya se usó" in reused.content.decode()
