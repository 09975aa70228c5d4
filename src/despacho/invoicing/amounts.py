"""Every amount of a CFDI 4.0 to issue, computed with Decimal in this one module.

The rules are Anexo 20's (Guía de llenado del CFDI 4.0 and of Pagos 2.0):

- Concepto: ``Importe = Cantidad × ValorUnitario`` and ``Base = Importe − Descuento``, each
  rounded to the currency's decimals (c_Moneda: MXN 2) with ROUND_HALF_UP.
- Each tax of a concepto: ``Importe = Base × TasaOCuota`` rounded the same way; Exento
  carries no importe; a Cuota's base is the quantity. A PAC accepts any importe between
  the *límite inferior* ``(Base − 10^-d/2) × Tasa`` truncated to ``d`` decimals and the
  *límite superior* ``(Base + 10^-d/2 − 10^-12) × Tasa`` rounded up (``tax_limits``);
  ``amounts_check`` applies them as a PAC would.
- The comprobante's taxes: traslados grouped by (Impuesto, TipoFactor, TasaOCuota),
  retenciones by Impuesto, their Base and Importe summed from the conceptos.
  ``SubTotal = Σ Importe``, ``Descuento = Σ Descuento``,
  ``Total = SubTotal − Descuento + traslados − retenciones``.
- Pagos 2.0: ``ImpSaldoInsoluto = ImpSaldoAnt − ImpPagado`` (ImpPagado > 0 and never over
  the balance); each document's ImporteDR = BaseDR × tasa in its currency; the payment's
  ImpuestosP group them converted to MonedaP (``÷ EquivalenciaDR``); Monto is what the
  documents were paid in MonedaP; Totales (TotalTrasladosBaseIVA16 …, MontoTotalPagos)
  are in MXN (``× TipoCambioP``), rounded to 2 decimals.

satcfdi computes amounts too, but with Python's ``round`` (half-even) and, across
conceptos, a tracker that carries rounding residue from one concepto to the next, and it
leaves Pagos' Monto and Totales unrounded; so the XML gets this module's numbers
(``xmlbuild.py`` writes them over satcfdi's) and the tests check that the XML says them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from satcfdi.catalogs import moneda_decimales

from despacho.invoicing.documents import (
    CUOTA,
    EXENTO,
    IEPS,
    ISR,
    IVA,
    Concept,
    Document,
    DocumentTax,
    PaidDocument,
    Payment,
    TaxLine,
)

ZERO = Decimal(0)
RATE_QUANTUM = Decimal("0.000001")
# Half a unit of the last decimal minus 10^-12: the upper limit's margin (Anexo 20).
_LIMIT_EPSILON = Decimal("1e-12")


@functools.lru_cache(maxsize=64)
def currency_decimals(moneda: str) -> int:
    """The decimals c_Moneda allows for ``moneda`` (MXN 2, XXX 0); ValidationError if unknown."""
    try:
        return int(moneda_decimales(moneda))
    except (TypeError, KeyError, IndexError):
        raise ValidationError(
            _("Moneda: %(code)s no está en el catálogo c_Moneda del SAT.") % {"code": moneda},
            code="moneda_unknown",
        ) from None


def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def round_amount(value: Decimal, decimals: int) -> Decimal:
    """``value`` to ``decimals`` places, half up (Anexo 20's rounding)."""
    return value.quantize(quantum(decimals), rounding=ROUND_HALF_UP)


def rate_text(rate: Decimal) -> Decimal:
    """A TasaOCuota as the CFDI writes it: six decimals."""
    return rate.quantize(RATE_QUANTUM)


def tax_limits(*, base: Decimal, rate: Decimal, decimals: int) -> tuple[Decimal, Decimal]:
    """The importes SAT accepts for ``base × rate`` (límite inferior, límite superior)."""
    half = quantum(decimals) / 2
    lower = ((base - half) * rate).quantize(quantum(decimals), rounding=ROUND_DOWN)
    upper = ((base + half - _LIMIT_EPSILON) * rate).quantize(
        quantum(decimals), rounding=ROUND_CEILING
    )
    return max(lower, ZERO), upper


def importe_limits(
    *, cantidad: Decimal, valor_unitario: Decimal, decimals: int
) -> tuple[Decimal, Decimal]:
    """The concepto Importes SAT accepts for ``cantidad × valor_unitario``."""
    half_c = Decimal(1).scaleb(int(cantidad.as_tuple().exponent)) / 2
    half_v = Decimal(1).scaleb(int(valor_unitario.as_tuple().exponent)) / 2
    lower = ((cantidad - half_c) * (valor_unitario - half_v)).quantize(
        quantum(decimals), rounding=ROUND_DOWN
    )
    upper = (cantidad + half_c - _LIMIT_EPSILON) * (valor_unitario + half_v - _LIMIT_EPSILON)
    return max(lower, ZERO), upper.quantize(quantum(decimals), rounding=ROUND_CEILING)


@dataclass(frozen=True)
class TaxAmount:
    """One tax of a concepto (or of a paid document): its base and importe (None: Exento)."""

    line: TaxLine
    base: Decimal
    importe: Decimal | None


@dataclass(frozen=True)
class ConceptAmounts:
    concept: Concept
    importe: Decimal
    descuento: Decimal
    base: Decimal
    taxes: tuple[TaxAmount, ...]


@dataclass(frozen=True)
class TaxTotal:
    """A comprobante-level tax: traslados per (impuesto, factor, tasa), retenciones per impuesto."""

    impuesto: str
    tipo_factor: str
    tasa_o_cuota: Decimal | None
    base: Decimal
    importe: Decimal | None

    @property
    def label(self) -> str:
        """How people name it: «IVA 16 %», «IVA exento», «IEPS cuota 0.5», «ISR»."""
        name = IMPUESTO_NAMES.get(self.impuesto, self.impuesto)
        if self.tipo_factor == "Exento":
            return _("%(name)s exento") % {"name": name}
        if self.tasa_o_cuota is None:
            return name
        if self.tipo_factor == "Cuota":
            return _("%(name)s cuota %(cuota)s") % {
                "name": name,
                "cuota": _plain(self.tasa_o_cuota),
            }
        return f"{name} {_plain(self.tasa_o_cuota * 100)} %"


IMPUESTO_NAMES = {"001": "ISR", "002": "IVA", "003": "IEPS"}


def _plain(value: Decimal) -> str:
    """A rate without trailing zeros, never in scientific notation (16, 10.6667, 0)."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class InvoiceAmounts:
    decimals: int
    concepts: tuple[ConceptAmounts, ...]
    subtotal: Decimal
    descuento: Decimal
    traslados: tuple[TaxTotal, ...]
    retenciones: tuple[TaxTotal, ...]
    total_traslados: Decimal | None  # None when every traslado is Exento (or none)
    total_retenciones: Decimal | None
    total: Decimal


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _checked_amount(value: Decimal, decimals: int, label: str, position: int) -> Decimal:
    if not value.is_finite() or value < 0:
        raise _refuse(
            _("Concepto %(n)s, %(field)s: debe ser un número no negativo.")
            % {"n": position, "field": label},
            "amount_negative",
        )
    if int(value.as_tuple().exponent) < -decimals and value != round_amount(value, decimals):
        raise _refuse(
            _("Concepto %(n)s, %(field)s: admite hasta %(d)s decimales en esta moneda.")
            % {"n": position, "field": label, "d": decimals},
            "amount_decimals",
        )
    return round_amount(value, decimals)


def _tax_amount(line: TaxLine, base: Decimal, cantidad: Decimal, decimals: int) -> TaxAmount:
    if line.tipo_factor == EXENTO:
        return TaxAmount(line=line, base=base, importe=None)
    rate = line.tasa_o_cuota or ZERO
    tax_base = cantidad if line.tipo_factor == CUOTA else base
    return TaxAmount(line=line, base=tax_base, importe=round_amount(tax_base * rate, decimals))


def concept_amounts(concept: Concept, *, decimals: int, position: int = 1) -> ConceptAmounts:
    """One concepto's Importe, Base and taxes; ValidationError naming the field otherwise."""
    if not concept.cantidad.is_finite() or concept.cantidad <= 0:
        raise _refuse(
            _("Concepto %(n)s, Cantidad: debe ser mayor que cero.") % {"n": position},
            "cantidad_not_positive",
        )
    if concept.valor_unitario < 0:
        raise _refuse(
            _("Concepto %(n)s, Valor unitario: no puede ser negativo.") % {"n": position},
            "valor_unitario_negative",
        )
    importe = round_amount(concept.cantidad * concept.valor_unitario, decimals)
    descuento = _checked_amount(concept.descuento, decimals, _("Descuento"), position)
    if descuento > importe:
        raise _refuse(
            _("Concepto %(n)s, Descuento: no puede ser mayor que el importe (%(importe)s).")
            % {"n": position, "importe": importe},
            "descuento_over_importe",
        )
    base = importe - descuento
    if concept.objeto_imp == "02" and not concept.taxes:
        raise _refuse(
            _(
                "Concepto %(n)s, Objeto de impuesto: «02» (sí objeto de impuesto) requiere "
                "desglosar al menos un impuesto."
            )
            % {"n": position},
            "objeto_02_without_taxes",
        )
    if concept.objeto_imp != "02" and concept.taxes:
        raise _refuse(
            _(
                "Concepto %(n)s, Objeto de impuesto: solo «02» (sí objeto de impuesto) "
                "desglosa impuestos; este concepto es «%(code)s»."
            )
            % {"n": position, "code": concept.objeto_imp},
            "taxes_without_objeto_02",
        )
    if concept.taxes and base <= 0:
        raise _refuse(
            _(
                "Concepto %(n)s, Descuento: un concepto con impuestos necesita una base mayor "
                "que cero (importe menos descuento)."
            )
            % {"n": position},
            "base_not_positive",
        )
    taxes = tuple(_tax_amount(line, base, concept.cantidad, decimals) for line in concept.taxes)
    return ConceptAmounts(
        concept=concept, importe=importe, descuento=descuento, base=base, taxes=taxes
    )


def _group(taxes: Iterable[TaxAmount], *, retencion: bool) -> tuple[TaxTotal, ...]:
    groups: dict[tuple[str, str, Decimal | None], list[TaxAmount]] = {}
    for tax in taxes:
        if tax.line.retencion != retencion:
            continue
        line = tax.line
        rate = None if line.tasa_o_cuota is None else rate_text(line.tasa_o_cuota)
        key = (line.impuesto, "", None) if retencion else (line.impuesto, line.tipo_factor, rate)
        groups.setdefault(key, []).append(tax)
    totals = []
    for (impuesto, factor, rate), members in groups.items():
        importes = [t.importe for t in members if t.importe is not None]
        totals.append(
            TaxTotal(
                impuesto=impuesto,
                tipo_factor=factor,
                tasa_o_cuota=rate,
                base=sum((t.base for t in members), ZERO),
                importe=sum(importes, ZERO) if importes else None,
            )
        )
    return tuple(totals)


def _sum_importes(totals: tuple[TaxTotal, ...]) -> Decimal | None:
    importes = [t.importe for t in totals if t.importe is not None]
    return sum(importes, ZERO) if importes else None


def invoice_amounts(*, concepts: tuple[Concept, ...], moneda: str) -> InvoiceAmounts:
    """The conceptos' amounts, the comprobante's taxes and its SubTotal, Descuento and Total."""
    decimals = currency_decimals(moneda)
    computed = tuple(
        concept_amounts(c, decimals=decimals, position=n) for n, c in enumerate(concepts, 1)
    )
    all_taxes = [t for c in computed for t in c.taxes]
    traslados = _group(all_taxes, retencion=False)
    retenciones = _group(all_taxes, retencion=True)
    total_traslados = _sum_importes(traslados)
    total_retenciones = _sum_importes(retenciones)
    subtotal = sum((c.importe for c in computed), ZERO)
    descuento = sum((c.descuento for c in computed), ZERO)
    total = subtotal - descuento + (total_traslados or ZERO) - (total_retenciones or ZERO)
    return InvoiceAmounts(
        decimals=decimals,
        concepts=computed,
        subtotal=subtotal,
        descuento=descuento,
        traslados=traslados,
        retenciones=retenciones,
        total_traslados=total_traslados,
        total_retenciones=total_retenciones,
        total=total,
    )


def amounts_check(amounts: InvoiceAmounts) -> None:
    """Refuse amounts a PAC would refuse: each importe outside SAT's limits, totals that are
    not the sums. A ValidationError per rule, naming the concepto and the field."""
    d = amounts.decimals
    errors = []
    for n, c in enumerate(amounts.concepts, 1):
        low, high = importe_limits(
            cantidad=c.concept.cantidad, valor_unitario=c.concept.valor_unitario, decimals=d
        )
        if not low <= c.importe <= high:
            errors.append(
                _refuse(
                    _("Concepto %(n)s, Importe: %(v)s está fuera de los límites %(lo)s–%(hi)s.")
                    % {"n": n, "v": c.importe, "lo": low, "hi": high},
                    "importe_out_of_limits",
                )
            )
        for tax in c.taxes:
            if tax.importe is None or tax.line.tipo_factor == CUOTA:
                continue
            low, high = tax_limits(base=tax.base, rate=tax.line.tasa_o_cuota or ZERO, decimals=d)
            if not low <= tax.importe <= high:
                errors.append(
                    _refuse(
                        _(
                            "Concepto %(n)s, Importe del impuesto %(tax)s: %(v)s está fuera de "
                            "los límites %(lo)s–%(hi)s."
                        )
                        % {
                            "n": n,
                            "tax": tax.line.impuesto,
                            "v": tax.importe,
                            "lo": low,
                            "hi": high,
                        },
                        "tax_out_of_limits",
                    )
                )
    expected = (
        amounts.subtotal
        - amounts.descuento
        + (amounts.total_traslados or ZERO)
        - (amounts.total_retenciones or ZERO)
    )
    if amounts.total != expected:
        errors.append(
            _refuse(
                _("Total: %(v)s no es SubTotal − Descuento + traslados − retenciones (%(e)s).")
                % {"v": amounts.total, "e": expected},
                "total_mismatch",
            )
        )
    if errors:
        raise ValidationError(errors)


# Pagos 2.0


def payment_balance(*, imp_saldo_ant: Decimal, imp_pagado: Decimal, position: int = 1) -> Decimal:
    """ImpSaldoInsoluto of one paid document; refuses a payment over the balance or ≤ 0."""
    if imp_pagado <= 0:
        raise _refuse(
            _("Documento %(n)s, Importe pagado: debe ser mayor que cero.") % {"n": position},
            "imp_pagado_not_positive",
        )
    if imp_saldo_ant <= 0:
        raise _refuse(
            _("Documento %(n)s, Saldo anterior: debe ser mayor que cero.") % {"n": position},
            "imp_saldo_ant_not_positive",
        )
    if imp_pagado > imp_saldo_ant:
        raise _refuse(
            _(
                "Documento %(n)s, Importe pagado: %(paid)s es mayor que el saldo pendiente "
                "(%(balance)s)."
            )
            % {"n": position, "paid": imp_pagado, "balance": imp_saldo_ant},
            "imp_pagado_over_balance",
        )
    return imp_saldo_ant - imp_pagado


def prorated_document_taxes(
    *, invoice: InvoiceAmounts, total: Decimal, imp_pagado: Decimal
) -> tuple[DocumentTax, ...]:
    """The ImpuestosDR of paying ``imp_pagado`` of an invoice of ``total``: the base of each
    of its taxes (per impuesto, factor and tasa) in the proportion paid, rounded to the
    invoice's decimals."""
    bases: dict[TaxLine, Decimal] = {}
    for concept in invoice.concepts:
        for tax in concept.taxes:
            line = tax.line
            rate = None if line.tasa_o_cuota is None else rate_text(line.tasa_o_cuota)
            key = TaxLine(line.impuesto, line.tipo_factor, rate, line.retencion)
            bases[key] = bases.get(key, ZERO) + tax.base
    share = imp_pagado / total
    return tuple(
        DocumentTax(line=line, base=round_amount(base * share, invoice.decimals))
        for line, base in bases.items()
    )


@dataclass(frozen=True)
class PaidDocumentAmounts:
    document: PaidDocument
    imp_saldo_insoluto: Decimal
    taxes: tuple[TaxAmount, ...]  # BaseDR, ImporteDR in MonedaDR


@dataclass(frozen=True)
class PaymentAmounts:
    payment: Payment
    tipo_cambio: Decimal
    monto: Decimal
    documents: tuple[PaidDocumentAmounts, ...]
    traslados: tuple[TaxTotal, ...]  # TrasladosP, in MonedaP
    retenciones: tuple[TaxTotal, ...]  # RetencionesP, in MonedaP


# Totales of Pagos 2.0: the field for each (impuesto, factor, tasa) traslado.
_TOTAL_TRASLADOS: dict[tuple[str, str, Decimal | None], str] = {
    (IVA, "Tasa", Decimal("0.160000")): "IVA16",
    (IVA, "Tasa", Decimal("0.080000")): "IVA8",
    (IVA, "Tasa", Decimal("0.000000")): "IVA0",
}
_TOTAL_RETENCIONES = {
    ISR: "TotalRetencionesISR",
    IVA: "TotalRetencionesIVA",
    IEPS: "TotalRetencionesIEPS",
}


@dataclass(frozen=True)
class PaymentsAmounts:
    payments: tuple[PaymentAmounts, ...]
    totales: dict[str, Decimal]  # Totales' attributes, in MXN


def _document_amounts(document: PaidDocument, position: int) -> PaidDocumentAmounts:
    balance = payment_balance(
        imp_saldo_ant=document.imp_saldo_ant, imp_pagado=document.imp_pagado, position=position
    )
    if document.equivalencia <= 0:
        raise _refuse(
            _("Documento %(n)s, Equivalencia: debe ser mayor que cero.") % {"n": position},
            "equivalencia_not_positive",
        )
    if document.objeto_imp == "02" and not document.taxes:
        raise _refuse(
            _(
                "Documento %(n)s, Objeto de impuesto: «02» requiere los impuestos del pago "
                "(ImpuestosDR)."
            )
            % {"n": position},
            "objeto_02_without_taxes",
        )
    decimals = currency_decimals(document.moneda)
    for label, value in ((_("Saldo anterior"), document.imp_saldo_ant),
                         (_("Importe pagado"), document.imp_pagado)):  # fmt: skip
        if value != round_amount(value, decimals):
            raise _refuse(
                _("Documento %(n)s, %(field)s: admite hasta %(d)s decimales en %(m)s.")
                % {"n": position, "field": label, "d": decimals, "m": document.moneda},
                "amount_decimals",
            )
    taxes = tuple(
        TaxAmount(
            line=t.line,
            base=t.base,
            importe=None
            if t.line.tipo_factor == EXENTO
            else round_amount(t.base * (t.line.tasa_o_cuota or ZERO), decimals),
        )
        for t in document.taxes
    )
    return PaidDocumentAmounts(document=document, imp_saldo_insoluto=balance, taxes=taxes)


def _converted(totals: tuple[TaxTotal, ...], equivalencia: Decimal) -> list[TaxTotal]:
    return [
        TaxTotal(
            impuesto=t.impuesto,
            tipo_factor=t.tipo_factor,
            tasa_o_cuota=t.tasa_o_cuota,
            base=t.base / equivalencia,
            importe=None if t.importe is None else t.importe / equivalencia,
        )
        for t in totals
    ]


def _merge(totals: list[TaxTotal], decimals: int) -> tuple[TaxTotal, ...]:
    merged: dict[tuple[str, str, Decimal | None], TaxTotal] = {}
    for t in totals:
        key = (t.impuesto, t.tipo_factor, t.tasa_o_cuota)
        if key in merged:
            m = merged[key]
            importe = (
                None
                if m.importe is None and t.importe is None
                else ((m.importe or ZERO) + (t.importe or ZERO))
            )
            t = TaxTotal(t.impuesto, t.tipo_factor, t.tasa_o_cuota, m.base + t.base, importe)
        merged[key] = t
    return tuple(
        TaxTotal(
            t.impuesto,
            t.tipo_factor,
            t.tasa_o_cuota,
            round_amount(t.base, decimals),
            None if t.importe is None else round_amount(t.importe, decimals),
        )
        for t in merged.values()
    )


def payment_amounts(payment: Payment, *, first_position: int = 1) -> PaymentAmounts:
    """One Pago's documents, ImpuestosP and Monto (in MonedaP)."""
    decimals = currency_decimals(payment.moneda)
    if payment.moneda == "MXN":
        tipo_cambio = Decimal(1)
    elif payment.tipo_cambio is None or payment.tipo_cambio <= 0:
        raise _refuse(
            _("Pago, Tipo de cambio: es obligatorio y mayor que cero para %(m)s.")
            % {"m": payment.moneda},
            "tipo_cambio_required",
        )
    else:
        tipo_cambio = payment.tipo_cambio
    documents = tuple(
        _document_amounts(d, n) for n, d in enumerate(payment.documents, first_position)
    )
    traslados: list[TaxTotal] = []
    retenciones: list[TaxTotal] = []
    for doc in documents:
        equivalencia = doc.document.equivalencia
        traslados += _converted(_group(doc.taxes, retencion=False), equivalencia)
        retenciones += _converted(_group(doc.taxes, retencion=True), equivalencia)
    paid = round_amount(
        sum((d.document.imp_pagado / d.document.equivalencia for d in documents), ZERO), decimals
    )
    monto = paid if payment.monto is None else payment.monto
    if monto < paid:
        raise _refuse(
            _("Pago, Monto: %(monto)s es menor que lo pagado a los documentos (%(paid)s).")
            % {"monto": monto, "paid": paid},
            "monto_under_documents",
        )
    return PaymentAmounts(
        payment=payment,
        tipo_cambio=tipo_cambio,
        monto=round_amount(monto, decimals),
        documents=documents,
        traslados=_merge(traslados, decimals),
        retenciones=_merge(retenciones, decimals),
    )


def payments_amounts(payments: tuple[Payment, ...]) -> PaymentsAmounts:
    """Every Pago's amounts and the complement's Totales (MXN, 2 decimals)."""
    computed = []
    position = 1
    for payment in payments:
        computed.append(payment_amounts(payment, first_position=position))
        position += len(payment.documents)
    sums: dict[str, Decimal] = {"MontoTotalPagos": ZERO}
    for p in computed:
        sums["MontoTotalPagos"] += p.monto * p.tipo_cambio
        for t in p.retenciones:
            name = _TOTAL_RETENCIONES[t.impuesto]
            sums[name] = sums.get(name, ZERO) + (t.importe or ZERO) * p.tipo_cambio
        for t in p.traslados:
            if t.impuesto == IVA and t.tipo_factor == EXENTO:
                name = "TotalTrasladosBaseIVAExento"
                sums[name] = sums.get(name, ZERO) + t.base * p.tipo_cambio
                continue
            suffix = _TOTAL_TRASLADOS.get((t.impuesto, t.tipo_factor, t.tasa_o_cuota))
            if suffix is None:
                continue  # IEPS traslados have no Totales field
            for kind, value in (("Base", t.base), ("Impuesto", t.importe or ZERO)):
                name = f"TotalTraslados{kind}{suffix}"
                sums[name] = sums.get(name, ZERO) + value * p.tipo_cambio
    totales = {name: round_amount(value, 2) for name, value in sums.items()}
    return PaymentsAmounts(payments=tuple(computed), totales=totales)


@dataclass(frozen=True)
class DocumentAmounts:
    """What ``document_amounts`` returns: the invoice part and, for a Pago, the payments."""

    invoice: InvoiceAmounts
    payments: PaymentsAmounts | None


def _header_check(document: Document) -> None:
    header = document.header
    if header.tipo == "P":
        if not document.payments:
            raise _refuse(
                _("Pagos: el complemento de pago necesita al menos un pago."), "no_payments"
            )
        for n, payment in enumerate(document.payments, 1):
            if not payment.documents:
                raise _refuse(
                    _("Pago %(n)s, Documentos relacionados: indica al menos una factura pagada.")
                    % {"n": n},
                    "payment_without_documents",
                )
        return
    if not document.concepts:
        raise _refuse(_("Conceptos: el comprobante necesita al menos un concepto."), "no_concepts")
    foreign = header.tipo in ("I", "E") and header.moneda not in ("MXN", "XXX")
    if foreign and (header.tipo_cambio is None or header.tipo_cambio <= 0):
        raise _refuse(
            _("Tipo de cambio: es obligatorio y mayor que cero para la moneda %(m)s.")
            % {"m": header.moneda},
            "tipo_cambio_required",
        )


def document_amounts(document: Document) -> DocumentAmounts:
    """All the amounts of ``document``, checked as a PAC checks them."""
    header = document.header
    _header_check(document)
    if header.tipo in ("P", "T"):
        invoice = invoice_amounts(concepts=document.concepts, moneda="XXX")
    else:
        invoice = invoice_amounts(concepts=document.concepts, moneda=header.moneda)
    amounts_check(invoice)
    payments = payments_amounts(document.payments) if header.tipo == "P" else None
    return DocumentAmounts(invoice=invoice, payments=payments)
