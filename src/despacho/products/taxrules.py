"""The tax rules, as data: SAT's c_TasaOCuota, what each c_ObjetoImp asks of the taxes, and
the presets every company starts with.

satcfdi ships no c_TasaOCuota (and c_TipoFactor without rows), so SAT's table (Anexo 20,
CFDI 4.0) is transcribed here, one row per line of the catalog: a fixed value or a range,
for one impuesto and factor, usable in traslados, retenciones or both. A scheme's line is
valid when some row admits it; the services and the forms ask ``line_refusal`` and never
spell a rate themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.products.models import Factor, LineKind, Tax


@dataclass(frozen=True)
class TasaOCuota:
    """One row of c_TasaOCuota: ``minimum`` is None for a fixed value (``maximum``)."""

    impuesto: Tax
    factor: Factor
    maximum: Decimal
    minimum: Decimal | None = None
    traslado: bool = True
    retencion: bool = False

    def admits(self, kind: LineKind, rate: Decimal) -> bool:
        if not (self.traslado if kind == LineKind.TRASLADO else self.retencion):
            return False
        if self.minimum is None:
            return rate == self.maximum
        return self.minimum <= rate <= self.maximum


def _d(value: str) -> Decimal:
    return Decimal(value)


TASA_O_CUOTA: tuple[TasaOCuota, ...] = (
    TasaOCuota(Tax.IVA, Factor.TASA, _d("0.000000")),
    TasaOCuota(Tax.IVA, Factor.TASA, _d("0.160000")),
    TasaOCuota(Tax.IVA, Factor.TASA, _d("0.080000")),  # región fronteriza
    TasaOCuota(Tax.IVA, Factor.TASA, _d("0.160000"), _d("0.000000"), False, True),
    *(
        TasaOCuota(Tax.IEPS, Factor.TASA, _d(rate), None, True, True)
        for rate in (
            "0.265000",
            "0.300000",
            "0.530000",
            "0.500000",
            "1.600000",
            "0.304000",
            "0.250000",
            "0.090000",
            "0.080000",
            "0.070000",
            "0.060000",
        )
    ),
    TasaOCuota(Tax.IEPS, Factor.TASA, _d("0.030000"), None, False, True),
    TasaOCuota(Tax.IEPS, Factor.TASA, _d("0.000000"), None, True, False),
    TasaOCuota(Tax.IEPS, Factor.CUOTA, _d("59.144900"), _d("0.000000"), True, True),
    TasaOCuota(Tax.ISR, Factor.TASA, _d("0.350000"), _d("0.000000"), False, True),
)

# c_TipoFactor: Exento only in traslados, of IVA or IEPS.
EXEMPT_TAXES = (Tax.IVA, Tax.IEPS)


def allowed_rates(impuesto: Tax, factor: Factor, kind: LineKind) -> str:
    """The catalog's values for the combination, as a person reads them (refusals show it)."""
    parts = []
    for row in TASA_O_CUOTA:
        if row.impuesto != impuesto or row.factor != factor:
            continue
        if not (row.traslado if kind == LineKind.TRASLADO else row.retencion):
            continue
        if row.minimum is None:
            parts.append(f"{row.maximum}")
        else:
            parts.append(_("de %(min)s a %(max)s") % {"min": row.minimum, "max": row.maximum})
    return ", ".join(parts)


def line_refusal(kind: str, impuesto: str, factor: str, rate: Decimal | None) -> str | None:
    """Why SAT's catalogs refuse the line (a Spanish sentence naming the rule), or None."""
    kind_v, tax, fac = LineKind(kind), Tax(impuesto), Factor(factor)
    tax_name = tax.label
    if kind_v == LineKind.TRASLADO and tax == Tax.ISR:
        return _("Impuesto: el ISR solo se retiene; no existe traslado de ISR.")
    if fac == Factor.EXENTO:
        if kind_v == LineKind.RETENCION:
            return _("Tipo factor: «Exento» solo aplica a traslados, no a retenciones.")
        if tax not in EXEMPT_TAXES:
            return _("Tipo factor: «Exento» no aplica a %(tax)s.") % {"tax": tax_name}
        if rate is not None:
            return _("Tasa o cuota: un impuesto exento no lleva tasa ni cuota; déjala vacía.")
        return None
    if rate is None:
        return _("Tasa o cuota: es obligatoria para el tipo factor %(factor)s.") % {
            "factor": fac.label
        }
    if not rate.is_finite() or int(rate.as_tuple().exponent) < -6:
        return _("Tasa o cuota: máximo 6 decimales, como en el CFDI.")
    if any(
        row.impuesto == tax and row.factor == fac and row.admits(kind_v, rate)
        for row in TASA_O_CUOTA
    ):
        return None
    allowed = allowed_rates(tax, fac, kind_v)
    if not allowed:
        return _(
            "Tipo factor: el catálogo c_TasaOCuota del SAT no admite %(factor)s para "
            "%(kind)s de %(tax)s."
        ) % {"factor": fac.label, "kind": kind_v.label.lower(), "tax": tax_name}
    return _(
        "Tasa o cuota: %(rate)s no está en el catálogo c_TasaOCuota del SAT para %(kind)s "
        "de %(tax)s (%(factor)s); valores permitidos: %(allowed)s."
    ) % {
        "rate": rate,
        "kind": kind_v.label.lower(),
        "tax": tax_name,
        "factor": fac.label,
        "allowed": allowed,
    }


