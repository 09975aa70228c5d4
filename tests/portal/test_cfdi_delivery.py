"""Sending an issued CFDI by email: XML and PDF attached, and the way to the portal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import cfdi_xml
from tests.factories import make_grant, make_membership, owner_of
from tests.portal.scenario import access, issue, issuer, receiver_rfc
from tests.smtp import SITE_URL

pytestmark = pytest.mark.django_db


def send(client, cfdi: Cfdi, email: str):
    return client.post(
        reverse("portal_delivery:send", args=[cfdi.uuid]), {"email": email}, follow=True
    )


def test_the_send_address_sits_beside_the_cfdi_pages():
    uuid = "11111111-1111-4111-8111-111111111111"
    assert reverse("portal_delivery:send", args=[uuid]) == f"/cfdi/{uuid}/enviar/"


def test_the_receiver_gets_the_original_xml_the_pdf_and_the_portal_address(
    client, smtp_inbox, django_capture_on_commit_callbacks
):
    company = issuer("FERRETERIA EL CLAVO")
    cfdi = issue(company, receiver_rfc())
    client.force_login(owner_of(company.account))
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, cfdi, "Compras@Cliente.mx")
    assert "Enviamos el CFDI a compras@cliente.mx" in response.content.decode()

    [message] = smtp_inbox.messages
    assert message["To"] == "compras@cliente.mx"
    assert "FERRETERIA EL CLAVO" in message["Subject"]
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    xml = attachments[f"{cfdi.uuid_text}.xml"].get_content()
    assert (xml if isinstance(xml, bytes) else xml.encode()) == cfdi_xml(cfdi)
    assert attachments[f"{cfdi.uuid_text}.pdf"].get_content().startswith(b"%PDF")
    text = message.get_body(preferencelist=("plain",)).get_content()
    portal = SITE_URL + reverse("portal:login", args=[company.slug])
    assert portal in text
    assert cfdi.uuid_text in text
    assert AuditEvent.objects.filter(action="cfdi.delivered", company=company).count() == 1


def test_the_address_on_the_receivers_portal_access_is_offered(client):
    company = issuer()
    rfc = receiver_rfc()
    cfdi = issue(company, rfc)
    access(company, rfc, email="pagos@cliente.mx")
    client.force_login(owner_of(company.account))
    body = client.get(reverse("cfdi:detail", args=[cfdi.uuid])).content.decode()
    assert 'value="pagos@cliente.mx"' in body


def test_a_bad_address_is_refused_naming_the_field_and_nothing_is_sent(client, smtp_inbox):
    company = issuer()
    cfdi = issue(company, receiver_rfc())
    client.force_login(owner_of(company.account))
    response = send(client, cfdi, "no-es-correo")
    assert "Correo electrónico: «no-es-correo» no es un correo válido." in response.content.decode()
    assert smtp_inbox.messages == []
    assert not AuditEvent.objects.filter(action="cfdi.delivered").exists()


def test_a_received_cfdi_is_not_delivered(client, smtp_inbox):
    receiver = issuer()
    supplier = issuer()
    sold = issue(supplier, receiver.rfc)
    # The same document, stored by the company that received it.
    from despacho.cfdi.services import cfdi_ingest

    outcome = cfdi_ingest(company=receiver, data=cfdi_xml(sold))
    received = Cfdi.objects.get(company=receiver, uuid=outcome.uuid)
    client.force_login(owner_of(receiver.account))
    body = client.get(reverse("cfdi:detail", args=[received.uuid])).content.decode()
    assert "Enviar por correo" not in body
    response = send(client, received, "alguien@cliente.mx")
    assert "solo se envían los CFDI de ventas que emitió la empresa" in response.content.decode()
    assert smtp_inbox.messages == []


def test_a_member_without_ventas_cannot_send_nor_see_it(client, smtp_inbox):
    company = issuer()
    cfdi = issue(company, receiver_rfc())
    member = make_membership(company.account)
    make_grant(member, company, "auxiliar_compras")
    client.force_login(member.user)
    response = client.post(reverse("portal_delivery:send", args=[cfdi.uuid]), {"email": "a@b.mx"})
    assert response.status_code == 404
    assert smtp_inbox.messages == []


def test_another_tenants_cfdi_is_not_found(client, smtp_inbox):
    cfdi = issue(issuer(), receiver_rfc())
    stranger = issuer()
    client.force_login(owner_of(stranger.account))
    response = client.post(reverse("portal_delivery:send", args=[cfdi.uuid]), {"email": "a@b.mx"})
    assert response.status_code == 404
    assert smtp_inbox.messages == []
