"""SAT's cancellation rules as data and pure functions: motives and the receiver's acceptance.

Sources (read December 2026):

- Motives: SAT's catalog ``c_MotivoCancelacion`` (Anexo 20, Cancelación 4.0 schema): 01
  "Comprobante emitido con errores con relación" (needs ``FolioSustitucion``, the UUID of
  the CFDI that replaces it, which relates the cancelled one with TipoRelacion 04), 02
  "Comprobante emitido con errores sin relación", 03 "No se llevó a cabo la operación",
  04 "Operación nominativa relacionada en una factura global".
- When the receiver need not accept: Resolución Miscelánea Fiscal, regla 2.7.1.35
  ("Cancelación de CFDI sin aceptación del receptor", CFF artículo 29-A, cuarto a sexto
  párrafos), fracciones I to XII, transcribed in ``SIN_ACEPTACION`` below.
- Otherwise the receiver has three business days to accept or reject; without an answer
  the SAT cancels ("Plazo vencido"): CFF 29-A and RMF regla 2.7.1.34. The sandbox counts
  that term as ``ANSWER_HOURS`` (72 hours), as the issue asks.

What is simplified, and said so here rather than hidden: business days skip Saturdays and
Sundays but not official holidays (fracción IX); fracción X (issuers through a PCGCFDISP,
sector primario) is not decided here, since nothing in a CFDI tells it: the caller
passes it like the other facts about the issuer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from despacho.cfdi.parsing import CFDI_ZONE

#: The amount up to which (in MXN, inclusive) no acceptance is needed (fracción I).
AMOUNT_LIMIT_MXN = Decimal("1000.00")
#: Hours the receiver has to answer before the SAT cancels anyway ("Plazo vencido").
ANSWER_HOURS = 72

PUBLICO_EN_GENERAL_RFC = "XAXX010101000"
EXTRANJERO_RFC = "XEXX010101000"
#: c_RegimenFiscal 621: Incorporación Fiscal (RIF), fracción V.
RIF_REGIMEN = "621"
#: ClaveProdServ of fuels whose Carta Porte traslado does need acceptance (fracción IV).
FUEL_KEYS = frozenset({"15101505", "15101514", "15101515"})


class Motivo(enum.StrEnum):
    """c_MotivoCancelacion."""

    ERRORES_CON_RELACION = "01"
    ERRORES_SIN_RELACION = "02"
    NO_SE_LLEVO_A_CABO = "03"
    NOMINATIVA_EN_GLOBAL = "04"


def motivo_label(motivo: Motivo) -> str:
    """The motive's name as SAT's catalog spells it."""
    return {
        Motivo.ERRORES_CON_RELACION: _("Comprobante emitido con errores con relación"),
        Motivo.ERRORES_SIN_RELACION: _("Comprobante emitido con errores sin relación"),
        Motivo.NO_SE_LLEVO_A_CABO: _("No se llevó a cabo la operación"),
        Motivo.NOMINATIVA_EN_GLOBAL: _("Operación nominativa relacionada en una factura global"),
    }[motivo]


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def validate_motivo(*, motivo: str, folio_sustitucion: str = "", uuid: str = "") -> Motivo:
    """The motive, checked with its FolioSustitucion; ValidationError naming the rule."""
    try:
        known = Motivo(motivo)
    except ValueError:
        raise _field_error(
            "motivo",
            _("El motivo de cancelación debe ser 01, 02, 03 o 04 (c_MotivoCancelacion)."),
            "motivo_unknown",
        ) from None
    substitute = (folio_sustitucion or "").strip().lower()
    if known is Motivo.ERRORES_CON_RELACION and not substitute:
        raise _field_error(
            "folio_sustitucion",
            _("El motivo 01 requiere el folio fiscal (UUID) del CFDI que sustituye al cancelado."),
            "folio_sustitucion_required",
        )
    if known is not Motivo.ERRORES_CON_RELACION and substitute:
        raise _field_error(
            "folio_sustitucion",
            _("Solo el motivo 01 lleva folio de sustitución."),
            "folio_sustitucion_not_allowed",
        )
    if substitute and substitute == uuid.strip().lower():
        raise _field_error(
            "folio_sustitucion",
            _("Un CFDI no puede sustituirse a sí mismo."),
            "folio_sustitucion_self",
        )
    return known


@dataclass(frozen=True)
class Facts:
    """What the rules look at: the comprobante and, where it matters, its issuer."""

    tipo: str  # c_TipoDeComprobante: I, E, T, N, P
    total_mxn: Decimal
    receptor_rfc: str
    receptor_regimen: str
    fecha_timbrado: datetime
    now: datetime
    retenciones: bool  # a CFDI de retenciones e información de pagos
    fuel_carta_porte: bool
    emisor_pcgcfdisp: bool
    emisor_sistema_financiero: bool
    emisor_federacion: bool


@dataclass(frozen=True)
class Supuesto:
    """One case of regla 2.7.1.35 in which the receiver's acceptance is not needed."""

    fraccion: str
    reason: Callable[[], str]  # the Spanish sentence shown before confirming
    applies: Callable[[Facts], bool]


