"""The relations index: who points at an invoice (payments, credit notes), its PPD balance."""

from __future__ import annotations

import io
import uuid as uuid_module
from decimal import Decimal

import pytest
from cfdi_samples import INGRESO_HE, PAGO_HE, SAMPLE_UUIDS, any_rfc, cfdi_xml, company_with_rfc
from cfdi_samples import sample as sample_bytes
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from despacho.cfdi.models import Cfdi, CfdiRelation, RelationKind, Status
from despacho.cfdi.selectors import CfdiNotFound, live_dependents, ppd_balance
from despacho.cfdi.services import Outcome, cfdi_ingest, cfdi_ingest_files

pytestmark = pytest.mark.django_db

CUSTOMER = "KIJ0906199R1"


def pago_complement(*, invoice: str, parcialidad: int, saldo_ant: str, pagado: str) -> str:
    insoluto = Decimal(saldo_ant) - Decimal(pagado)
    return (
        '<pago20:Pagos xmlns:pago20="http://www.sat.gob.mx/Pagos20" Version="2.0">'
        f'<pago20:Totales MontoTotalPagos="{pagado}"/>'
        f'<pago20:Pago FechaPago="2026-02-01T12:00:00" FormaDePagoP="03" MonedaP="MXN" '
        f'Monto="{pagado}">'
        f'<pago20:DoctoRelacionado IdDocumento="{invoice.upper()}" MonedaDR="MXN" '
        f'EquivalenciaDR="1" NumParcialidad="{parcialidad}" ImpSaldoAnt="{saldo_ant}" '
        f'ImpPagado="{pagado}" ImpSaldoInsoluto="{insoluto}" ObjetoImpDR="01"/>'
        "</pago20:Pago></pago20:Pagos>"
    )


def pago(emisor: str, **payment: object) -> bytes:
    """A Pago (tipo P) of ``emisor`` with one payment to one invoice (see pago_complement)."""
    return cfdi_xml(
        emisor=emisor,
        receptor=CUSTOMER,
        tipo="P",
        total="0",
        subtotal="0",
        moneda="XXX",
        complement=pago_complement(**payment),  # type: ignore[arg-type]
    )


def relacionados(tipo_relacion: str, *uuids: str) -> str:
    return (
        f'<cfdi:CfdiRelacionados TipoRelacion="{tipo_relacion}">'
        + "".join(f'<cfdi:CfdiRelacionado UUID="{u}"/>' for u in uuids)
        + "</cfdi:CfdiRelacionados>"
    )


def with_relations(xml: bytes, nodes: str) -> bytes:
    """CfdiRelacionados go first among the Comprobante's children (before Emisor)."""
    return xml.replace(b"<cfdi:Emisor ", nodes.encode() + b"<cfdi:Emisor ", 1)


def ingest(company, data: bytes) -> str:
    outcome = cfdi_ingest(company=company, data=data)
    assert outcome.status == Outcome.ACCEPTED, outcome
    return outcome.uuid


def issuer():
    return company_with_rfc(any_rfc())


def test_the_real_payment_sample_pays_the_real_invoice_in_full():
    company = company_with_rfc("H&E951128469")
    invoice = ingest(company, sample_bytes(INGRESO_HE))
    assert ppd_balance(company=company, uuid=invoice) == Decimal("17852.75")
    payment = ingest(company, sample_bytes(PAGO_HE))

    relation = CfdiRelation.objects.get(cfdi__uuid=payment)
    assert relation.kind == RelationKind.PAGO
    assert str(relation.related_uuid) == SAMPLE_UUIDS[INGRESO_HE]
    assert (relation.num_parcialidad, relation.moneda_dr) == (1, "MXN")
    assert relation.imp_saldo_ant == relation.imp_pagado == Decimal("17852.75")
    assert relation.imp_saldo_insoluto == Decimal(0)
    assert ppd_balance(company=company, uuid=invoice) == Decimal(0)
    assert [str(c.uuid) for c in live_dependents(company=company, uuid=invoice)] == [payment]


def test_two_partial_payments_leave_the_balance_their_last_saldo_insoluto():
    company = issuer()
    invoice = ingest(company, cfdi_xml(emisor=company.rfc, receptor=CUSTOMER, total="1000.00"))
    first = pago(company.rfc, invoice=invoice, parcialidad=1, saldo_ant="1000", pagado="400")
    second = pago(company.rfc, invoice=invoice, parcialidad=2, saldo_ant="600", pagado="250")
    ingest(company, first)
    assert ppd_balance(company=company, uuid=invoice) == Decimal("600")
    ingest(company, second)
    assert ppd_balance(company=company, uuid=invoice) == Decimal("350")
    assert len(live_dependents(company=company, uuid=invoice)) == 2


