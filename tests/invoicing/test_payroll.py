"""Nómina: a payslip becomes a CFDI 4.0 N with the complemento Nómina 1.2 whose totals
reconcile as SAT's nómina guide requires, sealed with the company's CSD through seals,
valid against SAT's XSD, stamped by the sandbox PAC and stored as the company's nómina."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from despacho.access.catalog import Perm
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi
from despacho.cfdi.parsing import parse_xml, read_index
from despacho.cfdi.pdf import cfdi_pdf
from despacho.cfdi.seals import SealCheck, seal_check
from despacho.invoicing.payroll import (
    Deduction,
    Disability,
    Employee,
    OtherPayment,
    Overtime,
    Payslip,
    Perception,
    Retirement,
    Separation,
    payslip_totals,
)
from despacho.invoicing.selectors import InvoicingForbidden
from despacho.invoicing.services.issue import IssueFailed
from despacho.invoicing.services.payroll import payslip_issue
from despacho.invoicing.xmlbuild import validate_against_xsd
from despacho.pac.models import SandboxDocument
from despacho.pac.sandbox import SandboxPac
from despacho.workspace.active import SESSION_KEY as ACTIVE_COMPANY
from tests.factories import make_grant, make_membership, owner_of
from tests.invoicing.issuing import issuing_company, sandbox, storage_failing_once, stored_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]
__all__ = ["sandbox"]

MEXICO = ZoneInfo("America/Mexico_City")
CFDI4 = "{http://www.sat.gob.mx/cfd/4}"
NOMINA12 = "{http://www.sat.gob.mx/nomina12}"
FECHA = datetime(2026, 11, 30, 18, 0, tzinfo=MEXICO)

EMPLOYEE = Employee(
    rfc="XOJI740919U48",
    nombre="Ingrid Xodar Jimenez",
    codigo_postal="76028",
    curp="XOJI740919MQTDMN02",
    num_seguridad_social="04947412369",
    fecha_inicio_rel_laboral=date(2015, 8, 17),
    num_empleado="001",
    salario_base_cot_apor=Decimal("647.07"),
    salario_diario_integrado=Decimal("647.07"),
    clave_ent_fed="COA",
    periodicidad_pago="05",
    puesto="Docente",
)


def payslip(**changes) -> Payslip:
    """November's receipt: sueldo and an exempt prima vacacional, ISR and IMSS, and the
    subsidio para el empleo applied against the ISR (0.00 paid in cash)."""
    values = {
        "employee": EMPLOYEE,
        "registro_patronal": "E6012345108",
        "serie": "N",
        "folio": "202611-001",
        "fecha": FECHA,
        "fecha_pago": date(2026, 11, 30),
        "fecha_inicial_pago": date(2026, 11, 1),
        "fecha_final_pago": date(2026, 11, 30),
        "num_dias_pagados": Decimal(30),
        "perceptions": (
            Perception("001", "P001", "Sueldo", Decimal("9600.00")),
            Perception("021", "P021", "Prima vacacional", Decimal(0), Decimal("925.00")),
        ),
        "deductions": (
            Deduction("002", "D002", "ISR", Decimal("191.73")),
            Deduction("001", "D001", "Seguridad social (IMSS)", Decimal("246.90")),
        ),
        "other_payments": (
            OtherPayment("002", "O002", "Subsidio para el empleo", Decimal(0), Decimal("535.65")),
        ),
    }
    values.update(changes)
    return Payslip(**values)


def pac() -> SandboxPac:
    return SandboxPac(clock=lambda: datetime(2026, 11, 30, 18, 5, tzinfo=MEXICO))


def issued(company, **changes) -> Cfdi:
    return payslip_issue(
        company=company, actor=owner_of(company.account), payslip=payslip(**changes), pac=pac()
    )


def D(value: str | None) -> Decimal:
    return Decimal(value or "0")


def test_a_payslip_is_sealed_stamped_by_the_sandbox_and_stored_as_the_companys_nomina():
    company = issuing_company()
    cfdi = issued(company)
    assert (cfdi.tipo, cfdi.direction, cfdi.category) == ("N", "emitido", "nomina")
    assert (cfdi.serie, cfdi.folio, cfdi.receptor_rfc) == ("N", "202611-001", EMPLOYEE.rfc)
    [stamp] = SandboxDocument.objects.all()
    assert stored_bytes(cfdi) == bytes(stamp.stamped_xml)
    validate_against_xsd(stored_bytes(cfdi))  # cfdv40, nomina12 and the timbre
    root = parse_xml(stored_bytes(cfdi))
    assert seal_check(root, read_index(root)) is SealCheck.VERIFIED
    event = AuditEvent.objects.get(action=Action.CFDI_ISSUED)
    assert event.after["uuid"] == cfdi.uuid_text and event.after["tipo"] == "N"
    assert AuditEvent.objects.filter(action=Action.SEAL_USED, company=company).count() == 1


def test_its_totals_reconcile_as_the_sat_nomina_guide_requires():
    root = parse_xml(stored_bytes(issued(issuing_company())))
    nomina = root.find(f"{CFDI4}Complemento/{NOMINA12}Nomina")
    percepciones = nomina.find(f"{NOMINA12}Percepciones")
    deducciones = nomina.find(f"{NOMINA12}Deducciones")
    [concepto] = root.iter(f"{CFDI4}Concepto")
    assert percepciones.get("TotalGravado") == "9600.00"
    assert percepciones.get("TotalExento") == "925.00"
    assert percepciones.get("TotalSueldos") == nomina.get("TotalPercepciones") == "10525.00"
    assert deducciones.get("TotalImpuestosRetenidos") == "191.73"
    assert deducciones.get("TotalOtrasDeducciones") == "246.90"
    assert nomina.get("TotalDeducciones") == "438.63"
    assert nomina.get("TotalOtrosPagos") == "0.00"
    subsidio = nomina.find(f"{NOMINA12}OtrosPagos/{NOMINA12}OtroPago/{NOMINA12}SubsidioAlEmpleo")
    assert subsidio.get("SubsidioCausado") == "535.65"
    subtotal = D(nomina.get("TotalPercepciones")) + D(nomina.get("TotalOtrosPagos"))
    assert D(root.get("SubTotal")) == subtotal == D(concepto.get("Importe"))
    assert D(concepto.get("ValorUnitario")) == subtotal
    assert D(root.get("Descuento")) == D(concepto.get("Descuento")) == Decimal("438.63")
    assert D(root.get("Total")) == subtotal - Decimal("438.63") == Decimal("10086.37")
    assert {k: root.get(k) for k in ("TipoDeComprobante", "Moneda", "Exportacion")} == {
        "TipoDeComprobante": "N",
        "Moneda": "MXN",
        "Exportacion": "01",
    }
    assert (root.get("MetodoPago"), root.get("FormaPago")) == ("PUE", "99")
    assert {k: concepto.get(k) for k in ("ClaveProdServ", "Cantidad", "ClaveUnidad")} == {
        "ClaveProdServ": "84111505",
        "Cantidad": "1",
        "ClaveUnidad": "ACT",
    }
    assert (concepto.get("Descripcion"), concepto.get("ObjetoImp")) == ("Pago de nómina", "01")
    assert concepto.get("Unidad") is None and root.find(f"{CFDI4}Impuestos") is None
    receptor = root.find(f"{CFDI4}Receptor")
    assert (receptor.get("UsoCFDI"), receptor.get("RegimenFiscalReceptor")) == ("CN01", "605")
    assert receptor.get("Nombre") == "INGRID XODAR JIMENEZ"


def test_the_complement_names_the_employer_and_the_employee_as_sat_asks():
    root = parse_xml(stored_bytes(issued(issuing_company())))
    nomina = root.find(f"{CFDI4}Complemento/{NOMINA12}Nomina")
    assert nomina.find(f"{NOMINA12}Emisor").get("RegistroPatronal") == "E6012345108"
    receptor = nomina.find(f"{NOMINA12}Receptor")
    assert {k: receptor.get(k) for k in (
        "Curp", "NumSeguridadSocial", "FechaInicioRelLaboral", "TipoContrato", "TipoRegimen",
        "NumEmpleado", "PeriodicidadPago", "ClaveEntFed", "SalarioDiarioIntegrado",
    )} == {
        "Curp": "XOJI740919MQTDMN02", "NumSeguridadSocial": "04947412369",
        "FechaInicioRelLaboral": "2015-08-17", "TipoContrato": "01", "TipoRegimen": "02",
        "NumEmpleado": "001", "PeriodicidadPago": "05", "ClaveEntFed": "COA",
        "SalarioDiarioIntegrado": "647.07",
    }  # fmt: skip
    # Whole weeks from 2015-08-17 to 2026-11-30, both days counted.
    assert (
        receptor.get("Antigüedad")
        == f"P{((date(2026, 11, 30) - date(2015, 8, 17)).days + 1) // 7}W"
    )
    assert (nomina.get("TipoNomina"), nomina.get("NumDiasPagados")) == ("O", "30")


def test_a_payslip_without_deductions_or_other_payments_states_no_such_totals():
    root = parse_xml(stored_bytes(issued(issuing_company(), deductions=(), other_payments=())))
    nomina = root.find(f"{CFDI4}Complemento/{NOMINA12}Nomina")
    assert nomina.get("TotalDeducciones") is None and nomina.get("TotalOtrosPagos") is None
    assert nomina.find(f"{NOMINA12}Deducciones") is None
    assert root.get("Descuento") is None and root.get("Total") == "10525.00"


# --- separación, jubilación, horas extra, incapacidades -----------------------------------------


def _nomina(cfdi: Cfdi):
    data = stored_bytes(cfdi)
    validate_against_xsd(data)  # cfdv40, nomina12 (its SeparacionIndemnizacion, …) and TFD
    root = parse_xml(data)
    return root, root.find(f"{CFDI4}Complemento/{NOMINA12}Nomina")


def test_a_severance_payslip_states_separacion_indemnizacion_apart_from_the_sueldos():
    """A finiquito: the last days' sueldo, the prima por antigüedad (022) and the
    indemnización (025), after 11 years with a last ordinary monthly salary of 19,412.10."""
    cfdi = issued(
        issuing_company(),
        tipo_nomina="E",
        perceptions=(
            Perception("001", "P001", "Sueldo", Decimal("3200.00")),
            Perception("022", "P022", "Prima de antigüedad", Decimal("4100.00"), Decimal("3900")),
            Perception("025", "P025", "Indemnización", Decimal("40000.00"), Decimal("19500")),
        ),
        deductions=(Deduction("002", "D002", "ISR", Decimal("9850.00")),),
        other_payments=(),
        separation=Separation(num_anos_servicio=11, ultimo_sueldo_mens_ord=Decimal("19412.10")),
    )
    root, nomina = _nomina(cfdi)
    percepciones = nomina.find(f"{NOMINA12}Percepciones")
    assert percepciones.get("TotalSueldos") == "3200.00"
    assert percepciones.get("TotalSeparacionIndemnizacion") == "67500.00"
    assert percepciones.get("TotalJubilacionPensionRetiro") is None
    assert percepciones.get("TotalGravado") == "47300.00"
    assert percepciones.get("TotalExento") == "23400.00"
    assert nomina.get("TotalPercepciones") == "70700.00"
    separacion = percepciones.find(f"{NOMINA12}SeparacionIndemnizacion")
    assert {k: separacion.get(k) for k in (
        "TotalPagado", "NumAñosServicio", "UltimoSueldoMensOrd", "IngresoAcumulable",
        "IngresoNoAcumulable",
    )} == {
        "TotalPagado": "67500.00", "NumAñosServicio": "11", "UltimoSueldoMensOrd": "19412.10",
        "IngresoAcumulable": "19412.10", "IngresoNoAcumulable": "48087.90",
    }  # fmt: skip
    assert nomina.find(f"{NOMINA12}Deducciones").get("TotalSeparacionIndemnizacion") is None
    assert root.get("SubTotal") == "70700.00" and root.get("Total") == "60850.00"


@pytest.mark.parametrize(
    ("tipo", "retirement", "expected"),
    [
        (
            "039",
            Retirement(ultimo_sueldo_mens_ord=Decimal("25000.00")),
            {
                "TotalUnaExhibicion": "180000.00",
                "TotalParcialidad": None,
                "MontoDiario": None,
                "IngresoAcumulable": "25000.00",
                "IngresoNoAcumulable": "155000.00",
            },
        ),
        (
            "044",
            Retirement(monto_diario=Decimal("6000.00")),
            {
                "TotalUnaExhibicion": None,
                "TotalParcialidad": "180000.00",
                "MontoDiario": "6000.00",
                "IngresoAcumulable": "180000.00",
                "IngresoNoAcumulable": "0.00",
            },
        ),
    ],
)
def test_a_retirement_payslip_states_jubilacion_pension_retiro(tipo, retirement, expected):
    cfdi = issued(
        issuing_company(),
        perceptions=(
            Perception(tipo, f"P{tipo}", "Jubilación", Decimal("120000.00"), Decimal("60000")),
        ),
        deductions=(Deduction("002", "D002", "ISR", Decimal("21000.00")),),
        other_payments=(),
        retirement=retirement,
    )
    root, nomina = _nomina(cfdi)
    percepciones = nomina.find(f"{NOMINA12}Percepciones")
    assert percepciones.get("TotalSueldos") is None
    assert percepciones.get("TotalJubilacionPensionRetiro") == "180000.00"
    assert nomina.get("TotalPercepciones") == "180000.00"
    node = percepciones.find(f"{NOMINA12}JubilacionPensionRetiro")
    assert {k: node.get(k) for k in expected} == expected
    assert root.get("Total") == "159000.00"


def test_overtime_is_detailed_in_horas_extra_under_its_percepcion():
    cfdi = issued(
        issuing_company(),
        perceptions=(
            Perception("001", "P001", "Sueldo", Decimal("9600.00")),
            Perception(
                "019",
                "P019",
                "Horas extra",
                Decimal("540.00"),
                Decimal("540.00"),
                horas_extra=(
                    Overtime(dias=3, tipo_horas="01", horas=9, importe_pagado=Decimal("720.00")),
                    Overtime(dias=1, tipo_horas="02", horas=2, importe_pagado=Decimal("360.00")),
                ),
            ),
        ),
    )
    _, nomina = _nomina(cfdi)
    [overtime] = [
        p for p in nomina.iter(f"{NOMINA12}Percepcion") if p.get("TipoPercepcion") == "019"
    ]
    assert [
        (h.get("Dias"), h.get("TipoHoras"), h.get("HorasExtra"), h.get("ImportePagado"))
        for h in overtime.findall(f"{NOMINA12}HorasExtra")
    ] == [("3", "01", "9", "720.00"), ("1", "02", "2", "360.00")]
    assert nomina.find(f"{NOMINA12}Percepciones").get("TotalSueldos") == "10680.00"


def test_a_disability_is_stated_in_incapacidades_matching_its_subsidy_and_its_discount():
    """Five days of enfermedad general: the employer discounts them (006) and pays the
    subsidio por incapacidad (014) it advances for the IMSS."""
    cfdi = issued(
        issuing_company(),
        perceptions=(
            Perception("001", "P001", "Sueldo", Decimal("9600.00")),
            Perception("014", "P014", "Subsidio por incapacidad", Decimal(0), Decimal("1600")),
        ),
        deductions=(
            Deduction("002", "D002", "ISR", Decimal("191.73")),
            Deduction("006", "D006", "Descuento por incapacidad", Decimal("1600.00")),
        ),
        disabilities=(
            Disability(dias=3, tipo="02", importe=Decimal("960.00")),
            Disability(dias=2, tipo="02", importe=Decimal("640.00")),
        ),
    )
    _, nomina = _nomina(cfdi)
    assert [
        (i.get("DiasIncapacidad"), i.get("TipoIncapacidad"), i.get("ImporteMonetario"))
        for i in nomina.findall(f"{NOMINA12}Incapacidades/{NOMINA12}Incapacidad")
    ] == [("3", "02", "960.00"), ("2", "02", "640.00")]
    assert nomina.find(f"{NOMINA12}Deducciones").get("TotalOtrasDeducciones") == "1600.00"
    assert nomina.get("TotalPercepciones") == "11200.00"


def test_issuing_the_same_receipt_again_returns_the_stored_cfdi_without_a_second_stamp():
    company = issuing_company()
    first = issued(company)
    again = issued(company)
    assert again.pk == first.pk
    assert SandboxDocument.objects.count() == 1 and Cfdi.objects.count() == 1


def test_a_folio_already_issued_to_another_employee_is_refused():
    company = issuing_company()
    issued(company)
    other = Employee(
        **{**EMPLOYEE.__dict__, "rfc": "FUNK671228PH6", "nombre": "KARLA FUENTE NOLASCO"}
    )
    with pytest.raises(ValidationError) as caught:
        issued(company, employee=other)
    assert caught.value.code == "folio_taken"
    assert "N-202611-001" in caught.value.message


def test_a_payslip_stamped_but_not_stored_is_recovered_with_the_same_uuid(monkeypatch):
    company = issuing_company()
    storage_failing_once(monkeypatch, OSError("disco lleno"))
    with pytest.raises(IssueFailed) as caught:
        issued(company)
    assert caught.value.code == "not_stored" and caught.value.retryable
    [stamp] = SandboxDocument.objects.all()
    assert stamp.uuid.upper() in caught.value.message
    cfdi = issued(company)
    assert cfdi.uuid_text.lower() == stamp.uuid.lower()
    assert SandboxDocument.objects.count() == 1 and Cfdi.objects.count() == 1


def test_it_shows_in_the_nomina_list_and_its_pdf_says_sin_validez_fiscal(client):
    company = issuing_company()
    cfdi = issued(company)
    client.force_login(owner_of(company.account))
    session = client.session
    session[ACTIVE_COMPANY] = company.pk
    session.save()
    page = client.get(reverse("cfdi:list", args=["nomina"])).content.decode()
    assert "XOJI740919U48" in page
    pdf = PdfReader(io.BytesIO(cfdi_pdf(cfdi)))
    assert "SIN VALIDEZ FISCAL" in " ".join(p.extract_text() for p in pdf.pages)


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"deductions": (Deduction("002", "D002", "ISR", Decimal("20000")),)}, "deductions_exceed"),
        (
            {"other_payments": (OtherPayment("002", "O002", "Subsidio", Decimal("10")),)},
            "subsidio_causado",
        ),
        (
            {"other_payments": (OtherPayment("003", "O003", "Viáticos", Decimal(5), Decimal(5)),)},
            "subsidio_not_allowed",
        ),
        (
            {"perceptions": (Perception("045", "P045", "Acciones", Decimal(100)),)},
            "perception_unsupported",
        ),
        (
            {"perceptions": (Perception("019", "P019", "Horas extra", Decimal(100)),)},
            "overtime_required",
        ),
        (
            {
                "perceptions": (
                    Perception(
                        "001",
                        "P001",
                        "Sueldo",
                        Decimal(100),
                        horas_extra=(Overtime(1, "01", 2, Decimal(100)),),
                    ),
                )
            },
            "overtime_not_allowed",
        ),
        (
            {
                "perceptions": (
                    Perception(
                        "019",
                        "P019",
                        "Horas extra",
                        Decimal(100),
                        horas_extra=(Overtime(1, "04", 2, Decimal(100)),),
                    ),
                )
            },
            "overtime_invalid",
        ),
        (
            {"perceptions": (Perception("025", "P025", "Indemnización", Decimal(100)),)},
            "separation_required",
        ),
        ({"separation": Separation(3, Decimal(9000))}, "separation_not_allowed"),
        (
            {
                "perceptions": (
                    Perception("039", "P039", "Jubilación", Decimal(100)),
                    Perception("044", "P044", "Pensión", Decimal(100)),
                ),
                "retirement": Retirement(ultimo_sueldo_mens_ord=Decimal(9000)),
            },
            "retirement_mixed",
        ),
        (
            {
                "perceptions": (Perception("039", "P039", "Jubilación", Decimal(100)),),
                "retirement": Retirement(monto_diario=Decimal(300)),
            },
            "retirement_salary_required",
        ),
        (
            {"perceptions": (Perception("044", "P044", "Pensión", Decimal(100)),)},
            "retirement_daily_required",
        ),
        ({"retirement": Retirement(monto_diario=Decimal(300))}, "retirement_not_allowed"),
        (
            {"deductions": (Deduction("006", "D006", "Incapacidad", Decimal(500)),)},
            "disability_required",
        ),
        (
            {
                "deductions": (Deduction("006", "D006", "Incapacidad", Decimal(500)),),
                "disabilities": (Disability(2, "02", Decimal(400)),),
            },
            "disability_amount_mismatch",
        ),
        ({"disabilities": (Disability(0, "02"),)}, "disability_invalid"),
        (
            {"perceptions": (Perception("001", "P001", "Sueldo", Decimal("1.005")),)},
            "amount_invalid",
        ),
        ({"deductions": (Deduction("001", "D001", "IMSS", Decimal(0)),)}, "deduction_zero"),
        ({"perceptions": (), "other_payments": ()}, "payslip_empty"),
        ({"fecha_inicial_pago": date(2026, 12, 1)}, "period_invalid"),
        ({"folio": ""}, "folio_required"),
    ],
)
def test_what_sats_nomina_validations_refuse_is_refused_before_the_pac(changes, code):
    company = issuing_company()
    with pytest.raises(ValidationError) as caught:
        issued(company, **changes)
    assert caught.value.code == code
    assert not SandboxDocument.objects.exists()


def test_issuing_nomina_needs_facturar_and_nomina():
    company = issuing_company()
    ventas = make_membership(company.account)
    make_grant(ventas, company, "administrador", remove=[Perm.NOMINA])
    with pytest.raises(InvoicingForbidden) as caught:
        payslip_issue(company=company, actor=ventas.user, payslip=payslip(), pac=pac())
    assert "Nómina" in caught.value.message
    payroll = make_membership(company.account)
    make_grant(payroll, company, "nominas")
    with pytest.raises(InvoicingForbidden) as caught:
        payslip_issue(company=company, actor=payroll.user, payslip=payslip(), pac=pac())
    assert "Facturar" in caught.value.message


# --- the totals, for any payslip ----------------------------------------------------------------

cents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50000), places=2)


@settings(max_examples=60, deadline=None)
@given(
    percs=st.lists(st.tuples(cents, cents), min_size=1, max_size=5),
    deds=st.lists(st.tuples(st.sampled_from(["001", "002", "004"]), cents), max_size=4),
    subsidio=st.one_of(st.none(), cents),
)
def test_totals_always_reconcile(percs, deds, subsidio):
    others = (
        () if subsidio is None else (OtherPayment("002", "O", "Subsidio", Decimal(0), subsidio),)
    )
    slip = payslip(
        perceptions=tuple(Perception("001", "P", "Sueldo", g, e) for g, e in percs),
        deductions=tuple(Deduction(t, "D", "D", i) for t, i in deds),
        other_payments=others,
    )
    try:
        totals = payslip_totals(slip)
    except ValidationError as error:
        assert error.code == "deductions_exceed"
        assert sum(i for _, i in deds) > sum(g + e for g, e in percs)
        return
    assert totals.total_gravado + totals.total_exento == totals.total_sueldos
    assert totals.total_percepciones == sum(g + e for g, e in percs)
    assert totals.subtotal == totals.total_percepciones + (totals.total_otros_pagos or 0)
    isr = sum((i for t, i in deds if t == "002"), Decimal(0))
    assert (totals.total_impuestos_retenidos or 0) == isr
    assert (totals.total_deducciones or 0) == sum((i for _, i in deds), Decimal(0))
    assert totals.descuento == (totals.total_deducciones or 0)
    assert totals.total == totals.subtotal - totals.descuento >= 0


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(
        st.tuples(st.sampled_from(["001", "019", "022", "025", "039"]), cents, cents),
        min_size=1,
        max_size=6,
    )
)
def test_total_percepciones_is_sueldos_plus_separation_plus_retirement(amounts):
    def perception(tipo, gravado, exento):
        overtime = (Overtime(1, "01", 2, gravado + exento),) if tipo == "019" else ()
        return Perception(tipo, "P", "P", gravado, exento, horas_extra=overtime)

    tipos = {t for t, _, _ in amounts}
    slip = payslip(
        perceptions=tuple(perception(*row) for row in amounts),
        deductions=(),
        separation=Separation(5, Decimal(20000)) if tipos & {"022", "025"} else None,
        retirement=Retirement(ultimo_sueldo_mens_ord=Decimal(20000)) if "039" in tipos else None,
    )
    totals = payslip_totals(slip)

    def total(keys):
        picked = [g + e for t, g, e in amounts if t in keys]
        return sum(picked, Decimal(0)) if picked else None

    assert totals.total_sueldos == total({"001", "019"})
    assert totals.total_separacion_indemnizacion == total({"022", "025"})
    assert totals.total_jubilacion_pension_retiro == total({"039"})
    assert totals.total_percepciones == sum((g + e for _, g, e in amounts), Decimal(0))
    assert totals.total_gravado + totals.total_exento == totals.total_percepciones
    assert totals.total == totals.subtotal == totals.total_percepciones + Decimal("0.00")
