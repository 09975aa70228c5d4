"""Reading CFDI XML safely and fast: the index fields with lxml, never expanding entities.

Every document goes through ``parse_xml`` (a hardened parser that refuses any
DOCTYPE) and ``read_index`` (the fields the repository lists, filters and
totals on). CFDI 3.2 (lower-case attribute names), 3.3 and 4.0 are read;
the TimbreFiscalDigital 1.0/1.1 gives the UUID; Pagos 1.0/2.0 and Nómina
1.1/1.2 complements are recognised.
"""

from __future__ import annotations

import functools
import re
import uuid as uuid_module
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree
from satcfdi.catalogs import select

from despacho.cfdi.refusals import Refusal, RefusalCode
from despacho.textsearch import fold

CFDI3 = "http://www.sat.gob.mx/cfd/3"
CFDI4 = "http://www.sat.gob.mx/cfd/4"
TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
PAGOS10 = "http://www.sat.gob.mx/Pagos"
PAGOS20 = "http://www.sat.gob.mx/Pagos20"
NOMINA11 = "http://www.sat.gob.mx/nomina"
NOMINA12 = "http://www.sat.gob.mx/nomina12"

COMPLEMENT_NAMES = {
    f"{{{TFD}}}TimbreFiscalDigital": "tfd",
    f"{{{PAGOS10}}}Pagos": "pagos10",
    f"{{{PAGOS20}}}Pagos": "pagos20",
    f"{{{NOMINA11}}}Nomina": "nomina11",
    f"{{{NOMINA12}}}Nomina": "nomina12",
}

# The SAT's clock: CFDI dates carry no offset (see models.py for the choice).
CFDI_ZONE = zoneinfo.ZoneInfo("America/Mexico_City")

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_DOCTYPE_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_FIRST_ELEMENT_RE = re.compile(rb"<[A-Za-z_]")
# Real exports put blank lines (and a UTF-8 BOM) before the XML declaration; XML
# forbids it but the SAT's own validator accepts it. The BOM is kept for the parser.
_LEADING_BLANKS_RE = re.compile(rb"^[ \t\r\n]*(\xef\xbb\xbf)?[ \t\r\n]*(?=<)")

# 3.2's formaDePago/metodoDePago and Moneda are free text: kept whole up to this length.
FREE_TEXT_MAX = 250

# The versions each Comprobante namespace defines.
_NAMESPACE_VERSIONS = {CFDI3: ("3.2", "3.3"), CFDI4: ("4.0",)}

# CFDI 3.2 names the kinds of comprobante in words.
_TIPO_32 = {"ingreso": "I", "egreso": "E", "traslado": "T"}


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers keep state and are not shared across threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
        dtd_validation=False,
    )


def _doctype_refusal() -> Refusal:
    return Refusal(
        RefusalCode.DOCTYPE,
        _(
            "El XML trae una declaración DOCTYPE o entidades; por seguridad no se procesa "
            "(un CFDI nunca las lleva)."
        ),
    )


def parse_xml(data: bytes) -> etree._Element:
    """The root element of a well-formed XML without DOCTYPE; Refusal otherwise."""
    data = _LEADING_BLANKS_RE.sub(lambda m: m.group(1) or b"", data, count=1)
    first = _FIRST_ELEMENT_RE.search(data)
    prolog = data[: first.start()] if first else data
    if _DOCTYPE_RE.search(prolog):
        raise _doctype_refusal()
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        if "entit" in str(exc).lower() or "doctype" in str(exc).lower():
            raise _doctype_refusal() from None
        raise Refusal(RefusalCode.NOT_XML, _("No es un archivo XML válido.")) from None
    docinfo = root.getroottree().docinfo
    # The prolog scan above misses DOCTYPEs in other encodings (UTF-16): ask the parser too.
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _doctype_refusal()
    return root


