"""Every stored CFDI of a company that keeps its accounts here becomes its póliza, by the
company's rules: sales and expenses, IVA pending until a PPD invoice is paid, payroll, the
customer's and supplier's sub-accounts, a reversal when it is cancelled, never twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from despacho.accounting.models import Account, Poliza, PolizaBalance, Source
from despacho.accounting.posting import cfdis_post, period_regenerate
from despacho.accounting.services import period_close, rules_update
from despacho.cancellations.signals import cfdi_status_mirrored
from despacho.cfdi.models import Cfdi
from tests.accounting.helpers import acct, chart_company, movements_of, pago_complement, ppd
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml, impuestos_xml, nomina_xml
from tests.factories import make_account, make_company

pytestmark = pytest.mark.django_db

CUSTOMER = "KIJ0906199R1"
SUPPLIER = "EKU9003173C9"
D = Decimal


def _poliza(cfdi: Cfdi, source: str = Source.CFDI) -> Poliza:
    return Poliza.objects.get(cfdi=cfdi, source=source)


def _issued(company, **kw):
    return cfdi_xml(
        emisor=company.rfc,
        receptor=CUSTOMER,
        receptor_nombre="KIJ SA DE CV",
        impuestos=impuestos_xml(iva=kw.pop("iva", "16.00")),
        **kw,
    )


def test_an_issued_invoice_charges_the_customers_own_sub_account_against_sales_and_iva(store):
    company = chart_company()
    invoice = store(company, _issued(company))
    customer = Account.objects.get(company=company, counterpart_rfc=CUSTOMER)
    assert (customer.code, customer.parent.code, customer.name) == (
        "105.01.0001",
        "105.01",
        "KIJ SA DE CV",
    )
    assert customer.codigo_agrupador == "105.01" and customer.level == 3
    poliza = _poliza(invoice)
    assert poliza.tipo == "3" and poliza.fecha == date(2026, 1, 15)
    assert movements_of(poliza) == [
        ("105.01.0001", D("116.00"), D(0)),
        ("401.01", D(0), D("100.00")),
        ("208.01", D(0), D("16.00")),
    ]
    # Each movement carries the CFDI it is backed by (CompNal).
    refs = {
        (str(r.uuid), r.rfc, r.monto_total) for m in poliza.movements.all() for r in m.cfdis.all()
    }
    assert refs == {(str(invoice.uuid), CUSTOMER, D("116.00"))}
    second = store(company, _issued(company, folio="2"))
    assert movements_of(_poliza(second))[0][0] == "105.01.0001"  # the same sub-account


def test_a_ppd_invoice_keeps_its_iva_pending_until_its_payment_moves_it(store):
    company = chart_company()
    invoice = store(
        company, ppd(_issued(company, total="1160.00", subtotal="1000.00", iva="160.00"))
    )
    assert ("209.01", D(0), D("160.00")) in movements_of(_poliza(invoice))
    payment = store(
        company,
        cfdi_xml(
            emisor=company.rfc,
            receptor=CUSTOMER,
            tipo="P",
            total="0",
            subtotal="0",
            moneda="XXX",
            folio="P1",
            fecha="2026-02-10T12:00:00",
            complement=pago_complement(
                invoice=str(invoice.uuid), pagado="580.00", saldo_ant="1160.00"
            ),
        ),
    )
    poliza = _poliza(payment)
    assert poliza.tipo == "1"  # ingreso
    assert movements_of(poliza) == [
        ("102.01", D("580.00"), D(0)),
        ("105.01.0001", D(0), D("580.00")),
        ("209.01", D("80.00"), D(0)),
        ("208.01", D(0), D("80.00")),
    ]
    iva_line = poliza.movements.get(line=3)
    assert {str(r.uuid) for r in iva_line.cfdis.all()} == {str(payment.uuid), str(invoice.uuid)}


def test_a_received_invoice_with_withholdings_credits_the_supplier_and_what_we_owe_sat(store):
    company = chart_company()
    bill = store(
        company,
        cfdi_xml(
            emisor=SUPPLIER,
            receptor=company.rfc,
            emisor_nombre="ESCUELA KEMPER URGATE",
            total="953.33",
            subtotal="1000.00",
            impuestos=impuestos_xml(iva="160.00", isr_ret="100.00", iva_ret="106.67"),
        ),
    )
    assert movements_of(_poliza(bill)) == [
        ("601.84", D("1000.00"), D(0)),
        ("118.01", D("160.00"), D(0)),
        ("216.04", D(0), D("100.00")),
        ("216.10", D(0), D("106.67")),
        ("201.01.0001", D(0), D("953.33")),
    ]
    assert Account.objects.get(code="201.01.0001", company=company).counterpart_rfc == SUPPLIER


def test_a_credit_note_reverses_the_sale_on_returns(store):
    company = chart_company()
    note = store(company, _issued(company, tipo="E", folio="NC1"))
    assert movements_of(_poliza(note)) == [
        ("105.01.0001", D(0), D("116.00")),
        ("402.01", D("100.00"), D(0)),
        ("208.01", D("16.00"), D(0)),
    ]


def test_payroll_charges_salaries_against_deductions_and_the_bank(store):
    company = chart_company()
    receipt = store(
        company,
        cfdi_xml(
            emisor=company.rfc,
            receptor="XOJI740919U48",
            tipo="N",
            total="8500.00",
            subtotal="10000.00",
            complement=nomina_xml(percepciones="10000.00", deducciones="1500.00"),
        ),
    )
    poliza = _poliza(receipt)
    assert poliza.tipo == "2"  # egreso
    assert movements_of(poliza) == [
        ("601.01", D("10000.00"), D(0)),
        ("216.01", D(0), D("1500.00")),
        ("102.01", D(0), D("8500.00")),
    ]


def test_foreign_currency_posts_in_pesos_at_the_cfdis_exchange_rate(store):
    company = chart_company()
    invoice = store(company, _issued(company, moneda="USD", tipo_cambio="17.2512"))
    assert movements_of(_poliza(invoice)) == [
        ("105.01.0001", D("2001.14"), D(0)),
        ("401.01", D(0), D("1725.12")),
        ("208.01", D(0), D("276.02")),
    ]


def test_a_cancelled_cfdi_gets_its_reversal_and_posting_again_doubles_nothing(store):
    company = chart_company()
    invoice = store(company, _issued(company))
    Cfdi.objects.filter(pk=invoice.pk).update(status="cancelado")
    summary = cfdis_post(company=company, cfdi_ids=[invoice.pk])
    assert (summary.posted, summary.reversed, summary.unchanged) == (0, 1, 1)
    reversal = _poliza(invoice, Source.REVERSAL)
    assert movements_of(reversal) == [
        ("105.01.0001", D(0), D("116.00")),
        ("401.01", D("100.00"), D(0)),
        ("208.01", D("16.00"), D(0)),
    ]
    assert reversal.concepto.startswith("Cancelación: ")
    again = cfdis_post(company=company, cfdi_ids=[invoice.pk])
    assert (again.posted, again.reversed) == (0, 0)
    assert Poliza.objects.filter(cfdi=invoice).count() == 2


def test_a_cancellation_mirrored_on_an_issued_cfdi_reverses_its_poliza(
    store, django_capture_on_commit_callbacks
):
    company = chart_company()
    invoice = store(company, _issued(company))
    with django_capture_on_commit_callbacks(execute=True):
        Cfdi.objects.filter(pk=invoice.pk).update(status="cancelado")
        invoice.refresh_from_db()
        cfdi_status_mirrored.send(sender=Cfdi, cfdi=invoice, at=timezone.now())
    assert Poliza.objects.filter(cfdi=invoice, source=Source.REVERSAL).count() == 1


def test_a_traslado_posts_nothing_and_a_company_without_chart_is_left_alone(store):
    company = chart_company()
    traslado = store(
        company, cfdi_xml(emisor=company.rfc, receptor=CUSTOMER, tipo="T", total="0", subtotal="0")
    )
    assert not Poliza.objects.filter(cfdi=traslado).exists()
    plain = make_company(make_account(), rfc=any_rfc())
    invoice = store(plain, _issued(plain))
    assert not Poliza.objects.filter(cfdi=invoice).exists()
    assert cfdis_post(company=plain, cfdi_ids=[invoice.pk]).posted == 0


def test_a_cfdi_of_a_closed_month_is_reported_and_not_posted(store):
    company = chart_company()
    period_close(company=company, actor=None, month=date(2026, 1, 1))
    invoice = store(company, _issued(company))
    assert not Poliza.objects.filter(cfdi=invoice).exists()
    summary = cfdis_post(company=company, cfdi_ids=[invoice.pk])
    assert summary.closed == [str(invoice.uuid)]


def test_regenerating_an_open_month_applies_changed_rules_without_doubling(store):
    company = chart_company()
    invoice = store(company, _issued(company))
    rules_update(company=company, actor=None, accounts={"ventas": acct(company, "401.04")})
    summary = period_regenerate(company=company, actor=None, month=date(2026, 1, 1))
    assert summary.posted == 1
    assert ("401.04", D(0), D("100.00")) in movements_of(_poliza(invoice))
    assert Poliza.objects.filter(company=company).count() == 1
    assert PolizaBalance.objects.filter(key=_poliza(invoice).key).exists()


def test_a_closed_month_cannot_be_regenerated():
    company = chart_company()
    period_close(company=company, actor=None, month=date(2026, 1, 1))
    with pytest.raises(ValidationError) as refusal:
        period_regenerate(company=company, actor=None, month=date(2026, 1, 1))
    assert refusal.value.error_dict["fecha"][0].code == "period_closed"
    assert "2026-01 está cerrado" in refusal.value.messages[0]
