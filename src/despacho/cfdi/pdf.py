"""The printed representation of a stored CFDI: a Spanish PDF drawn with reportlab.

Everything a printed CFDI carries (Anexo 20): emisor and receptor with their
régimen, domicilio fiscal and uso CFDI; the concepts with their taxes; the
comprobante's taxes and its local taxes (implocal); totals in figures and in
words; forma and método de pago, moneda, tipo, serie/folio, fecha, lugar de
expedición; the Pagos 2.0, Nómina 1.2/1.1 and Carta Porte (2.0, 3.0, 3.1, with the
Carta Porte's own QR) complements when present; and the timbre: UUID, certificate
numbers, fecha de timbrado, both seals, the cadena original del complemento
de certificación and the SAT's verification QR.

satcfdi's HTML + weasyprint renderer is the reference for content; this one
draws with reportlab's platypus (no HTML layout engine), about 20 times faster.
Rendered PDFs are cached in the default storage next to the originals, keyed
by company, UUID, renderer version and status, so a change of layout (bump
``RENDERER_VERSION``) or a cancellation renders afresh; originals are never
touched.
"""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import zxingcpp
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from lxml import etree
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getAscentDescent
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import Paragraph as _Paragraph
from satcfdi.exceptions import CFDIError
from satcfdi.transform import xslt_transform

from despacho.cfdi.amount_words import amount_in_words
from despacho.cfdi.content import CartaPorte, CfdiContent, Nomina, Tax, content_of
from despacho.cfdi.models import Cfdi, Status
from despacho.cfdi.parsing import TFD, parse_xml
from despacho.cfdi.presentation import amount_text, decimal_or_none
from despacho.satcatalogs import Catalog, labelled

# Bump when the layout changes: cached PDFs of the old layout are then ignored.
RENDERER_VERSION = "3"

TFD_VERSIONS = ("1.0", "1.1")

VERIFICA_CFDI = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
VERIFICA_CCP = "https://verificacfdi.facturaelectronica.sat.gob.mx/verificaccp/default.aspx"

INK = colors.HexColor("#1f2933")
RULE = colors.HexColor("#9aa5b1")
BAND = colors.HexColor("#e4e7eb")
PAGE_W, PAGE_H = LETTER
MARGIN = 12 * mm
FRAME_PADDING = 6  # platypus frames pad each side by 6 pt
WIDTH = PAGE_W - 2 * MARGIN - 2 * FRAME_PADDING

_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=7.5, leading=9, textColor=INK)
_SMALL = ParagraphStyle("small", parent=_BASE, fontSize=6.5, leading=8)
_SEAL = ParagraphStyle(
    "seal", parent=_BASE, fontName="Courier", fontSize=5.6, leading=6.6, wordWrap="CJK"
)
_TITLE = ParagraphStyle("title", parent=_BASE, fontName="Helvetica-Bold", fontSize=11, leading=13)
_H2 = ParagraphStyle(
    "h2",
    parent=_BASE,
    fontName="Helvetica-Bold",
    fontSize=8.5,
    leading=11,
    spaceBefore=5,
    spaceAfter=2,
)
_RIGHT = ParagraphStyle("right", parent=_BASE, alignment=TA_RIGHT)
_SMALL_RIGHT = ParagraphStyle("small_right", parent=_SMALL, alignment=TA_RIGHT)
_CENTER = ParagraphStyle("center", parent=_BASE, alignment=TA_CENTER)
_WORDS = ParagraphStyle("words", parent=_BASE, fontName="Helvetica-Bold")
_HEAD = ParagraphStyle("head", parent=_BASE, fontName="Helvetica-Bold", fontSize=6.5, leading=7.5)
_HEAD_RIGHT = ParagraphStyle("head_right", parent=_HEAD, alignment=TA_RIGHT)

_TIPOS = {"I": "Ingreso", "E": "Egreso", "T": "Traslado", "N": "Nómina", "P": "Pago"}
_TIPOS_32 = {"ingreso": "I", "egreso": "E", "traslado": "T"}


class Paragraph(_Paragraph):
    """reportlab's paragraph, its lines broken once per width.

    A table wraps each cell's paragraphs to size its rows, and again when it draws them
    (``Table._listCellGeom``): line breaking (``breakLines``) was the largest cost of a
    printed invoice, paid twice. The lines depend only on the text, the style and the
    width, none of which changes between the two calls, so the second returns the first's
    answer.
    """

    _wrapped: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._wrapped is not None and self._wrapped[0] == availWidth:
            return self._wrapped[1]
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, size)
        return size


# --- values ---------------------------------------------------------------------------------


def _catalog(catalog: Catalog, code: str) -> str:
    """«code - description» from the SAT's catalogs (the code alone if unknown)."""
    return labelled(catalog, code, " - ")


def money(raw: str | Decimal | None) -> str:
    """An amount as printed: thousands separated, two decimals rounded half up."""
    return amount_text(raw)


def qr_total(total: str, version: str) -> str:
    """Total as the SAT's QR spells it (Anexo 20).

    3.3 and 4.0: up to 18 integer digits and 6 decimals, non-significant zeros
    left out but one decimal kept (1000 → 1000.0, 12.50 → 12.5). 3.2: ten
    integer digits and six decimals, zero padded (0000001000.000000).
    """
    value = (decimal_or_none(total) or Decimal(0)).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    fixed = f"{value:.6f}"
    if version == "3.2":
        return fixed.zfill(17)
    trimmed = fixed.rstrip("0")
    return trimmed + "0" if trimmed.endswith(".") else trimmed


