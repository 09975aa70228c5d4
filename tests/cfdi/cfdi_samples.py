"""Factories for CFDI tests: the real public samples, synthetic CFDIs and hostile files."""

from __future__ import annotations

import io
import uuid as uuid_module
import zipfile

from stdnum.mx import rfc as stdnum_rfc
from tests.factories import make_account, make_company, owner_of, valid_rfc

from despacho.samples import CFDI_SAMPLES_DIR
from despacho.tenancy.models import Account, Company

SAMPLES_DIR = CFDI_SAMPLES_DIR

INGRESO_REAL = "ingreso_cfdiutils_cfdi40-real.xml"  # ISD950921HE5 → COSC8001137NA, I
INGRESO_HE = "ingreso_satcfdi_he951128469_iva16_stamped.xml"  # H&E951128469 → KIJ0906199R1, I
PAGO_HE = "pago20_satcfdi_he951128469.xml"  # H&E951128469 → KIJ0906199R1, P (SelloCFD mismatch)
PAGO_EKU = "pago20_swsapien_pago_stamped.xml"  # EKU9003173C9 → URE180429TM6, P
NOMINA_EKU = "nomina12_swsapien_nomina12_40.xml"  # EKU9003173C9 → XOJI740919U48, N
CARTA_PORTE = "traslado_buildpdf_cartaporte_demo.xml"  # EDE010101AAA → CPR020202BBB, T (CP 3.1)

SAMPLE_UUIDS = {
    INGRESO_REAL: "c2832671-da6d-11ef-a83d-00155d012007",
    INGRESO_HE: "6d7434a6-e3f2-47ad-9e4c-08849946afa0",
    PAGO_HE: "5b64ada3-aa4c-40b4-a2f5-572ced52be31",
    PAGO_EKU: "080cf54e-f9db-4470-bf0d-a8613dc10b24",
    NOMINA_EKU: "1ac10691-e5c5-422f-9ec0-0aafe486d493",
}


def sample(name: str) -> bytes:
    """A real sample CFDI, byte for byte (the repository carries them: despacho/samples/)."""
    return (SAMPLES_DIR / name).read_bytes()


def any_rfc() -> str:
    """A valid company RFC. (factories.valid_rfc may draw a homoclave stdnum refuses, W-Z first.)"""
    while True:
        rfc = valid_rfc()
        try:
            return stdnum_rfc.validate(rfc, validate_check_digits=True)
        except ValueError:
            continue


def company_with_rfc(rfc: str, account: Account | None = None) -> Company:
    """A company with that RFC (persona física RFCs get a física régimen)."""
    from despacho.members.services.accounts import company_create

    account = account or make_account()
    if len(rfc) == 12:
        return make_company(account, rfc=rfc, razon_social=f"EMPRESA {rfc}")
    return company_create(
        account=account,
        actor=owner_of(account),
        rfc=rfc,
        razon_social=f"PERSONA {rfc}",
        regimen_fiscal="612",
        codigo_postal="06000",
    )


def cfdi_xml(
    *,
    emisor: str,
    receptor: str,
    tipo: str = "I",
    uuid: str | None = None,
    total: str = "116.00",
    subtotal: str = "100.00",
    moneda: str = "MXN",
    fecha: str = "2026-01-15T10:30:00",
    serie: str = "A",
    folio: str = "1",
    emisor_nombre: str = "EMISOR SA DE CV",
    receptor_nombre: str = "RECEPTOR SA DE CV",
    stamped: bool = True,
    with_uuid: bool = True,
    tipo_cambio: str | None = None,
    impuestos: str = "",
    complement: str = "",
) -> bytes:
    """A minimal unsigned CFDI 4.0 (its seal is not verifiable: no certificate)."""
    uuid = uuid or str(uuid_module.uuid4())
    timbre = ""
    if stamped:
        uuid_attr = f' UUID="{uuid}"' if with_uuid else ""
        timbre = (
            "<cfdi:Complemento>"
            '<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" '
            f'Version="1.1"{uuid_attr} FechaTimbrado="{fecha}" RfcProvCertif="SAT970701NN3" '
            'SelloCFD="x" NoCertificadoSAT="30001000000400002460" SelloSAT="x"/>'
            f"{complement}</cfdi:Complemento>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0" '
        f'Serie="{serie}" Folio="{folio}" Fecha="{fecha}" SubTotal="{subtotal}" '
        f'Moneda="{moneda}" Total="{total}" '
        + (f'TipoCambio="{tipo_cambio}" ' if tipo_cambio else "")
        + f'TipoDeComprobante="{tipo}" Exportacion="01" '
        'MetodoPago="PUE" FormaPago="03" LugarExpedicion="06000">'
        f'<cfdi:Emisor Rfc="{emisor.replace("&", "&amp;")}" Nombre="{emisor_nombre}" '
        'RegimenFiscal="601"/>'
        f'<cfdi:Receptor Rfc="{receptor.replace("&", "&amp;")}" Nombre="{receptor_nombre}" '
        'DomicilioFiscalReceptor="06000" RegimenFiscalReceptor="601" UsoCFDI="G03"/>'
        '<cfdi:Conceptos><cfdi:Concepto ClaveProdServ="84111506" Cantidad="1" ClaveUnidad="ACT" '
        f'Descripcion="Servicio" ValorUnitario="{subtotal}" Importe="{subtotal}" ObjetoImp="01"/>'
        "</cfdi:Conceptos>"
        f"{impuestos}{timbre}</cfdi:Comprobante>"
    ).encode()


