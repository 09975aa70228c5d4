"""The sandbox PAC: stamps locally, SIN VALIDEZ FISCAL, for ``make run``, the demo and tests.

It checks what a PAC checks before stamping: a well-formed CFDI 4.0 that validates
against SAT's XSD (``pac/xsd.py``), whose Sello verifies with the certificate it carries,
issued by that certificate's RFC. SAT's test CSDs are accepted even though they expired in
2023 (a real PAC refuses them).

It then adds a TimbreFiscalDigital 1.1 signed by a local test certificate standing in for
the SAT's: the CSD of SAT's test taxpayer CACX7605101P8 (``despacho/samples/csd/``, password
in its .txt). ``RfcProvCertif`` is SAT970701NN3, as in SAT's test environment, and the
``Leyenda`` says the stamp has no fiscal validity; ``is_sandbox_stamp`` recognises the
sandbox by that certificate's number, so the PDF can print "SIN VALIDEZ FISCAL".

What it stamped and cancelled is kept in ``SandboxDocument``: stamping the same bytes twice
returns the first stamp, ``recover`` finds it, and ``status``/``cancel`` follow SAT's rules
(``pac/cancelrules.py``): immediate cancellation where the receiver need not accept, else
"En proceso" until ``sandbox_receiver_answer`` or 72 hours ("Plazo vencido").
"""

from __future__ import annotations

import base64
import functools
import hashlib
import uuid as uuid_module
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from satcfdi.models import Certificate, Signer
from satcfdi.transform import get_timezone, xslt_transform

from despacho.cfdi.parsing import CFDI4, CFDI_ZONE, TFD, parse_xml, read_index
from despacho.cfdi.refusals import Refusal
from despacho.cfdi.seals import SealCheck, seal_check
from despacho.pac import cancelrules
from despacho.pac.base import (
    CancelAnswer,
    CancelCode,
    EsCancelable,
    Estado,
    EstatusCancelacion,
    PacError,
    SatStatus,
    Stamped,
)
from despacho.pac.models import SandboxDocument
from despacho.pac.xsd import xsd_errors
from despacho.samples import CSD_SAMPLES_DIR

#: The test certificate that plays the SAT's in sandbox stamps (see the module docstring).
SANDBOX_CERTIFICATE_STEM = CSD_SAMPLES_DIR / "cacx7605101p8_csd"
#: SAT's own RFC, which SAT's test environment writes as RfcProvCertif.
SANDBOX_RFC_PROV_CERTIF = "SAT970701NN3"
SANDBOX_LEYENDA = "SIN VALIDEZ FISCAL: timbrado de prueba del sandbox de Despacho"

CANCELA = "http://cancelacfd.sat.gob.mx"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TFD_LOCATION = (
    "http://www.sat.gob.mx/TimbreFiscalDigital "
    "http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"
)
CARTA_PORTE31 = "http://www.sat.gob.mx/CartaPorte31"
#: A CFDI is stamped within 72 hours of its Fecha (SAT; Finkok's incidence 401).
STAMP_WINDOW = timedelta(hours=72)
#: Clocks differ: a Fecha up to this much after the PAC's clock still passes.
CLOCK_SKEW = timedelta(minutes=5)


@functools.cache
def sandbox_signer() -> Signer:
    """The sandbox's stand-in for the SAT's stamping certificate, loaded once per process."""
    return Signer.load(
        certificate=SANDBOX_CERTIFICATE_STEM.with_suffix(".cer").read_bytes(),
        key=SANDBOX_CERTIFICATE_STEM.with_suffix(".key").read_bytes(),
        password=SANDBOX_CERTIFICATE_STEM.with_suffix(".txt").read_text().strip(),
    )


def sandbox_certificate_number() -> str:
    """NoCertificadoSAT of every sandbox stamp."""
    return str(sandbox_signer().certificate_number)


def is_sandbox_stamp(xml: bytes) -> bool:
    """Whether this CFDI's timbre is the sandbox's (no fiscal validity: print it so)."""
    try:
        root = parse_xml(xml)
    except Refusal:
        return False
    tfd = root.find(f".//{{{TFD}}}TimbreFiscalDigital")
    return tfd is not None and tfd.get("NoCertificadoSAT") == sandbox_certificate_number()


def _refuse(code: str, message: str) -> PacError:
    return PacError(code, message, retryable=False)


def _stamped_of(document: SandboxDocument) -> Stamped:
    xml = bytes(document.stamped_xml)
    tfd = parse_xml(xml).find(f".//{{{TFD}}}TimbreFiscalDigital")
    assert tfd is not None  # the sandbox stored it with its timbre
    return Stamped(
        xml=xml,
        uuid=document.uuid,
        fecha_timbrado=timezone.localtime(document.stamped_at, CFDI_ZONE),
        no_certificado_sat=tfd.get("NoCertificadoSAT", ""),
    )


