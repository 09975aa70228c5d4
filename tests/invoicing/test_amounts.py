"""The amounts of a CFDI 4.0, as Anexo 20 computes them and a PAC checks them."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from despacho.invoicing.amounts import (
    TaxTotal,
    amounts_check,
    document_amounts,
    importe_limits,
    invoice_amounts,
    payment_balance,
    payments_amounts,
    prorated_document_taxes,
    tax_limits,
)
from despacho.invoicing.documents import Concept, Document, DocumentTax, Payment, TaxLine
from tests.invoicing.samples import (
    IEPS_8,
    IEPS_265,
    IVA0,
    IVA8,
    IVA16,
    IVA_EXENTO,
    RET_ISR_10,
    RET_ISR_RESICO,
    RET_IVA,
    concept,
    header,
    issuer,
    paid_document,
    receiver,
)

D = Decimal
UUID_A = "11111111-2222-4333-8444-555555555555"
UUID_B = "66666666-7777-4888-9999-aaaaaaaaaaaa"

# The tax combinations a concept may carry (c_TasaOCuota's usual rows).
TAX_SETS = (
    (IVA16,),
    (IVA8,),
    (IVA0,),
    (IVA_EXENTO,),
    (IVA16, IEPS_265),
    (IVA16, IEPS_8),
    (IVA16, RET_IVA, RET_ISR_10),
    (IVA16, RET_ISR_RESICO),
    (),
)


def _messages(caught: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return caught.value.messages


def test_importe_is_quantity_times_unit_value_rounded_half_up():
    amounts = invoice_amounts(
        concepts=(concept("10.333333", "2.5", IVA16), concept("0.125", "1")), moneda="MXN"
    )
    assert [c.importe for c in amounts.concepts] == [D("25.83"), D("0.13")]
    assert amounts.subtotal == D("25.96")


def test_each_tax_is_base_times_rate_rounded_half_up_on_the_discounted_base():
    amounts = invoice_amounts(
        concepts=(concept("1.50", "1", IEPS_265, descuento="0.50"),), moneda="MXN"
    )
    (computed,) = amounts.concepts
    assert computed.base == D("1.00")
    # 0.265 exactly: half up gives 0.27 (Python's round, half-even, would give 0.26).
    assert computed.taxes[0].importe == D("0.27")


def test_exento_carries_no_importe_and_no_total_of_traslados():
    amounts = invoice_amounts(concepts=(concept("100", "1", IVA_EXENTO),), moneda="MXN")
    assert amounts.concepts[0].taxes[0].importe is None
    assert amounts.traslados[0].base == D("100.00")
    assert amounts.total_traslados is None
    assert amounts.total == D("100.00")


def test_traslados_group_by_tax_factor_and_rate_and_retenciones_by_tax():
    amounts = invoice_amounts(
        concepts=(
            concept("100", "1", IVA16, RET_IVA, RET_ISR_10),
            concept("50", "2", IVA16, RET_ISR_RESICO),
            concept("10", "1", IVA8),
        ),
        moneda="MXN",
    )
    traslados = {(t.impuesto, t.tasa_o_cuota): (t.base, t.importe) for t in amounts.traslados}
    assert traslados == {
        ("002", D("0.160000")): (D("200.00"), D("32.00")),
        ("002", D("0.080000")): (D("10.00"), D("0.80")),
    }
    retenciones = {t.impuesto: t.importe for t in amounts.retenciones}
    assert retenciones == {"002": D("10.67"), "001": D("11.25")}
    assert amounts.total == D("210.00") + D("32.80") - D("21.92")


def test_totals_are_subtotal_minus_discount_plus_traslados_minus_retenciones():
    amounts = invoice_amounts(
        concepts=(concept("1000", "1", IVA16, RET_ISR_10, descuento="100"),), moneda="MXN"
    )
    assert (amounts.subtotal, amounts.descuento) == (D("1000.00"), D("100.00"))
    assert (amounts.total_traslados, amounts.total_retenciones) == (D("144.00"), D("90.00"))
    assert amounts.total == D("954.00")


def test_sat_limits_of_a_tax_importe():
    assert tax_limits(base=D("100.00"), rate=D("0.16"), decimals=2) == (D("15.99"), D("16.01"))
    assert importe_limits(cantidad=D("2.5"), valor_unitario=D("10.333333"), decimals=2) == (
        D("25.31"),  # 2.45 × 10.3333325, truncated
        D("26.36"),  # (2.55 − 10⁻¹²) × (10.3333335 − 10⁻¹²), rounded up
    )


def test_an_importe_outside_sats_limits_is_refused_as_a_pac_would():
    amounts = invoice_amounts(concepts=(concept("100", "1", IVA16),), moneda="MXN")
    computed = amounts.concepts[0]
    wrong_tax = dataclasses.replace(computed.taxes[0], importe=D("16.05"))
    forged = dataclasses.replace(
        amounts, concepts=(dataclasses.replace(computed, taxes=(wrong_tax,)),)
    )
    with pytest.raises(ValidationError) as caught:
        amounts_check(forged)
    assert _messages(caught) == [
        "Concepto 1, Importe del impuesto 002: 16.05 está fuera de los límites 15.99–16.01."
    ]
    assert caught.value.error_list[0].code == "tax_out_of_limits"


@pytest.mark.parametrize(
    ("bad", "code", "says"),
    [
        (
            concept("100", "1", objeto_imp="02"),
            "objeto_02_without_taxes",
            "Concepto 1, Objeto de impuesto: «02» (sí objeto de impuesto) requiere desglosar "
            "al menos un impuesto.",
        ),
        (
            concept("100", "1", IVA16, objeto_imp="01"),
            "taxes_without_objeto_02",
            "Concepto 1, Objeto de impuesto: solo «02» (sí objeto de impuesto) desglosa "
            "impuestos; este concepto es «01».",
        ),
        (
            concept("100", "1", descuento="100.01"),
            "descuento_over_importe",
            "Concepto 1, Descuento: no puede ser mayor que el importe (100.00).",
        ),
        (
            concept("100", "1", IVA16, descuento="100"),
            "base_not_positive",
            "Concepto 1, Descuento: un concepto con impuestos necesita una base mayor que cero "
            "(importe menos descuento).",
        ),
        (
            concept("100", "0"),
            "cantidad_not_positive",
            "Concepto 1, Cantidad: debe ser mayor que cero.",
        ),
        (
            concept("100", "1", descuento="1.005"),
            "amount_decimals",
            "Concepto 1, Descuento: admite hasta 2 decimales en esta moneda.",
        ),
    ],
)
def test_each_refusal_names_the_concept_the_field_and_the_rule(bad, code, says):
    with pytest.raises(ValidationError) as caught:
        invoice_amounts(concepts=(bad,), moneda="MXN")
    assert caught.value.code == code
    assert _messages(caught) == [says]


def test_an_unknown_currency_is_refused():
    with pytest.raises(ValidationError) as caught:
        invoice_amounts(concepts=(concept(),), moneda="ZZZ")
    assert _messages(caught) == ["Moneda: ZZZ no está en el catálogo c_Moneda del SAT."]


# Pagos 2.0


def test_the_balance_after_a_payment_is_the_previous_balance_minus_the_paid_amount():
    assert payment_balance(imp_saldo_ant=D("1160.00"), imp_pagado=D("500.00")) == D("660.00")
    assert payment_balance(imp_saldo_ant=D("660.00"), imp_pagado=D("660.00")) == D("0.00")


@pytest.mark.parametrize(
    ("paid", "code", "says"),
    [
        (
            "660.01",
            "imp_pagado_over_balance",
            "Documento 1, Importe pagado: 660.01 es mayor que el saldo pendiente (660.00).",
        ),
        ("0", "imp_pagado_not_positive", "Documento 1, Importe pagado: debe ser mayor que cero."),
        ("-5", "imp_pagado_not_positive", "Documento 1, Importe pagado: debe ser mayor que cero."),
    ],
)
def test_a_payment_over_the_balance_or_not_positive_is_refused(paid, code, says):
    with pytest.raises(ValidationError) as caught:
        payment_balance(imp_saldo_ant=D("660.00"), imp_pagado=D(paid))
    assert caught.value.code == code
    assert _messages(caught) == [says]


def test_payment_taxes_and_totals_convert_each_document_to_the_payment_and_to_pesos():
    # An MXN invoice of 1,160 (IVA 16 %) paid in two parts, and a USD invoice of 116 paid in
    # MXN at 20 pesos per dollar (EquivalenciaDR 0.05 dollars per peso).
    first = Payment(
        fecha_pago=datetime(2026, 11, 10, 12, 0),
        forma_pago="03",
        moneda="MXN",
        documents=(
            paid_document(UUID_A, "1160.00", "580.00", DocumentTax(IVA16, D("500.00"))),
            paid_document(
                UUID_B,
                "116.00",
                "116.00",
                DocumentTax(IVA16, D("100.00")),
                moneda="USD",
                equivalencia="0.05",
            ),
        ),
    )
    second = Payment(
        fecha_pago=datetime(2026, 11, 20, 12, 0),
        forma_pago="03",
        moneda="USD",
        tipo_cambio=D("20.000000"),
        documents=(
            paid_document(
                UUID_A,
                "580.00",
                "580.00",
                DocumentTax(IVA16, D("500.00")),
                equivalencia="20",
                parcialidad=2,
            ),
        ),
    )
    pagos = payments_amounts((first, second))
    p1, p2 = pagos.payments
    assert p1.monto == D("580.00") + D("2320.00")
    assert [d.imp_saldo_insoluto for d in p1.documents] == [D("580.00"), D("0.00")]
    (traslado,) = p1.traslados
    assert (traslado.base, traslado.importe) == (D("2500.00"), D("400.00"))
    assert (p2.monto, p2.traslados[0].base, p2.traslados[0].importe) == (
        D("29.00"),
        D("25.00"),
        D("4.00"),
    )
    assert pagos.totales == {
        "MontoTotalPagos": D("3480.00"),
        "TotalTrasladosBaseIVA16": D("3000.00"),
        "TotalTrasladosImpuestoIVA16": D("480.00"),
    }


def test_a_stated_monto_below_what_the_documents_were_paid_is_refused():
    payment = Payment(
        fecha_pago=datetime(2026, 11, 10, 12, 0),
        forma_pago="03",
        moneda="MXN",
        monto=D("100.00"),
        documents=(paid_document(UUID_A, "500.00", "200.00"),),
    )
    with pytest.raises(ValidationError) as caught:
        payments_amounts((payment,))
    assert _messages(caught) == [
        "Pago, Monto: 100.00 es menor que lo pagado a los documentos (200.00)."
    ]


def test_retenciones_of_a_payment_reach_the_totals():
    payment = Payment(
        fecha_pago=datetime(2026, 11, 10, 12, 0),
        forma_pago="03",
        moneda="MXN",
        documents=(
            paid_document(
                UUID_A,
                "1060.00",
                "1060.00",
                DocumentTax(IVA16, D("1000.00")),
                DocumentTax(RET_ISR_10, D("1000.00")),
            ),
        ),
    )
    assert payments_amounts((payment,)).totales == {
        "MontoTotalPagos": D("1060.00"),
        "TotalTrasladosBaseIVA16": D("1000.00"),
        "TotalTrasladosImpuestoIVA16": D("160.00"),
        "TotalRetencionesISR": D("100.00"),
    }


def test_a_partial_payment_carries_the_invoices_taxes_in_the_proportionpaid_document():
    invoice = invoice_amounts(
        concepts=(concept("1000", "1", IVA16, RET_ISR_10), concept("200", "1", IVA_EXENTO)),
        moneda="MXN",
    )
    assert invoice.total == D("1260.00")
    taxes = prorated_document_taxes(invoice=invoice, total=invoice.total, imp_pagado=D("630.00"))
    assert [(t.line, t.base) for t in taxes] == [
        (IVA16, D("500.00")),
        (RET_ISR_10, D("500.00")),
        (IVA_EXENTO, D("100.00")),
    ]


# The rule over every input: random concepts and taxes always reconcile.

_quantities = st.decimals(
    min_value=D("0.001"), max_value=D("10000"), places=6, allow_nan=False, allow_infinity=False
)
_prices = st.decimals(
    min_value=D("0.01"), max_value=D("100000"), places=6, allow_nan=False, allow_infinity=False
)


@st.composite
def concepts(draw: st.DrawFn) -> Concept:
    cantidad = draw(_quantities).normalize()
    valor = draw(_prices).normalize()
    taxes = draw(st.sampled_from(TAX_SETS))
    importe = (cantidad * valor).quantize(D("0.01"))
    share = draw(st.integers(min_value=0, max_value=90))
    descuento = (importe * share / 100).quantize(D("0.01"), rounding=ROUND_DOWN)
    assume(importe - descuento > 0)
    return Concept(
        clave_prod_serv="01010101",
        cantidad=cantidad,
        clave_unidad="H87",
        descripcion="Artículo",
        valor_unitario=valor,
        objeto_imp="02" if taxes else "01",
        taxes=taxes,
        descuento=descuento,
    )


concept_lists = st.lists(concepts(), min_size=1, max_size=20).map(tuple)


@settings(max_examples=60, deadline=None)
@given(concept_lists)
def test_random_concepts_always_reconcile_within_sats_limits(items):
    amounts = invoice_amounts(concepts=items, moneda="MXN")
    amounts_check(amounts)  # no refusal: every importe within SAT's limits
    assert amounts.total == (
        amounts.subtotal
        - amounts.descuento
        + (amounts.total_traslados or 0)
        - (amounts.total_retenciones or 0)
    )
    assert amounts.subtotal == sum(c.importe for c in amounts.concepts)
    assert amounts.descuento == sum(c.descuento for c in amounts.concepts)
    for c in amounts.concepts:
        low, high = importe_limits(
            cantidad=c.concept.cantidad, valor_unitario=c.concept.valor_unitario, decimals=2
        )
        assert low <= c.importe <= high
        for tax in c.taxes:
            if tax.importe is not None:
                low, high = tax_limits(base=tax.base, rate=tax.line.tasa_o_cuota, decimals=2)
                assert low <= tax.importe <= high
    for group in amounts.traslados:
        members = [
            t
            for c in amounts.concepts
            for t in c.taxes
            if not t.line.retencion
            and (t.line.impuesto, t.line.tipo_factor) == (group.impuesto, group.tipo_factor)
            and (t.line.tasa_o_cuota is None) == (group.tasa_o_cuota is None)
            and (t.line.tasa_o_cuota is None or t.line.tasa_o_cuota == group.tasa_o_cuota)
        ]
        assert group.base == sum(t.base for t in members)
        if group.importe is not None:
            assert group.importe == sum(t.importe for t in members)
    for group in amounts.retenciones:
        assert group.importe == sum(
            t.importe
            for c in amounts.concepts
            for t in c.taxes
            if t.line.retencion and t.line.impuesto == group.impuesto
        )


def test_a_cuota_is_charged_per_unit_of_the_quantity():
    ieps_cuota = TaxLine("003", "Cuota", D("6.455500"))
    amounts = invoice_amounts(concepts=(concept("25.50", "40", ieps_cuota),), moneda="MXN")
    (tax,) = amounts.concepts[0].taxes
    assert (tax.base, tax.importe) == (D("40"), D("258.22"))


@pytest.mark.parametrize(
    ("document", "code", "says"),
    [
        (
            Document(header=header("I"), issuer=issuer(), receiver=receiver()),
            "no_concepts",
            "Conceptos: el comprobante necesita al menos un concepto.",
        ),
        (
            Document(
                header=header("I", moneda="USD"),
                issuer=issuer(),
                receiver=receiver(),
                concepts=(concept(),),
            ),
            "tipo_cambio_required",
            "Tipo de cambio: es obligatorio y mayor que cero para la moneda USD.",
        ),
        (
            Document(header=header("P"), issuer=issuer(), receiver=receiver()),
            "no_payments",
            "Pagos: el complemento de pago necesita al menos un pago.",
        ),
        (
            Document(
                header=header("P"),
                issuer=issuer(),
                receiver=receiver(),
                payments=(
                    Payment(
                        fecha_pago=datetime(2026, 11, 10, 12, 0),
                        forma_pago="03",
                        moneda="MXN",
                        documents=(),
                    ),
                ),
            ),
            "payment_without_documents",
            "Pago 1, Documentos relacionados: indica al menos una factura pagada.",
        ),
    ],
)
def test_a_document_missing_what_its_type_needs_is_refused(document, code, says):
    with pytest.raises(ValidationError) as caught:
        document_amounts(document)
    assert caught.value.code == code
    assert _messages(caught) == [says]


@st.composite
def partial_payments(draw: st.DrawFn) -> tuple[Concept, list[Decimal]]:
    """An invoice's concept and the amounts it is paid in, never more than its total."""
    item = draw(concepts().filter(lambda c: c.taxes))
    total = invoice_amounts(concepts=(item,), moneda="MXN").total
    assume(total > D("0.05"))
    parts, left = [], total
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        if left <= 0:
            break
        cents = draw(st.integers(min_value=1, max_value=int(left * 100)))
        parts.append(D(cents) / 100)
        left -= D(cents) / 100
    return item, parts


