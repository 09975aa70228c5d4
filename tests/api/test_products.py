"""Products, tax schemes and SAT's keys through the API: Datos maestros on the company named
by ``company``; the same services as the pages; cursors, Idempotency-Key, the error envelope."""

from __future__ import annotations

from decimal import Decimal

import pytest

from despacho.access.catalog import Perm, to_mask
from despacho.access.models import Grant
from despacho.audit.models import AuditEvent
from despacho.products.models import Product, TaxScheme
from despacho.products.taxrules import PRESETS
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant
from tests.factories import make_account, make_company
from tests.products.factories import make_product

pytestmark = pytest.mark.django_db


def body(tenant, **changes):
    scheme = TaxScheme.objects.filter(company=tenant.company, preset="iva16").first()
    values = {
        "company": str(tenant.company.pk),
        "clave_prod_serv": "50201706",
        "clave_unidad": "H87",
        "description": "Café de Chiapas",
        "unit": "Bolsa",
        "unit_price": "189.123456",
        "objeto_imp": "02",
        "tax_scheme": str(scheme.pk) if scheme else None,
    }
    values.update(changes)
    return values


@pytest.fixture
def tenant():
    tenant = make_tenant()
    api_as(tenant.token).get("/tax-schemes", {"company": str(tenant.company.pk)})  # presets
    return tenant


def test_a_product_is_created_read_listed_and_searched(tenant):
    api = api_as(tenant.token)
    created = api.post("/products", body(tenant))
    assert created.status_code == 201, created.content
    product = created.json()
    assert product["unit_price"] == "189.123456"
    assert product["clave_prod_serv_description"] == "Café"
    assert product["clave_unidad_description"] == "Pieza"
    company = {"company": str(tenant.company.pk)}
    assert api.get(f"/products/{product['id']}", company).json() == product
    listed = api.get("/products", {**company, "q": "CAFE chiapas"}).json()
    assert [p["id"] for p in listed["items"]] == [product["id"]]
    assert api.get("/products", {**company, "q": "galletas"}).json()["items"] == []


def test_a_create_retried_with_its_idempotency_key_is_replayed_once(tenant):
    api = api_as(tenant.token)
    headers = {"Idempotency-Key": "producto-1"}
    first = api.post("/products", body(tenant), headers=headers)
    again = api.post("/products", body(tenant), headers=headers)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Product.objects.count() == 1
    other = api.post("/products", body(tenant, description="Otro"), headers=headers)
    assert error_of(other)["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"clave_prod_serv": "99999999"}, "clave_prod_serv", "unknown_product_key"),
        ({"clave_unidad": "ZZZ"}, "clave_unidad", "unknown_unit_key"),
        ({"objeto_imp": "09"}, "objeto_imp", "unknown_objeto_imp"),
        ({"tax_scheme": None}, "tax_scheme", "scheme_required"),
        ({"objeto_imp": "01"}, "tax_scheme", "scheme_not_allowed"),
        ({"tax_scheme": "abc"}, "tax_scheme", "invalid_id"),
        ({"unit_price": "1.1234567"}, "unit_price", "decimal_max_places"),
        ({"unit_price": "-1"}, "unit_price", "greater_than_equal"),
    ],
)
def test_refusals_answer_the_envelope_naming_the_field(tenant, changes, field, code):
    response = api_as(tenant.token).post("/products", body(tenant, **changes))
    assert response.status_code == 422, response.content
    error = error_of(response)
    assert field in [f["field"] for f in error["fields"]] or error["fields"] == []
    assert any(f["code"] == code for f in error["fields"]) or error["code"] == code
    assert not Product.objects.exists()


def test_another_companys_scheme_is_refused_without_saying_it_exists(tenant):
    foreign = make_product(make_company(make_account()))
    response = api_as(tenant.token).post(
        "/products", body(tenant, tax_scheme=str(foreign.tax_scheme_id))
    )
    error = error_of(response)
    assert (response.status_code, error["code"]) == (422, "unknown_tax_scheme")
    assert foreign.tax_scheme.name not in response.content.decode()