def verification_url(
    *, version: str, uuid: str, emisor_rfc: str, receptor_rfc: str, total: str, sello: str
) -> str:
    """The text of the SAT's verification QR (RFCs XML-escaped, as the SAT's standard does)."""
    re_, rr = escape(emisor_rfc), escape(receptor_rfc)
    tt = qr_total(total, version)
    if version == "3.2":
        return f"?re={re_}&rr={rr}&tt={tt}&id={uuid}"
    return f"{VERIFICA_CFDI}?id={uuid}&re={re_}&rr={rr}&tt={tt}&fe={sello[-8:]}"


def carta_porte_url(*, id_ccp: str, fecha_origen: str, fecha_timbrado: str) -> str:
    """The text of the Carta Porte's own QR: the SAT's CCP verification (Carta Porte 3.x)."""
    query = urlencode({"IdCCP": id_ccp, "FechaOrig": fecha_origen, "FechaTimb": fecha_timbrado})
    return f"{VERIFICA_CCP}?{query}"


def _p(text: Any, style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph(escape(str(text or "")), style)


def _label(label: str, value: Any, style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph(f"<b>{escape(label)}:</b> {escape(str(value or '—'))}", style)


def _grid(
    rows: list[list[Any]],
    widths: list[float],
    *,
    header: bool = True,
    numeric_from: int | None = None,
    repeat: bool = True,
) -> Table:
    # splitInRow: a row taller than what is left of the page (a long description) continues
    # on the next one instead of leaving the rest blank, or failing when taller than a page.
    table = Table(rows, colWidths=widths, repeatRows=1 if header and repeat else 0, splitInRow=1)
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 7),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), BAND),
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 6.5),
        ]
    if numeric_from is not None:
        style.append(("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def _box(cells: list[list[Any]], widths: list[float]) -> Table:
    table = Table(cells, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


# --- sections -------------------------------------------------------------------------------


def _tipo(content: CfdiContent) -> str:
    raw = content.comprobante.get("TipoDeComprobante", "")
    if content.comprobante.get("Version") == "3.2":
        # A 3.2 payroll is an "egreso" carrying the Nómina complement: it is a Nómina receipt.
        return "N" if content.nominas else _TIPOS_32.get(raw.lower(), raw)
    return raw


# The staff list's mark and the detail page's explanation of a CFDI stored unverified.
SEAL_INVALID = "SELLO NO VÁLIDO"
SEAL_INVALID_WHY = "El sello de este CFDI no es válido: se guardó porque alguien lo confirmó."
ALERT = colors.HexColor("#b91c1c")
_ALERT = ParagraphStyle(
    "alert", parent=_BASE, fontName="Helvetica-Bold", fontSize=9, leading=11, textColor=ALERT
)


# Marks printed across every page of a document that is not a valid CFDI: a draft previewed
# before stamping, and a document stamped in a test environment (the sandbox PAC or a real
# PAC's demo service), whose timbre SAT's test certificates sign: their numbers start with 3
# (30001000000…), the production ones with 0.
DRAFT_MARK = "BORRADOR"
TEST_STAMP_MARK = "SIN VALIDEZ FISCAL"
WATERMARK = colors.Color(0.72, 0.11, 0.11, alpha=0.13)


def test_stamped(content: CfdiContent) -> bool:
    """True when the timbre was signed by one of SAT's test certificates."""
    return content.timbre.get("NoCertificadoSAT", "").startswith("3")


def watermark_of(content: CfdiContent) -> str:
    """What to print across each page: a draft's mark, a test stamp's, or nothing."""
    if not content.timbre.get("UUID"):
        return DRAFT_MARK
    if test_stamped(content):
        return TEST_STAMP_MARK
    return ""


def _seal_warning() -> list[Any]:
    banner = Table(
        [[Paragraph(f"{SEAL_INVALID}. {escape(SEAL_INVALID_WHY)}", _ALERT)]], colWidths=[WIDTH]
    )
    banner.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, ALERT),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fee2e2")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [banner, Spacer(0, 4)]


def _header(content: CfdiContent, status: str, *, seal_invalid: bool = False) -> list[Any]:
    c, em = content.comprobante, content.emisor
    tipo = _tipo(content)
    folio = "-".join(x for x in (c.get("Serie", ""), c.get("Folio", "")) if x) or "—"
    left = [
        _p(em.get("Nombre") or em.get("Rfc"), _TITLE),
        _label("RFC", em.get("Rfc")),
        _label("Régimen fiscal", _catalog(Catalog.REGIMEN_FISCAL, em.get("RegimenFiscal", ""))),
        _label("Lugar de expedición (C.P.)", c.get("LugarExpedicion")),
        _label("No. de certificado del emisor", c.get("NoCertificado")),
    ]
    right = [
        _p(f"CFDI de {_TIPOS.get(tipo, tipo)}", _TITLE),
        _label("Serie y folio", folio),
        _label("Fecha de emisión", c.get("Fecha")),
        _label("Versión", c.get("Version")),
        _label("Folio fiscal (UUID)", content.timbre.get("UUID", "").upper()),
    ]
    if status != Status.VIGENTE:
        label = Status(status).label.upper() if status in Status.values else status
        right.append(Paragraph(f'<font color="#b91c1c"><b>{escape(str(label))}</b></font>', _BASE))
    if seal_invalid:
        right.append(_p(SEAL_INVALID, _ALERT))
    mark = watermark_of(content)
    if mark:
        right.append(_p(mark, _ALERT))
    table = Table([[left, right]], colWidths=[WIDTH * 0.58, WIDTH * 0.42])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOX", (1, 0), (1, 0), 0.5, RULE),
                ("LEFTPADDING", (1, 0), (1, 0), 4),
            ]
        )
    )
    return [table, Spacer(0, 4)]


