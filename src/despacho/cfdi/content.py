"""The full content of a stored CFDI for the detail page, read on demand from the original.

Only what a person reads on screen: emisor, receptor, concepts with their
taxes, the comprobante's taxes, and a summary of the timbre and the Pagos and
Nómina complements. Namespaces of CFDI 3.2/3.3/4.0 alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

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

IMPLOCAL = "http://www.sat.gob.mx/implocal"
# Carta Porte 2.0, 3.0 and 3.1 share the structure the printed CFDI shows.
CARTA_PORTE = (
    "http://www.sat.gob.mx/CartaPorte31",
    "http://www.sat.gob.mx/CartaPorte30",
    "http://www.sat.gob.mx/CartaPorte20",
)


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
    objeto_imp: str = ""
    no_identificacion: str = ""


@dataclass
class Payment:
    fecha: str
    forma: str
    moneda: str
    monto: str
    documents: list[Row] = field(default_factory=list)
    attrs: Row = field(default_factory=dict)
    taxes: list[Tax] = field(default_factory=list)  # ImpuestosP (Pagos 1.0: Impuestos)
    document_taxes: list[list[Tax]] = field(default_factory=list)  # ImpuestosDR, per document


@dataclass
class Nomina:
    """The Nómina complement: header, employer and employee data, and its three lists."""

    header: Row
    emisor: Row
    receptor: Row
    percepciones_totals: Row
    percepciones: list[Row]
    deducciones_totals: Row
    deducciones: list[Row]
    otros_pagos: list[Row]


@dataclass
class Ubicacion:
    attrs: Row
    domicilio: Row


@dataclass
class CartaPorte:
    """The Carta Porte complement: route, goods, vehicle and the people who drive it."""

    attrs: Row
    ubicaciones: list[Ubicacion]
    mercancias: Row
    mercancia: list[Row]
    autotransporte: Row
    vehiculo: Row
    seguros: Row
    remolques: list[Row]
    figuras: list[Row]

    @property
    def fecha_origen(self) -> str:
        """Date and time of departure from the first origin (the Carta Porte QR's FechaOrig)."""
        for ubicacion in self.ubicaciones:
            if ubicacion.attrs.get("TipoUbicacion") == "Origen":
                return ubicacion.attrs.get("FechaHoraSalidaLlegada", "")
        return ""


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
    sello: str = ""
    payment_totals: Row = field(default_factory=dict)
    nominas: list[Nomina] = field(default_factory=list)
    related: list[tuple[str, list[str]]] = field(default_factory=list)
    local_taxes: list[Tax] = field(default_factory=list)
    cartas_porte: list[CartaPorte] = field(default_factory=list)


IMPUESTOS = {"001": "ISR", "002": "IVA", "003": "IEPS"}


def _attrs(element: etree._Element | None) -> Row:
    if element is None:
        return {}
    # 3.2 spells attributes in camelCase: offer both spellings to the template.
    row = {str(k): str(v) for k, v in element.attrib.items() if not str(k).startswith("{")}
    for key in list(row):
        row.setdefault(key[0].upper() + key[1:], row[key])
    return row


def _taxes(container: etree._Element | None, ns: str, suffix: str = "") -> list[Tax]:
    """Traslados and retenciones of an Impuestos node; Pagos 2.0 suffixes every name (P, DR)."""
    if container is None:
        return []
    found: list[Tax] = []
    for kind, group, item in (
        ("traslado", "Traslados", "Traslado"),
        ("retencion", "Retenciones", "Retencion"),
    ):
        path = f"{{{ns}}}{group}{suffix}/{{{ns}}}{item}{suffix}"
        for element in container.iterfind(path):
            a = {
                key.removesuffix(suffix) if suffix else key: v for key, v in _attrs(element).items()
            }
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
        v2 = ns == PAGOS20
        for pago in complemento.iterfind(f"{{{ns}}}Pagos/{{{ns}}}Pago"):
            a = _attrs(pago)
            documents = list(pago.iterfind(f"{{{ns}}}DoctoRelacionado"))
            payments.append(
                Payment(
                    fecha=a.get("FechaPago", ""),
                    forma=a.get("FormaDePagoP", ""),
                    moneda=a.get("MonedaP", ""),
                    monto=a.get("Monto", ""),
                    documents=[_attrs(d) for d in documents],
                    attrs=a,
                    taxes=_taxes(
                        pago.find(f"{{{ns}}}ImpuestosP" if v2 else f"{{{ns}}}Impuestos"),
                        ns,
                        "P" if v2 else "",
                    ),
                    document_taxes=[
                        _taxes(d.find(f"{{{ns}}}ImpuestosDR"), ns, "DR") if v2 else []
                        for d in documents
                    ],
                )
            )
    return payments


def _nomina(complemento: etree._Element) -> Row | None:
    for detail in _nomina_details(complemento)[:1]:
        row = dict(detail.header)
        row["NumEmpleado"] = detail.receptor.get("NumEmpleado", "")
        row["Curp"] = detail.receptor.get("Curp", "")
        row["Puesto"] = detail.receptor.get("Puesto", "")
        return row
    return None


def _local_taxes(complemento: etree._Element) -> list[Tax]:
    """The ImpuestosLocales complement: state and municipal taxes, named by the issuer."""
    found: list[Tax] = []
    for locales in complemento.iterfind(f"{{{IMPLOCAL}}}ImpuestosLocales"):
        for kind, item, name, rate in (
            ("traslado", "TrasladosLocales", "ImpLocTrasladado", "TasadeTraslado"),
            ("retencion", "RetencionesLocales", "ImpLocRetenido", "TasadeRetencion"),
        ):
            for element in locales.iterfind(f"{{{IMPLOCAL}}}{item}"):
                found.append(
                    Tax(
                        kind=kind,
                        impuesto=element.get(name, ""),
                        tipo_factor="",
                        tasa=element.get(rate, ""),
                        base="",
                        importe=element.get("Importe", ""),
                    )
                )
    return found


def _cartas_porte(complemento: etree._Element) -> list[CartaPorte]:
    found: list[CartaPorte] = []
    for ns in CARTA_PORTE:
        for cp in complemento.iterfind(f"{{{ns}}}CartaPorte"):
            mercancias = cp.find(f"{{{ns}}}Mercancias")
            auto = cp.find(f"{{{ns}}}Mercancias/{{{ns}}}Autotransporte")
            found.append(
                CartaPorte(
                    attrs=_attrs(cp),
                    ubicaciones=[
                        Ubicacion(_attrs(u), _attrs(u.find(f"{{{ns}}}Domicilio")))
                        for u in cp.iterfind(f"{{{ns}}}Ubicaciones/{{{ns}}}Ubicacion")
                    ],
                    mercancias=_attrs(mercancias),
                    mercancia=[
                        _attrs(m) for m in cp.iterfind(f"{{{ns}}}Mercancias/{{{ns}}}Mercancia")
                    ],
                    autotransporte=_attrs(auto),
                    vehiculo=_attrs(
                        None if auto is None else auto.find(f"{{{ns}}}IdentificacionVehicular")
                    ),
                    seguros=_attrs(None if auto is None else auto.find(f"{{{ns}}}Seguros")),
                    remolques=[]
                    if auto is None
                    else [_attrs(r) for r in auto.iterfind(f"{{{ns}}}Remolques/{{{ns}}}Remolque")],
                    figuras=[
                        _attrs(f)
                        for f in cp.iterfind(f"{{{ns}}}FiguraTransporte/{{{ns}}}TiposFigura")
                    ],
                )
            )
    return found


def _payment_totals(complemento: etree._Element) -> Row:
    return _attrs(complemento.find(f"{{{PAGOS20}}}Pagos/{{{PAGOS20}}}Totales"))


def _sum(*raw: str | None) -> str:
    """The sum of amounts as text ("" if any is not a number: the printout shows it raw)."""
    try:
        return str(sum((Decimal((value or "0").strip()) for value in raw), Decimal(0)))
    except InvalidOperation:
        return ""


def _nomina_details(complemento: etree._Element) -> list[Nomina]:
    """Every Nómina complement (1.2 or 1.1); 1.1 is read into 1.2's shape.

    Nómina 1.1 (CFDI 3.2) keeps the employee on the Nomina node itself (CURP, CLABE,
    Antiguedad), has no TotalPercepciones/TotalDeducciones (the lists carry
    TotalGravado/TotalExento) and its deducciones are ImporteGravado + ImporteExento.
    """
    found: list[Nomina] = []
    for ns in (NOMINA12, NOMINA11):
        for nomina in complemento.iterfind(f"{{{ns}}}Nomina"):
            percepciones = nomina.find(f"{{{ns}}}Percepciones")
            deducciones = nomina.find(f"{{{ns}}}Deducciones")
            otros: list[Row] = []
            for otro in nomina.iterfind(f"{{{ns}}}OtrosPagos/{{{ns}}}OtroPago"):
                row = _attrs(otro)
                subsidio = otro.find(f"{{{ns}}}SubsidioAlEmpleo")
                if subsidio is not None:
                    row["SubsidioCausado"] = subsidio.get("SubsidioCausado", "")
                otros.append(row)
            header = _attrs(nomina)
            emisor = _attrs(nomina.find(f"{{{ns}}}Emisor"))
            receptor = _attrs(nomina.find(f"{{{ns}}}Receptor"))
            percepcion_rows = [
                _attrs(p) for p in nomina.iterfind(f"{{{ns}}}Percepciones/{{{ns}}}Percepcion")
            ]
            deduccion_rows = [
                _attrs(d) for d in nomina.iterfind(f"{{{ns}}}Deducciones/{{{ns}}}Deduccion")
            ]
            percepciones_totals = _attrs(percepciones)
            deducciones_totals = _attrs(deducciones)
            if ns == NOMINA11:
                emisor = {"RegistroPatronal": header.get("RegistroPatronal", "")}
                receptor = dict(header)
                receptor["Curp"] = header.get("CURP", "")
                receptor["CuentaBancaria"] = header.get("CLABE", "")
                receptor["Antigüedad"] = header.get("Antiguedad", "")
                if percepciones is not None:
                    header.setdefault(
                        "TotalPercepciones",
                        _sum(
                            percepciones_totals.get("TotalGravado"),
                            percepciones_totals.get("TotalExento"),
                        ),
                    )
                if deducciones is not None:
                    header.setdefault(
                        "TotalDeducciones",
                        _sum(
                            deducciones_totals.get("TotalGravado"),
                            deducciones_totals.get("TotalExento"),
                        ),
                    )
                for row in deduccion_rows:
                    row.setdefault(
                        "Importe", _sum(row.get("ImporteGravado"), row.get("ImporteExento"))
                    )
            found.append(
                Nomina(
                    header=header,
                    emisor=emisor,
                    receptor=receptor,
                    percepciones_totals=percepciones_totals,
                    percepciones=percepcion_rows,
                    deducciones_totals=deducciones_totals,
                    deducciones=deduccion_rows,
                    otros_pagos=otros,
                )
            )
    return found


def read_content(data: bytes) -> CfdiContent:
    """Everything the detail page shows, from the original bytes (already validated at ingest)."""
    return content_of(parse_xml(data))


def content_of(root: etree._Element) -> CfdiContent:
    """The content of an already parsed comprobante (see ``read_content``)."""
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
                objeto_imp=a.get("ObjetoImp", ""),
                no_identificacion=a.get("NoIdentificacion", ""),
            )
        )
    impuestos = root.find(f"{{{ns}}}Impuestos")
    timbre: Row = {}
    payments: list[Payment] = []
    nomina: Row | None = None
    nominas: list[Nomina] = []
    payment_totals: Row = {}
    local_taxes: list[Tax] = []
    cartas_porte: list[CartaPorte] = []
    names: list[str] = []
    for complemento in root.iterfind(f"{{{ns}}}Complemento"):
        tfd = complemento.find(f"{{{TFD}}}TimbreFiscalDigital")
        if tfd is not None:
            timbre = _attrs(tfd)
        payments += _payments(complemento)
        payment_totals = payment_totals or _payment_totals(complemento)
        local_taxes += _local_taxes(complemento)
        cartas_porte += _cartas_porte(complemento)
        nomina = nomina or _nomina(complemento)
        nominas += _nomina_details(complemento)
        for child in complemento:
            if isinstance(child.tag, str):
                names.append(etree.QName(child).localname)
    comprobante = _attrs(root)
    sello = comprobante.get("Sello", "")
    for long_value in ("Sello", "Certificado", "sello", "certificado"):
        comprobante.pop(long_value, None)
    related = [
        (
            group.get("TipoRelacion", ""),
            [r.get("UUID", "") for r in group.iterfind(f"{{{ns}}}CfdiRelacionado")],
        )
        for group in root.iterfind(f"{{{ns}}}CfdiRelacionados")
    ]
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
        sello=sello,
        payment_totals=payment_totals,
        nominas=nominas,
        related=related,
        local_taxes=local_taxes,
        cartas_porte=cartas_porte,
    )
