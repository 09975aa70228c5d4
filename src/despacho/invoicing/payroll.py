"""Nómina: a payslip as typed values, its totals as SAT requires them, its sealed CFDI.

A ``Payslip`` is one employee's receipt for one period: CFDI 4.0 of TipoDeComprobante N with
the complemento Nómina 1.2 (revisión E). ``payslip_totals`` computes every total the way
SAT's Guía de llenado del comprobante de nómina states it, and refuses what the PACs'
nómina validations refuse:

- Percepciones: ``TotalGravado = Σ ImporteGravado``, ``TotalExento = Σ ImporteExento``,
  ``TotalSueldos`` = gravado + exento of every percepción (the separación and jubilación
  keys, which need nodes of their own, are not offered); ``TotalPercepciones =
  TotalSueldos``.
- Deducciones: ``TotalImpuestosRetenidos`` = the ISR ones (TipoDeduccion 002),
  ``TotalOtrasDeducciones`` = the rest, ``TotalDeducciones`` = both; each importe > 0.
- OtrosPagos: ``TotalOtrosPagos = Σ Importe``; the subsidio para el empleo (002) carries
  SubsidioCausado ≥ its Importe (0.00 when the subsidio was applied against the ISR and
  nothing was paid in cash, as since May 2024), and no other key may.
- Comprobante: one Concepto 84111505 "Pago de nómina", ACT, Cantidad 1, ObjetoImp 01,
  ``ValorUnitario = Importe = SubTotal = TotalPercepciones + TotalOtrosPagos``,
  ``Descuento = TotalDeducciones``, ``Total = SubTotal − Descuento``; MXN, Exportación 01,
  PUE, FormaPago 99, receptor régimen 605 and UsoCFDI CN01.

``payslip_comprobante`` builds it with satcfdi's ``cfdi40.Comprobante.nomina`` and
``nomina12.Nomina`` and writes these totals over satcfdi's own (satcfdi writes the
concepto's ObjetoImp 03, puts TotalSeparacionIndemnizacion and TotalJubilacionPensionRetiro
on the Deducciones and sums with ``sum``, unrounded); ``payslip_xml`` seals it through the
same ``xmlbuild`` steps as every other CFDI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from satcfdi.create.cfd import cfdi40, nomina12

from despacho.invoicing.amounts import round_amount
from despacho.invoicing.documents import Issuer, local_time
from despacho.invoicing.xmlbuild import Signer, cadena_original, certify, seal

ISR_DEDUCTION = "002"  # c_TipoDeduccion: ISR
SUBSIDIO = "002"  # c_TipoOtroPago: subsidio para el empleo
REGIMEN_SUELDOS = "605"  # c_RegimenFiscal: sueldos y salarios
# Percepciones that need nodes this builder does not write (incapacidad, horas extra,
# separación, jubilación, acciones) and the deducción that needs Incapacidades.
UNSUPPORTED_PERCEPTIONS = frozenset({"014", "019", "022", "023", "025", "039", "044", "045"})
UNSUPPORTED_DEDUCTIONS = frozenset({"006"})
CENT = 2


@dataclass(frozen=True)
class Employee:
    """The receptor: the person (RFC, name, CP as SAT registers them) and their job."""

    rfc: str
    nombre: str
    codigo_postal: str  # DomicilioFiscalReceptor
    curp: str
    num_seguridad_social: str
    fecha_inicio_rel_laboral: date
    num_empleado: str
    salario_base_cot_apor: Decimal
    salario_diario_integrado: Decimal
    clave_ent_fed: str  # c_Estado where the work is done
    tipo_contrato: str = "01"  # c_TipoContrato: por tiempo indeterminado
    tipo_jornada: str = "01"  # c_TipoJornada: diurna
    tipo_regimen: str = "02"  # c_TipoRegimen: sueldos
    periodicidad_pago: str = "04"  # c_PeriodicidadPago: quincenal
    riesgo_puesto: str = "1"  # c_RiesgoPuesto: clase I
    departamento: str = ""
    puesto: str = ""


@dataclass(frozen=True)
class Perception:
    tipo: str  # c_TipoPercepcion: 001 sueldos, 002 aguinaldo, 021 prima vacacional …
    clave: str  # the employer's own key (3 to 15 characters)
    concepto: str
    gravado: Decimal
    exento: Decimal = Decimal(0)


@dataclass(frozen=True)
class Deduction:
    tipo: str  # c_TipoDeduccion: 001 seguridad social, 002 ISR …
    clave: str
    concepto: str
    importe: Decimal


@dataclass(frozen=True)
class OtherPayment:
    tipo: str  # c_TipoOtroPago: 002 subsidio para el empleo …
    clave: str
    concepto: str
    importe: Decimal
    subsidio_causado: Decimal | None = None  # only for 002


@dataclass(frozen=True)
class Payslip:
    """One employee's nómina for one period (TipoNomina O, ordinaria, unless said)."""

    employee: Employee
    registro_patronal: str
    serie: str
    folio: str
    fecha: datetime  # the comprobante's Fecha
    fecha_pago: date
    fecha_inicial_pago: date
    fecha_final_pago: date
    num_dias_pagados: Decimal
    perceptions: tuple[Perception, ...]
    deductions: tuple[Deduction, ...] = ()
    other_payments: tuple[OtherPayment, ...] = ()
    tipo_nomina: str = "O"


