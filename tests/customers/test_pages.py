"""The Clientes pages: a list searched by RFC or name (accent-blind) with an active/archived
filter, create, edit, archive and restore; all behind Datos maestros on the active company."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from despacho.access.catalog import Perm
from despacho.customers.models import Customer
from despacho.portal.models import PortalAccess
from tests.customers.helpers import real_rfc, register
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company(make_account())


@pytest.fixture
def client(company):
    client = Client()
    client.force_login(owner_of(company.account))
    return client


def test_the_list_finds_customers_by_rfc_or_name_without_accents(company, client):
    register(company, razon_social="PANADERÍA LA ESPIGA")
    other = register(company, razon_social="FERRETERA DEL CENTRO")
    url = reverse("customers:list")
    assert "PANADERÍA LA ESPIGA" in client.get(url, {"q": "panaderia"}).content.decode()
    page = client.get(url, {"q": other.rfc.lower()}).content.decode()
    assert "FERRETERA DEL CENTRO" in page and "PANADERÍA" not in page


def test_archived_customers_leave_the_list_and_come_back_with_the_filter(company, client):
    customer = register(company, razon_social="CLIENTE QUE SE VA")
    response = client.post(reverse("customers:active", args=[customer.pk]), {"active": "0"})
    assert response.status_code == 302
    url = reverse("customers:list")
    assert "CLIENTE QUE SE VA" not in client.get(url).content.decode()
    assert "CLIENTE QUE SE VA" in client.get(url, {"status": "archivados"}).content.decode()
    client.post(reverse("customers:active", args=[customer.pk]), {"active": "1"})
    assert Customer.objects.get(pk=customer.pk).is_active


def test_registering_from_the_form_creates_the_customer_and_its_portal_access(company, client):
    rfc = real_rfc()
    response = client.post(
        reverse("customers:create"),
        {
            "rfc": rfc.lower(),
            "razon_social": "DISTRIBUIDORA DEL BAJÍO",
            "regimen_fiscal": "601",
            "codigo_postal": "37000",
            "uso_cfdi": "G01",
            "forma_pago": "03",
            "metodo_pago": "PPD",
            "emails": "compras@bajio.example.mx, pagos@bajio.example.mx",
        },
    )
    customer = Customer.objects.get(company=company, rfc=rfc)
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.emails == ["compras@bajio.example.mx", "pagos@bajio.example.mx"]
    assert PortalAccess.objects.filter(company=company, rfc=rfc).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Acceso al portal de descargas" in page and rfc in page


def test_a_refusal_is_shown_next_to_its_field_in_spanish(company, client):
    response = client.post(
        reverse("customers:create"),
        {
            "rfc": real_rfc(),
            "razon_social": "DISTRIBUIDORA",
            "regimen_fiscal": "601",
            "codigo_postal": "06600",
            "uso_cfdi": "D01",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["uso_cfdi"][0].startswith("Uso CFDI: D01")
    assert not Customer.objects.exists()


def test_editing_changes_the_fields_but_not_the_rfc(company, client):
    customer = register(company)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "rfc": "XAXX010101000",  # not a field of the edit form: ignored
            "razon_social": "COMERCIALIZADORA DEL NORTE",
            "regimen_fiscal": "601",
            "codigo_postal": "64000",
            "uso_cfdi": "G01",
            "emails": "nuevo@norte.example.mx",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.codigo_postal, customer.uso_cfdi, customer.emails) == (
        "64000",
        "G01",
        ["nuevo@norte.example.mx"],
    )
    assert customer.rfc != "XAXX010101000"


def test_without_datos_maestros_every_page_is_refused(company):
    customer = register(company)
    member = make_membership(company.account)
    make_grant(member, company, "consulta")
    client = Client()
    client.force_login(member.user)
    for url in (
        reverse("customers:list"),
        reverse("customers:create"),
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:edit", args=[customer.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("customers:active", args=[customer.pk])).status_code == 403
    assert Customer.objects.get(pk=customer.pk).is_active


def test_another_companys_customer_is_not_found(company, client):
    foreign = register(make_company(make_account()))
    for name in ("customers:detail", "customers:edit"):
        assert client.get(reverse(name, args=[foreign.pk])).status_code == 404
    assert client.post(reverse("customers:active", args=[foreign.pk])).status_code == 404
    assert Customer.objects.get(pk=foreign.pk).is_active


def test_a_member_with_datos_maestros_sees_the_nav_link(company):
    member = make_membership(company.account)
    make_grant(member, company, "consulta", add={Perm.DATOS_MAESTROS})
    client = Client()
    client.force_login(member.user)
    assert reverse("customers:list") in client.get(reverse("home")).content.decode()