def _add_timbre(root: etree._Element, *, stamp_uuid: str, moment: datetime) -> None:
    """Append a signed TimbreFiscalDigital 1.1 to the comprobante's Complemento."""
    signer = sandbox_signer()
    complemento = root.find(f"{{{CFDI4}}}Complemento")
    if complemento is None:
        complemento = etree.Element(f"{{{CFDI4}}}Complemento")
        addenda = root.find(f"{{{CFDI4}}}Addenda")
        if addenda is not None:
            addenda.addprevious(complemento)
        else:
            root.append(complemento)
    tfd = etree.SubElement(
        complemento, f"{{{TFD}}}TimbreFiscalDigital", nsmap={"tfd": TFD, "xsi": XSI}
    )
    tfd.set(f"{{{XSI}}}schemaLocation", TFD_LOCATION)
    tfd.set("Version", "1.1")
    tfd.set("UUID", stamp_uuid.upper())
    tfd.set("FechaTimbrado", moment.astimezone(CFDI_ZONE).strftime("%Y-%m-%dT%H:%M:%S"))
    tfd.set("RfcProvCertif", SANDBOX_RFC_PROV_CERTIF)
    tfd.set("Leyenda", SANDBOX_LEYENDA)
    tfd.set("SelloCFD", root.get("Sello", ""))
    tfd.set("NoCertificadoSAT", sandbox_certificate_number())
    cadena = str(xslt_transform(tfd.tag, "1.1")(tfd)).encode("utf-8")
    tfd.set("SelloSAT", signer.sign_sha256(cadena))


def _check_issuer_certificate(root: etree._Element) -> None:
    """The Certificado must be readable and belong to the Emisor's RFC."""
    emisor = root.find(f"{{{CFDI4}}}Emisor")
    emisor_rfc = (emisor.get("Rfc", "") if emisor is not None else "").upper()
    try:
        certificate = Certificate.load_certificate(base64.b64decode(root.get("Certificado", "")))
    except Exception:
        raise _refuse(
            "certificado",
            _("El atributo Certificado no contiene un certificado de sello digital legible."),
        ) from None
    if str(certificate.rfc or "").upper() != emisor_rfc:
        raise _refuse(
            "certificado_rfc",
            _("El certificado con que se selló el CFDI es de %(cert)s, no del RFC emisor %(rfc)s.")
            % {"cert": certificate.rfc, "rfc": emisor_rfc},
        )


def _check_fecha(root: etree._Element, now: datetime) -> None:
    """Fecha, in the local time of LugarExpedicion, lies within 72 hours before ``now``."""
    try:
        zone = zoneinfo.ZoneInfo(str(get_timezone(root.get("LugarExpedicion", ""))))
    except Exception:
        zone = CFDI_ZONE  # a postal code satcfdi does not place: Mexico City's clock
    try:
        fecha = datetime.fromisoformat(root.get("Fecha", "")).replace(tzinfo=zone)
    except ValueError:
        raise _refuse("fecha", _("La Fecha del CFDI no es una fecha válida.")) from None
    if not now - STAMP_WINDOW <= fecha <= now + CLOCK_SKEW:
        raise _refuse(
            "fecha",
            _(
                "La Fecha de emisión debe estar dentro de las 72 horas anteriores al timbrado "
                "(el CFDI dice %(fecha)s)."
            )
            % {"fecha": root.get("Fecha", "")},
        )


def _fuel_in_carta_porte(root: etree._Element) -> bool:
    keys = {
        element.get("BienesTransp", "") for element in root.iter(f"{{{CARTA_PORTE31}}}Mercancia")
    }
    return bool(keys & cancelrules.FUEL_KEYS)