@dataclass(frozen=True)
class PayslipTotals:
    """Every total the complement and the comprobante state; None where SAT wants none."""

    total_sueldos: Decimal | None
    total_gravado: Decimal | None
    total_exento: Decimal | None
    total_percepciones: Decimal | None
    total_otras_deducciones: Decimal | None
    total_impuestos_retenidos: Decimal | None
    total_deducciones: Decimal | None
    total_otros_pagos: Decimal | None
    subtotal: Decimal
    descuento: Decimal
    total: Decimal


def _refused(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _amount(value: Decimal, where: str) -> Decimal:
    if value < 0 or value != round_amount(value, CENT):
        raise _refused(
            _("%(where)s: %(value)s debe ser un importe positivo con dos decimales a lo más.")
            % {"where": where, "value": value},
            "amount_invalid",
        )
    return round_amount(value, CENT)


def _sum(values: list[Decimal]) -> Decimal:
    return round_amount(sum(values, Decimal(0)), CENT)


def _perceptions_checked(payslip: Payslip) -> None:
    for number, p in enumerate(payslip.perceptions, start=1):
        where = _("Percepción %(n)s") % {"n": number}
        if p.tipo in UNSUPPORTED_PERCEPTIONS:
            raise _refused(
                _("%(where)s: el tipo %(tipo)s no se puede emitir aquí.")
                % {"where": where, "tipo": p.tipo},
                "perception_unsupported",
            )
        if _amount(p.gravado, where) + _amount(p.exento, where) <= 0:
            raise _refused(
                _("%(where)s: el importe gravado más el exento debe ser mayor que cero.")
                % {"where": where},
                "perception_zero",
            )


def _deductions_checked(payslip: Payslip) -> None:
    for number, d in enumerate(payslip.deductions, start=1):
        where = _("Deducción %(n)s") % {"n": number}
        if d.tipo in UNSUPPORTED_DEDUCTIONS:
            raise _refused(
                _("%(where)s: el tipo %(tipo)s no se puede emitir aquí.")
                % {"where": where, "tipo": d.tipo},
                "deduction_unsupported",
            )
        if _amount(d.importe, where) <= 0:
            raise _refused(
                _("%(where)s: el importe debe ser mayor que cero.") % {"where": where},
                "deduction_zero",
            )


def _other_payments_checked(payslip: Payslip) -> None:
    for number, o in enumerate(payslip.other_payments, start=1):
        where = _("Otro pago %(n)s") % {"n": number}
        importe = _amount(o.importe, where)
        if o.tipo != SUBSIDIO:
            if o.subsidio_causado is not None:
                raise _refused(
                    _("%(where)s: solo el subsidio para el empleo (002) lleva subsidio causado.")
                    % {"where": where},
                    "subsidio_not_allowed",
                )
            if importe <= 0:
                raise _refused(
                    _("%(where)s: el importe debe ser mayor que cero.") % {"where": where},
                    "other_payment_zero",
                )
            continue
        if o.subsidio_causado is None or _amount(o.subsidio_causado, where) < importe:
            raise _refused(
                _(
                    "%(where)s: el subsidio para el empleo requiere el subsidio causado, no "
                    "menor que el importe entregado."
                )
                % {"where": where},
                "subsidio_causado",
            )


def _period_checked(payslip: Payslip) -> None:
    if payslip.fecha_inicial_pago > payslip.fecha_final_pago:
        raise _refused(
            _("Periodo: la fecha inicial de pago es posterior a la final."), "period_invalid"
        )
    if payslip.employee.fecha_inicio_rel_laboral > payslip.fecha_final_pago:
        raise _refused(
            _("Empleado %(n)s: la relación laboral empieza después del periodo pagado.")
            % {"n": payslip.employee.num_empleado},
            "relation_after_period",
        )
    if payslip.num_dias_pagados <= 0:
        raise _refused(_("Periodo: los días pagados deben ser más de cero."), "days_invalid")


def payslip_totals(payslip: Payslip) -> PayslipTotals:
    """The complement's and the comprobante's totals (see the module's docstring), after
    refusing what SAT's nómina validations refuse; each refusal a ValidationError with a
    code and a Spanish message naming the row."""
    if not payslip.perceptions and not payslip.other_payments:
        raise _refused(_("Nómina: registra al menos una percepción u otro pago."), "payslip_empty")
    if not payslip.folio:
        raise _refused(_("Nómina: el recibo necesita su folio."), "folio_required")
    _period_checked(payslip)
    _perceptions_checked(payslip)
    _deductions_checked(payslip)
    _other_payments_checked(payslip)
    percs, deds, others = payslip.perceptions, payslip.deductions, payslip.other_payments
    gravado = _sum([p.gravado for p in percs]) if percs else None
    exento = _sum([p.exento for p in percs]) if percs else None
    sueldos = None if gravado is None or exento is None else gravado + exento
    isr = [d.importe for d in deds if d.tipo == ISR_DEDUCTION]
    otras = [d.importe for d in deds if d.tipo != ISR_DEDUCTION]
    retenidos = _sum(isr) if isr else None
    otras_total = _sum(otras) if otras else None
    deducciones = _sum([d.importe for d in deds]) if deds else None
    otros_pagos = _sum([o.importe for o in others]) if others else None
    subtotal = (sueldos or Decimal(0)) + (otros_pagos or Decimal(0))
    descuento = deducciones or Decimal(0)
    if descuento > subtotal:
        raise _refused(
            _(
                "Nómina: las deducciones (%(deducciones)s) superan las percepciones y otros "
                "pagos (%(subtotal)s)."
            )
            % {"deducciones": descuento, "subtotal": subtotal},
            "deductions_exceed",
        )
    return PayslipTotals(
        total_sueldos=sueldos,
        total_gravado=gravado,
        total_exento=exento,
        total_percepciones=sueldos,
        total_otras_deducciones=otras_total,
        total_impuestos_retenidos=retenidos,
        total_deducciones=deducciones,
        total_otros_pagos=otros_pagos,
        subtotal=subtotal,
        descuento=descuento,
        total=subtotal - descuento,
    )


def antiguedad(employee: Employee, fecha_final_pago: date) -> str:
    """Antigüedad in weeks (``P<n>W``): whole weeks from the relationship's first day to the
    period's last, both counted, as SAT's validation computes them."""
    days = (fecha_final_pago - employee.fecha_inicio_rel_laboral).days + 1
    return f"P{max(days // 7, 1)}W"


def _text(value: str) -> str | None:
    return value or None


def _receptor(payslip: Payslip) -> nomina12.Receptor:
    employee = payslip.employee
    return nomina12.Receptor(
        curp=employee.curp,
        tipo_contrato=employee.tipo_contrato,
        tipo_regimen=employee.tipo_regimen,
        num_empleado=employee.num_empleado,
        periodicidad_pago=employee.periodicidad_pago,
        clave_ent_fed=employee.clave_ent_fed,
        num_seguridad_social=employee.num_seguridad_social,
        fecha_inicio_rel_laboral=employee.fecha_inicio_rel_laboral,
        antiguedad=antiguedad(employee, payslip.fecha_final_pago),
        tipo_jornada=employee.tipo_jornada,
        departamento=_text(employee.departamento),
        puesto=_text(employee.puesto),
        riesgo_puesto=employee.riesgo_puesto,
        salario_base_cot_apor=employee.salario_base_cot_apor,
        salario_diario_integrado=employee.salario_diario_integrado,
    )


def _complement(payslip: Payslip, totals: PayslipTotals) -> nomina12.Nomina:
    nomina = nomina12.Nomina(
        tipo_nomina=payslip.tipo_nomina,
        fecha_pago=payslip.fecha_pago,
        fecha_inicial_pago=payslip.fecha_inicial_pago,
        fecha_final_pago=payslip.fecha_final_pago,
        num_dias_pagados=payslip.num_dias_pagados,
        receptor=_receptor(payslip),
        emisor=nomina12.Emisor(registro_patronal=payslip.registro_patronal),
    )
    # Built apart and put in with our totals: satcfdi's own need Deducciones whenever
    # there are Percepciones, and write totals SAT wants absent.
    percepciones: dict[str, Any] | None = None
    if payslip.perceptions:
        percepciones = nomina12.Percepciones(
            percepcion=[
                nomina12.Percepcion(
                    tipo_percepcion=p.tipo,
                    clave=p.clave,
                    concepto=p.concepto,
                    importe_gravado=round_amount(p.gravado, CENT),
                    importe_exento=round_amount(p.exento, CENT),
                )
                for p in payslip.perceptions
            ]
        )
        percepciones["TotalSueldos"] = totals.total_sueldos
        percepciones["TotalGravado"] = totals.total_gravado
        percepciones["TotalExento"] = totals.total_exento
    deducciones: dict[str, Any] | None = None
    if payslip.deductions:
        deducciones = nomina12.Deducciones(
            deduccion=[
                nomina12.Deduccion(
                    tipo_deduccion=d.tipo,
                    clave=d.clave,
                    concepto=d.concepto,
                    importe=round_amount(d.importe, CENT),
                )
                for d in payslip.deductions
            ]
        )
        deducciones["TotalOtrasDeducciones"] = totals.total_otras_deducciones
        deducciones["TotalImpuestosRetenidos"] = totals.total_impuestos_retenidos
    otros = [
        nomina12.OtroPago(
            tipo_otro_pago=o.tipo,
            clave=o.clave,
            concepto=o.concepto,
            importe=round_amount(o.importe, CENT),
            subsidio_al_empleo=None
            if o.subsidio_causado is None
            else round_amount(o.subsidio_causado, CENT),
        )
        for o in payslip.other_payments
    ]
    nomina["Percepciones"] = percepciones
    nomina["Deducciones"] = deducciones
    nomina["OtrosPagos"] = otros or None
    nomina["TotalPercepciones"] = totals.total_percepciones
    nomina["TotalDeducciones"] = totals.total_deducciones
    nomina["TotalOtrosPagos"] = totals.total_otros_pagos
    return nomina


def payslip_comprobante(
    *, issuer: Issuer, payslip: Payslip, totals: PayslipTotals, certificate_der: bytes | None
) -> cfdi40.Comprobante:
    """satcfdi's Comprobante N of the payslip with ``totals``, the CSD's number and
    certificate (none: not to be sealed), not yet sealed."""
    employee = payslip.employee
    comprobante = cfdi40.Comprobante.nomina(
        emisor=cfdi40.Emisor(
            rfc=issuer.rfc, nombre=issuer.nombre, regimen_fiscal=issuer.regimen_fiscal
        ),
        lugar_expedicion=issuer.lugar_expedicion,
        receptor=cfdi40.Receptor(
            rfc=employee.rfc,
            nombre=employee.nombre.upper(),
            domicilio_fiscal_receptor=employee.codigo_postal,
            regimen_fiscal_receptor=REGIMEN_SUELDOS,
            uso_cfdi="CN01",
        ),
        complemento_nomina=_complement(payslip, totals),
        serie=_text(payslip.serie),
        folio=payslip.folio,
        fecha=local_time(payslip.fecha),
    )
    (concepto,) = comprobante["Conceptos"]
    concepto["ValorUnitario"] = totals.subtotal
    concepto["Importe"] = totals.subtotal
    concepto["Descuento"] = totals.total_deducciones
    concepto["ObjetoImp"] = "01"  # SAT's nómina guide; satcfdi writes 03
    concepto["Impuestos"] = None
    comprobante["SubTotal"] = totals.subtotal
    comprobante["Descuento"] = totals.total_deducciones
    comprobante["Impuestos"] = None
    comprobante["Total"] = totals.total
    if certificate_der is not None:
        certify(comprobante, certificate_der)
    return comprobante


def payslip_xml(*, issuer: Issuer, payslip: Payslip, certificate_der: bytes, sign: Signer) -> bytes:
    """The sealed CFDI N of ``payslip``; ValidationError if its amounts are refused."""
    totals = payslip_totals(payslip)
    comprobante = payslip_comprobante(
        issuer=issuer, payslip=payslip, totals=totals, certificate_der=certificate_der
    )
    return seal(comprobante=comprobante, cadena=cadena_original(comprobante), sign=sign)