@dataclass(frozen=True)
class CfdiIndex:
    """The fields the repository keeps in the database for one comprobante."""

    uuid: str  # lower case, canonical
    version: str
    tipo: str
    serie: str
    folio: str
    fecha: datetime
    fecha_timbrado: datetime
    emisor_rfc: str
    emisor_nombre: str
    receptor_rfc: str
    receptor_nombre: str
    subtotal: Decimal
    descuento: Decimal | None
    total: Decimal
    moneda: str  # a c_Moneda code, or "" when the document's text names none we know
    moneda_original: str  # the document's Moneda when it is not a code (3.2 free text)
    tipo_cambio: Decimal | None
    forma_pago: str
    metodo_pago: str
    uso_cfdi: str
    complements: tuple[str, ...]
    # Per-document tax and payroll amounts for the reports (0 when absent).
    iva_trasladado: Decimal = Decimal(0)
    ieps_trasladado: Decimal = Decimal(0)
    isr_retenido: Decimal = Decimal(0)
    iva_retenido: Decimal = Decimal(0)
    total_percepciones: Decimal = Decimal(0)
    total_deducciones: Decimal = Decimal(0)
    total_otros_pagos: Decimal = Decimal(0)
    # What a Pago (tipo P) paid, from its Pagos complement (None for any other tipo).
    pagos_monto: Decimal | None = None
    pagos_moneda: str = ""
    # The documents it relates to (CfdiRelacionados, Pagos' DoctoRelacionado).
    relations: tuple[RelationIndex, ...] = ()


@dataclass(frozen=True)
class RelationIndex:
    """One document a comprobante points to: a CfdiRelacionado or a Pago's DoctoRelacionado."""

    kind: str  # "relacionado" or "pago" (values of cfdi.models.RelationKind)
    related_uuid: str  # lower case, canonical
    tipo_relacion: str = ""  # c_TipoRelacion, for "relacionado"
    num_parcialidad: int | None = None
    imp_saldo_ant: Decimal | None = None
    imp_pagado: Decimal | None = None
    imp_saldo_insoluto: Decimal | None = None
    moneda_dr: str = ""
    equivalencia_dr: Decimal | None = None


# CFDI 3.2's Moneda was free text. What real files write there, folded (lower case,
# no accents, no dots or spaces), to its c_Moneda code.
_FREE_TEXT_CURRENCIES = {
    **dict.fromkeys(
        (
            "pesos", "peso", "mn", "mxp", "mxn", "pesosmexicanos", "pesomexicano",
            "pesosmn", "pesomn", "monedanacional", "nacional", "mexicanpesos", "mxn$", "$",
        ),
        "MXN",
    ),
    **dict.fromkeys(
        (
            "dolares", "dolar", "usd", "us$", "usd$", "dolaresamericanos", "dolaramericano",
            "dolaresestadounidenses", "dolarestadounidense", "dls", "dlls", "usdollar",
            "usdollars", "dollar", "dollars",
        ),
        "USD",
    ),
    **dict.fromkeys(("euros", "euro", "eur", "€"), "EUR"),
}  # fmt: skip


@functools.lru_cache(maxsize=256)
def _is_currency_code(code: str) -> bool:
    return len(code) == 3 and select("C756_c_Moneda", code) is not None


def currency(raw: str) -> tuple[str, str]:
    """(c_Moneda code or "", the original text when it is not that code) of a Moneda.

    3.3/4.0 write the code; 3.2 wrote anything ("Pesos", "M.N.", "Dólares"). Text that
    names no currency we know keeps no code (never a guess) and is kept whole.
    """
    text = " ".join(raw.split())
    if not text:
        return "", ""
    if _is_currency_code(text.upper()):
        return text.upper(), "" if text == text.upper() else text
    key = re.sub(r"[\s.]", "", fold(text))
    return _FREE_TEXT_CURRENCIES.get(key, ""), text