def _verify_xmldsig(root: etree._Element) -> Certificate:
    """The enveloped XMLDSig (RSA-SHA1, C14N) of a Cancelacion verifies; its certificate."""
    signature = root.find(f"{{{DS}}}Signature")
    refused = _refuse(
        "firma",
        _("La firma de la solicitud de cancelación no es válida o no corresponde al emisor."),
    )
    if signature is None:
        raise refused
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    digest_value = signature.findtext(f".//{{{DS}}}DigestValue") or ""
    signature_value = signature.findtext(f"{{{DS}}}SignatureValue") or ""
    certificate_b64 = signature.findtext(f".//{{{DS}}}X509Certificate") or ""
    if signed_info is None:
        raise refused
    unsigned = etree.fromstring(etree.tostring(root))
    unsigned.remove(unsigned.find(f"{{{DS}}}Signature"))
    digest = hashlib.sha1(etree.tostring(unsigned, method="c14n")).digest()  # noqa: S324
    if base64.b64encode(digest).decode() != digest_value.strip():
        raise refused
    try:
        der = base64.b64decode(certificate_b64)
        public_key = x509.load_der_x509_certificate(der).public_key()
        signature_bytes = base64.b64decode(signature_value)
    except ValueError:
        raise refused from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise refused
    for signed in _signed_info_forms(signed_info):
        try:
            public_key.verify(
                signature_bytes,
                signed,
                padding.PKCS1v15(),
                hashes.SHA1(),  # noqa: S303 - SAT's Cancelacion is signed RSA-SHA1
            )
        except InvalidSignature:
            continue
        return Certificate.load_certificate(der)
    raise refused


def _signed_info_forms(signed_info: etree._Element) -> list[bytes]:
    """SignedInfo canonicalized as found, and with stray ``xmlns=""`` children put back in
    the XMLDSig namespace: satcfdi writes Transforms that way but signs them in it."""
    as_found = etree.tostring(signed_info, method="c14n")
    repaired = etree.fromstring(etree.tostring(signed_info))
    for element in repaired.iter():
        if isinstance(element.tag, str) and not element.tag.startswith("{"):
            element.tag = f"{{{DS}}}{element.tag}"
    return [as_found, etree.tostring(repaired, method="c14n")]


def _acuse(*, rfc_emisor: str, statuses: dict[str, str], moment: datetime) -> bytes:
    """An acuse shaped like SAT's (CancelaCFDResponse's Acuse), marked as the sandbox's."""
    acuse = etree.Element(
        "Acuse",
        nsmap={"xsd": "http://www.w3.org/2001/XMLSchema", "xsi": XSI},
        Fecha=moment.astimezone(CFDI_ZONE).strftime("%Y-%m-%dT%H:%M:%S"),
        RfcEmisor=rfc_emisor,
    )
    for uuid, code in statuses.items():
        folios = etree.SubElement(acuse, f"{{{CANCELA}}}Folios", nsmap={None: CANCELA})
        etree.SubElement(folios, f"{{{CANCELA}}}UUID").text = uuid.upper()
        etree.SubElement(folios, f"{{{CANCELA}}}EstatusUUID").text = code
    etree.SubElement(acuse, "Leyenda").text = SANDBOX_LEYENDA
    return etree.tostring(acuse, xml_declaration=True, encoding="UTF-8")


def _path(document: SandboxDocument, now: datetime) -> cancelrules.CancellationPath:
    return cancelrules.cancellation_path(
        tipo=document.tipo,
        total_mxn=document.total_mxn,
        receptor_rfc=document.receptor_rfc,
        receptor_regimen=document.receptor_regimen,
        fecha_timbrado=document.stamped_at,
        now=now,
        fuel_carta_porte=document.fuel_carta_porte,
    )


def _lapse(document: SandboxDocument, now: datetime) -> None:
    """A request the receiver left unanswered for 72 hours is cancelled ("Plazo vencido")."""
    if document.estatus_cancelacion != EstatusCancelacion.EN_PROCESO:
        return
    assert document.cancel_requested_at is not None
    deadline = document.cancel_requested_at + timedelta(hours=cancelrules.ANSWER_HOURS)
    if now < deadline:
        return
    document.estado = Estado.CANCELADO
    document.estatus_cancelacion = EstatusCancelacion.PLAZO_VENCIDO
    document.cancelled_at = deadline
    document.save(update_fields=["estado", "estatus_cancelacion", "cancelled_at"])


def _substitute_relates(substitute: SandboxDocument, uuid: str) -> bool:
    """The substituting CFDI names ``uuid`` under CfdiRelacionados with TipoRelacion 04."""
    root = parse_xml(bytes(substitute.stamped_xml))
    for group in root.iter(f"{{{CFDI4}}}CfdiRelacionados"):
        if group.get("TipoRelacion") != "04":
            continue
        related = {r.get("UUID", "").lower() for r in group.iter(f"{{{CFDI4}}}CfdiRelacionado")}
        if uuid in related:
            return True
    return False


