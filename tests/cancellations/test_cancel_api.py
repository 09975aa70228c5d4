"""POST/GET /api/v1/cfdis/{uuid}/cancellation and its acuse, through the HTTP client."""

from __future__ import annotations

import pytest
from django.test import Client

from despacho.access.catalog import Perm
from despacho.cancellations.models import Cancellation, State
from despacho.cfdi.models import Cfdi, Status
from tests.api.factories import active_member, make_key, owner_membership
from tests.cancellations.issuing import invoice, payment
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def client_for(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def owner_client(company) -> Client:
    return client_for(make_key(owner_membership(company.account)))


def url(cfdi: Cfdi, company=None, suffix: str = "") -> str:
    company = company or cfdi.company
    return f"/api/v1/cfdis/{cfdi.uuid}/cancellation{suffix}?company={company.pk}"


def post(client: Client, cfdi: Cfdi, body: dict, **headers: str):
    return client.post(url(cfdi), body, content_type="application/json", headers=headers)


def test_a_small_invoice_is_cancelled_and_its_state_and_acuse_are_served(company):
    small = invoice(company, unit_price="100.00")
    client = owner_client(company)

    created = post(client, small, {"motivo": "02"})
    state = client.get(url(small))
    acuse = client.get(url(small, suffix="/acuse"))

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["state"], body["cfdi_status"], body["needs_acceptance"]) == (
        "cancelada",
        "cancelado",
        False,
    )
    assert [step["state"] for step in body["steps"]] == ["solicitada", "cancelada"]
    assert state.json()["state"] == "cancelada"
    assert acuse.status_code == 200
    assert acuse["Content-Type"] == "application/xml"
    assert small.uuid_text.encode() in acuse.content


def test_a_big_invoice_waits_for_the_receiver(company):
    big = invoice(company, unit_price="5000.00")
    response = post(owner_client(company), big, {"motivo": "03"})
    assert response.status_code == 201
    assert response.json()["state"] == "en_proceso"
    assert "regla 2.7.1.35" in response.json()["reasons"][0]


def test_a_retry_with_the_same_idempotency_key_replays_instead_of_requesting_twice(company):
    small = invoice(company, unit_price="100.00")
    client = owner_client(company)

    first = post(client, small, {"motivo": "02"}, **{"Idempotency-Key": "cancel-1"})
    again = post(client, small, {"motivo": "02"}, **{"Idempotency-Key": "cancel-1"})

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Cancellation.objects.count() == 1


def test_motive_01_without_substitute_names_the_field_and_the_rule(company):
    small = invoice(company, unit_price="100.00")
    response = post(owner_client(company), small, {"motivo": "01"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "folio_sustitucion_required"
    assert error["fields"][0]["field"] == "folio_sustitucion"
    assert "motivo 01" in error["message"]


def test_an_unknown_motive_is_422_on_motivo(company):
    small = invoice(company, unit_price="100.00")
    response = post(owner_client(company), small, {"motivo": "09"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "motivo"


def test_live_dependents_are_a_409_that_names_them(company):
    ppd = invoice(company, unit_price="500.00", ppd=True, folio="4")
    paid = payment(company, ppd, amount="580.00")
    response = post(owner_client(company), ppd, {"motivo": "02"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "live_dependents"
    assert paid.uuid_text in response.json()["error"]["message"]


def test_a_second_request_while_one_waits_is_a_409(company):
    big = invoice(company, unit_price="5000.00")
    client = owner_client(company)
    post(client, big, {"motivo": "02"})
    again = post(client, big, {"motivo": "02"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "cancellation_open"


def test_ventas_without_cancelar_is_403_with_the_reason(company):
    small = invoice(company, unit_price="100.00")
    member = active_member(company.account, [company], "consulta")
    response = post(client_for(make_key(member)), small, {"motivo": "02"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert Cfdi.objects.get(pk=small.pk).status == Status.VIGENTE


def test_a_key_narrowed_without_cancelar_is_403_key_scope(company):
    small = invoice(company, unit_price="100.00")
    token = make_key(owner_membership(company.account), permissions=[Perm.VENTAS])
    response = post(client_for(token), small, {"motivo": "02"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "key_scope"


def test_cancelar_without_ventas_does_not_see_the_document(company):
    small = invoice(company, unit_price="100.00")
    member = active_member(company.account, [company], "consulta")
    from despacho.access.catalog import to_mask
    from despacho.access.models import Grant

    Grant.objects.filter(membership=member).update(
        added=to_mask({Perm.CANCELAR}), removed=to_mask({Perm.VENTAS})
    )
    client = client_for(make_key(member))
    for response in (
        post(client, small, {"motivo": "02"}),
        client.get(url(small)),
        client.get(url(small, suffix="/acuse")),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert not Cancellation.objects.exists()


def test_another_tenant_gets_404(company):
    small = invoice(company, unit_price="100.00")
    stranger = make_account()
    client = client_for(make_key(owner_membership(stranger)))
    response = client.post(
        f"/api/v1/cfdis/{small.uuid}/cancellation?company={company.pk}",
        {"motivo": "02"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Cancellation.objects.filter(state=State.CANCELADA).count() == 0


def test_state_and_acuse_of_a_never_cancelled_cfdi_are_404(company):
    small = invoice(company, unit_price="100.00")
    client = owner_client(company)
    assert client.get(url(small)).status_code == 404
    assert client.get(url(small, suffix="/acuse")).status_code == 404