def next_business_day_end(moment: datetime) -> datetime:
    """The end (midnight, Mexico City) of the business day after ``moment``'s local day."""
    day = moment.astimezone(CFDI_ZONE).date() + timedelta(days=1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    after = day + timedelta(days=1)
    return datetime(after.year, after.month, after.day, tzinfo=CFDI_ZONE)


def total_in_mxn(
    total: Decimal, *, moneda: str = "MXN", tipo_cambio: Decimal | None = None
) -> Decimal:
    """A CFDI's total in pesos: MXN as is, any other currency times its TipoCambio."""
    if moneda in ("MXN", "XXX") or tipo_cambio is None:
        return total
    return (total * tipo_cambio).quantize(Decimal("0.01"))


# RMF regla 2.7.1.35, fracciones I–XII, in the order of the rule.
SIN_ACEPTACION: tuple[Supuesto, ...] = (
    Supuesto(
        "I",
        lambda: _("El total es de hasta $1,000.00 MXN (regla 2.7.1.35, fracción I)."),
        lambda f: f.total_mxn <= AMOUNT_LIMIT_MXN and f.tipo != "P",
    ),
    Supuesto(
        "II",
        lambda: _("Es un CFDI de nómina (regla 2.7.1.35, fracción II)."),
        lambda f: f.tipo == "N",
    ),
    Supuesto(
        "III",
        lambda: _("Es un CFDI de egreso (regla 2.7.1.35, fracción III)."),
        lambda f: f.tipo == "E",
    ),
    Supuesto(
        "IV",
        lambda: _("Es un CFDI de traslado (regla 2.7.1.35, fracción IV)."),
        lambda f: f.tipo == "T" and not f.fuel_carta_porte,
    ),
    Supuesto(
        "V",
        lambda: _(
            "Es un ingreso expedido a un contribuyente del RIF (regla 2.7.1.35, fracción V)."
        ),
        lambda f: f.tipo == "I" and f.receptor_regimen == RIF_REGIMEN,
    ),
    Supuesto(
        "VI",
        lambda: _("Ampara retenciones e información de pagos (regla 2.7.1.35, fracción VI)."),
        lambda f: f.retenciones,
    ),
    Supuesto(
        "VII",
        lambda: _(
            "Se expidió al público en general, RFC XAXX010101000 (regla 2.7.1.35, fracción VII)."
        ),
        lambda f: f.receptor_rfc == PUBLICO_EN_GENERAL_RFC,
    ),
    Supuesto(
        "VIII",
        lambda: _(
            "Se expidió a un residente en el extranjero, RFC XEXX010101000 "
            "(regla 2.7.1.35, fracción VIII)."
        ),
        lambda f: f.receptor_rfc == EXTRANJERO_RFC,
    ),
    Supuesto(
        "IX",
        lambda: _(
            "Se cancela dentro del día hábil siguiente a su timbrado (regla 2.7.1.35, fracción IX)."
        ),
        lambda f: f.now < next_business_day_end(f.fecha_timbrado),
    ),
    Supuesto(
        "X",
        lambda: _(
            "Lo expidió un contribuyente del sector primario o por enajenación a través de un "
            "PCGCFDISP (regla 2.7.1.35, fracción X)."
        ),
        lambda f: f.tipo == "I" and f.emisor_pcgcfdisp,
    ),
    Supuesto(
        "XI",
        lambda: _("Lo emitió un integrante del sistema financiero (regla 2.7.1.35, fracción XI)."),
        lambda f: f.emisor_sistema_financiero,
    ),
    Supuesto(
        "XII",
        lambda: _(
            "Lo emitió la Federación por derechos, productos o aprovechamientos "
            "(regla 2.7.1.35, fracción XII)."
        ),
        lambda f: f.emisor_federacion,
    ),
)


@dataclass(frozen=True)
class CancellationPath:
    """Whether the receiver must accept, and why, in Spanish sentences for the UI."""

    needs_acceptance: bool
    reasons: list[str]


def cancellation_path(
    *,
    tipo: str,
    total_mxn: Decimal,
    receptor_rfc: str,
    fecha_timbrado: datetime,
    now: datetime,
    receptor_regimen: str = "",
    retenciones: bool = False,
    fuel_carta_porte: bool = False,
    emisor_pcgcfdisp: bool = False,
    emisor_sistema_financiero: bool = False,
    emisor_federacion: bool = False,
) -> CancellationPath:
    """The path SAT will take: immediate, or the receiver's acceptance within 72 hours."""
    facts = Facts(
        tipo=tipo.upper(),
        total_mxn=total_mxn,
        receptor_rfc=receptor_rfc.strip().upper(),
        receptor_regimen=receptor_regimen,
        fecha_timbrado=fecha_timbrado,
        now=now,
        retenciones=retenciones,
        fuel_carta_porte=fuel_carta_porte,
        emisor_pcgcfdisp=emisor_pcgcfdisp,
        emisor_sistema_financiero=emisor_sistema_financiero,
        emisor_federacion=emisor_federacion,
    )
    reasons = [supuesto.reason() for supuesto in SIN_ACEPTACION if supuesto.applies(facts)]
    if reasons:
        return CancellationPath(needs_acceptance=False, reasons=reasons)
    return CancellationPath(
        needs_acceptance=True,
        reasons=[
            _(
                "El receptor debe aceptar la cancelación: no aplica ningún supuesto de la regla "
                "2.7.1.35. Tiene 3 días para responder; si no responde, el SAT la cancela "
                "(plazo vencido)."
            )
        ],
    )