def _receptor(content: CfdiContent) -> list[Any]:
    r = content.receptor
    half = WIDTH / 2
    cells = [
        [_label("Receptor", r.get("Nombre")), _label("RFC", r.get("Rfc"))],
        [
            _label(
                "Régimen fiscal",
                _catalog(Catalog.REGIMEN_FISCAL, r.get("RegimenFiscalReceptor", "")),
            ),
            _label("Domicilio fiscal (C.P.)", r.get("DomicilioFiscalReceptor")),
        ],
        [
            _label("Uso CFDI", _catalog(Catalog.USO_CFDI, r.get("UsoCFDI", ""))),
            _label(
                "Residencia fiscal / NumRegIdTrib",
                " ".join(x for x in (r.get("ResidenciaFiscal", ""), r.get("NumRegIdTrib", "")) if x)
                or "—",
            ),
        ],
    ]
    return [_box(cells, [half, half]), Spacer(0, 3)]


def _payment_terms(content: CfdiContent) -> list[Any]:
    c = content.comprobante
    third = WIDTH / 3
    tipo = _tipo(content)
    forma = c.get("FormaPago") or c.get("FormaDePago", "")
    metodo = c.get("MetodoPago") or c.get("MetodoDePago", "")
    moneda = c.get("Moneda", "")
    cells: list[list[Any]] = [
        [
            _label("Tipo de comprobante", _catalog(Catalog.TIPO_DE_COMPROBANTE, tipo)),
            _label("Forma de pago", _catalog(Catalog.FORMA_PAGO, forma)),
            _label("Método de pago", _catalog(Catalog.METODO_PAGO, metodo)),
        ],
        [
            _label("Moneda", _catalog(Catalog.MONEDA, moneda)),
            _label("Tipo de cambio", c.get("TipoCambio")),
            _label("Exportación", _catalog(Catalog.EXPORTACION, c.get("Exportacion", ""))),
        ],
    ]
    if c.get("CondicionesDePago"):
        cells.append([_label("Condiciones de pago", c.get("CondicionesDePago")), "", ""])
    out: list[Any] = [_box(cells, [third, third, third])]
    for tipo_relacion, uuids in content.related:
        relation = _catalog(Catalog.TIPO_RELACION, tipo_relacion)
        listed = ", ".join(u.upper() for u in uuids)
        out.append(_label("CFDI relacionados", f"{relation}: {listed}", _SMALL))
    return [*out, Spacer(0, 3)]


def _tax_line(tax: Tax) -> str:
    kind = "Traslado" if tax.kind == "traslado" else "Retención"
    rate = f" {tax.tipo_factor} {tax.tasa}" if tax.tipo_factor or tax.tasa else ""
    amount = money(tax.importe) if tax.importe else tax.tipo_factor
    return f"{kind} {tax.impuesto}{rate} · base {money(tax.base)} · importe {amount}"


def _concepts(content: CfdiContent) -> list[Any]:
    w = WIDTH
    widths = [w * 0.09, w * 0.07, w * 0.09, w * 0.37, w * 0.11, w * 0.11, w * 0.08, w * 0.08]
    rows: list[list[Any]] = [
        [
            Paragraph("Clave prod./serv.", _HEAD),
            Paragraph("Cantidad", _HEAD_RIGHT),
            Paragraph("Unidad", _HEAD),
            Paragraph("Descripción", _HEAD),
            Paragraph("Valor unitario", _HEAD_RIGHT),
            Paragraph("Importe", _HEAD_RIGHT),
            Paragraph("Descuento", _HEAD_RIGHT),
            Paragraph("Objeto imp.", _HEAD),
        ]
    ]
    for concept in content.concepts:
        lines = [escape(concept.descripcion)]
        if concept.no_identificacion:
            lines.append(
                f"<font size=6>No. identificación: {escape(concept.no_identificacion)}</font>"
            )
        lines += [f"<font size=6>{escape(_tax_line(t))}</font>" for t in concept.taxes]
        unidad = " ".join(x for x in (concept.clave_unidad, concept.unidad) if x)
        rows.append(
            [
                concept.clave_prod_serv,
                concept.cantidad,
                Paragraph(escape(unidad), _SMALL),
                Paragraph("<br/>".join(lines), _BASE),
                money(concept.valor_unitario),
                money(concept.importe),
                money(concept.descuento) if concept.descuento else "",
                concept.objeto_imp,
            ]
        )
    table = _grid(rows, widths)
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (4, 0), (6, -1), "RIGHT"),
                ("ALIGN", (1, 1), (1, -1), "RIGHT"),
                ("ALIGN", (7, 0), (7, -1), "CENTER"),
            ]
        )
    )
    return [Paragraph("Conceptos", _H2), table]


