import pytest

from tests.api.conftest import api_as
from tests.api.factories import make_tenant
from tests.cartaporte.samples import LOCATION

pytestmark = pytest.mark.django_db


def test_smoke():
    tenant = make_tenant()
    api = api_as(tenant.token)
    r = api.post("/cartaporte/locations", {"company": str(tenant.company.pk), **LOCATION})
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = api.get(f"/cartaporte/locations/{pk}", {"company": str(tenant.company.pk)})
    assert r.status_code == 200, r.content
    r = api.patch(f"/cartaporte/locations/{pk}?company={tenant.company.pk}", {"name": "Otra"})
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "Otra"
    r = api.get("/cartaporte/locations", {"company": str(tenant.company.pk)})
    assert r.status_code == 200, r.content
    assert len(r.json()["items"]) == 1
    r = api.post(f"/cartaporte/locations/{pk}/archive?company={tenant.company.pk}")
    assert r.status_code == 200, r.content
    assert r.json()["archived"]