def test_a_cancelled_payment_no_longer_counts_nor_blocks():
    company = issuer()
    invoice = ingest(company, cfdi_xml(emisor=company.rfc, receptor=CUSTOMER, total="500.00"))
    payment = ingest(
        company,
        pago(company.rfc, invoice=invoice, parcialidad=1, saldo_ant="500", pagado="500"),
    )
    Cfdi.objects.filter(uuid=payment).update(status=Status.CANCELACION_EN_PROCESO)
    assert ppd_balance(company=company, uuid=invoice) == Decimal(0)  # not cancelled yet
    Cfdi.objects.filter(uuid=payment).update(status=Status.CANCELADO)
    assert ppd_balance(company=company, uuid=invoice) == Decimal("500")
    assert live_dependents(company=company, uuid=invoice) == []


def test_a_credit_note_is_a_dependent_and_a_substitution_is_not():
    company = issuer()
    invoice = ingest(company, cfdi_xml(emisor=company.rfc, receptor=CUSTOMER))
    credit_note = ingest(
        company,
        with_relations(
            cfdi_xml(emisor=company.rfc, receptor=CUSTOMER, tipo="E"), relacionados("01", invoice)
        ),
    )
    ingest(
        company,
        with_relations(
            cfdi_xml(emisor=company.rfc, receptor=CUSTOMER), relacionados("04", invoice)
        ),
    )
    relation = CfdiRelation.objects.get(cfdi__uuid=credit_note)
    assert (relation.kind, relation.tipo_relacion) == (RelationKind.RELACIONADO, "01")
    assert [str(c.uuid) for c in live_dependents(company=company, uuid=invoice)] == [credit_note]
    # A credit note does not pay: the PPD balance reads payments only.
    assert ppd_balance(company=company, uuid=invoice) == Decimal("116.00")


def test_each_cfdi_relacionados_node_of_a_cfdi_40_is_indexed_with_its_tipo_relacion():
    company = issuer()
    one, two = str(uuid_module.uuid4()), str(uuid_module.uuid4())
    note = ingest(
        company,
        with_relations(
            cfdi_xml(emisor=company.rfc, receptor=CUSTOMER, tipo="E"),
            relacionados("01", one) + relacionados("07", two),
        ),
    )
    found = set(
        CfdiRelation.objects.filter(cfdi__uuid=note).values_list("tipo_relacion", "related_uuid")
    )
    assert found == {("01", uuid_module.UUID(one)), ("07", uuid_module.UUID(two))}


def test_relations_are_scoped_by_company():
    company, other = issuer(), issuer()
    invoice = ingest(company, cfdi_xml(emisor=company.rfc, receptor=CUSTOMER, total="300.00"))
    # Another company's payment naming the same UUID does not touch this company's balance.
    ingest(
        other,
        pago(other.rfc, invoice=invoice, parcialidad=1, saldo_ant="300", pagado="300"),
    )
    assert ppd_balance(company=company, uuid=invoice) == Decimal("300.00")
    assert live_dependents(company=company, uuid=invoice) == []
    with pytest.raises(CfdiNotFound):
        ppd_balance(company=other, uuid=invoice)
    with pytest.raises(CfdiNotFound):
        ppd_balance(company=company, uuid="not-a-uuid")


def test_a_batch_indexes_its_relations_in_one_insert():
    company = issuer()
    invoice = str(uuid_module.uuid4())
    files = [
        (
            f"pago{n}.xml",
            io.BytesIO(
                pago(company.rfc, invoice=invoice, parcialidad=n, saldo_ant="100", pagado="10")
            ),
        )
        for n in range(1, 6)
    ]
    with CaptureQueriesContext(connection) as queries:
        report = cfdi_ingest_files(company=company, files=files)
    assert report.counts[Outcome.ACCEPTED] == 5
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "cfdi_cfdirelation"')]
    assert len(inserts) == 1
    assert CfdiRelation.objects.filter(company=company, related_uuid=invoice).count() == 5


def test_reindex_fills_the_index_for_documents_stored_before_it_existed():
    company = company_with_rfc("H&E951128469")
    ingest(company, sample_bytes(INGRESO_HE))
    payment = ingest(company, sample_bytes(PAGO_HE))
    CfdiRelation.objects.all().delete()  # as if stored before the index existed

    call_command("cfdi_reindex", stdout=io.StringIO())

    relation = CfdiRelation.objects.get()
    assert str(relation.cfdi.uuid) == payment
    assert ppd_balance(company=company, uuid=SAMPLE_UUIDS[INGRESO_HE]) == Decimal(0)
    call_command("cfdi_reindex", stdout=io.StringIO())  # again: replaced, not doubled
    assert CfdiRelation.objects.count() == 1
