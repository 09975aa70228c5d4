"""Cursor pagination: every row once, in a stable order, whatever is inserted meanwhile."""

from __future__ import annotations

import pytest

from despacho.cfdi.services import cfdi_ingest
from tests.api.conftest import api_as, error_of
from tests.api.factories import make_tenant
from tests.cfdi.cfdi_samples import cfdi_xml
from tests.factories import make_company

pytestmark = pytest.mark.django_db


def _walk(api, path, params):
    seen, cursor, pages = [], None, 0
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = api.get(path, query).json()
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def test_pages_of_companies_cover_every_row_once_in_id_order():
    tenant = make_tenant()
    for _ in range(6):
        make_company(tenant.account)
    api = api_as(tenant.token)
    items, pages = _walk(api, "/companies", {"limit": 2})
    ids = [int(c["id"]) for c in items]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 7
    assert pages == 4


def test_rows_created_while_paging_do_not_shift_what_was_already_seen():
    tenant = make_tenant()
    for _ in range(3):
        make_company(tenant.account)
    api = api_as(tenant.token)
    first = api.get("/companies", {"limit": 2}).json()
    make_company(tenant.account)  # lands after the cursor: seen once, on a later page
    rest, _pages = _walk(api, "/companies", {"limit": 2, "cursor": first["next_cursor"]})
    ids = [c["id"] for c in first["items"] + rest]
    assert len(ids) == len(set(ids)) == 5


def test_cfdi_pages_follow_the_chosen_sort_with_ties_broken_by_id(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant = make_tenant()
    for total in ["10.00", "30.00", "10.00", "20.00", "30.00"]:
        cfdi_ingest(
            company=tenant.company,
            data=cfdi_xml(emisor=tenant.company.rfc, receptor="XAXX010101000", total=total),
        )
    api = api_as(tenant.token)
    params = {"company": tenant.company.pk, "category": "ventas", "sort": "-total", "limit": 2}
    items, pages = _walk(api, "/cfdis", params)
    assert [c["total"] for c in items] == ["30.00", "30.00", "20.00", "10.00", "10.00"]
    assert len({c["uuid"] for c in items}) == 5
    assert pages == 3


def test_a_tampered_cursor_is_422_naming_the_field():
    tenant = make_tenant()
    response = api_as(tenant.token).get("/companies", {"cursor": "bm90LWEtbGlzdA"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_cursor"
    assert error["fields"][0]["field"] == "cursor"


@pytest.mark.parametrize("limit", [0, 201])
def test_limit_is_between_1_and_200(limit):
    tenant = make_tenant()
    response = api_as(tenant.token).get("/companies", {"limit": limit})
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "limit"
