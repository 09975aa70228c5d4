"""Cancelling from the pages: the panel on the CFDI detail, the confirmation with the
expected path and the blockers, the state and history afterwards, the acuse, the PDF."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from despacho.access.catalog import Perm
from despacho.cancellations.models import Cancellation, State
from despacho.cfdi.models import Cfdi, Status
from tests.cancellations.issuing import invoice, payment
from tests.factories import make_account, make_grant, make_membership, owner_of

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def owner(company) -> Client:
    return login(owner_of(company.account))


def member(company, *perms, remove=()) -> Client:
    membership = make_membership(company.account)
    make_grant(membership, company, "consulta", add=perms, remove=remove)
    return login(membership.user)


def detail(cfdi) -> str:
    return f"/cfdi/{cfdi.uuid}/"


def confirm(cfdi) -> str:
    return f"/cfdi/{cfdi.uuid}/cancelar/"


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_detail_offers_cancelar_to_whoever_may(company):
    small = invoice(company, unit_price="100.00")
    page = owner(company).get(detail(small)).content.decode()
    assert "Cancelar CFDI" in page
    assert confirm(small) in page


def test_the_detail_does_not_offer_it_without_cancelar(company):
    small = invoice(company, unit_price="100.00")
    page = member(company).get(detail(small)).content.decode()
    assert confirm(small) not in page


def test_the_confirmation_shows_the_path_its_reasons_and_the_motives(company):
    big = invoice(company, unit_price="5000.00")
    page = owner(company).get(confirm(big)).content.decode()
    assert "Con aceptación del receptor" in page
    assert "regla 2.7.1.35" in page
    for label in ("01 · Comprobante emitido con errores con relación", "04 · Operación nominativa"):
        assert label in page
    assert "folio_sustitucion" in page


def test_confirming_cancels_and_the_detail_shows_state_history_acuse_and_the_pdf_says_so(
    company,
):
    small = invoice(company, unit_price="100.00")
    client = owner(company)
    client.get(f"/cfdi/{small.uuid}/pdf")  # a vigente PDF already in the cache

    response = client.post(confirm(small), {"motivo": "02"})
    assert response.status_code == 302
    assert response["Location"] == detail(small)

    page = client.get(detail(small)).content.decode()
    assert "Cancelada" in page
    assert "Solicitada" in page  # the history's first step
    assert "Cancelar CFDI</a>" not in page
    acuse = client.get(f"/cfdi/{small.uuid}/cancelacion/acuse")
    assert acuse.status_code == 200
    assert small.uuid_text.encode() in acuse.content
    pdf = client.get(f"/cfdi/{small.uuid}/pdf")
    assert "CANCELADO" in pdf_text(pdf.content)


def test_motive_01_without_substitute_shows_the_rule_on_the_field(company):
    small = invoice(company, unit_price="100.00")
    response = owner(company).post(confirm(small), {"motivo": "01"})
    assert response.status_code == 400
    assert "El motivo 01 requiere el folio fiscal" in response.content.decode()
    assert not Cancellation.objects.exists()


def test_the_confirmation_names_and_links_the_live_payment_that_blocks_it(company):
    ppd = invoice(company, unit_price="500.00", ppd=True, folio="5")
    paid = payment(company, ppd, amount="580.00")
    client = owner(company)

    page = client.get(confirm(ppd)).content.decode()
    refused = client.post(confirm(ppd), {"motivo": "02"})

    assert "Documentos que lo impiden" in page
    assert paid.uuid_text in page
    assert detail(paid) in page
    assert paid.uuid_text in refused.content.decode()
    assert Cfdi.objects.get(pk=ppd.pk).status == Status.VIGENTE


def test_a_pending_request_is_refreshed_from_the_detail(company):
    from despacho.pac.sandbox import sandbox_receiver_answer

    big = invoice(company, unit_price="5000.00")
    client = owner(company)
    client.post(confirm(big), {"motivo": "02"})
    assert Cancellation.objects.get().state == State.EN_PROCESO
    assert "Consultar en el SAT" in client.get(detail(big)).content.decode()

    sandbox_receiver_answer(str(big.uuid), accept=False)
    client.post(f"/cfdi/{big.uuid}/cancelacion/actualizar/")

    assert Cancellation.objects.get().state == State.RECHAZADA
    page = client.get(detail(big)).content.decode()
    assert "Rechazada por el receptor" in page
    assert "Cancelar CFDI</a>" in page  # vigente again: it may be requested anew


def test_without_cancelar_the_confirmation_is_403_with_the_reason(company):
    small = invoice(company, unit_price="100.00")
    response = member(company).get(confirm(small))
    assert response.status_code == 403
    assert "Cancelar" in response.content.decode()


def test_cancelar_without_ventas_is_404_everywhere(company):
    small = invoice(company, unit_price="100.00")
    client = member(company, Perm.CANCELAR, remove=(Perm.VENTAS,))
    assert client.get(confirm(small)).status_code == 404
    assert client.post(confirm(small), {"motivo": "02"}).status_code == 404
    assert client.get(f"/cfdi/{small.uuid}/cancelacion/acuse").status_code == 404
    assert not Cancellation.objects.exists()


def test_another_tenant_gets_404(company):
    small = invoice(company, unit_price="100.00")
    stranger = login(owner_of(make_account()))
    assert stranger.get(confirm(small)).status_code == 404
    assert stranger.post(confirm(small), {"motivo": "02"}).status_code == 404
    assert not Cancellation.objects.exists()