def test_update_changes_what_is_given_and_archive_and_restore(tenant):
    api = api_as(tenant.token)
    product = api.post("/products", body(tenant)).json()
    company = str(tenant.company.pk)
    patched = api.patch(
        f"/products/{product['id']}?company={company}",
        {"description": "Café molido", "unit_price": 200},
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["description"], patched.json()["unit_price"]) == (
        "Café molido",
        "200.000000",
    )
    assert patched.json()["clave_unidad"] == "H87"
    archived = api.post(f"/products/{product['id']}/archive?company={company}", None)
    assert archived.json()["is_active"] is False
    assert api.get("/products", {"company": company}).json()["items"] == []
    listed = api.get("/products", {"company": company, "archived": "true"}).json()["items"]
    assert [p["id"] for p in listed] == [product["id"]]
    restored = api.post(f"/products/{product['id']}/restore?company={company}", None)
    assert restored.json()["is_active"] is True
    actions = set(
        AuditEvent.objects.filter(company=tenant.company).values_list("action", flat=True)
    )
    assert {"product.created", "product.updated", "product.archived", "product.restored"} <= actions


def test_tax_schemes_list_the_presets_with_their_rates_as_strings(tenant):
    api = api_as(tenant.token)
    company = {"company": str(tenant.company.pk)}
    first = api.get("/tax-schemes", {**company, "limit": 5}).json()
    second = api.get("/tax-schemes", {**company, "cursor": first["next_cursor"]}).json()
    items = first["items"] + second["items"]
    assert len(items) == len(PRESETS)
    resico = next(s for s in items if s["preset"] == "resico")
    assert resico["lines"] == [
        {"kind": "traslado", "impuesto": "002", "tipo_factor": "Tasa", "rate": "0.160000"},
        {"kind": "retencion", "impuesto": "001", "tipo_factor": "Tasa", "rate": "0.012500"},
    ]
    exento = next(s for s in items if s["preset"] == "iva_exento")
    assert exento["lines"][0]["rate"] is None
    assert api.get(f"/tax-schemes/{resico['id']}", company).json() == resico


def test_sat_keys_are_searched_by_words_or_code_prefix_with_cursors(tenant):
    api = api_as(tenant.token)
    company = {"company": str(tenant.company.pk)}
    cafe = api.get("/sat/product-keys", {**company, "q": "CAFÉ", "limit": 3}).json()
    assert cafe["items"][0] == {"code": "50201706", "description": "Café"}
    more = api.get("/sat/product-keys", {**company, "q": "CAFÉ", "cursor": cafe["next_cursor"]})
    assert "50201706" not in [k["code"] for k in more.json()["items"]]
    prefix = api.get("/sat/product-keys", {**company, "q": "5020", "limit": 200}).json()
    assert all(k["code"].startswith("5020") for k in prefix["items"])
    units = api.get("/sat/unit-keys", {**company, "q": "kilogramo"}).json()
    assert units["items"][0]["code"] == "KGM"


def test_a_key_without_datos_maestros_is_refused_and_another_tenant_not_found(tenant):
    member = active_member(tenant.account, [tenant.company])  # Consulta: no Datos maestros
    api = api_as(make_key(member))
    company = {"company": str(tenant.company.pk)}
    for path in ("/products", "/tax-schemes", "/sat/product-keys", "/sat/unit-keys"):
        response = api.get(path, company)
        assert response.status_code == 403, path
        assert error_of(response)["code"] == "permission_denied"
    assert not TaxScheme.objects.filter(company=tenant.company, preset="").exists()
    other = make_tenant()
    foreign = make_product(other.company, description="PRODUCTO AJENO")
    owner = api_as(tenant.token)
    assert owner.get("/products", {"company": str(other.company.pk)}).status_code == 404
    response = owner.get(f"/products/{foreign.pk}", company)
    assert (response.status_code, error_of(response)["code"]) == (404, "not_found")
    assert "PRODUCTO AJENO" not in response.content.decode()


def test_a_member_who_keeps_master_data_may_use_it(tenant):
    member = active_member(tenant.account, [tenant.company], profile_code="consulta")
    grant = Grant.objects.get(membership=member, company=tenant.company)
    grant.added |= to_mask({Perm.DATOS_MAESTROS})
    grant.save()
    response = api_as(make_key(member)).post("/products", body(tenant))
    assert response.status_code == 201, response.content
    assert Decimal(response.json()["unit_price"]) == Decimal("189.123456")
