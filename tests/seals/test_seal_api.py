"""GET /api/v1/certificates: metadata only, Datos maestros on the company, never a key."""

from __future__ import annotations

import base64

import pytest

from despacho.access.catalog import Perm
from despacho.seals.models import SealKind
from despacho.seals.services import certificate_upload
from tests.api.conftest import api_as, error_of
from tests.api.factories import make_key, owner_membership
from tests.factories import make_account, make_grant, make_membership, owner_of
from tests.seals.samples import CACX, EKU, company_of, pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(settings):
    settings.DESPACHO_SEALS_SANDBOX = True
    company = company_of(make_account(), EKU)
    for kind in (SealKind.CSD, SealKind.FIEL):
        sample = pair(EKU, kind.value)
        certificate_upload(
            company=company,
            actor=owner_of(company.account),
            kind=kind,
            cer=sample.cer,
            key=sample.key,
            password=sample.password,
        )
    return company


def test_the_list_shows_each_certificates_metadata_and_nothing_of_its_key(company):
    api = api_as(make_key(owner_membership(company.account)))
    response = api.get("/certificates", {"company": str(company.pk), "limit": 1})
    assert response.status_code == 200, response.content
    first = response.json()
    assert first["next_cursor"]
    second = api.get(
        "/certificates", {"company": str(company.pk), "cursor": first["next_cursor"]}
    ).json()
    items = first["items"] + second["items"]
    assert sorted((i["kind"], i["serial"]) for i in items) == [
        ("csd", "30001000000400002434"),
        ("fiel", "30001000000400002417"),
    ]
    item = items[0]
    assert set(item) == {
        "id",
        "company",
        "kind",
        "serial",
        "rfc",
        "holder",
        "valid_from",
        "valid_to",
        "days_left",
        "state",
        "uploaded_by",
        "uploaded_at",
    }
    assert (item["rfc"], item["state"]) == (EKU, "expired")
    assert item["days_left"] < 0
    one = api.get(f"/certificates/{item['id']}", {"company": str(company.pk)})
    assert one.json() == item
    text = response.content.decode() + one.content.decode()
    for kind in ("csd", "fiel"):
        sample = pair(EKU, kind)
        assert base64.b64encode(sample.key).decode()[:40] not in text
        assert sample.password not in text


def test_a_member_without_datos_maestros_is_refused_saying_why(company):
    membership = make_membership(company.account)
    make_grant(membership, company, "consulta", add={Perm.VENTAS})
    response = api_as(make_key(membership)).get("/certificates", {"company": str(company.pk)})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert "Datos maestros" in error_of(response)["message"]


def test_a_member_with_datos_maestros_reads_the_metadata(company):
    membership = make_membership(company.account)
    make_grant(membership, company, "consulta", add={Perm.DATOS_MAESTROS})
    response = api_as(make_key(membership)).get("/certificates", {"company": str(company.pk)})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 2


def test_another_tenants_certificate_is_not_found(company):
    other = company_of(make_account(), CACX)
    api = api_as(make_key(owner_membership(other.account)))
    certificate = company.certificates.first()
    for path, params in (
        ("/certificates", {"company": str(company.pk)}),
        (f"/certificates/{certificate.pk}", {"company": str(company.pk)}),
        (f"/certificates/{certificate.pk}", {"company": str(other.pk)}),
    ):
        response = api.get(path, params)
        assert response.status_code == 404, (path, params)
        assert error_of(response)["code"] == "not_found"