def _tax_grid(taxes: list[Tax], width: float) -> Table:
    rows: list[list[Any]] = [["Impuesto", "Tipo", "Factor", "Tasa o cuota", "Base", "Importe"]]
    for tax in taxes:
        rows.append(
            [
                tax.impuesto,
                "Traslado" if tax.kind == "traslado" else "Retención",
                tax.tipo_factor,
                tax.tasa,
                money(tax.base) if tax.base else "",
                money(tax.importe) if tax.importe else "",
            ]
        )
    table = _grid(rows, [width * f for f in (0.14, 0.16, 0.14, 0.18, 0.19, 0.19)], numeric_from=4)
    table.hAlign = "LEFT"
    return table


def _taxes_and_totals(content: CfdiContent) -> list[Any]:
    c = content.comprobante
    left_w = WIDTH * 0.56
    taxes: Any = (
        _tax_grid(content.taxes, left_w)
        if content.taxes
        else _p("Sin impuestos a nivel comprobante.", _SMALL)
    )
    totals: list[list[Any]] = [["Subtotal", money(c.get("SubTotal"))]]
    if c.get("Descuento"):
        totals.append(["Descuento", money(c.get("Descuento"))])
    t = content.tax_totals
    if t.get("TotalImpuestosTrasladados"):
        totals.append(["Impuestos trasladados", money(t["TotalImpuestosTrasladados"])])
    if t.get("TotalImpuestosRetenidos"):
        totals.append(["Impuestos retenidos", money(t["TotalImpuestosRetenidos"])])
    for local in content.local_taxes:
        kind = "Traslado local" if local.kind == "traslado" else "Retención local"
        rate = f" {local.tasa} %" if local.tasa else ""
        totals.append([_p(f"{kind}: {local.impuesto}{rate}", _BASE), money(local.importe)])
    moneda = c.get("Moneda", "")
    totals.append(["Total", f"{money(c.get('Total'))} {moneda}".strip()])
    right = Table(totals, colWidths=[WIDTH * 0.25, WIDTH * 0.18])
    right.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, INK),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    total = decimal_or_none(c.get("Total")) or Decimal(0)
    layout = Table([[taxes, right]], colWidths=[left_w + 6, WIDTH - left_w - 6])
    layout.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    block: list[Any] = [layout]
    if moneda != "XXX":  # XXX: no currency involved (pagos, traslados)
        words = amount_in_words(total, moneda or "MXN")
        block += [Spacer(0, 3), Paragraph(f"Importe con letra: {escape(words)}", _WORDS)]
    return [Spacer(0, 4), KeepTogether(block)]


def _payments(content: CfdiContent) -> list[Any]:
    if not content.payments:
        return []
    out: list[Any] = [Paragraph("Complemento de pagos", _H2)]
    w = WIDTH
    for payment in content.payments:
        a = payment.attrs
        out.append(
            _box(
                [
                    [
                        _label("Fecha de pago", payment.fecha),
                        _label("Forma de pago", _catalog(Catalog.FORMA_PAGO, payment.forma)),
                        _label("Moneda", f"{payment.moneda} (T.C. {a.get('TipoCambioP', '1')})"),
                        _label("Monto", money(payment.monto)),
                    ],
                    [
                        _label("No. de operación", a.get("NumOperacion")),
                        _label("Cuenta ordenante", a.get("CtaOrdenante")),
                        _label("Cuenta beneficiario", a.get("CtaBeneficiario")),
                        "",
                    ],
                ],
                [w * 0.25] * 4,
            )
        )
        rows: list[list[Any]] = [
            [
                "Documento relacionado (UUID)",
                "Serie-folio",
                "Moneda",
                "Equiv.",
                "Parc.",
                "Saldo anterior",
                "Pagado",
                "Saldo insoluto",
                "Obj. imp.",
            ]
        ]
        tax_rows: list[int] = []
        for doc, doc_taxes in zip(payment.documents, payment.document_taxes, strict=False):
            rows.append(
                [
                    doc.get("IdDocumento", "").upper(),
                    "-".join(x for x in (doc.get("Serie", ""), doc.get("Folio", "")) if x),
                    doc.get("MonedaDR", ""),
                    doc.get("EquivalenciaDR", doc.get("TipoCambioDR", "")),
                    doc.get("NumParcialidad", ""),
                    money(doc.get("ImpSaldoAnt")),
                    money(doc.get("ImpPagado")),
                    money(doc.get("ImpSaldoInsoluto")),
                    doc.get("ObjetoImpDR", ""),
                ]
            )
            if doc_taxes:
                lines = "<br/>".join(
                    f"Impuestos del documento: {escape(_tax_line(t))}" for t in doc_taxes
                )
                tax_rows.append(len(rows))
                rows.append([Paragraph(f"<font size=6>{lines}</font>", _BASE)] + [""] * 8)
        widths = [w * f for f in (0.3, 0.09, 0.06, 0.06, 0.05, 0.12, 0.11, 0.12, 0.09)]
        table = _grid(rows, widths)
        style: list[Any] = [
            ("ALIGN", (3, 0), (-2, -1), "RIGHT"),
            ("FONT", (0, 1), (0, -1), "Courier", 6.5),
        ]
        for row in tax_rows:
            style += [("SPAN", (0, row), (-1, row)), ("LINEABOVE", (0, row), (-1, row), 0, BAND)]
        table.setStyle(TableStyle(style))
        out += [table, Spacer(0, 3)]
        if payment.taxes:
            out += [
                Paragraph("<b>Impuestos del pago</b>", _SMALL),
                _tax_grid(payment.taxes, w * 0.6),
                Spacer(0, 3),
            ]
    totals = content.payment_totals
    if totals:
        labels = {
            "TotalRetencionesIVA": "Retenciones IVA",
            "TotalRetencionesISR": "Retenciones ISR",
            "TotalRetencionesIEPS": "Retenciones IEPS",
            "TotalTrasladosBaseIVA16": "Base IVA 16 %",
            "TotalTrasladosImpuestoIVA16": "IVA 16 %",
            "TotalTrasladosBaseIVA8": "Base IVA 8 %",
            "TotalTrasladosImpuestoIVA8": "IVA 8 %",
            "TotalTrasladosBaseIVA0": "Base IVA 0 %",
            "TotalTrasladosImpuestoIVA0": "IVA 0 %",
            "TotalTrasladosBaseIVAExento": "Base IVA exento",
            "MontoTotalPagos": "Monto total de los pagos",
        }
        parts = [f"{label}: {money(totals[key])}" for key, label in labels.items() if key in totals]
        out.append(_p(" · ".join(parts), _BASE))
    return out


