"""Registering a customer creates its download-portal access (never for a generic RFC), in the
same transaction, through the portal's service; its page shows the access and its CFDIs in
both directions, in the categories the viewer may see."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from despacho.access.catalog import Perm
from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi
from despacho.cfdi.services import cfdi_ingest
from despacho.customers.models import Customer
from despacho.customers.selectors import customer_cfdis
from despacho.portal.models import Origin, PortalAccess
from tests.cfdi.cfdi_samples import cfdi_xml
from tests.customers.helpers import moral_fields, real_rfc, register
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of
from tests.portal.scenario import access, issue

pytestmark = pytest.mark.django_db


def received(company, emisor: str):
    """Ingest a CFDI the company received from ``emisor``."""
    outcome = cfdi_ingest(company=company, data=cfdi_xml(emisor=emisor, receptor=company.rfc))
    assert outcome.status == "accepted", outcome
    return Cfdi.objects.get(company=company, uuid=outcome.uuid)


@pytest.fixture
def company():
    return make_company(make_account())


def test_a_new_customer_gets_its_portal_access_named_and_emailed_as_it(company):
    customer = register(company, emails=["pagos@cliente.example.mx", "otro@cliente.example.mx"])
    access_ = PortalAccess.objects.get(company=company, rfc=customer.rfc)
    assert (access_.name, access_.email, access_.origin) == (
        customer.razon_social,
        "pagos@cliente.example.mx",
        Origin.AUTO,
    )
    assert AuditEvent.objects.filter(action="portal.access_created", company=company).exists()


def test_an_rfc_that_already_has_an_access_keeps_it(company):
    rfc = real_rfc()
    existing = access(company, rfc, name="NOMBRE DE LA FACTURA", email="antes@example.mx")
    register(company, rfc=rfc)
    assert PortalAccess.objects.get(company=company, rfc=rfc) == existing
    existing.refresh_from_db()
    assert existing.email == "antes@example.mx"


@pytest.mark.parametrize(
    "fields",
    [
        {"rfc": "XAXX010101000", "razon_social": "", "regimen_fiscal": "616", "uso_cfdi": "S01"},
        {
            "rfc": "XEXX010101000",
            "razon_social": "ACME LLC",
            "regimen_fiscal": "616",
            "uso_cfdi": "S01",
            "tax_id": "1234",
            "pais": "USA",
        },
    ],
)
def test_a_generic_rfc_never_gets_a_portal_access(company, fields):
    register(company, **moral_fields(**fields))
    assert not PortalAccess.objects.filter(company=company).exists()


def test_the_company_itself_as_a_customer_gets_no_access_to_its_own_portal(company):
    register(company, rfc=company.rfc)
    assert not PortalAccess.objects.filter(company=company).exists()


def test_if_the_access_cannot_be_created_the_customer_is_not_registered_either(company):
    with (
        mock.patch(
            "despacho.customers.services.portal_access_create", side_effect=RuntimeError("caída")
        ),
        pytest.raises(RuntimeError),
    ):
        register(company)
    assert not Customer.objects.exists()
    assert not AuditEvent.objects.filter(action="customer.created").exists()


def test_the_customers_cfdis_both_ways_only_in_categories_the_viewer_sees(company):
    customer = register(company, rfc=real_rfc())
    sold = issue(company, customer.rfc)
    issue(company, real_rfc())  # someone else's
    bought = received(company, customer.rfc)
    owner = owner_of(company.account)
    blocks = {b.category: b for b in customer_cfdis(viewer=owner, customer=customer)}
    assert blocks["ventas"].rows == [sold]
    assert blocks["ventas"].title == "Ventas · emitidos al cliente"
    assert blocks["egresos"].rows == [bought]
    assert blocks["egresos"].title == "Egresos · recibidos del cliente"
    assert blocks["nomina"].rows == []
    # A member with Datos maestros but not Ventas sees the customer, not its sales.
    member = make_membership(company.account)
    make_grant(member, company, "consulta", add={Perm.DATOS_MAESTROS}, remove={Perm.VENTAS})
    categories = [b.category for b in customer_cfdis(viewer=member.user, customer=customer)]
    assert "ventas" not in categories


def test_the_customers_page_shows_its_portal_access_and_cfdis(company):
    customer = register(company)
    sold = issue(company, customer.rfc)
    client = Client()
    client.force_login(owner_of(company.account))
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    access_ = PortalAccess.objects.get(company=company, rfc=customer.rfc)
    assert reverse("portal_manage:detail", args=[access_.pk]) in page
    assert reverse("cfdi:detail", args=[sold.uuid]) in page
    assert "Ventas · emitidos al cliente" in page and "Egresos · recibidos del cliente" in page
