"""Cancelling issued CFDIs through the service: motives, paths, refresh, blockers, reach."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from despacho.access.catalog import Perm
from despacho.audit.actions import Action
from despacho.audit.describe import event_changes, event_sentence
from despacho.audit.models import AuditEvent
from despacho.cancellations.models import Cancellation, State
from despacho.cancellations.services import (
    CancelForbidden,
    cancellation_preview,
    cancellation_refresh,
    cancellation_request,
    cancellations_refresh_pending,
)
from despacho.cfdi.models import Cfdi, Status
from despacho.cfdi.selectors import CfdiNotFound
from despacho.invoicing.documents import Relation
from despacho.pac.finkok import FinkokPac
from despacho.pac.sandbox import SandboxPac, sandbox_receiver_answer
from tests.cancellations.issuing import CANCEL_AT, invoice, payment
from tests.cfdi.cfdi_samples import any_rfc
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of
from tests.portal.scenario import issue as issue_synthetic

pytestmark = pytest.mark.django_db


def at(moment):
    return SandboxPac(clock=lambda: moment)


def cancel(cfdi, motivo="02", actor=None, when=CANCEL_AT, **kwargs):
    return cancellation_request(
        cfdi=cfdi,
        actor=actor or owner_of(cfdi.company.account),
        motivo=motivo,
        now=when,
        pac=at(when),
        **kwargs,
    )


def status_of(cfdi) -> str:
    return Cfdi.objects.get(pk=cfdi.pk).status


# --- the path without the receiver's acceptance ----------------------------------------------


def test_an_invoice_up_to_1000_pesos_is_cancelled_at_once(company):
    small = invoice(company, unit_price="800.00")  # 928.00 with IVA

    preview = cancellation_preview(cfdi=small, viewer=owner_of(company.account), now=CANCEL_AT)
    cancellation = cancel(small)

    assert not preview.needs_acceptance
    assert any("fracción I)" in reason for reason in preview.reasons)
    assert cancellation.state == State.CANCELADA
    assert cancellation.finished_at is not None
    assert status_of(small) == Status.CANCELADO
    assert [step.state for step in cancellation.steps.all()] == [State.SOLICITADA, State.CANCELADA]


@pytest.mark.parametrize("motivo", ["02", "03", "04"])
def test_each_motive_without_substitute_cancels(company, motivo):
    small = invoice(company, unit_price="100.00")
    assert cancel(small, motivo).state == State.CANCELADA


def test_the_request_and_its_outcome_are_audited_and_the_acuse_stored(company):
    small = invoice(company, unit_price="100.00")
    owner = owner_of(company.account)

    cancellation = cancel(small, "03", actor=owner)

    requested = AuditEvent.objects.get(action=Action.CANCELLATION_REQUESTED)
    finished = AuditEvent.objects.get(action=Action.CANCELLATION_FINISHED)
    assert requested.actor == owner
    assert requested.after["motivo"] == "03"
    assert finished.after["status"] == State.CANCELADA
    assert event_sentence(requested) == (
        f"{owner.full_name} solicitó la cancelación del Ingreso A1 {small.uuid}."
    )
    assert event_sentence(finished) == f"Concluyó la cancelación del Ingreso A1 {small.uuid}."
    changes = {c.label: c.after for c in event_changes(finished)}
    assert changes["Estado"] == "Cancelada"
    with default_storage.open(cancellation.acuse_path, "rb") as handle:
        acuse = handle.read()
    assert str(small.uuid).upper().encode() in acuse
    assert b"<EstatusUUID>201</EstatusUUID>" in acuse


# --- motive 01 --------------------------------------------------------------------------------


def test_motive_01_with_a_substitute_that_relates_with_04_cancels(company):
    wrong = invoice(company, unit_price="100.00", folio="1")
    right = invoice(
        company,
        unit_price="100.00",
        folio="2",
        relations=(Relation("04", (str(wrong.uuid),)),),
    )

    cancellation = cancel(wrong, "01", folio_sustitucion=str(right.uuid).upper())

    assert cancellation.state == State.CANCELADA
    assert cancellation.folio_sustitucion == str(right.uuid)


def test_motive_01_without_a_substitute_is_refused(company):
    wrong = invoice(company, unit_price="100.00")
    with pytest.raises(ValidationError) as refused:
        cancel(wrong, "01")
    assert refused.value.error_dict["folio_sustitucion"][0].code == "folio_sustitucion_required"
    assert not Cancellation.objects.exists()


def test_motive_01_with_a_substitute_that_does_not_relate_with_04_is_refused(company):
    wrong = invoice(company, unit_price="100.00", folio="1")
    unrelated = invoice(company, unit_price="100.00", folio="2")
    with pytest.raises(ValidationError) as refused:
        cancel(wrong, "01", folio_sustitucion=str(unrelated.uuid))
    error = refused.value.error_dict["folio_sustitucion"][0]
    assert error.code == "folio_sustitucion_unrelated"
    assert "TipoRelacion 04" in error.message


def test_motive_01_with_a_substitute_outside_the_repository_is_refused(company):
    wrong = invoice(company, unit_price="100.00")
    with pytest.raises(ValidationError) as refused:
        cancel(wrong, "01", folio_sustitucion="6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
    assert refused.value.error_dict["folio_sustitucion"][0].code == "folio_sustitucion_unknown"


def test_a_substitute_on_another_motive_is_refused(company):
    wrong = invoice(company, unit_price="100.00", folio="1")
    other = invoice(company, unit_price="100.00", folio="2")
    with pytest.raises(ValidationError) as refused:
        cancel(wrong, "02", folio_sustitucion=str(other.uuid))
    assert refused.value.error_dict["folio_sustitucion"][0].code == "folio_sustitucion_not_allowed"


# --- the path with the receiver's acceptance --------------------------------------------------


def test_with_acceptance_the_request_waits_and_the_receivers_yes_cancels(company):
    big = invoice(company, unit_price="5000.00")

    cancellation = cancel(big)
    assert cancellation.state == State.EN_PROCESO
    assert cancellation.needs_acceptance
    assert status_of(big) == Status.CANCELACION_EN_PROCESO

    assert (
        cancellation_refresh(
            cancellation=cancellation, pac=at(CANCEL_AT + timedelta(hours=1))
        ).state
        == State.EN_PROCESO
    )
    sandbox_receiver_answer(str(big.uuid), accept=True, now=CANCEL_AT + timedelta(hours=2))
    refreshed = cancellation_refresh(
        cancellation=cancellation, pac=at(CANCEL_AT + timedelta(hours=3))
    )

    assert refreshed.state == State.CANCELADA
    assert status_of(big) == Status.CANCELADO


def test_the_receivers_no_leaves_the_cfdi_vigente_and_it_may_be_requested_again(company):
    big = invoice(company, unit_price="5000.00")
    cancellation = cancel(big)

    sandbox_receiver_answer(str(big.uuid), accept=False, now=CANCEL_AT + timedelta(hours=2))
    refreshed = cancellation_refresh(
        cancellation=cancellation, pac=at(CANCEL_AT + timedelta(hours=3))
    )

    assert refreshed.state == State.RECHAZADA
    assert status_of(big) == Status.VIGENTE
    finished = AuditEvent.objects.get(action=Action.CANCELLATION_FINISHED)
    assert finished.after["status"] == State.RECHAZADA


def test_without_an_answer_in_72_hours_the_sat_cancels_plazo_vencido(company):
    big = invoice(company, unit_price="5000.00")
    cancel(big)

    changed = cancellations_refresh_pending(pac=at(CANCEL_AT + timedelta(hours=73)))

    assert changed == 1
    assert Cancellation.objects.get().state == State.PLAZO_VENCIDO
    assert status_of(big) == Status.CANCELADO


def test_a_second_request_while_one_is_in_course_is_refused(company):
    big = invoice(company, unit_price="5000.00")
    cancel(big)
    with pytest.raises(ValidationError) as refused:
        cancel(Cfdi.objects.get(pk=big.pk))
    assert refused.value.code == "cancellation_open"


# --- blockers -----------------------------------------------------------------------------


def test_a_live_payment_blocks_until_it_is_cancelled(company):
    ppd = invoice(company, unit_price="500.00", ppd=True, folio="9")
    paid = payment(company, ppd, amount="580.00")

    preview = cancellation_preview(cfdi=ppd, viewer=owner_of(company.account), now=CANCEL_AT)
    assert [d.uuid for d in preview.dependents] == [paid.uuid]
    with pytest.raises(ValidationError) as refused:
        cancel(ppd)
    assert refused.value.code == "live_dependents"
    assert paid.uuid_text in refused.value.messages[0]

    cancel(paid)  # a payment is never under 1,000 by rule (fracción I excludes P)...
    paid_cancellation = Cancellation.objects.get(cfdi=paid)
    if paid_cancellation.state == State.EN_PROCESO:  # ...so its receiver accepts
        sandbox_receiver_answer(str(paid.uuid), accept=True, now=CANCEL_AT + timedelta(hours=1))
        cancellation_refresh(cancellation=paid_cancellation, pac=at(CANCEL_AT + timedelta(hours=2)))
    assert status_of(paid) == Status.CANCELADO

    later = CANCEL_AT + timedelta(hours=3)
    assert cancel(Cfdi.objects.get(pk=ppd.pk), when=later).state == State.CANCELADA


def test_a_received_cfdi_cannot_be_cancelled(company):
    # The same document stored by its receptor's company is "recibido" there.
    receptor = make_company(make_account(), rfc="URE180429TM6")
    issued = invoice(company, unit_price="100.00")
    from despacho.cfdi.selectors import cfdi_xml
    from despacho.cfdi.services import cfdi_ingest

    cfdi_ingest(company=receptor, data=cfdi_xml(issued))
    received = Cfdi.objects.get(company=receptor, uuid=issued.uuid)
    with pytest.raises(ValidationError) as refused:
        cancel(received)
    assert refused.value.code == "not_issued"


# --- who may --------------------------------------------------------------------------------


def _member(company, *perms, remove=()):
    membership = make_membership(company.account)
    make_grant(membership, company, "consulta", add=perms, remove=remove)
    return membership.user


def test_cancelar_without_ventas_does_not_see_the_document(company):
    small = invoice(company, unit_price="100.00")
    # Cancelar with Egresos only: Ventas (the issued category) is closed to them.
    member = _member(company, Perm.CANCELAR, remove=(Perm.VENTAS,))
    with pytest.raises(CfdiNotFound):
        cancel(small, actor=member)
    with pytest.raises(CfdiNotFound):
        cancellation_preview(cfdi=small, viewer=member)
    assert not Cancellation.objects.exists()


def test_ventas_without_cancelar_is_refused(company):
    small = invoice(company, unit_price="100.00")
    member = _member(company)
    with pytest.raises(CancelForbidden):
        cancel(small, actor=member)


def test_a_member_with_cancelar_and_ventas_cancels(company):
    small = invoice(company, unit_price="100.00")
    member = _member(company, Perm.CANCELAR)
    assert cancel(small, actor=member).requested_by == member


def test_another_tenants_owner_gets_not_found(company):
    small = invoice(company, unit_price="100.00")
    stranger = owner_of(make_account())
    with pytest.raises(CfdiNotFound):
        cancel(small, actor=stranger)


# --- what the PAC and SAT answer ----------------------------------------------------------


def test_a_uuid_sat_does_not_know_ends_in_error_with_sats_reason_and_stays_vigente(company):
    # Stored in the repository but never stamped by this PAC: SAT answers 205.
    unknown = issue_synthetic(company, any_rfc(), total="5000.00")

    cancellation = cancel(unknown)

    assert cancellation.state == State.ERROR
    assert cancellation.sat_code == "205"
    assert "205" in cancellation.message
    assert status_of(unknown) == Status.VIGENTE
    assert AuditEvent.objects.get(action=Action.CANCELLATION_FINISHED).after["status"] == "error"


def test_a_pac_that_does_not_answer_leaves_the_request_open_until_sats_consulta_settles_it(
    company,
):
    small = invoice(company, unit_price="100.00")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    silent = FinkokPac(base_url=f"http://127.0.0.1:{port}", username="u", password="p", timeout=2)

    cancellation = cancellation_request(
        cfdi=small, actor=owner_of(company.account), motivo="02", now=CANCEL_AT, pac=silent
    )

    assert cancellation.state == State.SOLICITADA
    assert "No fue posible conectar con el PAC" in cancellation.message
    settled = cancellation_refresh(cancellation=cancellation, pac=at(CANCEL_AT))
    assert settled.state == State.ERROR
    assert "no registró la solicitud" in settled.message
    assert status_of(small) == Status.VIGENTE
