"""Idempotency-Key: a retried create gives the first result, once; a reused key is refused."""

from __future__ import annotations

import pytest

from despacho.access.models import Profile
from despacho.cfdi.models import Cfdi
from despacho.tenancy.models import SeatPurchase
from tests.api.conftest import api_as, error_of
from tests.api.factories import make_tenant
from tests.cfdi.cfdi_samples import cfdi_xml

pytestmark = pytest.mark.django_db


def test_the_same_key_and_body_replay_the_first_response_without_creating_again():
    tenant = make_tenant()
    api = api_as(tenant.token)
    headers = {"Idempotency-Key": "compra-0001"}
    first = api.post("/seats/purchases", {"quantity": 2}, headers=headers)
    again = api.post("/seats/purchases", {"quantity": 2}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert SeatPurchase.objects.filter(account=tenant.account).count() == 1


def test_the_same_key_with_another_body_is_422():
    tenant = make_tenant()
    api = api_as(tenant.token)
    headers = {"Idempotency-Key": "perfil-1"}
    api.post("/profiles", {"name": "Uno", "permissions": ["ventas"]}, headers=headers)
    response = api.post("/profiles", {"name": "Dos", "permissions": ["ventas"]}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert not Profile.objects.filter(name="Dos").exists()


def test_without_a_key_each_post_creates():
    tenant = make_tenant()
    api = api_as(tenant.token)
    api.post("/seats/purchases", {"quantity": 1})
    api.post("/seats/purchases", {"quantity": 1})
    assert SeatPurchase.objects.filter(account=tenant.account).count() == 2


def test_a_failed_request_frees_its_key_for_a_corrected_retry():
    tenant = make_tenant()
    api = api_as(tenant.token)
    headers = {"Idempotency-Key": "perfil-2"}
    bad = api.post("/profiles", {"name": "Mal", "permissions": ["facturar"]}, headers=headers)
    assert bad.status_code == 422
    good = api.post("/profiles", {"name": "Bien", "permissions": ["ventas"]}, headers=headers)
    assert good.status_code == 201


def test_keys_belong_to_one_api_key():
    first, second = make_tenant(), make_tenant()
    headers = {"Idempotency-Key": "same"}
    a = api_as(first.token).post("/seats/purchases", {"quantity": 1}, headers=headers)
    b = api_as(second.token).post("/seats/purchases", {"quantity": 1}, headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_an_upload_retried_with_its_key_is_replayed(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant = make_tenant()
    api = api_as(tenant.token)
    xml = cfdi_xml(emisor=tenant.company.rfc, receptor="XAXX010101000")
    headers = {"Idempotency-Key": "subida-1"}
    first = api.upload(tenant.company.pk, "a.xml", xml, headers=headers)
    again = api.upload(tenant.company.pk, "a.xml", xml, headers=headers)
    assert first.json()["counts"]["accepted"] == 1
    assert again.json() == first.json()  # accepted again, not "duplicate"
    assert Cfdi.objects.filter(company=tenant.company).count() == 1


def test_an_idempotency_key_outside_visible_ascii_is_422():
    tenant = make_tenant()
    response = api_as(tenant.token).post(
        "/seats/purchases", {"quantity": 1}, headers={"Idempotency-Key": "clave\u00f1"}
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["field"] == "Idempotency-Key"
    assert not SeatPurchase.objects.filter(account=tenant.account).exists()