class SandboxPac:
    """The local PAC. ``clock`` gives "now" (tests pass a fixed one; no sleeping)."""

    name = "sandbox"

    def __init__(self, *, clock: Callable[[], datetime] = timezone.now) -> None:
        self.clock = clock

    # Stamping -----------------------------------------------------------------------

    def stamp(self, xml: bytes) -> Stamped:
        """Stamp a sealed CFDI 4.0; the same bytes again get their first stamp back."""
        digest = hashlib.sha256(xml).hexdigest()
        previous = SandboxDocument.objects.filter(xml_sha256=digest).first()
        if previous is not None:
            return _stamped_of(previous)
        try:
            root = parse_xml(xml)
        except Refusal as refusal:
            raise _refuse("xml", refusal.message) from None
        if root.tag != f"{{{CFDI4}}}Comprobante" or root.get("Version") != "4.0":
            raise _refuse("version", _("El PAC solo timbra CFDI versión 4.0."))
        if root.find(f".//{{{TFD}}}TimbreFiscalDigital") is not None:
            raise _refuse("timbre_previo", _("El CFDI ya contiene un timbre fiscal digital."))
        errors = xsd_errors(root)
        if errors:
            raise _refuse(
                "xsd",
                _("El CFDI no cumple con el esquema XSD del SAT: %(errors)s")
                % {"errors": "; ".join(errors)},
            )
        _check_issuer_certificate(root)
        moment = self.clock().replace(microsecond=0)
        _check_fecha(root, moment)
        _add_timbre(root, stamp_uuid=str(uuid_module.uuid4()), moment=moment)
        index = read_index(root)
        if seal_check(root, index) is not SealCheck.VERIFIED:
            raise _refuse(
                "sello",
                _("El sello del CFDI no corresponde a su cadena original (Sello inválido)."),
            )
        stamped_xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        total_mxn = cancelrules.total_in_mxn(
            index.total, moneda=index.moneda, tipo_cambio=index.tipo_cambio
        )
        receptor = root.find(f"{{{CFDI4}}}Receptor")
        document = SandboxDocument(
            uuid=index.uuid,
            xml_sha256=digest,
            emisor_rfc=index.emisor_rfc,
            receptor_rfc=index.receptor_rfc,
            receptor_regimen=receptor.get("RegimenFiscalReceptor", "")
            if receptor is not None
            else "",
            tipo=index.tipo,
            total=index.total,
            total_mxn=total_mxn.quantize(Decimal("0.01")),
            fuel_carta_porte=_fuel_in_carta_porte(root),
            stamped_xml=stamped_xml,
            stamped_at=moment,
        )
        try:
            if transaction.get_connection().in_atomic_block:
                with transaction.atomic():  # a savepoint: a conflict leaves the caller's alive
                    document.save(force_insert=True)
            else:  # issuing calls the PAC outside any transaction: one INSERT, its own commit
                document.save(force_insert=True)
        except IntegrityError:
            # The same bytes stamped at the same time by another request: its stamp wins.
            return _stamped_of(SandboxDocument.objects.get(xml_sha256=digest))
        # What _stamped_of would read back from the bytes just written, without parsing them.
        return Stamped(
            xml=stamped_xml,
            uuid=document.uuid,
            fecha_timbrado=timezone.localtime(moment, CFDI_ZONE),
            no_certificado_sat=sandbox_certificate_number(),
        )

    def recover(self, xml: bytes) -> Stamped | None:
        """The stamp these exact bytes already received, or None."""
        digest = hashlib.sha256(xml).hexdigest()
        document = SandboxDocument.objects.filter(xml_sha256=digest).first()
        return _stamped_of(document) if document is not None else None

    # Cancelling ---------------------------------------------------------------------

    def cancel(self, *, request_xml: bytes) -> CancelAnswer:
        """Answer SAT's signed Cancelacion per UUID: 201, 202, 203 or 205, with an acuse."""
        try:
            root = parse_xml(request_xml)
        except Refusal as refusal:
            raise _refuse("xml", refusal.message) from None
        if root.tag != f"{{{CANCELA}}}Cancelacion":
            raise _refuse("cancelacion", _("La solicitud no es un XML Cancelacion del SAT."))
        rfc_emisor = root.get("RfcEmisor", "").upper()
        certificate = _verify_xmldsig(root)
        if str(certificate.rfc or "").upper() != rfc_emisor:
            raise _refuse(
                "firma_rfc",
                _("La solicitud de cancelación no está firmada con un certificado de %(rfc)s.")
                % {"rfc": rfc_emisor},
            )
        now = self.clock()
        statuses: dict[str, str] = {}
        with transaction.atomic():
            for folio in root.iter(f"{{{CANCELA}}}Folio"):
                uuid = folio.get("UUID", "").strip().lower()
                statuses[uuid] = self._cancel_one(
                    uuid=uuid,
                    rfc_emisor=rfc_emisor,
                    motivo=folio.get("Motivo", ""),
                    folio_sustitucion=folio.get("FolioSustitucion", ""),
                    now=now,
                )
            if not statuses:
                raise _refuse("folios", _("La solicitud de cancelación no trae ningún folio."))
            acuse = _acuse(rfc_emisor=rfc_emisor, statuses=statuses, moment=now)
            SandboxDocument.objects.filter(
                uuid__in=[u for u, code in statuses.items() if code == CancelCode.ACCEPTED]
            ).update(acuse=acuse)
        return CancelAnswer(statuses=statuses, acuse=acuse)

    def _cancel_one(
        self, *, uuid: str, rfc_emisor: str, motivo: str, folio_sustitucion: str, now: datetime
    ) -> str:
        try:
            known = cancelrules.validate_motivo(
                motivo=motivo, folio_sustitucion=folio_sustitucion, uuid=uuid
            )
        except ValidationError as error:
            raise _refuse("motivo", " ".join(error.messages)) from None
        document = SandboxDocument.objects.select_for_update().filter(uuid=uuid).first()
        if document is None:
            return CancelCode.NOT_FOUND
        if document.emisor_rfc != rfc_emisor:
            return CancelCode.NOT_OF_ISSUER
        _lapse(document, now)
        if document.estado == Estado.CANCELADO:
            return CancelCode.PREVIOUSLY_CANCELLED
        if document.estatus_cancelacion == EstatusCancelacion.EN_PROCESO:
            return CancelCode.ACCEPTED  # already waiting for the receiver
        if known is cancelrules.Motivo.ERRORES_CON_RELACION:
            substitute = SandboxDocument.objects.filter(uuid=folio_sustitucion.lower()).first()
            if substitute is None or not _substitute_relates(substitute, uuid):
                raise _refuse(
                    "folio_sustitucion",
                    _(
                        "El folio de sustitución debe ser un CFDI timbrado que relacione al "
                        "cancelado con TipoRelacion 04."
                    ),
                )
        path = _path(document, now)
        document.motivo = known.value
        document.folio_sustitucion = folio_sustitucion.lower()
        document.cancel_requested_at = now
        if path.needs_acceptance:
            document.estatus_cancelacion = EstatusCancelacion.EN_PROCESO
        else:
            document.estado = Estado.CANCELADO
            document.estatus_cancelacion = EstatusCancelacion.SIN_ACEPTACION
            document.cancelled_at = now
        document.save()
        return CancelCode.ACCEPTED

    # Status -------------------------------------------------------------------------

    def status(self, *, uuid: str, emisor_rfc: str, receptor_rfc: str, total: Decimal) -> SatStatus:
        """SAT's consulta as the sandbox knows it (all four facts must match, as at SAT)."""
        document = SandboxDocument.objects.filter(
            uuid=uuid.strip().lower(),
            emisor_rfc=emisor_rfc.strip().upper(),
            receptor_rfc=receptor_rfc.strip().upper(),
            total=total,
        ).first()
        if document is None:
            return SatStatus(
                estado=Estado.NO_ENCONTRADO,
                es_cancelable="",
                estatus_cancelacion=EstatusCancelacion.NINGUNO,
            )
        now = self.clock()
        _lapse(document, now)
        path = _path(document, now)
        return SatStatus(
            estado=document.estado,
            es_cancelable=EsCancelable.CON_ACEPTACION
            if path.needs_acceptance
            else EsCancelable.SIN_ACEPTACION,
            estatus_cancelacion=document.estatus_cancelacion,
        )


def sandbox_receiver_answer(uuid: str, accept: bool, *, now: datetime | None = None) -> None:
    """The receiver accepts or rejects a pending cancellation (tests and the demo)."""
    with transaction.atomic():
        document = (
            SandboxDocument.objects.select_for_update().filter(uuid=uuid.strip().lower()).first()
        )
        if document is None or document.estatus_cancelacion != EstatusCancelacion.EN_PROCESO:
            raise ValidationError(
                _("Ese CFDI no tiene una solicitud de cancelación en proceso."),
                code="no_pending_cancellation",
            )
        moment = now or timezone.now()
        _lapse(document, moment)
        if document.estatus_cancelacion != EstatusCancelacion.EN_PROCESO:
            raise ValidationError(
                _("El plazo del receptor para responder ya venció."), code="answer_too_late"
            )
        if accept:
            document.estado = Estado.CANCELADO
            document.estatus_cancelacion = EstatusCancelacion.CON_ACEPTACION
            document.cancelled_at = moment
        else:
            document.estatus_cancelacion = EstatusCancelacion.RECHAZADA
        document.save(update_fields=["estado", "estatus_cancelacion", "cancelled_at"])