def _not_cfdi(detail: str | None = None) -> Refusal:
    message = _("El XML no es un CFDI (comprobante fiscal del SAT).")
    if detail:
        message = f"{message} {detail}"
    return Refusal(RefusalCode.NOT_CFDI, message)


class _Attrs:
    """Attribute access for 3.2 (camelCase) and 3.3/4.0 (PascalCase) alike."""

    def __init__(self, element: etree._Element, legacy: bool) -> None:
        self.element = element
        self.legacy = legacy

    def get(self, name: str, legacy_name: str | None = None, max_length: int = 300) -> str:
        key = (legacy_name or name[0].lower() + name[1:]) if self.legacy else name
        value = self.element.get(key)
        if value is None and self.legacy:
            value = self.element.get(name)  # 3.2 spells TipoCambio and Moneda this way
        return " ".join((value or "").split())[:max_length]


def _decimal(attrs: _Attrs, name: str, *, required: bool) -> Decimal | None:
    raw = attrs.get(name)
    if not raw:
        if required:
            raise _not_cfdi(_("Falta el atributo %(name)s.") % {"name": name})
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _not_cfdi(
            _("%(name)s no es un importe: %(value)s.") % {"name": name, "value": raw[:40]}
        ) from None
    if not value.is_finite() or abs(value) >= Decimal("1e18"):
        raise _not_cfdi(_("%(name)s no es un importe válido.") % {"name": name})
    return value.quantize(Decimal("0.000001"))


def _amount(attrs: _Attrs, name: str) -> Decimal:
    value = _decimal(attrs, name, required=True)
    assert value is not None  # required=True refuses a missing amount
    return value