@settings(max_examples=40, deadline=None)
@given(partial_payments())
def test_partial_payments_leave_the_balance_the_total_minus_what_was_paid(case):
    item, parts = case
    invoice = invoice_amounts(concepts=(item,), moneda="MXN")
    saldo = invoice.total
    payments = []
    for n, paid in enumerate(parts, 1):
        taxes = prorated_document_taxes(invoice=invoice, total=invoice.total, imp_pagado=paid)
        payments.append(
            Payment(
                fecha_pago=datetime(2026, 11, n, 12, 0),
                forma_pago="03",
                moneda="MXN",
                documents=(paid_document(UUID_A, str(saldo), str(paid), *taxes, parcialidad=n),),
            )
        )
        saldo -= paid
    computed = payments_amounts(tuple(payments))
    insolutos = [p.documents[0].imp_saldo_insoluto for p in computed.payments]
    assert insolutos[-1] == invoice.total - sum(parts)
    assert all(b >= 0 for b in insolutos)
    assert computed.totales["MontoTotalPagos"] == sum(parts)
    for payment in computed.payments:
        for tax in payment.documents[0].taxes:
            assert tax.base <= next(
                t.base for t in invoice.concepts[0].taxes if t.line.impuesto == tax.line.impuesto
            )


def test_a_paid_amount_with_more_decimals_than_its_currency_is_refused():
    payment = Payment(
        fecha_pago=datetime(2026, 11, 10, 12, 0),
        forma_pago="03",
        moneda="MXN",
        documents=(paid_document(UUID_A, "500.00", "200.005"),),
    )
    with pytest.raises(ValidationError) as caught:
        payments_amounts((payment,))
    assert caught.value.code == "amount_decimals"
    assert _messages(caught) == ["Documento 1, Importe pagado: admite hasta 2 decimales en MXN."]


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (TaxTotal("002", "Tasa", Decimal("0.160000"), Decimal(100), Decimal(16)), "IVA 16 %"),
        (TaxTotal("002", "Tasa", Decimal("0.080000"), Decimal(100), Decimal(8)), "IVA 8 %"),
        (TaxTotal("002", "Tasa", Decimal("0.000000"), Decimal(100), Decimal(0)), "IVA 0 %"),
        (TaxTotal("002", "Exento", None, Decimal(100), None), "IVA exento"),
        (
            TaxTotal("003", "Cuota", Decimal("0.591100"), Decimal(3), Decimal("1.77")),
            "IEPS cuota 0.5911",
        ),
        (
            TaxTotal("002", "Tasa", Decimal("0.106667"), Decimal(100), Decimal("10.67")),
            "IVA 10.6667 %",
        ),
        (TaxTotal("001", "Tasa", None, Decimal(100), Decimal(10)), "ISR"),
    ],
)
def test_each_tax_total_is_named_as_people_name_it(total, label):
    assert total.label == label