def _nomina(content: CfdiContent) -> list[Any]:
    out: list[Any] = []
    count = len(content.nominas)
    for number, n in enumerate(content.nominas, start=1):
        title = "Complemento de nómina"
        if n.header.get("Version"):
            title += f" {n.header['Version']}"
        if count > 1:
            title += f" ({number} de {count})"
        out += _one_nomina(n, title)
    return out


def _one_nomina(n: Nomina, title: str) -> list[Any]:
    h, e, r = n.header, n.emisor, n.receptor
    w = WIDTH
    cells = [
        [
            _label("Tipo de nómina", _catalog(Catalog.TIPO_NOMINA, h.get("TipoNomina", ""))),
            _label("Fecha de pago", h.get("FechaPago")),
            _label("Periodo", f"{h.get('FechaInicialPago', '')} a {h.get('FechaFinalPago', '')}"),
            _label("Días pagados", h.get("NumDiasPagados")),
        ],
        [
            _label("Registro patronal", e.get("RegistroPatronal")),
            _label("No. de empleado", r.get("NumEmpleado")),
            _label("CURP", r.get("Curp")),
            _label("NSS", r.get("NumSeguridadSocial")),
        ],
        [
            _label("Departamento", r.get("Departamento")),
            _label("Puesto", r.get("Puesto")),
            _label("Inicio de relación laboral", r.get("FechaInicioRelLaboral")),
            _label("Antigüedad", r.get("Antigüedad")),
        ],
        [
            _label("Tipo de contrato", _catalog(Catalog.TIPO_CONTRATO, r.get("TipoContrato", ""))),
            _label("Régimen", _catalog(Catalog.TIPO_REGIMEN, r.get("TipoRegimen", ""))),
            _label(
                "Periodicidad", _catalog(Catalog.PERIODICIDAD_PAGO, r.get("PeriodicidadPago", ""))
            ),
            _label("Entidad federativa", r.get("ClaveEntFed")),
        ],
        [
            _label("Salario base de cotización", money(r.get("SalarioBaseCotApor"))),
            _label("Salario diario integrado", money(r.get("SalarioDiarioIntegrado"))),
            _label(
                "Banco / cuenta",
                " ".join(x for x in (r.get("Banco", ""), r.get("CuentaBancaria", "")) if x),
            ),
            _label("Riesgo del puesto", r.get("RiesgoPuesto")),
        ],
    ]
    out: list[Any] = [
        _p(title, _H2),
        _box(cells, [w * 0.25] * 4),
        Spacer(0, 3),
    ]
    half = w / 2 - 3
    perc: list[list[Any]] = [["Tipo", "Clave", "Concepto", "Gravado", "Exento"]]
    for p in n.percepciones:
        perc.append(
            [
                p.get("TipoPercepcion", ""),
                p.get("Clave", ""),
                _p(p.get("Concepto"), _SMALL),
                money(p.get("ImporteGravado")),
                money(p.get("ImporteExento")),
            ]
        )
    ded: list[list[Any]] = [["Tipo", "Clave", "Concepto", "Importe"]]
    for d in n.deducciones:
        ded.append(
            [
                d.get("TipoDeduccion", ""),
                d.get("Clave", ""),
                _p(d.get("Concepto"), _SMALL),
                money(d.get("Importe")),
            ]
        )
    left = [
        _p(f"Percepciones: {money(h.get('TotalPercepciones', '0'))}", _H2),
        _grid(perc, [half * f for f in (0.1, 0.14, 0.46, 0.15, 0.15)], numeric_from=3),
    ]
    right = [
        _p(f"Deducciones: {money(h.get('TotalDeducciones', '0'))}", _H2),
        _grid(ded, [half * f for f in (0.1, 0.14, 0.56, 0.2)], numeric_from=3),
    ]
    lists = Table([[left, right]], colWidths=[half + 3, half + 3])
    lists.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), 6),
            ]
        )
    )
    out.append(lists)
    if n.otros_pagos:
        otros: list[list[Any]] = [["Tipo", "Clave", "Concepto", "Subsidio causado", "Importe"]]
        for o in n.otros_pagos:
            otros.append(
                [
                    o.get("TipoOtroPago", ""),
                    o.get("Clave", ""),
                    _p(o.get("Concepto"), _SMALL),
                    money(o.get("SubsidioCausado")) if o.get("SubsidioCausado") else "",
                    money(o.get("Importe")),
                ]
            )
        out += [
            _p(f"Otros pagos: {money(h.get('TotalOtrosPagos', '0'))}", _H2),
            _grid(otros, [w * f for f in (0.08, 0.1, 0.52, 0.15, 0.15)], numeric_from=3),
        ]
    return out