def _datetime(raw: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise _not_cfdi(
            _("%(name)s no es una fecha válida: %(value)s.") % {"name": name, "value": raw[:40]}
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CFDI_ZONE)
    return value


def _timbre(root: etree._Element, ns: str) -> etree._Element:
    timbres = [
        tfd
        for complemento in root.iterchildren(f"{{{ns}}}Complemento")
        for tfd in complemento.iterchildren(f"{{{TFD}}}TimbreFiscalDigital")
    ]
    if not timbres:
        raise Refusal(
            RefusalCode.NOT_STAMPED,
            _("El CFDI no está timbrado: no trae el Timbre Fiscal Digital."),
        )
    if len(timbres) > 1:
        # Readers disagree on which one counts (satcfdi takes the last): never pick one.
        raise Refusal(
            RefusalCode.MULTIPLE_TIMBRES,
            _(
                "El CFDI trae %(n)d Timbres Fiscales Digitales (UUID %(uuids)s); un CFDI lleva "
                "uno solo y no se puede saber cuál vale, así que no se guarda."
            )
            % {
                "n": len(timbres),
                "uuids": ", ".join((t.get("UUID") or "—").strip()[:36] for t in timbres),
            },
        )
    return timbres[0]


def complements_of(root: etree._Element) -> tuple[str, ...]:
    """Short names of the recognised complements (tfd, pagos20, nomina12, …)."""
    found: list[str] = []
    for complemento in root.iterchildren(f"{{{CFDI3}}}Complemento", f"{{{CFDI4}}}Complemento"):
        for child in complemento:
            name = COMPLEMENT_NAMES.get(child.tag) if isinstance(child.tag, str) else None
            if name and name not in found:
                found.append(name)
    return tuple(found)


# c_Impuesto codes (3.3/4.0) and the names CFDI 3.2 writes instead.
_IMPUESTO = {"001": "ISR", "002": "IVA", "003": "IEPS", "ISR": "ISR", "IVA": "IVA", "IEPS": "IEPS"}


def _lenient_amount(raw: str | None) -> Decimal:
    """An amount of a secondary field: 0 when absent or unreadable (the document stays valid)."""
    try:
        value = Decimal((raw or "0").strip() or "0")
    except InvalidOperation:
        return Decimal(0)
    if not value.is_finite() or abs(value) >= Decimal("1e18"):
        return Decimal(0)
    return value.quantize(Decimal("0.000001"))


def tax_amounts(root: etree._Element, ns: str) -> dict[str, Decimal]:
    """The comprobante-level taxes by kind: IVA and IEPS trasladados, ISR and IVA retenidos.

    Summed per tax from each Traslado/Retencion (TotalImpuestosTrasladados mixes
    IVA with IEPS). Concept-level taxes are not added: the comprobante's node is
    their sum by rule. 3.2 spells attributes in lower case.
    """
    found = {
        "iva_trasladado": Decimal(0),
        "ieps_trasladado": Decimal(0),
        "isr_retenido": Decimal(0),
        "iva_retenido": Decimal(0),
    }
    impuestos = root.find(f"{{{ns}}}Impuestos")
    if impuestos is None:
        return found
    for group, item, suffix in (
        ("Traslados", "Traslado", "trasladado"),
        ("Retenciones", "Retencion", "retenido"),
    ):
        for element in impuestos.iterfind(f"{{{ns}}}{group}/{{{ns}}}{item}"):
            code = element.get("Impuesto") or element.get("impuesto") or ""
            key = f"{_IMPUESTO.get(code.strip().upper(), '').lower()}_{suffix}"
            if key in found:
                found[key] += _lenient_amount(element.get("Importe") or element.get("importe"))
    return found


def payroll_amounts(root: etree._Element, ns: str) -> dict[str, Decimal]:
    """Percepciones, deducciones and otros pagos over every Nómina complement (or {}).

    Nómina 1.2 carries TotalPercepciones/TotalDeducciones/TotalOtrosPagos on its root;
    1.1 (CFDI 3.2) has none: its Percepciones and Deducciones nodes carry TotalGravado
    and TotalExento, whose sum is the total. A CFDI may carry several Nómina
    complements (one per payment): the amounts are their sum, as the receipt's.
    """
    found = False
    totals = {
        "total_percepciones": Decimal(0),
        "total_deducciones": Decimal(0),
        "total_otros_pagos": Decimal(0),
    }
    for complemento in root.iterchildren(f"{{{ns}}}Complemento"):
        for nomina in complemento.iterchildren(f"{{{NOMINA12}}}Nomina"):
            found = True
            totals["total_percepciones"] += _lenient_amount(nomina.get("TotalPercepciones"))
            totals["total_deducciones"] += _lenient_amount(nomina.get("TotalDeducciones"))
            totals["total_otros_pagos"] += _lenient_amount(nomina.get("TotalOtrosPagos"))
        for nomina in complemento.iterchildren(f"{{{NOMINA11}}}Nomina"):
            found = True
            for group, key in (
                ("Percepciones", "total_percepciones"),
                ("Deducciones", "total_deducciones"),
            ):
                for node in nomina.iterchildren(f"{{{NOMINA11}}}{group}"):
                    totals[key] += _lenient_amount(node.get("TotalGravado"))
                    totals[key] += _lenient_amount(node.get("TotalExento"))
    return totals if found else {}


def paid_amount(root: etree._Element, ns: str) -> tuple[Decimal | None, str]:
    """What a Pago paid: the sum of its Pagos' Monto, in their currency (MonedaP).

    A Pago's comprobante says Total 0 in Moneda XXX by rule; what was paid is in its
    Pagos complement (1.0 under CFDI 3.3, 2.0 under 4.0), one Pago node per payment.
    Payments in several currencies are summed in MXN, each at its TipoCambioP. Without
    a Pagos complement: (None, "").
    """
    payments = [
        pago
        for complemento in root.iterchildren(f"{{{ns}}}Complemento")
        for pagos_ns in (PAGOS20, PAGOS10)
        for pago in complemento.iterfind(f"{{{pagos_ns}}}Pagos/{{{pagos_ns}}}Pago")
    ]
    if not payments:
        return None, ""
    currencies = {(pago.get("MonedaP") or "").strip().upper()[:3] for pago in payments}
    if len(currencies) == 1:
        paid = sum((_lenient_amount(pago.get("Monto")) for pago in payments), Decimal(0))
        return paid, currencies.pop()
    in_mxn = Decimal(0)
    for pago in payments:
        rate = Decimal(1)
        if (pago.get("MonedaP") or "").strip().upper() != "MXN":
            rate = _lenient_amount(pago.get("TipoCambioP")) or Decimal(1)
        in_mxn += _lenient_amount(pago.get("Monto")) * rate
    return in_mxn.quantize(Decimal("0.000001")), "MXN"


def _canonical_uuid(raw: str | None) -> str | None:
    text = (raw or "").strip()
    return str(uuid_module.UUID(text)) if _UUID_RE.match(text) else None


def _optional_amount(raw: str | None) -> Decimal | None:
    return None if raw is None or not raw.strip() else _lenient_amount(raw)


def _parcialidad(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


def relations_of(root: etree._Element, ns: str) -> tuple[RelationIndex, ...]:
    """What the comprobante relates to: its CfdiRelacionados and its Pagos' DoctoRelacionado.

    CFDI 3.3 has one CfdiRelacionados node, 4.0 one per TipoRelacion; Pagos 1.0 writes
    TipoCambioDR where 2.0 writes EquivalenciaDR (both kept as ``equivalencia_dr``). A
    related UUID that is not one is skipped: the index only points at real documents.
    """
    found: list[RelationIndex] = []
    for group in root.iterchildren(f"{{{ns}}}CfdiRelacionados"):
        tipo_relacion = (group.get("TipoRelacion") or "").strip()[:2]
        for related in group.iterchildren(f"{{{ns}}}CfdiRelacionado"):
            uuid = _canonical_uuid(related.get("UUID"))
            if uuid is not None:
                found.append(RelationIndex("relacionado", uuid, tipo_relacion=tipo_relacion))
    for complemento in root.iterchildren(f"{{{ns}}}Complemento"):
        for pagos_ns in (PAGOS20, PAGOS10):
            for docto in complemento.iterfind(
                f"{{{pagos_ns}}}Pagos/{{{pagos_ns}}}Pago/{{{pagos_ns}}}DoctoRelacionado"
            ):
                uuid = _canonical_uuid(docto.get("IdDocumento"))
                if uuid is None:
                    continue
                found.append(
                    RelationIndex(
                        "pago",
                        uuid,
                        num_parcialidad=_parcialidad(docto.get("NumParcialidad")),
                        imp_saldo_ant=_optional_amount(docto.get("ImpSaldoAnt")),
                        imp_pagado=_optional_amount(docto.get("ImpPagado")),
                        imp_saldo_insoluto=_optional_amount(docto.get("ImpSaldoInsoluto")),
                        moneda_dr=(docto.get("MonedaDR") or "").strip().upper()[:3],
                        equivalencia_dr=_optional_amount(
                            docto.get("EquivalenciaDR") or docto.get("TipoCambioDR")
                        ),
                    )
                )
    return tuple(found)


_PARTY_LABELS = (gettext_lazy("emisor"), gettext_lazy("receptor"))


def read_index(root: etree._Element) -> CfdiIndex:
    """The index fields of a stamped CFDI; Refusal (not a CFDI, not stamped) otherwise."""
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == f"{{{CFDI4}}}Comprobante":
        ns = CFDI4
    elif tag == f"{{{CFDI3}}}Comprobante":
        ns = CFDI3
    else:
        raise _not_cfdi()
    legacy = root.get("version") == "3.2" and root.get("Version") is None
    attrs = _Attrs(root, legacy)
    version = attrs.get("Version", max_length=4)
    if version not in ("3.2", "3.3", "4.0"):
        raise _not_cfdi(_("Versión no reconocida: %(v)s.") % {"v": version or "—"})
    if version not in _NAMESPACE_VERSIONS[ns]:
        # No SAT schema (nor cadena original) exists for, say, a 4.0 in the 3.x namespace.
        raise _not_cfdi(
            _("La versión %(v)s no corresponde al espacio de nombres %(ns)s.")
            % {"v": version, "ns": ns}
        )

    tfd = _timbre(root, ns)
    raw_uuid = (tfd.get("UUID") or "").strip()
    if not _UUID_RE.match(raw_uuid):
        raise Refusal(
            RefusalCode.NOT_STAMPED,
            _("El CFDI no está timbrado: el Timbre Fiscal Digital no trae un UUID válido."),
        )
    complements = complements_of(root)

    raw_tipo = attrs.get("TipoDeComprobante", max_length=20)
    tipo = _TIPO_32.get(raw_tipo.lower(), "") if legacy else raw_tipo
    if legacy and ("nomina11" in complements or "nomina12" in complements):
        tipo = "N"  # 3.2 payroll is an "egreso" carrying the Nómina complement
    if tipo not in ("I", "E", "T", "N", "P"):
        raise _not_cfdi(_("Tipo de comprobante no reconocido: %(t)s.") % {"t": raw_tipo or "—"})

    emisor = root.find(f"{{{ns}}}Emisor")
    receptor = root.find(f"{{{ns}}}Receptor")
    if emisor is None or receptor is None:
        raise _not_cfdi(_("Falta el emisor o el receptor."))
    em, re_ = _Attrs(emisor, legacy), _Attrs(receptor, legacy)
    emisor_rfc = em.get("Rfc", max_length=20).upper()
    receptor_rfc = re_.get("Rfc", max_length=20).upper()
    # The labels are translated only for a refusal: gettext per document is measurable
    # in a package of thousands.
    for label, rfc in ((_PARTY_LABELS[0], emisor_rfc), (_PARTY_LABELS[1], receptor_rfc)):
        if not 12 <= len(rfc) <= 13:
            raise _not_cfdi(_("El RFC del %(who)s no es válido.") % {"who": label})

    fecha_raw = attrs.get("Fecha", max_length=40)
    moneda, moneda_original = currency(attrs.get("Moneda", max_length=100))
    timbrado_raw = " ".join((tfd.get("FechaTimbrado") or "").split())
    pagos_monto, pagos_moneda = paid_amount(root, ns) if tipo == "P" else (None, "")
    return CfdiIndex(
        uuid=str(uuid_module.UUID(raw_uuid)),
        version=version,
        tipo=tipo,
        serie=attrs.get("Serie", max_length=25),
        folio=attrs.get("Folio", max_length=40),
        fecha=_datetime(fecha_raw, "Fecha"),
        fecha_timbrado=_datetime(timbrado_raw, "FechaTimbrado"),
        emisor_rfc=emisor_rfc,
        emisor_nombre=em.get("Nombre"),
        receptor_rfc=receptor_rfc,
        receptor_nombre=re_.get("Nombre"),
        subtotal=_amount(attrs, "SubTotal"),
        descuento=_decimal(attrs, "Descuento", required=False),
        total=_amount(attrs, "Total"),
        moneda=moneda,
        moneda_original=moneda_original,
        tipo_cambio=_decimal(attrs, "TipoCambio", required=False),
        forma_pago=attrs.get("FormaPago", "formaDePago", max_length=FREE_TEXT_MAX),
        metodo_pago=attrs.get("MetodoPago", "metodoDePago", max_length=FREE_TEXT_MAX),
        uso_cfdi=re_.get("UsoCFDI", max_length=4),
        complements=complements,
        **tax_amounts(root, ns),
        **payroll_amounts(root, ns),
        pagos_monto=pagos_monto,
        pagos_moneda=pagos_moneda,
        relations=relations_of(root, ns),
    )
