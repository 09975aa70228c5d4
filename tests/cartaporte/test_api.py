"""/api/v1/cartaporte/{locations,vehicles,trailers,figures}: Perm.DATOS_MAESTROS on the
company named by ``company``; the same services as the pages, the same conventions as
every resource (cursor pages, Idempotency-Key, the error envelope, opaque ids)."""

from __future__ import annotations

import pytest

from despacho.access.catalog import Perm
from despacho.audit.models import AuditEvent
from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant
from tests.cartaporte.samples import FIGURE, LOCATION, TRAILER, VEHICLE, make_item

pytestmark = pytest.mark.django_db

KINDS = [
    ("locations", Location, LOCATION),
    ("vehicles", Vehicle, VEHICLE),
    ("trailers", Trailer, TRAILER),
    ("figures", Figure, FIGURE),
]


@pytest.mark.parametrize(("path", "model", "sample"), KINDS)
def test_each_kind_is_created_read_updated_listed_and_archived(path, model, sample):
    tenant = make_tenant()
    api = api_as(tenant.token)
    company = str(tenant.company.pk)
    created = api.post(f"/cartaporte/{path}", {"company": company, **sample})
    assert created.status_code == 201, created.content
    body = created.json()
    assert isinstance(body["id"], str) and body["company"] == company
    assert body["archived"] is False
    item_id = body["id"]
    got = api.get(f"/cartaporte/{path}/{item_id}", {"company": company})
    assert got.status_code == 200 and got.json() == body
    updated = api.patch(f"/cartaporte/{path}/{item_id}?company={company}", {"name": "Nuevo"})
    assert updated.status_code == 200, updated.content
    assert updated.json()["name"] == "Nuevo"
    listed = api.get(f"/cartaporte/{path}", {"company": company}).json()
    assert [i["id"] for i in listed["items"]] == [item_id]
    archived = api.post(f"/cartaporte/{path}/{item_id}/archive?company={company}")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert api.get(f"/cartaporte/{path}", {"company": company}).json()["items"] == []
    shelf = api.get(f"/cartaporte/{path}", {"company": company, "archived": "true"}).json()
    assert [i["id"] for i in shelf["items"]] == [item_id]
    actions = AuditEvent.objects.filter(company=tenant.company).values_list("action", flat=True)
    assert {"cartaporte.created", "cartaporte.updated", "cartaporte.archived"} <= set(actions)


def test_a_refusal_is_the_envelope_naming_the_field_and_the_rule():
    tenant = make_tenant()
    response = api_as(tenant.token).post(
        "/cartaporte/vehicles",
        {"company": str(tenant.company.pk), **VEHICLE, "permit_type": "TPXX99", "plate": "A-1"},
    )
    assert response.status_code == 422, response.content
    error = error_of(response)
    fields = {f["field"]: f for f in error["fields"]}
    assert set(fields) == {"permit_type", "plate"}
    assert fields["permit_type"]["code"] == "not_in_catalog"
    assert "c_TipoPermiso" in fields["permit_type"]["message"]
    assert fields["plate"]["message"].startswith("Placa:")


def test_an_update_keeps_what_is_omitted_and_checks_the_rules_again():
    tenant = make_tenant()
    location = make_item(Location, tenant.company)
    api = api_as(tenant.token)
    path = f"/cartaporte/locations/{location.pk}?company={tenant.company.pk}"
    refused = api.patch(path, {"postal_code": "06600"})
    assert refused.status_code == 422
    assert error_of(refused)["fields"][0]["field"] == "postal_code"
    ok = api.patch(path, {"street": "Calle Nueva"}).json()
    assert (ok["street"], ok["postal_code"], ok["neighborhood"]) == ("Calle Nueva", "44100", "0003")


def test_the_list_pages_with_a_cursor():
    tenant = make_tenant()
    for n in range(5):
        make_item(Trailer, tenant.company, plate=f"CAJA0{n}")
    api = api_as(tenant.token)
    seen, cursor = [], None
    while True:
        params = {"company": str(tenant.company.pk), "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/cartaporte/trailers", params).json()
        seen += [i["plate"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"CAJA0{n}" for n in range(5)]


def test_a_create_with_an_idempotency_key_is_replayed_not_repeated():
    tenant = make_tenant()
    api = api_as(tenant.token)
    body = {"company": str(tenant.company.pk), **FIGURE}
    headers = {"Idempotency-Key": "operador-juan"}
    first = api.post("/cartaporte/figures", body, headers=headers)
    again = api.post("/cartaporte/figures", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Figure.objects.filter(company=tenant.company).count() == 1


def test_without_datos_maestros_the_key_is_refused_saying_why():
    tenant = make_tenant()
    member = active_member(tenant.account, [tenant.company], profile_code="consulta")
    api = api_as(make_key(member))
    response = api.get("/cartaporte/locations", {"company": str(tenant.company.pk)})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    narrowed = api_as(make_key(tenant.owner, permissions=[Perm.VENTAS]))
    response = narrowed.post("/cartaporte/trailers", {"company": str(tenant.company.pk), **TRAILER})
    assert response.status_code == 403 and error_of(response)["code"] == "key_scope"
    assert not Trailer.objects.exists()


def test_another_companys_item_is_not_found():
    mine, theirs = make_tenant(), make_tenant()
    foreign = make_item(Vehicle, theirs.company)
    api = api_as(mine.token)
    # Through my company: not found. Through theirs: not mine to open.
    for company in (mine.company, theirs.company):
        response = api.get(f"/cartaporte/vehicles/{foreign.pk}", {"company": str(company.pk)})
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    archive = api.post(f"/cartaporte/vehicles/{foreign.pk}/archive?company={mine.company.pk}")
    assert archive.status_code == 404
    foreign.refresh_from_db()
    assert foreign.archived_at is None
