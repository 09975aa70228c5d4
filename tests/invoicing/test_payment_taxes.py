"""Payment complements carry the taxes of the invoices they pay (Pagos 2.0, ObjetoImpDR 02).

A P draft's paid document takes its ImpuestosDR from the repository's copy of the paid
invoice, each base prorated by ImpPagado / Total (SAT's Guía de llenado del complemento de
pagos); ObjetoImpDR defaults to 02 when that invoice had taxes and to 01 when it had none.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage

from despacho.cfdi.models import Cfdi
from despacho.cfdi.parsing import parse_xml
from despacho.customers.models import Customer
from despacho.invoicing.amounts import PaymentsAmounts, document_amounts
from despacho.invoicing.assemble import document_of
from despacho.invoicing.models import Draft
from despacho.invoicing.services.issue import draft_issue
from despacho.invoicing.specs import ConceptSpec, PaymentDocumentSpec, PaymentSpec
from despacho.invoicing.xmlbuild import validate_against_xsd
from despacho.products.models import Factor, LineKind, Tax
from despacho.products.services import LineSpec
from despacho.tenancy.models import Company
from tests.factories import owner_of
from tests.invoicing.helpers import IVA16, concept
from tests.invoicing.issuing import customer_of, issuing_company, ready_draft, sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]
__all__ = ["sandbox"]

MEXICO = ZoneInfo("America/Mexico_City")
CFDI = "{http://www.sat.gob.mx/cfd/4}"
PAGO20 = "{http://www.sat.gob.mx/Pagos20}"
RET_IVA = LineSpec(LineKind.RETENCION, Tax.IVA, Factor.TASA, Decimal("0.106667"))
CENT = Decimal("0.01")


def _xml(cfdi: Cfdi) -> bytes:
    with default_storage.open(cfdi.xml_path, "rb") as handle:
        return handle.read()


def _issue(company, **changes) -> tuple[Cfdi, Draft]:
    draft = ready_draft(company, **changes)
    cfdi = draft_issue(draft=draft, actor=owner_of(company.account))
    return cfdi, Draft.objects.get(pk=draft.pk)


def _pay(company, customer, invoice: Cfdi, number: int, saldo: Decimal, pagado: Decimal):
    payment = PaymentSpec(
        fecha_pago=datetime(2026, 2, number, 12, tzinfo=MEXICO),
        forma_pago="03",
        monto=pagado,
        documents=(PaymentDocumentSpec(invoice.uuid_text, number, saldo, pagado),),
    )
    return _issue(company, tipo="P", customer=customer, forma_pago="", metodo_pago="",
                  uso_cfdi="CP01", moneda="XXX", concepts=(), payments=(payment,))  # fmt: skip


def _engine(draft: Draft) -> PaymentsAmounts:
    amounts = document_amounts(document_of(draft, fecha=draft.updated_at)).payments
    assert amounts is not None
    return amounts


def _dec(node, name: str) -> Decimal:
    return Decimal(node.get(name))


def _ppd_invoice(*concepts: ConceptSpec) -> tuple[Company, Customer, Cfdi]:
    company = issuing_company()
    customer = customer_of(company)
    invoice, _ = _issue(
        company, customer=customer, forma_pago="99", metodo_pago="PPD", concepts=concepts
    )
    return company, customer, invoice


def test_a_ppd_invoice_with_iva_and_retencion_paid_in_two_parts_carries_its_taxes_per_payment():
    company, customer, invoice = _ppd_invoice(
        concept(cantidad=Decimal("3"), valor_unitario=Decimal("1234.57"), taxes=(IVA16, RET_IVA)),
        concept(descripcion="Asesoría fiscal", valor_unitario=Decimal("987.65")),
    )
    invoice_root = parse_xml(_xml(invoice))
    invoice_base = sum(
        _dec(node, "Base")
        for node in invoice_root.iterfind(f"{CFDI}Impuestos/{CFDI}Traslados/{CFDI}Traslado")
    )
    retained_base = 3 * Decimal("1234.57")  # the first concepto carries the retención
    first_paid = (invoice.total * Decimal("0.37")).quantize(CENT)
    paid = [first_paid, invoice.total - first_paid]

    bases = Decimal(0)
    retention_bases = Decimal(0)
    saldo = invoice.total
    for number, pagado in enumerate(paid, start=1):
        cfdi, draft = _pay(company, customer, invoice, number, saldo, pagado)
        saldo -= pagado
        data = _xml(cfdi)
        validate_against_xsd(data)  # SAT's XSD, Pagos 2.0 included
        root = parse_xml(data)
        engine = _engine(draft)
        payment = engine.payments[0]

        docto = root.find(f".//{PAGO20}DoctoRelacionado")
        assert docto.get("ObjetoImpDR") == "02"
        traslado_dr = docto.find(f"{PAGO20}ImpuestosDR/{PAGO20}TrasladosDR/{PAGO20}TrasladoDR")
        retencion_dr = docto.find(f"{PAGO20}ImpuestosDR/{PAGO20}RetencionesDR/{PAGO20}RetencionDR")
        share = pagado / invoice.total
        assert abs(_dec(traslado_dr, "BaseDR") - invoice_base * share) <= CENT
        assert abs(_dec(retencion_dr, "BaseDR") - retained_base * share) <= CENT
        bases += _dec(traslado_dr, "BaseDR")
        retention_bases += _dec(retencion_dr, "BaseDR")

        # ImpuestosP and Totales are the engine's amounts.
        traslado_p = root.find(f".//{PAGO20}ImpuestosP/{PAGO20}TrasladosP/{PAGO20}TrasladoP")
        retencion_p = root.find(f".//{PAGO20}ImpuestosP/{PAGO20}RetencionesP/{PAGO20}RetencionP")
        (traslado,) = payment.traslados
        (retencion,) = payment.retenciones
        assert (_dec(traslado_p, "BaseP"), _dec(traslado_p, "ImporteP")) == (
            traslado.base,
            traslado.importe,
        )
        assert _dec(retencion_p, "ImporteP") == retencion.importe
        totales = root.find(f".//{PAGO20}Totales")
        written = {name: Decimal(value) for name, value in totales.attrib.items()}
        assert written == engine.totales
        assert written["TotalTrasladosBaseIVA16"] == _dec(traslado_dr, "BaseDR")
        assert written["TotalRetencionesIVA"] == retencion.importe

    # Over both payments the whole base was paid, within one cent of rounding per payment.
    assert abs(bases - invoice_base) <= CENT * len(paid)
    assert abs(retention_bases - retained_base) <= CENT * len(paid)


def test_paying_an_invoice_without_taxes_states_objeto_imp_dr_01_and_no_taxes():
    company, customer, invoice = _ppd_invoice(concept(objeto_imp="01", taxes=()))
    cfdi, draft = _pay(company, customer, invoice, 1, invoice.total, Decimal("400.00"))
    root = parse_xml(_xml(cfdi))
    docto = root.find(f".//{PAGO20}DoctoRelacionado")
    assert docto.get("ObjetoImpDR") == "01"
    assert docto.find(f"{PAGO20}ImpuestosDR") is None
    assert root.find(f".//{PAGO20}ImpuestosP") is None
    assert not _engine(draft).payments[0].traslados