def _carta_porte(content: CfdiContent) -> list[Any]:
    out: list[Any] = []
    for cp in content.cartas_porte:
        out += _one_carta_porte(cp, content.timbre.get("FechaTimbrado", ""))
    return out


def _one_carta_porte(cp: CartaPorte, fecha_timbrado: str) -> list[Any]:
    a, m, w = cp.attrs, cp.mercancias, WIDTH
    peso = " ".join(x for x in (money(m.get("PesoBrutoTotal")), m.get("UnidadPeso", "")) if x)
    internac = a.get("TranspInternac", "")
    if a.get("EntradaSalidaMerc"):
        internac += f" ({a['EntradaSalidaMerc']} {a.get('PaisOrigenDestino', '')})".rstrip()
    summary = [
        [
            _label("IdCCP", a.get("IdCCP")),
            _label("Transporte internacional", internac),
            _label("Distancia total recorrida (km)", a.get("TotalDistRec")),
        ],
        [
            _label("Peso bruto total", peso),
            _label("Número total de mercancías", m.get("NumTotalMercancias")),
            _label("Peso neto total", m.get("PesoNetoTotal")),
        ],
    ]
    out: list[Any] = [
        _p(f"Complemento Carta Porte {a.get('Version', '')}".strip(), _H2),
        _box(summary, [w / 3] * 3),
        Spacer(0, 3),
    ]
    places: list[list[Any]] = [
        ["Tipo", "ID", "Remitente / destinatario", "Salida / llegada", "Distancia", "Domicilio"]
    ]
    for u in cp.ubicaciones:
        u_a, d = u.attrs, u.domicilio
        who = " ".join(
            x
            for x in (
                u_a.get("RFCRemitenteDestinatario", ""),
                u_a.get("NombreRemitenteDestinatario", ""),
            )
            if x
        )
        where = ", ".join(
            x
            for x in (
                " ".join(y for y in (d.get("Calle", ""), d.get("NumeroExterior", "")) if y),
                d.get("Colonia", ""),
                d.get("Localidad", ""),
                d.get("Municipio", ""),
                d.get("Estado", ""),
                d.get("Pais", ""),
                f"C.P. {d['CodigoPostal']}" if d.get("CodigoPostal") else "",
            )
            if x
        )
        places.append(
            [
                _p(u_a.get("TipoUbicacion"), _SMALL),
                _p(u_a.get("IDUbicacion"), _SMALL),
                _p(who, _SMALL),
                _p(u_a.get("FechaHoraSalidaLlegada"), _SMALL),
                _p(u_a.get("DistanciaRecorrida"), _SMALL),
                _p(where, _SMALL),
            ]
        )
    out += [
        _p("Ubicaciones", _H2),
        _grid(places, [w * f for f in (0.08, 0.1, 0.26, 0.15, 0.08, 0.33)]),
    ]
    goods: list[list[Any]] = [
        ["Bienes transp.", "Descripción", "Cantidad", "Unidad", "Peso (kg)", "Valor", "Mat. pelig."]
    ]
    for g in cp.mercancia:
        goods.append(
            [
                _p(g.get("BienesTransp"), _SMALL),
                _p(g.get("Descripcion"), _SMALL),
                _p(g.get("Cantidad"), _SMALL_RIGHT),
                _p(g.get("ClaveUnidad"), _SMALL_RIGHT),
                _p(money(g.get("PesoEnKg")), _SMALL_RIGHT),
                _p(
                    " ".join(x for x in (money(g.get("ValorMercancia")), g.get("Moneda", "")) if x),
                    _SMALL_RIGHT,
                ),
                _p(g.get("MaterialPeligroso"), _SMALL),
            ]
        )
    out += [
        _p("Mercancías", _H2),
        _grid(goods, [w * f for f in (0.12, 0.38, 0.09, 0.08, 0.11, 0.14, 0.08)], numeric_from=2),
    ]
    auto, v, s = cp.autotransporte, cp.vehiculo, cp.seguros
    if auto or v:
        remolques = ", ".join(
            " ".join(x for x in (r.get("SubTipoRem", ""), r.get("Placa", "")) if x)
            for r in cp.remolques
        )
        cells: list[list[Any]] = [
            [
                _label("Permiso SCT", _catalog(Catalog.TIPO_PERMISO, auto.get("PermSCT", ""))),
                _label("Número de permiso", auto.get("NumPermisoSCT")),
                _label(
                    "Configuración vehicular",
                    _catalog(Catalog.CONFIG_AUTOTRANSPORTE, v.get("ConfigVehicular", "")),
                ),
            ],
            [
                _label("Placa", v.get("PlacaVM")),
                _label("Año del modelo", v.get("AnioModeloVM")),
                _label("Peso bruto vehicular", v.get("PesoBrutoVehicular")),
            ],
            [
                _label(
                    "Seguro de responsabilidad civil",
                    " · ".join(
                        x
                        for x in (s.get("AseguraRespCivil", ""), s.get("PolizaRespCivil", ""))
                        if x
                    ),
                ),
                _label(
                    "Seguro de la carga",
                    " · ".join(
                        x for x in (s.get("AseguraCarga", ""), s.get("PolizaCarga", "")) if x
                    ),
                ),
                _label(
                    "Seguro de medio ambiente",
                    " · ".join(
                        x
                        for x in (s.get("AseguraMedAmbiente", ""), s.get("PolizaMedAmbiente", ""))
                        if x
                    ),
                ),
            ],
            [_label("Remolques", remolques), "", ""],
        ]
        out += [_p("Autotransporte", _H2), _box(cells, [w / 3] * 3)]
    if cp.figuras:
        people: list[list[Any]] = [["Tipo de figura", "RFC", "Nombre", "Licencia"]]
        for f in cp.figuras:
            people.append(
                [
                    _p(_catalog(Catalog.FIGURA_TRANSPORTE, f.get("TipoFigura", "")), _SMALL),
                    _p(f.get("RFCFigura"), _SMALL),
                    _p(f.get("NombreFigura"), _SMALL),
                    _p(f.get("NumLicencia"), _SMALL),
                ]
            )
        out += [
            _p("Figura transporte", _H2),
            _grid(people, [w * f for f in (0.2, 0.2, 0.4, 0.2)]),
        ]
    if a.get("IdCCP"):
        url = carta_porte_url(
            id_ccp=a["IdCCP"], fecha_origen=cp.fecha_origen, fecha_timbrado=fecha_timbrado
        )
        side = 24 * mm
        qr = Table(
            [
                [
                    QrFlowable(url, side),
                    [
                        Paragraph("<b>Verificación de la Carta Porte en el SAT:</b>", _SMALL),
                        SealText(url),
                    ],
                ]
            ],
            colWidths=[side + 4 * mm, w - side - 4 * mm],
        )
        qr.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        out.append(KeepTogether([qr]))
    return out


