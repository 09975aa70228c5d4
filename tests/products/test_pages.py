"""The Productos pages: list and search, create, edit, archive; tax schemes list, create and
edit; the SAT keys' suggestions for the form's datalists. Datos maestros on the active
company opens them; refusals come back on the form, next to the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from despacho.access.catalog import Perm
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.products.models import Product, TaxScheme
from despacho.products.taxrules import PRESETS
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of
from tests.products.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company(make_account())


@pytest.fixture
def client(company):
    client = Client()
    client.force_login(owner_of(company.account))
    return client


def product_form(scheme, **changes):
    form = {
        "clave_prod_serv": "50201706",
        "clave_unidad": "H87",
        "description": "Café de Chiapas",
        "unit": "Bolsa",
        "unit_price": "189.900000",
        "objeto_imp": "02",
        "tax_scheme": str(scheme.pk),
    }
    form.update(changes)
    return form


def test_a_member_without_datos_maestros_is_refused_with_the_reason(company):
    member = make_membership(company.account)
    make_grant(member, company, "consulta")
    client = Client()
    client.force_login(member.user)
    for name in ("products:list", "products:create", "products:schemes", "products:unit_keys"):
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert "Datos maestros" in response.content.decode()
    assert not TaxScheme.objects.exists()  # refused before any preset is written


def test_the_nav_shows_productos_to_those_who_keep_master_data(company, client):
    assert reverse("products:list") in client.get(reverse("home")).content.decode()
    member = make_membership(company.account)
    make_grant(member, company, "consulta")
    other = Client()
    other.force_login(member.user)
    assert reverse("products:list") not in other.get(reverse("home")).content.decode()


def test_a_product_is_created_from_the_form_with_a_preset_scheme(company, client):
    page = client.get(reverse("products:create"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'list="product-key-options"' in html
    assert 'hx-get="/productos/sat/claves/"' in html
    assert "<script" not in html.split("</head>")[1]  # no inline script in the page
    scheme = TaxScheme.objects.get(company=company, preset="iva16")  # created on first use
    response = client.post(reverse("products:create"), product_form(scheme))
    product = Product.objects.get(company=company)
    assert response.status_code == 302
    assert response["Location"] == reverse("products:edit", args=[product.pk])
    assert product.unit_price == Decimal("189.9")
    assert product.tax_scheme == scheme


def test_refusals_come_back_next_to_their_field(company, client):
    client.get(reverse("products:list"))
    scheme = TaxScheme.objects.get(company=company, preset="iva16")
    response = client.post(
        reverse("products:create"), product_form(scheme, clave_prod_serv="99999999")
    )
    assert response.status_code == 400
    assert "no está en el catálogo c_ClaveProdServ del SAT" in response.content.decode()
    response = client.post(reverse("products:create"), product_form(scheme, objeto_imp="01"))
    assert "déjalo vacío" in response.content.decode()
    response = client.post(reverse("products:create"), product_form(scheme, unit_price="1.1234567"))
    assert response.status_code == 400
    assert not Product.objects.exists()


def test_the_list_searches_and_the_edit_page_saves_and_archives(company, client):
    product = make_product(company, description="Té verde orgánico")
    make_product(company, description="Galletas")
    listed = client.get(reverse("products:list"), {"q": "TE VERDE"}, headers={"HX-Request": "true"})
    assert "Té verde orgánico" in listed.content.decode()
    assert "Galletas" not in listed.content.decode()
    form = product_form(product.tax_scheme, description="Té verde", unit_price="99.5")
    response = client.post(reverse("products:edit", args=[product.pk]), form)
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.description, product.unit_price) == ("Té verde", Decimal("99.5"))
    client.post(reverse("products:active", args=[product.pk]), {"active": "0"})
    product.refresh_from_db()
    assert not product.is_active
    assert "Té verde" not in client.get(reverse("products:list")).content.decode()
    archived = client.get(reverse("products:list"), {"archived": "on"}).content.decode()
    assert "Té verde" in archived
    assert AuditEvent.objects.filter(action=Action.PRODUCT_ARCHIVED).exists()


def test_the_datalists_are_filled_from_the_catalogs(client):
    options = client.get(reverse("products:product_keys"), {"clave_prod_serv": "cafe"})
    assert '<option value="50201706">50201706 · Café</option>' in options.content.decode()
    units = client.get(reverse("products:unit_keys"), {"q": "pieza"}).content.decode()
    assert '<option value="H87">' in units


def test_tax_schemes_are_listed_created_and_edited_with_six_rows(company, client):
    listed = client.get(reverse("products:schemes")).content.decode()
    assert "RESICO: IVA 16 % con retención de ISR 1.25 %" in listed
    assert TaxScheme.objects.filter(company=company).count() == len(PRESETS)
    page = client.get(reverse("products:scheme_create")).content.decode()
    assert page.count('name="lines-') >= 6 * 4
    rows = {
        "lines-TOTAL_FORMS": "6",
        "lines-INITIAL_FORMS": "6",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "6",
    }
    for n in range(6):
        rows |= {f"lines-{n}-kind": "traslado", f"lines-{n}-tipo_factor": "Tasa"}
    rows |= {"lines-0-impuesto": "002", "lines-0-rate": "0.16"}
    rows |= {
        "lines-1-kind": "retencion",
        "lines-1-impuesto": "002",
        "lines-1-rate": "0.106667",
    }
    response = client.post(reverse("products:scheme_create"), {"name": "Fletes", **rows})
    assert response.status_code == 302
    scheme = TaxScheme.objects.get(company=company, name="Fletes")
    assert [(ln.kind, ln.rate) for ln in scheme.lines.all()] == [
        ("traslado", Decimal("0.160000")),
        ("retencion", Decimal("0.106667")),
    ]
    # An IVA rate SAT does not know is refused, naming the catalog.
    rows["lines-0-rate"] = "0.15"
    edit = reverse("products:scheme_edit", args=[scheme.pk])
    refused = client.post(edit, {"name": "Fletes", **rows})
    assert refused.status_code == 400
    assert "c_TasaOCuota" in refused.content.decode()
    rows["lines-0-rate"] = "0.08"
    client.post(edit, {"name": "Fletes 8", **rows})
    scheme.refresh_from_db()
    assert scheme.name == "Fletes 8"
    assert scheme.lines.first().rate == Decimal("0.080000")


def test_another_companys_product_and_scheme_are_not_found(company, client):
    other = make_company(make_account())
    foreign = make_product(other, description="PRODUCTO AJENO")
    assert client.get(reverse("products:edit", args=[foreign.pk])).status_code == 404
    assert (
        client.get(reverse("products:scheme_edit", args=[foreign.tax_scheme.pk])).status_code == 404
    )
    assert (
        client.post(reverse("products:active", args=[foreign.pk]), {"active": "0"}).status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.is_active


def test_keepers_of_master_data_who_are_not_owners_may_use_the_pages(company):
    member = make_membership(company.account)
    make_grant(member, company, "consulta", add=[Perm.DATOS_MAESTROS])
    client = Client()
    client.force_login(member.user)
    assert client.get(reverse("products:list")).status_code == 200


def test_a_forged_scheme_form_is_refused_in_the_apps_spanish(client):
    response = client.post(
        reverse("products:scheme_create"),
        {"name": "Forjado", "lines-TOTAL_FORMS": "50", "lines-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 400
    assert "Impuestos: máximo 6 por esquema." in response.content.decode()
    assert not TaxScheme.objects.filter(name="Forjado").exists()
