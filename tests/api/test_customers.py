"""Customers through the API: Datos maestros on the company named by ``company``; the same
services as the Clientes pages; cursors, Idempotency-Key, the error envelope."""

from __future__ import annotations

import pytest

from despacho.access.catalog import Perm
from despacho.customers.models import Customer
from despacho.portal.models import PortalAccess
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant
from tests.customers.helpers import moral_fields, real_rfc, register

pytestmark = pytest.mark.django_db


def _create(api, company, headers=None, **fields):
    body = {"company": str(company.pk), **moral_fields(**fields)}
    return api.post("/customers", body, headers=headers)


def test_a_customer_is_created_with_its_portal_access():
    tenant = make_tenant()
    response = _create(api_as(tenant.token), tenant.company, razon_social="LA ESPIGA")
    assert response.status_code == 201, response.content
    body = response.json()
    access = PortalAccess.objects.get(company=tenant.company, rfc=body["rfc"])
    assert (body["razon_social"], body["portal_access"]) == ("LA ESPIGA", str(access.pk))
    assert isinstance(body["id"], str)


def test_a_generic_customer_has_no_portal_access():
    tenant = make_tenant()
    response = _create(
        api_as(tenant.token),
        tenant.company,
        rfc="XAXX010101000",
        razon_social="PUBLICO EN GENERAL",
        regimen_fiscal="616",
        uso_cfdi="S01",
    )
    assert response.status_code == 201, response.content
    assert response.json()["portal_access"] is None


def test_a_create_retried_with_its_idempotency_key_is_replayed():
    tenant = make_tenant()
    api = api_as(tenant.token)
    body = {"company": str(tenant.company.pk), **moral_fields()}
    headers = {"Idempotency-Key": "cliente-1"}
    first = api.post("/customers", body, headers=headers)
    again = api.post("/customers", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Customer.objects.filter(company=tenant.company).count() == 1


def test_a_refusal_names_the_field_and_the_rule_in_the_envelope():
    tenant = make_tenant()
    response = _create(api_as(tenant.token), tenant.company, uso_cfdi="D01")
    assert response.status_code == 422
    error = error_of(response)
    [field] = error["fields"]
    assert (field["field"], field["code"]) == ("uso_cfdi", "uso_regimen_mismatch")
    assert field["message"].startswith("Uso CFDI:")


def test_a_duplicate_rfc_is_a_conflict():
    tenant = make_tenant()
    rfc = real_rfc()
    register(tenant.company, rfc=rfc)
    response = _create(api_as(tenant.token), tenant.company, rfc=rfc)
    assert response.status_code == 409
    assert error_of(response)["fields"][0]["code"] == "duplicate_rfc"


def test_the_list_pages_with_a_cursor_and_searches_without_accents():
    tenant = make_tenant()
    for name in ("PANADERÍA UNO", "PANADERÍA DOS", "FERRETERÍA TRES"):
        register(tenant.company, razon_social=name)
    api = api_as(tenant.token)
    company = str(tenant.company.pk)
    first = api.get("/customers", {"company": company, "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get("/customers", {"company": company, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    found = api.get("/customers", {"company": company, "q": "panaderia"}).json()["items"]
    assert sorted(c["razon_social"] for c in found) == ["PANADERÍA DOS", "PANADERÍA UNO"]


def test_get_update_archive_and_restore():
    tenant = make_tenant()
    customer = register(tenant.company)
    api = api_as(tenant.token)
    query = f"?company={tenant.company.pk}"
    path = f"/customers/{customer.pk}"
    assert api.get(path + query).json()["rfc"] == customer.rfc
    changed = api.patch(path + query, {"codigo_postal": "64000", "emails": ["x@example.mx"]})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["codigo_postal"], changed.json()["emails"]) == (
        "64000",
        ["x@example.mx"],
    )
    assert changed.json()["uso_cfdi"] == "G03"  # omitted: unchanged
    assert api.post(f"{path}/archive{query}", None).json()["is_active"] is False
    listed = api.get("/customers", {"company": str(tenant.company.pk), "archived": "true"})
    assert [c["id"] for c in listed.json()["items"]] == [str(customer.pk)]
    assert api.post(f"{path}/restore{query}", None).json()["is_active"] is True


def test_a_key_without_datos_maestros_is_refused_saying_why():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company])  # consulta: no Datos maestros
    api = api_as(make_key(member))
    response = api.get("/customers", {"company": str(tenant.company.pk)})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert _create(api, tenant.company).status_code == 403
    assert not Customer.objects.exists()


def test_a_key_narrowed_away_from_datos_maestros_is_refused():
    tenant = make_tenant()
    api = api_as(make_key(tenant.owner, permissions=[Perm.VENTAS]))
    response = api.get("/customers", {"company": str(tenant.company.pk)})
    assert (response.status_code, error_of(response)["code"]) == (403, "key_scope")


def test_another_tenants_customer_is_not_found():
    tenant, other = make_tenant(), make_tenant()
    foreign = register(other.company)
    api = api_as(tenant.token)
    for company in (tenant.company, other.company):
        response = api.get(f"/customers/{foreign.pk}?company={company.pk}")
        assert (response.status_code, error_of(response)["code"]) == (404, "not_found")
    response = api.post(f"/customers/{foreign.pk}/archive?company={tenant.company.pk}", None)
    assert response.status_code == 404
    assert Customer.objects.get(pk=foreign.pk).is_active


def test_the_operations_are_in_the_openapi_document():
    paths = api_as(None).get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/customers"])
    assert {"get", "patch"} <= set(paths["/api/v1/customers/{customer_id}"])
    assert "post" in paths["/api/v1/customers/{customer_id}/archive"]


def test_a_page_of_the_list_reads_the_portal_accesses_in_one_query(django_assert_max_num_queries):
    tenant = make_tenant()
    for _ in range(5):
        register(tenant.company)
    api = api_as(tenant.token)
    with django_assert_max_num_queries(20) as captured:
        items = api.get("/customers", {"company": str(tenant.company.pk)}).json()["items"]
    assert len(items) == 5 and all(item["portal_access"] for item in items)
    accesses = [q for q in captured.captured_queries if "portal_portalaccess" in (q["sql"] or "")]
    assert len(accesses) == 1