# c_ObjetoImp: whether a product with this code needs a tax scheme (True), may not have one
# (False), or may have one or not (None).
OBJETO_IMP_NEEDS_SCHEME: dict[str, bool | None] = {
    "01": False,  # no objeto de impuesto
    "02": True,  # sí objeto de impuesto: the CFDI breaks the taxes down
    "03": False,  # sí objeto y no obligado al desglose
    "04": False,  # sí objeto y no causa impuesto
    "05": None,  # IVA crédito PODEBI
    "06": None,  # sí objeto del IVA, no traslado IVA
    "07": None,  # no traslado del IVA, sí desglose IEPS
    "08": None,  # no traslado del IVA, no desglose IEPS
}


@dataclass(frozen=True)
class PresetLine:
    kind: LineKind
    impuesto: Tax
    factor: Factor
    rate: Decimal | None


@dataclass(frozen=True)
class Preset:
    key: str
    name: Promise
    lines: tuple[PresetLine, ...]


def _iva(rate: str) -> PresetLine:
    return PresetLine(LineKind.TRASLADO, Tax.IVA, Factor.TASA, _d(rate))


IVA16 = _iva("0.160000")
RET_IVA = PresetLine(LineKind.RETENCION, Tax.IVA, Factor.TASA, _d("0.106667"))
RET_ISR_10 = PresetLine(LineKind.RETENCION, Tax.ISR, Factor.TASA, _d("0.100000"))

# Created for every company the first time it opens its products or schemes.
PRESETS: tuple[Preset, ...] = (
    Preset("iva16", gettext_lazy("IVA 16 %"), (IVA16,)),
    Preset("iva8", gettext_lazy("IVA 8 % (región fronteriza)"), (_iva("0.080000"),)),
    Preset("iva0", gettext_lazy("IVA 0 %"), (_iva("0.000000"),)),
    Preset(
        "iva_exento",
        gettext_lazy("IVA exento"),
        (PresetLine(LineKind.TRASLADO, Tax.IVA, Factor.EXENTO, None),),
    ),
    Preset(
        "ieps8_iva16",
        gettext_lazy("IEPS 8 % e IVA 16 %"),
        (PresetLine(LineKind.TRASLADO, Tax.IEPS, Factor.TASA, _d("0.080000")), IVA16),
    ),
    Preset(
        "ieps265_iva16",
        gettext_lazy("IEPS 26.5 % e IVA 16 %"),
        (PresetLine(LineKind.TRASLADO, Tax.IEPS, Factor.TASA, _d("0.265000")), IVA16),
    ),
    Preset(
        "iva16_ret_iva",
        gettext_lazy("IVA 16 % con retención de IVA 10.6667 %"),
        (IVA16, RET_IVA),
    ),
    Preset(
        "iva16_ret_isr10",
        gettext_lazy("IVA 16 % con retención de ISR 10 %"),
        (IVA16, RET_ISR_10),
    ),
    Preset(
        "honorarios",
        gettext_lazy("Honorarios: IVA 16 %, retención de IVA 10.6667 % y de ISR 10 %"),
        (IVA16, RET_IVA, RET_ISR_10),
    ),
    Preset(
        "resico",
        gettext_lazy("RESICO: IVA 16 % con retención de ISR 1.25 %"),
        (IVA16, PresetLine(LineKind.RETENCION, Tax.ISR, Factor.TASA, _d("0.012500"))),
    ),
)
