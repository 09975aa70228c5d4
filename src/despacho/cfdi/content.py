"""The full content of a stored CFDI for the detail page, read on demand from the original.

Only what a person reads on screen: emisor, receptor, concepts with their
taxes, the comprobante's taxes, and a summary of the timbre and the Pagos and
Nómina complements. Namespaces of CFDI 3.2/3.3/4.0 alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from despacho.cfdi.parsing import (
    CFDI3,
    CFDI4,
    NOMINA11,
    NOMINA12,
    PAGOS10,
    PAGOS20,
    TFD,
    parse_xml,
)

Row = dict[str, str]


@dataclass
class Tax:
    kind: str  # "traslado" | "retencion"
    impuesto: str
    tipo_factor: str
    tasa: str
    base: str
    importe: str


@dataclass
class Concept:
    clave_prod_serv: str
    cantidad: str
    clave_unidad: str
    unidad: str
    descripcion: str
    valor_unitario: str
    importe: str
    descuento: str
    taxes: list[Tax] = field(default_factory=list)


@dataclass
class Payment:
    fecha: str
    forma: str
    moneda: str
    monto: str
    documents: list[Row] = field(default_factory=list)


@dataclass
class CfdiContent:
    comprobante: Row
    emisor: Row
    receptor: Row
    concepts: list[Concept]
    taxes: list[Tax]
    tax_totals: Row
    timbre: Row
    payments: list[Payment]
    nomina: Row | None
    complements: list[str]


IMPUESTOS = {"001": "ISR", "002": "IVA", "003": "IEPS"}


def _attrs(element: etree._Element | None) -> Row:
    if element is None:
        return {}
    # 3.2 spells attributes in camelCase: offer both spellings to the template.
    row = {str(k): str(v) for k, v in element.attrib.items() if not str(k).startswith("{")}
    for key in list(row):
        row.setdefault(key[0].upper() + key[1:], row[key])
    return row


def _taxes(container: etree._Element | None, ns: str) -> list[Tax]:
    if container is None:
        return []
    found: list[Tax] = []
    for kind, group, item in (
        ("traslado", "Traslados", "Traslado"),
        ("retencion", "Retenciones", "Retencion"),
    ):
        for element in container.iterfind(f"{{{ns}}}{group}/{{{ns}}}{item}"):
            a = _attrs(element)
            impuesto = a.get("Impuesto", "")
            found.append(
                Tax(
                    kind=kind,
                    impuesto=IMPUESTOS.get(impuesto, impuesto),
                    tipo_factor=a.get("TipoFactor", ""),
                    tasa=a.get("TasaOCuota", a.get("Tasa", "")),
                    base=a.get("Base", ""),
                    importe=a.get("Importe", ""),
                )
            )
    return found


def _payments(complemento: etree._Element) -> list[Payment]:
    payments: list[Payment] = []
    for ns in (PAGOS20, PAGOS10):
        for pago in complemento.iterfind(f"{{{ns}}}Pagos/{{{ns}}}Pago"):
            a = _attrs(pago)
            payments.append(
                Payment(
                    fecha=a.get("FechaPago", ""),
                    forma=a.get("FormaDePagoP", ""),
                    moneda=a.get("MonedaP", ""),
                    monto=a.get("Monto", ""),
                    documents=[_attrs(d) for d in pago.iterfind(f"{{{ns}}}DoctoRelacionado")],
                )
            )
    return payments


def _nomina(complemento: etree._Element) -> Row | None:
    for ns in (NOMINA12, NOMINA11):
        nomina = complemento.find(f"{{{ns}}}Nomina")
        if nomina is not None:
            row = _attrs(nomina)
            receptor = _attrs(nomina.find(f"{{{ns}}}Receptor"))
            row["NumEmpleado"] = receptor.get("NumEmpleado", "")
            row["Curp"] = receptor.get("Curp", "")
            row["Puesto"] = receptor.get("Puesto", "")
            return row
    return None


def read_content(data: bytes) -> CfdiContent:
    """Everything the detail page shows, from the original bytes (already validated at ingest)."""
    root = parse_xml(data)
    ns = CFDI4 if root.tag == f"{{{CFDI4}}}Comprobante" else CFDI3
    concepts = []
    for element in root.iterfind(f"{{{ns}}}Conceptos/{{{ns}}}Concepto"):
        a = _attrs(element)
        concepts.append(
            Concept(
                clave_prod_serv=a.get("ClaveProdServ", ""),
                cantidad=a.get("Cantidad", ""),
                clave_unidad=a.get("ClaveUnidad", ""),
                unidad=a.get("Unidad", ""),
                descripcion=a.get("Descripcion", ""),
                valor_unitario=a.get("ValorUnitario", ""),
                importe=a.get("Importe", ""),
                descuento=a.get("Descuento", ""),
                taxes=_taxes(element.find(f"{{{ns}}}Impuestos"), ns),
            )
        )
    impuestos = root.find(f"{{{ns}}}Impuestos")
    timbre: Row = {}
    payments: list[Payment] = []
    nomina: Row | None = None
    names: list[str] = []
    for complemento in root.iterfind(f"{{{ns}}}Complemento"):
        tfd = complemento.find(f"{{{TFD}}}TimbreFiscalDigital")
        if tfd is not None:
            timbre = _attrs(tfd)
        payments += _payments(complemento)
        nomina = nomina or _nomina(complemento)
        for child in complemento:
            if isinstance(child.tag, str):
                names.append(etree.QName(child).localname)
    comprobante = _attrs(root)
    for long_value in ("Sello", "Certificado"):
        comprobante.pop(long_value, None)
    return CfdiContent(
        comprobante=comprobante,
        emisor=_attrs(root.find(f"{{{ns}}}Emisor")),
        receptor=_attrs(root.find(f"{{{ns}}}Receptor")),
        concepts=concepts,
        taxes=_taxes(impuestos, ns),
        tax_totals=_attrs(impuestos),
        timbre=timbre,
        payments=payments,
        nomina=nomina,
        complements=names,
    )
