"""Nómina: a payslip as typed values, its totals as SAT requires them, its sealed CFDI.

A ``Payslip`` is one employee's receipt for one period: CFDI 4.0 of TipoDeComprobante N with
the complemento Nómina 1.2 (revisión E). ``payslip_totals`` computes every total the way
SAT's Guía de llenado del comprobante de nómina states it, and refuses what the PACs'
nómina validations refuse:

- Percepciones: ``TotalGravado = Σ ImporteGravado``, ``TotalExento = Σ ImporteExento``
  of every percepción; ``TotalSueldos`` = gravado + exento of every percepción except the
  separación keys (022 prima por antigüedad, 023 pagos por separación, 025
  indemnizaciones), summed in ``TotalSeparacionIndemnizacion``, and the jubilación keys
  (039 in one payment, 044 in instalments), summed in ``TotalJubilacionPensionRetiro``;
  ``TotalPercepciones`` = the three; each total absent when nothing is summed in it.
- SeparacionIndemnizacion (required with 022/023/025; the payslip's ``separation``):
  ``TotalPagado`` = their total, ``NumAñosServicio``, ``UltimoSueldoMensOrd``,
  ``IngresoAcumulable`` = the lesser of ``TotalPagado`` and the last ordinary monthly
  salary, ``IngresoNoAcumulable = TotalPagado − IngresoAcumulable`` (LISR art. 95).
- JubilacionPensionRetiro (required with 039 or 044, never both; the payslip's
  ``retirement``): with 039 ``TotalUnaExhibicion`` = their total and the same acumulable /
  no acumulable split as a separation over the last ordinary monthly salary, no
  ``TotalParcialidad`` or ``MontoDiario``; with 044 ``TotalParcialidad`` = their total and
  ``MontoDiario``, the whole instalment acumulable (``IngresoNoAcumulable`` 0.00), no
  ``TotalUnaExhibicion``.
- HorasExtra (required with 019, one node per kind of overtime: días, c_TipoHoras 01
  dobles / 02 triples / 03 simples, horas, importe pagado).
- Incapacidades (required with percepción 014, subsidio por incapacidad, and with deducción
  006, descuento por incapacidad): each with días, c_TipoIncapacidad and
  ``ImporteMonetario``, whose sum equals the 014 percepciones' gravado + exento and the
  006 deducciones' importe. Incapacidades without either are allowed (días not paid),
  their importe optional.
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
on the Deducciones and sums with ``sum``, unrounded, counting them in TotalSueldos);
``payslip_xml`` seals it through the same ``xmlbuild`` steps as every other CFDI.
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
SEPARATION = frozenset({"022", "023", "025"})  # prima por antigüedad, separación, indemnización
RETIREMENT_ONCE = "039"  # jubilación, pensión o haber de retiro en una exhibición
RETIREMENT_INSTALMENTS = "044"  # … en parcialidades
OVERTIME = "019"  # horas extra
DISABILITY_SUBSIDY = "014"  # subsidio por incapacidad
DISABILITY_DEDUCTION = "006"  # descuento por incapacidad
TIPOS_HORAS = frozenset({"01", "02", "03"})  # c_TipoHoras: dobles, triples, simples
TIPOS_INCAPACIDAD = frozenset({"01", "02", "03", "04"})  # c_TipoIncapacidad
# Percepciones whose nodes this builder does not write: ingresos en acciones o títulos
# (045, AccionesOTitulos).
UNSUPPORTED_PERCEPTIONS = frozenset({"045"})
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
class Overtime:
    """One HorasExtra node of a percepción 019."""

    dias: int
    tipo_horas: str  # c_TipoHoras: 01 dobles, 02 triples, 03 simples
    horas: int
    importe_pagado: Decimal


@dataclass(frozen=True)
class Perception:
    tipo: str  # c_TipoPercepcion: 001 sueldos, 002 aguinaldo, 021 prima vacacional …
    clave: str  # the employer's own key (3 to 15 characters)
    concepto: str
    gravado: Decimal
    exento: Decimal = Decimal(0)
    horas_extra: tuple[Overtime, ...] = ()  # required for 019, refused elsewhere


@dataclass(frozen=True)
class Disability:
    """One Incapacidad: days, c_TipoIncapacidad (01 riesgo de trabajo, 02 enfermedad
    general, 03 maternidad, 04 licencia por cuidados médicos de hijos con cáncer) and the
    importe, required when a percepción 014 or a deducción 006 pays or discounts it."""

    dias: int
    tipo: str
    importe: Decimal | None = None


@dataclass(frozen=True)
class Separation:
    """What SeparacionIndemnizacion states besides the amounts (022, 023, 025)."""

    num_anos_servicio: int
    ultimo_sueldo_mens_ord: Decimal


@dataclass(frozen=True)
class Retirement:
    """What JubilacionPensionRetiro needs besides the amounts: the last ordinary monthly
    salary for a payment in one exhibition (039), the daily amount for instalments (044)."""

    ultimo_sueldo_mens_ord: Decimal | None = None
    monto_diario: Decimal | None = None


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
    disabilities: tuple[Disability, ...] = ()
    separation: Separation | None = None
    retirement: Retirement | None = None


@dataclass(frozen=True)
class PayslipTotals:
    """Every total the complement and the comprobante state; None where SAT wants none."""

    total_sueldos: Decimal | None
    total_separacion_indemnizacion: Decimal | None
    total_jubilacion_pension_retiro: Decimal | None
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


def _total_of(perceptions: list[Perception]) -> Decimal | None:
    """Gravado + exento of ``perceptions``; None (the total absent) when there are none."""
    return _sum([p.gravado + p.exento for p in perceptions]) if perceptions else None


def income_split(total: Decimal, ultimo_sueldo_mens_ord: Decimal) -> tuple[Decimal, Decimal]:
    """IngresoAcumulable and IngresoNoAcumulable of a separation or a retirement paid in one
    exhibition (LISR art. 95): acumulable up to the last ordinary monthly salary, the rest
    not."""
    acumulable = min(total, round_amount(ultimo_sueldo_mens_ord, CENT))
    return acumulable, total - acumulable


def _overtime_checked(p: Perception, where: str) -> None:
    if p.tipo != OVERTIME:
        if p.horas_extra:
            raise _refused(
                _("%(where)s: solo las horas extra (019) llevan el detalle de horas extra.")
                % {"where": where},
                "overtime_not_allowed",
            )
        return
    if not p.horas_extra:
        raise _refused(
            _("%(where)s: las horas extra (019) requieren días, tipo de horas, horas e importe.")
            % {"where": where},
            "overtime_required",
        )
    for overtime in p.horas_extra:
        _amount(overtime.importe_pagado, where)
        if overtime.dias <= 0 or overtime.horas <= 0 or overtime.tipo_horas not in TIPOS_HORAS:
            raise _refused(
                _(
                    "%(where)s: cada registro de horas extra lleva días y horas mayores que "
                    "cero y el tipo de horas 01 (dobles), 02 (triples) o 03 (simples)."
                )
                % {"where": where},
                "overtime_invalid",
            )


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
        _overtime_checked(p, where)


def _separation_checked(payslip: Payslip) -> None:
    paid = any(p.tipo in SEPARATION for p in payslip.perceptions)
    separation = payslip.separation
    if paid and separation is None:
        raise _refused(
            _(
                "Separación: la prima por antigüedad, los pagos por separación y las "
                "indemnizaciones (022, 023, 025) requieren los años de servicio y el último "
                "sueldo mensual ordinario."
            ),
            "separation_required",
        )
    if separation is None:
        return
    if not paid:
        raise _refused(
            _("Separación: solo va con percepciones 022, 023 o 025."), "separation_not_allowed"
        )
    where = _("Separación")
    if separation.num_anos_servicio < 0 or _amount(separation.ultimo_sueldo_mens_ord, where) <= 0:
        raise _refused(
            _(
                "Separación: los años de servicio no pueden ser negativos y el último sueldo "
                "mensual ordinario debe ser mayor que cero."
            ),
            "separation_invalid",
        )


def _retirement_checked(payslip: Payslip) -> None:
    tipos = {p.tipo for p in payslip.perceptions}
    once, instalments = RETIREMENT_ONCE in tipos, RETIREMENT_INSTALMENTS in tipos
    retirement = payslip.retirement
    where = _("Jubilación")
    if once and instalments:
        raise _refused(
            _(
                "Jubilación: un recibo lleva el pago en una exhibición (039) o en "
                "parcialidades (044), no ambos."
            ),
            "retirement_mixed",
        )
    if not once and not instalments:
        if retirement is not None:
            raise _refused(
                _("Jubilación: solo va con percepciones 039 o 044."), "retirement_not_allowed"
            )
        return
    salary = retirement.ultimo_sueldo_mens_ord if retirement else None
    daily = retirement.monto_diario if retirement else None
    if once and (salary is None or _amount(salary, where) <= 0 or daily is not None):
        raise _refused(
            _(
                "Jubilación: el pago en una exhibición (039) requiere el último sueldo mensual "
                "ordinario, mayor que cero, y no lleva monto diario."
            ),
            "retirement_salary_required",
        )
    if instalments and (daily is None or _amount(daily, where) <= 0 or salary is not None):
        raise _refused(
            _(
                "Jubilación: el pago en parcialidades (044) requiere el monto diario, mayor "
                "que cero, y no lleva último sueldo mensual ordinario."
            ),
            "retirement_daily_required",
        )


def _disabilities_checked(payslip: Payslip) -> None:
    where = _("Incapacidades")
    for disability in payslip.disabilities:
        if disability.importe is not None:
            _amount(disability.importe, where)
        if disability.dias <= 0 or disability.tipo not in TIPOS_INCAPACIDAD:
            raise _refused(
                _(
                    "Incapacidades: cada incapacidad lleva días mayores que cero y el tipo 01 "
                    "(riesgo de trabajo), 02 (enfermedad en general), 03 (maternidad) o 04 "
                    "(licencia por cuidados médicos de hijos con cáncer)."
                ),
                "disability_invalid",
            )
    subsidy = [p.gravado + p.exento for p in payslip.perceptions if p.tipo == DISABILITY_SUBSIDY]
    discount = [d.importe for d in payslip.deductions if d.tipo == DISABILITY_DEDUCTION]
    if not subsidy and not discount:
        return
    if not payslip.disabilities or any(d.importe is None for d in payslip.disabilities):
        raise _refused(
            _(
                "Incapacidades: el subsidio (percepción 014) y el descuento por incapacidad "
                "(deducción 006) requieren cada incapacidad con sus días, tipo e importe."
            ),
            "disability_required",
        )
    total = _sum([d.importe or Decimal(0) for d in payslip.disabilities])
    for label, amounts in (("014", subsidy), ("006", discount)):
        if amounts and _sum(amounts) != total:
            raise _refused(
                _(
                    "Incapacidades: la suma de sus importes (%(total)s) debe ser igual a "
                    "%(tipo)s (%(amount)s)."
                )
                % {"total": total, "tipo": label, "amount": _sum(amounts)},
                "disability_amount_mismatch",
            )


def _deductions_checked(payslip: Payslip) -> None:
    for number, d in enumerate(payslip.deductions, start=1):
        where = _("Deducción %(n)s") % {"n": number}
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
    _separation_checked(payslip)
    _retirement_checked(payslip)
    _deductions_checked(payslip)
    _disabilities_checked(payslip)
    _other_payments_checked(payslip)
    percs, deds, others = payslip.perceptions, payslip.deductions, payslip.other_payments
    gravado = _sum([p.gravado for p in percs]) if percs else None
    exento = _sum([p.exento for p in percs]) if percs else None
    retirement_keys = (RETIREMENT_ONCE, RETIREMENT_INSTALMENTS)
    separacion = _total_of([p for p in percs if p.tipo in SEPARATION])
    jubilacion = _total_of([p for p in percs if p.tipo in retirement_keys])
    sueldos = _total_of(
        [p for p in percs if p.tipo not in SEPARATION and p.tipo not in retirement_keys]
    )
    percepciones = (
        _sum([t for t in (sueldos, separacion, jubilacion) if t is not None]) if percs else None
    )
    isr = [d.importe for d in deds if d.tipo == ISR_DEDUCTION]
    otras = [d.importe for d in deds if d.tipo != ISR_DEDUCTION]
    retenidos = _sum(isr) if isr else None
    otras_total = _sum(otras) if otras else None
    deducciones = _sum([d.importe for d in deds]) if deds else None
    otros_pagos = _sum([o.importe for o in others]) if others else None
    subtotal = (percepciones or Decimal(0)) + (otros_pagos or Decimal(0))
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
        total_separacion_indemnizacion=separacion,
        total_jubilacion_pension_retiro=jubilacion,
        total_gravado=gravado,
        total_exento=exento,
        total_percepciones=percepciones,
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


def _separation_node(
    payslip: Payslip, totals: PayslipTotals
) -> nomina12.SeparacionIndemnizacion | None:
    separation, total = payslip.separation, totals.total_separacion_indemnizacion
    if separation is None or total is None:
        return None
    acumulable, no_acumulable = income_split(total, separation.ultimo_sueldo_mens_ord)
    return nomina12.SeparacionIndemnizacion(
        total_pagado=total,
        num_anos_servicio=separation.num_anos_servicio,
        ultimo_sueldo_mens_ord=round_amount(separation.ultimo_sueldo_mens_ord, CENT),
        ingreso_acumulable=acumulable,
        ingreso_no_acumulable=no_acumulable,
    )


def _retirement_node(
    payslip: Payslip, totals: PayslipTotals
) -> nomina12.JubilacionPensionRetiro | None:
    retirement, total = payslip.retirement, totals.total_jubilacion_pension_retiro
    if retirement is None or total is None:
        return None
    if retirement.ultimo_sueldo_mens_ord is not None:  # 039: one exhibition
        acumulable, no_acumulable = income_split(total, retirement.ultimo_sueldo_mens_ord)
        return nomina12.JubilacionPensionRetiro(
            total_una_exhibicion=total,
            ingreso_acumulable=acumulable,
            ingreso_no_acumulable=no_acumulable,
        )
    return nomina12.JubilacionPensionRetiro(  # 044: instalments
        total_parcialidad=total,
        monto_diario=round_amount(retirement.monto_diario or Decimal(0), CENT),
        ingreso_acumulable=total,
        ingreso_no_acumulable=round_amount(Decimal(0), CENT),
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
                    horas_extra=[
                        nomina12.HorasExtra(
                            dias=h.dias,
                            tipo_horas=h.tipo_horas,
                            horas_extra=h.horas,
                            importe_pagado=round_amount(h.importe_pagado, CENT),
                        )
                        for h in p.horas_extra
                    ]
                    or None,
                )
                for p in payslip.perceptions
            ],
            jubilacion_pension_retiro=_retirement_node(payslip, totals),
            separacion_indemnizacion=_separation_node(payslip, totals),
        )
        percepciones["TotalSueldos"] = totals.total_sueldos
        percepciones["TotalSeparacionIndemnizacion"] = totals.total_separacion_indemnizacion
        percepciones["TotalJubilacionPensionRetiro"] = totals.total_jubilacion_pension_retiro
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
    nomina["Incapacidades"] = [
        nomina12.Incapacidad(
            dias_incapacidad=d.dias,
            tipo_incapacidad=d.tipo,
            importe_monetario=None if d.importe is None else round_amount(d.importe, CENT),
        )
        for d in payslip.disabilities
    ] or None
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
