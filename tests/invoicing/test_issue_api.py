"""Issuing through the API: drafts, series, preview, issue (Idempotency-Key: never stamped
twice), resend; Facturar on the company named by ``company``, refused with the reason."""

from __future__ import annotations

import pytest
from django.core import mail

from despacho.access.catalog import Perm
from despacho.cfdi.models import Cfdi
from despacho.invoicing.models import Draft, Series
from despacho.pac.models import SandboxDocument
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, owner_membership
from tests.factories import make_own_company
from tests.invoicing.issuing import customer_of, issuing_company, sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]
__all__ = ["sandbox"]


def _owner_api(company):
    return api_as(make_key(owner_membership(company.account)))


def _invoice_body(company, customer, **changes):
    body = {
        "company": str(company.pk),
        "tipo": "I",
        "customer": str(customer.pk),
        "forma_pago": "03",
        "metodo_pago": "PUE",
        "uso_cfdi": "G03",
        "concepts": [
            {
                "clave_prod_serv": "84111506",
                "clave_unidad": "E48",
                "descripcion": "Servicio de contabilidad, enero",
                "cantidad": "1",
                "valor_unitario": "1000.00",
                "objeto_imp": "02",
                "taxes": [
                    {"kind": "traslado", "impuesto": "002", "tipo_factor": "Tasa",
                     "rate": "0.160000"}
                ],
            }
        ],
    }  # fmt: skip
    body.update(changes)
    return body


def _created(api, company) -> dict:
    response = api.post("/drafts", _invoice_body(company, customer_of(company)))
    assert response.status_code == 201, response.content
    return response.json()


def test_a_draft_is_created_read_listed_updated_and_deleted():
    company = issuing_company()
    api = _owner_api(company)
    draft = _created(api, company)
    assert (draft["tipo"], draft["status"], draft["folio"]) == ("I", "draft", None)
    assert draft["concepts"][0]["valor_unitario"] == "1000.000000"
    params = {"company": str(company.pk)}
    assert api.get(f"/drafts/{draft['id']}", params).json()["id"] == draft["id"]
    assert [d["id"] for d in api.get("/drafts", params).json()["items"]] == [draft["id"]]
    body = _invoice_body(company, customer_of(company), uso_cfdi="G01")
    del body["company"]
    updated = api.put(f"/drafts/{draft['id']}?company={company.pk}", body)
    assert updated.status_code == 200, updated.content
    assert updated.json()["uso_cfdi"] == "G01"
    deleted = api.delete(f"/drafts/{draft['id']}", f"?company={company.pk}")
    assert deleted.status_code == 204
    assert not Draft.objects.exists()


def test_a_draft_naming_another_companys_customer_is_refused_as_unknown():
    company = issuing_company()
    stranger = customer_of(make_own_company())
    response = _owner_api(company).post("/drafts", _invoice_body(company, stranger))
    assert response.status_code == 422
    error = error_of(response)
    assert error["fields"][0]["field"] == "customer"
    assert error["fields"][0]["code"] == "unknown"


def test_the_preview_is_a_pdf_and_takes_no_folio():
    company = issuing_company()
    api = _owner_api(company)
    draft = _created(api, company)
    response = api.get(f"/drafts/{draft['id']}/preview.pdf", {"company": str(company.pk)})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert Draft.objects.get(pk=draft["id"]).folio is None


def test_an_issue_retried_with_its_idempotency_key_never_stamps_twice():
    company = issuing_company()
    api = _owner_api(company)
    draft = _created(api, company)
    url = f"/drafts/{draft['id']}/issue?company={company.pk}"
    headers = {"Idempotency-Key": "emitir-1"}
    first = api.post(url, None, headers=headers)
    assert first.status_code == 201, first.content
    again = api.post(url, None, headers=headers)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    without_key = api.post(url)
    assert without_key.status_code == 409
    assert error_of(without_key)["code"] == "not_editable"
    assert SandboxDocument.objects.count() == 1
    assert Cfdi.objects.count() == 1
    assert first.json()["folio"] == 1
    assert first.json()["total"] == "1160.00"


def test_ventas_without_facturar_is_403_with_the_reason():
    company = issuing_company()
    seller = active_member(company.account, [company], "consulta")  # Ventas, no Facturar
    api = api_as(make_key(seller))
    draft = _created(_owner_api(company), company)
    for response in (
        api.get("/drafts", {"company": str(company.pk)}),
        api.post(f"/drafts/{draft['id']}/issue?company={company.pk}"),
        api.post("/series", {"company": str(company.pk), "code": "B"}),
    ):
        assert response.status_code == 403
        error = error_of(response)
        assert error["code"] == "permission_denied"
        assert "Facturar" in error["message"]


def test_a_key_narrowed_below_facturar_is_403_key_scope():
    company = issuing_company()
    key = make_key(owner_membership(company.account), permissions=[Perm.VENTAS])
    response = api_as(key).get("/drafts", {"company": str(company.pk)})
    assert response.status_code == 403
    assert error_of(response)["code"] == "key_scope"


def test_series_are_listed_and_created():
    company = issuing_company()
    api = _owner_api(company)
    created = api.post(
        "/series", {"company": str(company.pk), "code": "NC", "tipo": "E", "is_default": True}
    )
    assert created.status_code == 201, created.content
    listed = api.get("/series", {"company": str(company.pk)}).json()["items"]
    assert [s["code"] for s in listed] == ["A", "NC"]
    bad = api.post("/series", {"company": str(company.pk), "code": "A-1"})
    assert bad.status_code == 422
    assert Series.objects.filter(company=company).count() == 2


def test_a_stamped_cfdi_is_resent_through_the_api(django_capture_on_commit_callbacks):
    company = issuing_company()
    api = _owner_api(company)
    draft = _created(api, company)
    issued = api.post(f"/drafts/{draft['id']}/issue?company={company.pk}").json()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/cfdis/{issued['uuid']}/resend?company={company.pk}",
            {"emails": ["Pagos@Norte.example.mx"]},
        )
    assert response.status_code == 200, response.content
    assert response.json()["emails"] == ["pagos@norte.example.mx"]
    assert [m.to for m in mail.outbox] == [["pagos@norte.example.mx"]]
    refused = api.post(f"/cfdis/{issued['uuid']}/resend?company={company.pk}", {"emails": ["x"]})
    assert refused.status_code == 422
    assert error_of(refused)["fields"][0]["code"] == "invalid_email"
