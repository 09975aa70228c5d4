"""The demo's nómina: ESCUELA KEMPER URGATE pays last month to three employees, each receipt
issued through ``invoicing.services.payroll.payslip_issue`` and the sandbox PAC.

The employees are SAT's test taxpayers (RFC, name and CP as SAT's test environment registers
them); CURPs and NSS are made up with valid check digits. The amounts are illustrative, not a
payroll calculation: a monthly salary, a prima vacacional within its exemption, ISR and the
employee's IMSS dues, and for the lowest salary the subsidio para el empleo applied against
the ISR (OtroPago 002 with Importe 0.00 and its SubsidioCausado). A receipt's folio is the
month and the employee number, so running the demo again in the same month issues nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from despacho.cfdi.models import Cfdi
from despacho.cfdi.parsing import CFDI_ZONE
from despacho.demo.issuing import sandbox_at
from despacho.invoicing.payroll import Deduction, Employee, OtherPayment, Payslip, Perception
from despacho.invoicing.services.payroll import payslip_issue
from despacho.people.models import User
from despacho.tenancy.models import Company

REGISTRO_PATRONAL = "E6012345108"
SERIE = "N"


@dataclass(frozen=True)
class Pay:
    """What one employee is paid in the month (MXN)."""

    sueldo: Decimal
    isr: Decimal
    imss: Decimal
    prima_vacacional: Decimal = Decimal(0)
    subsidio_causado: Decimal | None = None


def _employee(**fields: Any) -> Employee:
    """A teacher or staff member of the school in Coahuila, paid monthly; SDI as SBC."""
    sdi = Decimal(fields.pop("sdi"))
    return Employee(
        salario_base_cot_apor=sdi,
        salario_diario_integrado=sdi,
        clave_ent_fed="COA",
        periodicidad_pago="05",  # mensual
        **fields,
    )


EMPLOYEES: list[tuple[Employee, Pay]] = [
    (
        _employee(
            rfc="XOJI740919U48",
            nombre="INGRID XODAR JIMENEZ",
            codigo_postal="76028",
            curp="XOJI740919MQTDMN02",
            num_seguridad_social="04947412369",
            fecha_inicio_rel_laboral=date(2015, 8, 17),
            num_empleado="001",
            sdi="647.07",
            puesto="Docente",
            departamento="Primaria",
        ),
        Pay(Decimal("18500.00"), Decimal("2283.60"), Decimal("512.40"), Decimal("925.00")),
    ),
    (
        _employee(
            rfc="FUNK671228PH6",
            nombre="KARLA FUENTE NOLASCO",
            codigo_postal="01160",
            curp="FUNK671228MDFNLR04",
            num_seguridad_social="12876712345",
            fecha_inicio_rel_laboral=date(2019, 1, 7),
            num_empleado="002",
            sdi="419.72",
            puesto="Coordinadora administrativa",
            departamento="Administración",
        ),
        Pay(Decimal("12000.00"), Decimal("1033.15"), Decimal("318.60")),
    ),
    (
        _employee(
            rfc="MISC491214B86",
            nombre="CECILIA MIRANDA SANCHEZ",
            codigo_postal="01010",
            curp="MISC491214MDFRNC06",
            num_seguridad_social="49704914255",
            fecha_inicio_rel_laboral=date(2021, 2, 1),
            num_empleado="003",
            sdi="335.78",
            puesto="Auxiliar de intendencia",
            departamento="Servicios generales",
        ),
        Pay(
            Decimal("9600.00"),
            Decimal("191.73"),
            Decimal("246.90"),
            subsidio_causado=Decimal("535.65"),
        ),
    ),
]


def payslip_of(
    employee: Employee, pay: Pay, *, first: date, last: date, fecha: datetime
) -> Payslip:
    """The month's receipt of one employee: sueldo (001), prima vacacional (021, exempt),
    ISR (002) and IMSS (001), and the subsidio para el empleo when it applies."""
    perceptions = [Perception("001", "P001", "Sueldo", pay.sueldo)]
    if pay.prima_vacacional:
        perceptions.append(
            Perception("021", "P021", "Prima vacacional", Decimal(0), pay.prima_vacacional)
        )
    others: tuple[OtherPayment, ...] = ()
    if pay.subsidio_causado is not None:
        others = (
            OtherPayment(
                "002", "O002", "Subsidio para el empleo", Decimal("0.00"), pay.subsidio_causado
            ),
        )
    return Payslip(
        employee=employee,
        registro_patronal=REGISTRO_PATRONAL,
        serie=SERIE,
        folio=f"{first:%Y%m}-{employee.num_empleado}",
        fecha=fecha,
        fecha_pago=last,
        fecha_inicial_pago=first,
        fecha_final_pago=last,
        num_dias_pagados=Decimal(last.day),
        perceptions=tuple(perceptions),
        deductions=(
            Deduction("002", "D002", "ISR", pay.isr),
            Deduction("001", "D001", "Seguridad social (IMSS)", pay.imss),
        ),
        other_payments=others,
    )


def demo_payroll(*, company: Company, owner: User, now: datetime | None = None) -> list[Cfdi]:
    """Issue last month's nómina of the demo's employees for ``company`` as ``owner``; a
    receipt already issued is returned as stored, not stamped again."""
    today = timezone.localtime(now or timezone.now(), CFDI_ZONE).date()
    last = today.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    fecha = datetime.combine(last, time(18, 0), tzinfo=CFDI_ZONE)
    return [
        payslip_issue(
            company=company,
            actor=owner,
            payslip=payslip_of(employee, pay, first=first, last=last, fecha=fecha),
            pac=sandbox_at(fecha),
        )
        for employee, pay in EMPLOYEES
    ]