def zip_of(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def impuestos_xml(*, iva: str = "", ieps: str = "", isr_ret: str = "", iva_ret: str = "") -> str:
    """A comprobante-level cfdi:Impuestos node with the given amounts."""
    traslados = "".join(
        f'<cfdi:Traslado Base="100.00" Impuesto="{code}" TipoFactor="Tasa" '
        f'TasaOCuota="0.160000" Importe="{amount}"/>'
        for code, amount in (("002", iva), ("003", ieps))
        if amount
    )
    retenciones = "".join(
        f'<cfdi:Retencion Impuesto="{code}" Importe="{amount}"/>'
        for code, amount in (("001", isr_ret), ("002", iva_ret))
        if amount
    )
    return (
        "<cfdi:Impuestos>"
        + (f"<cfdi:Retenciones>{retenciones}</cfdi:Retenciones>" if retenciones else "")
        + (f"<cfdi:Traslados>{traslados}</cfdi:Traslados>" if traslados else "")
        + "</cfdi:Impuestos>"
    )


def nomina_xml(*, percepciones: str, deducciones: str = "", otros_pagos: str = "") -> str:
    """A Nómina 1.2 complement carrying only its totals (what the index reads)."""
    attrs = f'TotalPercepciones="{percepciones}"'
    if deducciones:
        attrs += f' TotalDeducciones="{deducciones}"'
    if otros_pagos:
        attrs += f' TotalOtrosPagos="{otros_pagos}"'
    return (
        '<nomina12:Nomina xmlns:nomina12="http://www.sat.gob.mx/nomina12" Version="1.2" '
        'TipoNomina="O" FechaPago="2026-01-15" FechaInicialPago="2026-01-01" '
        f'FechaFinalPago="2026-01-15" NumDiasPagados="15" {attrs}/>'
    )


def nomina11_cfdi32_xml(*, emisor: str = "EKU9003173C9", receptor: str = "XOJI740919U48") -> bytes:
    """A CFDI 3.2 payroll receipt: an "egreso" carrying a Nómina 1.1 complement.

    There is no public 3.2 payroll among the samples; this follows the SAT's Nómina 1.1
    schema: the employee on the Nomina node (CURP, CLABE, Antiguedad), the lists with
    TotalGravado/TotalExento, every amount split in ImporteGravado/ImporteExento.
    """
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" '
        'xmlns:nomina="http://www.sat.gob.mx/nomina" version="3.2" serie="N" folio="15" '
        'fecha="2016-01-15T12:00:00" formaDePago="PAGO EN UNA SOLA EXHIBICION" '
        'subTotal="7500.00" descuento="200.00" motivoDescuento="Deducciones nómina" '
        'total="6300.00" Moneda="MXN" tipoDeComprobante="egreso" metodoDePago="NA" '
        'LugarExpedicion="06000" noCertificado="20001000000200000192">'
        f'<cfdi:Emisor rfc="{emisor}" nombre="ESCUELA KEMPER URGATE">'
        '<cfdi:RegimenFiscal Regimen="General de Ley Personas Morales"/></cfdi:Emisor>'
        f'<cfdi:Receptor rfc="{receptor}" nombre="JOSE INES XOCHITL"/>'
        '<cfdi:Conceptos><cfdi:Concepto cantidad="1" unidad="Servicio" '
        'descripcion="Pago de nómina" valorUnitario="7500.00" importe="7500.00"/>'
        "</cfdi:Conceptos>"
        '<cfdi:Impuestos totalImpuestosRetenidos="1000.00"><cfdi:Retenciones>'
        '<cfdi:Retencion impuesto="ISR" importe="1000.00"/></cfdi:Retenciones></cfdi:Impuestos>'
        "<cfdi:Complemento>"
        '<nomina:Nomina Version="1.1" RegistroPatronal="B5510768108" NumEmpleado="120" '
        'CURP="XOJI740919HDFCNS09" TipoRegimen="2" NumSeguridadSocial="12345678901" '
        'FechaPago="2016-01-15" FechaInicialPago="2016-01-01" FechaFinalPago="2016-01-15" '
        'NumDiasPagados="15" Departamento="Sistemas" CLABE="002180012345678901" Banco="002" '
        'FechaInicioRelLaboral="2010-01-01" Antiguedad="313" Puesto="Programador" '
        'TipoContrato="Base" TipoJornada="Diurna" PeriodicidadPago="Quincenal" '
        'SalarioBaseCotApor="500.00" RiesgoPuesto="1" SalarioDiarioIntegrado="520.00">'
        '<nomina:Percepciones TotalGravado="7000.00" TotalExento="500.00">'
        '<nomina:Percepcion TipoPercepcion="001" Clave="001" Concepto="Sueldo" '
        'ImporteGravado="7000.00" ImporteExento="0.00"/>'
        '<nomina:Percepcion TipoPercepcion="019" Clave="002" Concepto="Horas extra" '
        'ImporteGravado="0.00" ImporteExento="500.00"/>'
        "</nomina:Percepciones>"
        '<nomina:Deducciones TotalGravado="0.00" TotalExento="1200.00">'
        '<nomina:Deduccion TipoDeduccion="002" Clave="010" Concepto="ISR retenido" '
        'ImporteGravado="0.00" ImporteExento="1000.00"/>'
        '<nomina:Deduccion TipoDeduccion="001" Clave="011" Concepto="Cuota IMSS" '
        'ImporteGravado="150.00" ImporteExento="50.00"/>'
        "</nomina:Deducciones>"
        "</nomina:Nomina>"
        '<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" '
        'version="1.0" UUID="3d6a3c8e-1f2b-4c5d-8e9f-0a1b2c3d4e5f" '
        'FechaTimbrado="2016-01-15T12:01:00" selloCFD="x" noCertificadoSAT="1" selloSAT="x"/>'
        "</cfdi:Complemento></cfdi:Comprobante>"
    ).encode()
