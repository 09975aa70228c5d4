"""A draft's content read from a stamped CFDI's XML (to clone an issued document).

The XML goes through the repository's hardened parser (``cfdi.parsing.parse_xml``). What
a clone takes: tipo, the company's customer with the receptor's RFC, the series if the
company still has it, forma/método de pago, uso CFDI, exportación, moneda and tipo de
cambio, InformacionGlobal, and every concepto with its taxes. What it leaves out, because
it belonged to the original's moment: folio, fecha, CfdiRelacionados, a Pago's payments
and a Carta Porte's trip (it names the trip's places, not the company's prepared data).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from despacho.cfdi.parsing import CFDI3, CFDI4, parse_xml
from despacho.cfdi.refusals import Refusal
from despacho.customers.models import Customer
from despacho.invoicing.models import Series
from despacho.invoicing.specs import ConceptSpec, DraftData
from despacho.products.models import Factor, LineKind
from despacho.products.services import LineSpec
from despacho.tenancy.models import Company


def _decimal(raw: str | None, default: Decimal | None = None) -> Decimal | None:
    text = (raw or "").strip()
    if not text:
        return default
    try:
        return Decimal(text)
    except InvalidOperation:
        return default


def _taxes(concepto: etree._Element, ns: str) -> tuple[LineSpec, ...]:
    lines: list[LineSpec] = []
    for group, item, kind in (
        ("Traslados", "Traslado", LineKind.TRASLADO),
        ("Retenciones", "Retencion", LineKind.RETENCION),
    ):
        for node in concepto.iterfind(f"{{{ns}}}Impuestos/{{{ns}}}{group}/{{{ns}}}{item}"):
            factor = node.get("TipoFactor") or Factor.TASA
            rate = None if factor == Factor.EXENTO else _decimal(node.get("TasaOCuota"))
            lines.append(LineSpec(kind, node.get("Impuesto") or "", factor, rate))
    return tuple(lines)


def _concepts(root: etree._Element, ns: str) -> tuple[ConceptSpec, ...]:
    concepts = []
    for node in root.iterfind(f"{{{ns}}}Conceptos/{{{ns}}}Concepto"):
        taxes = _taxes(node, ns)
        # CFDI 3.3 had no ObjetoImp: taxes broken down mean 02, none mean 01.
        objeto = node.get("ObjetoImp") or ("02" if taxes else "01")
        concepts.append(
            ConceptSpec(
                clave_prod_serv=node.get("ClaveProdServ") or "",
                clave_unidad=node.get("ClaveUnidad") or "",
                descripcion=node.get("Descripcion") or "",
                cantidad=_decimal(node.get("Cantidad"), Decimal(0)) or Decimal(0),
                valor_unitario=_decimal(node.get("ValorUnitario"), Decimal(0)) or Decimal(0),
                descuento=_decimal(node.get("Descuento"), Decimal(0)) or Decimal(0),
                objeto_imp=objeto,
                no_identificacion=(node.get("NoIdentificacion") or "")[:100],
                unidad=(node.get("Unidad") or "")[:20],
                taxes=taxes,
            )
        )
    return tuple(concepts)


def invoice_concepts(data: bytes) -> tuple[tuple[ConceptSpec, ...], Decimal, str]:
    """The conceptos (with their taxes), Total and Moneda of a stored CFDI 3.3/4.0: what a
    payment complement prorates when it pays the invoice (``assemble.paid_document_taxes``).
    ValidationError when the XML cannot be read."""
    try:
        root = parse_xml(data)
    except Refusal as refusal:
        raise ValidationError(refusal.message, code="paid_unreadable") from None
    if root.tag not in (f"{{{CFDI4}}}Comprobante", f"{{{CFDI3}}}Comprobante"):
        raise ValidationError(_("El CFDI pagado no es un CFDI 3.3 o 4.0."), code="paid_unreadable")
    ns = CFDI4 if root.tag == f"{{{CFDI4}}}Comprobante" else CFDI3
    total = _decimal(root.get("Total"), Decimal(0)) or Decimal(0)
    return _concepts(root, ns), total, root.get("Moneda") or "MXN"


def draft_data_from_xml(data: bytes, *, company: Company) -> DraftData:
    """The draft content of one of the company's CFDI 3.3/4.0 (see the module's docstring)."""
    try:
        root = parse_xml(data)
    except Refusal as refusal:
        raise ValidationError(refusal.message, code="clone_unreadable") from None
    if root.tag == f"{{{CFDI4}}}Comprobante":
        ns = CFDI4
    elif root.tag == f"{{{CFDI3}}}Comprobante" and root.get("Version") == "3.3":
        ns = CFDI3
    else:
        raise ValidationError(
            _("Solo se copian CFDI 3.3 o 4.0; este es de una versión anterior."),
            code="clone_version",
        )
    tipo = root.get("TipoDeComprobante") or ""
    receptor = root.find(f"{{{ns}}}Receptor")
    receptor_rfc = (receptor.get("Rfc") or "").upper() if receptor is not None else ""
    customer = (
        Customer.objects.filter(company=company, rfc=receptor_rfc, is_active=True)
        .order_by("id")
        .first()
    )
    series = Series.objects.filter(
        company=company, code=root.get("Serie") or "", is_active=True, tipo__in=["", tipo]
    ).first()
    globales = root.find(f"{{{ns}}}InformacionGlobal")
    year = globales.get("Año") if globales is not None else None
    return DraftData(
        tipo=tipo,
        customer=customer,
        series=series,
        forma_pago=root.get("FormaPago") or "",
        metodo_pago=root.get("MetodoPago") or "",
        uso_cfdi=(receptor.get("UsoCFDI") or "") if receptor is not None else "",
        exportacion=root.get("Exportacion") or "01",
        moneda=root.get("Moneda") or "MXN",
        tipo_cambio=_decimal(root.get("TipoCambio")),
        global_periodicidad=(globales.get("Periodicidad") or "") if globales is not None else "",
        global_meses=(globales.get("Meses") or "") if globales is not None else "",
        global_anio=int(year) if year and year.isdigit() else None,
        concepts=() if tipo == "P" else _concepts(root, ns),
    )
