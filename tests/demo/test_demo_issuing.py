"""The demo issues its own month: ESCUELA KEMPER URGATE's invoices, a PPD invoice paid in two
parts, a credit note, a sale to the público en general and a cancelled invoice, all through
Facturar and the sandbox PAC, and last month's nómina of its employees; the customers that
are Despacho companies receive their invoices."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from despacho.cfdi.models import Cfdi, CfdiRelation
from despacho.cfdi.parsing import parse_xml
from despacho.cfdi.selectors import cfdi_xml, ppd_balance
from despacho.demo.issuing import INVOICES
from despacho.demo.management.commands.demo import DEMO_PASSWORD
from despacho.demo.payroll import EMPLOYEES
from despacho.invoicing.models import Draft
from despacho.pac.sandbox import is_sandbox_stamp
from despacho.tenancy.models import Company
from despacho.workspace.active import SESSION_KEY as ACTIVE_COMPANY

pytestmark = pytest.mark.django_db

EKU = "EKU9003173C9"
CFDI4 = "{http://www.sat.gob.mx/cfd/4}"


@pytest.fixture
def demo(settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def issued() -> list[Cfdi]:
    drafts = Draft.objects.filter(company__rfc=EKU, status="issued").select_related("cfdi")
    return [draft.cfdi for draft in drafts if draft.cfdi is not None]


def test_the_demo_issues_a_month_of_each_tipo_through_facturar(demo):
    cfdis = issued()
    # The month's invoices, the professional services, the PPD one, the público en general
    # one and the cancelled one; two payments; one credit note.
    assert Counter(c.tipo for c in cfdis) == {"I": len(INVOICES) + 4, "P": 2, "E": 1}
    assert f"CFDI emitidos por ESCUELA KEMPER URGATE: {len(cfdis)}." in demo
    assert {c.serie for c in cfdis} == {"F", "NC", "P"}
    assert all(c.direction == "emitido" for c in cfdis)


def test_the_demo_fechas_span_the_past_month(demo):
    fechas = sorted(c.fecha for c in issued())
    assert (fechas[-1] - fechas[0]).days >= 25


def test_professional_services_are_invoiced_with_iva_and_isr_retenidos(demo):
    """Honorarios to a persona moral: IVA 16 % trasladado, two thirds of it (10.6667 %) and
    10 % of ISR retenidos, per concepto and in the comprobante's totals."""
    [cfdi] = [c for c in issued() if c.isr_retenido or c.iva_retenido]
    root = parse_xml(cfdi_xml(cfdi))
    [concepto] = root.iter(f"{CFDI4}Concepto")
    assert concepto.get("Descripcion") == "Asesoría profesional en gestión escolar"
    retenciones = {
        r.get("Impuesto"): (r.get("TasaOCuota"), r.get("Importe"))
        for r in concepto.iter(f"{CFDI4}Retencion")
    }
    assert retenciones == {"002": ("0.106667", "1600.01"), "001": ("0.100000", "1500.00")}
    impuestos = root.find(f"{CFDI4}Impuestos")
    assert impuestos.get("TotalImpuestosTrasladados") == "2400.00"
    assert impuestos.get("TotalImpuestosRetenidos") == "3100.01"
    # 15,000 + 2,400 − 1,600.01 − 1,500
    assert root.get("Total") == "14299.99" and cfdi.total == Decimal("14299.99")
    assert (cfdi.isr_retenido, cfdi.iva_retenido) == (Decimal("1500"), Decimal("1600.01"))
    assert cfdi.receptor_rfc == "KIJ0906199R1" and cfdi.status == "vigente"


def test_one_invoice_is_cancelled_with_motive_02(demo):
    cancelled = [c for c in issued() if c.status == "cancelado"]
    assert len(cancelled) == 1
    assert cancelled[0].cancellations.get().motivo == "02"


def test_the_ppd_invoice_is_paid_in_full_by_two_partial_payments(demo):
    eku = Company.objects.get(rfc=EKU)
    ppd = next(c for c in issued() if c.metodo_pago == "PPD")
    assert ppd_balance(company=eku, uuid=ppd.uuid) == Decimal("0.00")
    payments = CfdiRelation.objects.filter(related_uuid=ppd.uuid, company=eku, cfdi__tipo="P")
    assert sorted(payments.values_list("num_parcialidad", flat=True)) == [1, 2]


def test_the_credit_note_relates_its_invoice_with_tipo_relacion_01(demo):
    note = next(c for c in issued() if c.tipo == "E")
    relation = CfdiRelation.objects.get(cfdi=note)
    assert relation.tipo_relacion == "01"
    assert Cfdi.objects.filter(company=note.company, uuid=relation.related_uuid, tipo="I").exists()


def test_the_sale_to_the_publico_en_general_is_issued(demo):
    assert sum(1 for c in issued() if c.receptor_rfc == "XAXX010101000") == 1


def test_customers_that_are_despacho_companies_receive_their_copies(demo):
    for rfc in ("KIJ0906199R1", "H&E951128469", "ISD950921HE5"):
        sent = {c.uuid for c in issued() if c.receptor_rfc == rfc}
        received = Cfdi.objects.filter(company__rfc=rfc, direction="recibido", emisor_rfc=EKU)
        assert sent and set(received.values_list("uuid", flat=True)) == sent, rfc
    kij = Cfdi.objects.filter(company__rfc="KIJ0906199R1", category="egresos", emisor_rfc=EKU)
    assert set(kij.values_list("tipo", flat=True)) == {"I", "P", "E"}


def test_running_the_demo_again_issues_nothing_more(demo):
    before = (Cfdi.objects.count(), Draft.objects.count())
    call_command("demo", stdout=StringIO())
    assert (Cfdi.objects.count(), Draft.objects.count()) == before


def test_the_auxiliar_de_ventas_opens_facturar_for_escuela_kemper_urgate(demo, client):
    client.login(username="ventas@demo.despacho.mx", password=DEMO_PASSWORD)
    session = client.session
    session[ACTIVE_COMPANY] = Company.objects.get(rfc=EKU).pk
    session.save()
    response = client.get(reverse("invoicing:home"))
    assert response.status_code == 200
    assert "ESCUELA KEMPER URGATE" in response.content.decode()


def test_the_demo_issues_last_months_nomina_through_the_sandbox(demo):
    nominas = Cfdi.objects.filter(company__rfc=EKU, tipo="N", direction="emitido")
    issued_now = nominas.filter(serie="N")
    assert issued_now.count() == len(EMPLOYEES)
    assert f"Recibos de nómina de ESCUELA KEMPER URGATE: {len(EMPLOYEES)}." in demo
    assert {c.receptor_rfc for c in issued_now} == {e.rfc for e, _ in EMPLOYEES}
    assert all(c.category == "nomina" for c in issued_now)
    for cfdi in issued_now:
        assert is_sandbox_stamp(cfdi_xml(cfdi))
        assert cfdi.total == cfdi.subtotal - cfdi.descuento
        assert cfdi.subtotal == cfdi.total_percepciones + (cfdi.total_otros_pagos or 0)
        assert cfdi.descuento == cfdi.total_deducciones
    # The real sample stays, and nómina is not drafted.
    assert nominas.exclude(serie="N").count() == 1
    assert not Draft.objects.filter(tipo="N").exists()