class SealText(Flowable):
    """A seal, a certificate or a cadena original in Courier, broken at any character.

    What the CJK-wrapped paragraph drew, without its cost: it measured the text character
    by character (``stringWidth`` per character, ~15 % of an invoice's PDF) to break lines
    that, in Courier, are all the same: every glyph is 0.6 em wide, so a line holds
    ``width // (0.6 × size)`` characters. Drawn as plain strings: no markup is parsed, so
    nothing from the document needs escaping here.
    """

    EM = 0.6  # Courier's advance width, in ems, for every glyph

    def __init__(self, text: str, style: ParagraphStyle = _SEAL) -> None:
        super().__init__()
        self.text = " ".join(text.split())  # as a paragraph collapses white space
        self.style = style
        self.lines: list[str] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        per_line = max(1, int(avail_width // (self.EM * self.style.fontSize)))
        self.lines = [self.text[i : i + per_line] for i in range(0, len(self.text), per_line)]
        self.width, self.height = avail_width, len(self.lines) * self.style.leading
        return self.width, self.height

    def draw(self) -> None:
        style = self.style
        self.canv.setFont(style.fontName, style.fontSize)
        self.canv.setFillColor(style.textColor)
        ascent = getAscentDescent(style.fontName, style.fontSize)[0]
        for number, line in enumerate(self.lines):
            self.canv.drawString(0, self.height - ascent - number * style.leading, line)


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of ``text``'s QR code (error correction M, no quiet zone), rows from the
    top, True where dark; empty if the text is too long for any QR (a crafted document).

    zxing-cpp encodes in C++ (~0.5 ms for a verification URL); the pure-Python ``qrcode``
    took 2–12 ms with a fixed mask, ~20 ms scoring all eight.
    """
    try:
        code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    except ValueError:
        return []
    image = code.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    pixels = memoryview(image).tobytes()  # type: ignore[arg-type]  # one byte a module, 0 dark
    return [[pixels[row * width + col] == 0 for col in range(width)] for row in range(height)]


class QrFlowable(Flowable):
    """A QR code drawn as one filled path of horizontal runs.

    The matrix comes from ``qr_matrix``; reportlab's own QR widget builds one shape object
    per module and took half of the whole rendering time.
    """

    def __init__(self, text: str, side: float) -> None:
        super().__init__()
        self.matrix = qr_matrix(text)
        self.side = side

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.side, self.side

    def draw(self) -> None:
        n = len(self.matrix)
        if not n:
            return
        cell = self.side / n
        path = self.canv.beginPath()
        for row_index, row in enumerate(self.matrix):
            y = self.side - (row_index + 1) * cell
            col = 0
            while col < n:
                if row[col]:
                    start = col
                    while col < n and row[col]:
                        col += 1
                    path.rect(start * cell, y, (col - start) * cell, cell)
                else:
                    col += 1
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


def _timbre(content: CfdiContent, cadena_tfd: str, url: str) -> list[Any]:
    t = content.timbre
    side = 32 * mm
    drawing = QrFlowable(url, side)
    text = [
        _label("Folio fiscal (UUID)", t.get("UUID", "").upper()),
        _label("Fecha y hora de certificación", t.get("FechaTimbrado")),
        _label("RFC del proveedor de certificación", t.get("RfcProvCertif")),
        _label("No. de certificado del SAT", t.get("NoCertificadoSAT")),
        _label("No. de certificado del emisor", content.comprobante.get("NoCertificado")),
        Spacer(0, 2),
        Paragraph("<b>Sello digital del CFDI:</b>", _SMALL),
        SealText(content.sello or t.get("SelloCFD", "")),
        Paragraph("<b>Sello digital del SAT:</b>", _SMALL),
        SealText(t.get("SelloSAT", "")),
        Paragraph(
            "<b>Cadena original del complemento de certificación digital del SAT:</b>", _SMALL
        ),
        SealText(cadena_tfd),
    ]
    table = Table([[drawing, text]], colWidths=[side + 4 * mm, WIDTH - side - 4 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEABOVE", (0, 0), (-1, 0), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [Spacer(0, 6), KeepTogether([table])]


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    mark = getattr(doc, "watermark", "")
    if mark:  # drawn first, under the page's content, on every page
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 64 if len(mark) < 12 else 48)
        canvas.setFillColor(WATERMARK)
        canvas.translate(PAGE_W / 2, PAGE_H / 2)
        canvas.rotate(50)
        canvas.drawCentredString(0, 0, mark)
        canvas.restoreState()
    canvas.setFont("Helvetica", 6.5)
    canvas.setFillColor(RULE)
    canvas.drawString(MARGIN, 7 * mm, "Este documento es una representación impresa de un CFDI.")
    if getattr(doc, "seal_invalid", False):  # on every page: a page may travel alone
        canvas.setFont("Helvetica-Bold", 7.5)
        canvas.setFillColor(ALERT)
        canvas.drawCentredString(PAGE_W / 2, 7 * mm, SEAL_INVALID)
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages until the end to print «Página N de M» on each.

    The total is only known once the story is laid out: each finished page's state
    is kept and the pages are written at save, numbered.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self.saveState()
            self.setFont("Helvetica", 6.5)
            self.setFillColor(RULE)
            self.drawRightString(PAGE_W - MARGIN, 7 * mm, f"Página {number} de {total}")
            self.restoreState()
            super().showPage()
        super().save()


def _cadena_tfd(root: etree._Element) -> str:
    tfd = root.find(f".//{{{TFD}}}TimbreFiscalDigital")
    if tfd is None:
        return ""
    version = tfd.get("Version") or tfd.get("version") or "1.1"
    # satcfdi turns the version into a file name: only the SAT's own versions reach it.
    if version not in TFD_VERSIONS:
        return ""
    try:
        return str(xslt_transform(tfd.tag, version)(tfd))
    except (CFDIError, etree.XSLTError):
        return ""


def render_pdf(
    data: bytes,
    *,
    status: str = Status.VIGENTE,
    seal_verified: bool | None = None,
    compress: bool = True,
) -> bytes:
    """The printed CFDI of an original XML (already validated at ingestion), or the preview
    of a draft's XML (no timbre yet: marked BORRADOR, without the timbre's section).

    ``seal_verified`` is the stored CFDI's: False (stored unverified because someone
    confirmed it) prints the same warning the staff pages show, on every page.
    """
    seal_invalid = seal_verified is False
    root = parse_xml(data)
    content = content_of(root)
    c = content.comprobante
    version = c.get("Version", "")
    url = verification_url(
        version=version,
        uuid=content.timbre.get("UUID", ""),
        emisor_rfc=content.emisor.get("Rfc", ""),
        receptor_rfc=content.receptor.get("Rfc", ""),
        total=c.get("Total", "0"),
        sello=content.sello,
    )
    buffer = io.BytesIO()
    uuid = content.timbre.get("UUID", "").upper()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=13 * mm,
        title=f"CFDI {uuid}",
        author=content.emisor.get("Nombre") or content.emisor.get("Rfc", ""),
        subject="Representación impresa de un CFDI",
        pageCompression=1 if compress else 0,
        invariant=1,
    )
    doc.seal_invalid = seal_invalid
    doc.watermark = watermark_of(content)
    story: list[Any] = [
        *(_seal_warning() if seal_invalid else []),
        *_header(content, status, seal_invalid=seal_invalid),
        *_receptor(content),
        *_payment_terms(content),
        *_concepts(content),
        *_taxes_and_totals(content),
        *_payments(content),
        *_nomina(content),
        *_carta_porte(content),
        *(_timbre(content, _cadena_tfd(root), url) if content.timbre.get("UUID") else []),
    ]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()


def pdf_key(cfdi: Cfdi) -> str:
    """Where the cached PDF of a CFDI lives (renderer version, status, failed seal in the name)."""
    seal = "-sello-no-valido" if cfdi.seal_verified is False else ""
    uuid = str(cfdi.uuid).lower()
    return f"cfdi-pdf/{cfdi.company_id}/{uuid}-r{RENDERER_VERSION}-{cfdi.status}{seal}.pdf"


def cfdi_pdf(cfdi: Cfdi) -> bytes:
    """The printed CFDI, rendered once and then served from the storage cache."""
    key = pdf_key(cfdi)
    if default_storage.exists(key):
        with default_storage.open(key, "rb") as handle:
            return handle.read()
    with default_storage.open(cfdi.xml_path, "rb") as handle:
        pdf = render_pdf(handle.read(), status=cfdi.status, seal_verified=cfdi.seal_verified)
    # Two requests may render at once: the second save gets another name and is harmless.
    default_storage.save(key, ContentFile(pdf))
    return pdf
