"""The sandbox cancels and answers status as SAT would, following the receiver's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from despacho.cfdi.parsing import CFDI4
from despacho.pac.base import (
    CancelCode,
    EsCancelable,
    Estado,
    EstatusCancelacion,
    PacError,
    Stamped,
)
from despacho.pac.models import SandboxDocument
from despacho.pac.sandbox import SandboxPac, sandbox_receiver_answer
from tests.pac.cfdis import CACX, EKU, cancellation_request, sealed_cfdi, signer

pytestmark = pytest.mark.django_db

ISSUED = datetime(2025, 12, 1, 16, 0, tzinfo=UTC)  # Monday, 10:00 in Mexico City
WEEK_LATER = ISSUED + timedelta(days=7)
FECHA = datetime(2025, 12, 1, 9, 55)  # the CFDI's Fecha, local time, five minutes before
RECEPTOR = "URE180429TM6"


def at(moment: datetime) -> SandboxPac:
    return SandboxPac(clock=lambda: moment)


def stamped(unit_price: str = "5000.00", **kwargs) -> Stamped:
    xml = sealed_cfdi(unit_price=Decimal(unit_price), fecha=FECHA, **kwargs)
    return at(ISSUED).stamp(xml)


def status(pac: SandboxPac, document: Stamped, total: str = "5800.00"):
    return pac.status(
        uuid=document.uuid, emisor_rfc=EKU, receptor_rfc=RECEPTOR, total=Decimal(total)
    )


def test_a_fresh_invoice_is_vigente_and_cancellable_with_acceptance_after_its_first_day():
    document = stamped()
    assert status(at(ISSUED), document).es_cancelable == EsCancelable.SIN_ACEPTACION
    answer = status(at(WEEK_LATER), document)
    assert answer.estado == Estado.VIGENTE
    assert answer.es_cancelable == EsCancelable.CON_ACEPTACION
    assert answer.estatus_cancelacion == EstatusCancelacion.NINGUNO


def test_status_of_an_unknown_or_mismatched_cfdi_is_not_found():
    document = stamped()
    assert status(at(WEEK_LATER), document, total="1.00").estado == Estado.NO_ENCONTRADO


def test_a_small_invoice_is_cancelled_at_once_without_acceptance():
    document = stamped(unit_price="100.00")
    answer = at(WEEK_LATER).cancel(request_xml=cancellation_request(document.uuid))

    assert answer.code_for(document.uuid) == CancelCode.ACCEPTED
    assert document.uuid.upper().encode() in answer.acuse
    after = status(at(WEEK_LATER), document, total="116.00")
    assert after.estado == Estado.CANCELADO
    assert after.estatus_cancelacion == EstatusCancelacion.SIN_ACEPTACION


def test_cancelling_twice_answers_previously_cancelled():
    document = stamped(unit_price="100.00")
    at(WEEK_LATER).cancel(request_xml=cancellation_request(document.uuid))
    again = at(WEEK_LATER).cancel(request_xml=cancellation_request(document.uuid))
    assert again.code_for(document.uuid) == CancelCode.PREVIOUSLY_CANCELLED


def test_a_big_invoice_waits_for_the_receiver_who_accepts():
    document = stamped()
    at(WEEK_LATER).cancel(request_xml=cancellation_request(document.uuid, motivo="03"))
    assert status(at(WEEK_LATER), document).estatus_cancelacion == EstatusCancelacion.EN_PROCESO
    assert status(at(WEEK_LATER), document).estado == Estado.VIGENTE

    sandbox_receiver_answer(document.uuid, True, now=WEEK_LATER + timedelta(hours=1))

    after = status(at(WEEK_LATER + timedelta(hours=2)), document)
    assert after.estado == Estado.CANCELADO
    assert after.estatus_cancelacion == EstatusCancelacion.CON_ACEPTACION


def test_the_receiver_may_reject_and_the_cfdi_stays_vigente():
    document = stamped()
    at(WEEK_LATER).cancel(request_xml=cancellation_request(document.uuid))
    sandbox_receiver_answer(document.uuid, False, now=WEEK_LATER)

    after = status(at(WEEK_LATER), document)
    assert after.estado == Estado.VIGENTE
    assert after.estatus_cancelacion == EstatusCancelacion.RECHAZADA


def test_without_an_answer_in_72_hours_the_cfdi_is_cancelled_for_lapse():
    document = stamped()
    at(WEEK_LATER).cancel(request_xml=cancellation_request(document.uuid))
    just_before = status(at(WEEK_LATER + timedelta(hours=71, minutes=59)), document)
    assert just_before.estatus_cancelacion == EstatusCancelacion.EN_PROCESO

    after = status(at(WEEK_LATER + timedelta(hours=72)), document)
    assert after.estado == Estado.CANCELADO
    assert after.estatus_cancelacion == EstatusCancelacion.PLAZO_VENCIDO
    with pytest.raises(ValidationError) as caught:
        sandbox_receiver_answer(document.uuid, True, now=WEEK_LATER + timedelta(hours=73))
    assert caught.value.code == "no_pending_cancellation"


def test_an_answer_without_a_pending_request_is_refused():
    document = stamped()
    with pytest.raises(ValidationError) as caught:
        sandbox_receiver_answer(document.uuid, True)
    assert caught.value.code == "no_pending_cancellation"


def test_an_unknown_uuid_answers_not_found():
    answer = at(WEEK_LATER).cancel(
        request_xml=cancellation_request("5b64ada3-aa4c-40b4-a2f5-572ced52be31")
    )
    assert answer.code_for("5b64ada3-aa4c-40b4-a2f5-572ced52be31") == CancelCode.NOT_FOUND


def test_another_issuers_uuid_answers_not_of_the_issuer():
    document = stamped()
    request = cancellation_request(document.uuid, issuer=signer(CACX))
    answer = at(WEEK_LATER).cancel(request_xml=request)
    assert answer.code_for(document.uuid) == CancelCode.NOT_OF_ISSUER
    assert SandboxDocument.objects.get(uuid=document.uuid).estado == Estado.VIGENTE


def test_a_tampered_request_is_refused_for_its_signature():
    document = stamped()
    other = stamped(folio="2")
    request = cancellation_request(document.uuid).replace(
        document.uuid.upper().encode(), other.uuid.upper().encode()
    )
    with pytest.raises(PacError) as caught:
        at(WEEK_LATER).cancel(request_xml=request)
    assert caught.value.code == "firma"
    assert SandboxDocument.objects.get(uuid=other.uuid).estado == Estado.VIGENTE


def test_motive_01_needs_a_substitute_that_relates_with_tipo_relacion_04():
    document = stamped()
    unrelated = stamped(folio="2")
    request = cancellation_request(document.uuid, motivo="01", folio_sustitucion=unrelated.uuid)
    with pytest.raises(PacError) as caught:
        at(WEEK_LATER).cancel(request_xml=request)
    assert caught.value.code == "folio_sustitucion"
    assert "TipoRelacion 04" in caught.value.message_es


def test_motive_01_with_its_substitute_cancels():
    document = stamped(unit_price="100.00")
    substitute_xml = _relating(
        sealed_cfdi(unit_price=Decimal("100.00"), folio="2", fecha=FECHA), document
    )
    substitute = at(ISSUED).stamp(substitute_xml)
    request = cancellation_request(document.uuid, motivo="01", folio_sustitucion=substitute.uuid)

    answer = at(WEEK_LATER).cancel(request_xml=request)

    assert answer.code_for(document.uuid) == CancelCode.ACCEPTED
    row = SandboxDocument.objects.get(uuid=document.uuid)
    assert (row.motivo, row.folio_sustitucion) == ("01", substitute.uuid)


def test_motive_01_without_a_substitute_is_refused_in_spanish():
    document = stamped()
    with pytest.raises(PacError) as caught:
        at(WEEK_LATER).cancel(request_xml=cancellation_request(document.uuid, motivo="01"))
    assert caught.value.code == "motivo"
    assert "El motivo 01 requiere" in caught.value.message_es


@pytest.mark.parametrize("motivo", ["02", "03", "04"])
def test_each_other_motive_cancels(motivo):
    document = stamped(unit_price="100.00")
    answer = at(WEEK_LATER).cancel(request_xml=cancellation_request(document.uuid, motivo=motivo))
    assert answer.code_for(document.uuid) == CancelCode.ACCEPTED
    assert SandboxDocument.objects.get(uuid=document.uuid).motivo == motivo


def test_a_request_that_is_not_a_cancelacion_is_refused():
    with pytest.raises(PacError) as caught:
        at(WEEK_LATER).cancel(request_xml=b"<Otra/>")
    assert caught.value.code == "cancelacion"


def _relating(xml: bytes, cancelled: Stamped) -> bytes:
    """``xml`` re-sealed with a CfdiRelacionados TipoRelacion 04 naming ``cancelled``."""
    from satcfdi.cfdi import CFDI

    cfdi = CFDI.from_string(xml)
    cfdi["CfdiRelacionados"] = [{"TipoRelacion": "04", "CfdiRelacionado": [cancelled.uuid.upper()]}]
    cfdi.sign(signer(EKU))
    result = cfdi.xml_bytes(xml_declaration=True)
    assert etree.fromstring(result).find(f"{{{CFDI4}}}CfdiRelacionados") is not None
    return result
