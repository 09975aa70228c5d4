"""Issuing: a draft checked as a PAC would, sealed with the company's CSD, stamped by the PAC,
stored byte for byte in the CFDI repository, audited and emailed to the customer.

The folio is reserved on the draft before the PAC is called (``draft_stamping_begin``) and
kept if anything fails. The exact sealed XML of each attempt is saved on the draft before
the PAC call: a retry first asks the PAC for the stamp of those bytes (``Pac.recover``), so
a PAC that stamped while our storing failed gives back the same UUID instead of stamping
a second CFDI with the same folio. When the PAC never stamped them, the retry builds the
draft again (it may have been corrected, and the Fecha must be within SAT's 72 hours).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.models import Cfdi
from despacho.cfdi.pdf import render_pdf
from despacho.cfdi.services import Outcome, cfdi_ingest
from despacho.customers.models import PUBLICO_EN_GENERAL
from despacho.customers.services import customer_checked
from despacho.invoicing.amounts import document_amounts
from despacho.invoicing.assemble import document_of
from despacho.invoicing.loading import carta_porte_rows, rows_of, with_rows
from despacho.invoicing.models import Draft
from despacho.invoicing.selectors import invoicing_company
from despacho.invoicing.services.drafts import (
    draft_checked,
    draft_data_of,
    draft_issued,
    draft_stamping_failed,
    draft_stamping_sealed,
)
from despacho.invoicing.xmlbuild import Signer, build_comprobante, issue_xml
from despacho.pac.base import Pac, PacError, Stamped, get_pac
from despacho.people.models import User, Viewer
from despacho.portal.services.delivery import cfdi_deliver_many, deliverable
from despacho.products.services import field_error
from despacho.seals.models import Certificate, SealKind
from despacho.seals.services import seal_sign, signing_certificate
from despacho.tenancy.models import Company

logger = logging.getLogger(__name__)

# SAT (and every PAC) refuses a CSD younger than 72 hours: it is not yet published to PACs.
CSD_MIN_AGE = timedelta(hours=72)


class IssueFailed(ValidationError):
    """The PAC refused or failed, or the stamped CFDI could not be stored: the draft and its
    folio are kept; ``message`` is the Spanish text to show; ``retryable`` says whether
    trying again may help."""

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable


# --- preview ----------------------------------------------------------------------------------


def draft_preview_pdf(*, draft: Draft, viewer: Viewer) -> bytes:
    """The draft printed as it would be issued, watermarked BORRADOR: no folio is taken, no
    seal used, nothing stored. ValidationError if its amounts are refused."""
    invoicing_company(viewer=viewer, company=draft.company)
    document = document_of(draft, fecha=timezone.now())
    comprobante = build_comprobante(
        document=document, amounts=document_amounts(document), certificate_der=None
    )
    return render_pdf(bytes(comprobante.xml_bytes()))


# --- the checks a PAC makes -------------------------------------------------------------------


def csd_checked(
    *, company: Company, certificates: dict[int, Certificate] | None = None
) -> Certificate:
    """The CSD the company's next CFDI is sealed with, refused as a PAC would: missing, of
    another RFC, or issued less than 72 hours ago (a ValidationError on ``csd``).
    ``certificates``: company id → its signing certificate, if a batch already read it
    (the answer is added to it)."""
    if certificates is None:
        certificates = {}
    try:
        certificate = certificates.get(company.pk) or signing_certificate(
            company=company, kind=SealKind.CSD
        )
    except ValidationError:
        raise field_error(
            "csd",
            _(
                "CSD: la empresa no tiene un certificado de sello digital vigente; súbelo en "
                "Sellos y e.firma antes de facturar."
            ),
            "csd_missing",
        ) from None
    if certificate.rfc.upper() != company.rfc.upper():
        raise field_error(
            "csd",
            _("CSD: el certificado %(serial)s es del RFC %(other)s, no de %(rfc)s.")
            % {"serial": certificate.serial, "other": certificate.rfc, "rfc": company.rfc},
            "csd_rfc_mismatch",
        )
    if certificate.valid_from > timezone.now() - CSD_MIN_AGE:
        raise field_error(
            "csd",
            _(
                "CSD: el certificado %(serial)s se emitió hace menos de 72 horas; el SAT y "
                "los PAC no lo aceptan antes de ese plazo."
            )
            % {"serial": certificate.serial},
            "csd_too_new",
        )
    certificates[company.pk] = certificate
    return certificate


def _customer_checked(draft: Draft) -> None:
    # The customer as stored now (read with the draft, in the transaction that stamps it): a
    # customer corrected after the draft was opened is what the PAC sees.
    customer = draft.customer
    if customer is None:
        raise field_error("customer", _("Cliente: elige el receptor."), "customer_required")
    try:
        customer_checked(
            rfc=customer.rfc,
            razon_social=customer.razon_social,
            regimen_fiscal=customer.regimen_fiscal,
            codigo_postal=customer.codigo_postal,
            uso_cfdi=draft.uso_cfdi,
            tax_id=customer.tax_id,
            pais=customer.pais,
        )
    except ValidationError as exc:
        error = exc.error_dict if hasattr(exc, "error_dict") else {"customer": exc.error_list}
        first = next(iter(error.values()))[0]
        raise field_error(
            "customer",
            _("Cliente %(rfc)s: %(message)s") % {"rfc": customer.rfc, "message": first.message},
            first.code or "customer_invalid",
        ) from None


def _publico_en_general_checked(draft: Draft) -> None:
    customer = draft.customer
    generic = customer is not None and customer.rfc == PUBLICO_EN_GENERAL
    has_global = bool(draft.global_periodicidad)
    if generic and draft.tipo in ("I", "E") and draft.uso_cfdi != "S01":
        raise field_error(
            "uso_cfdi",
            _("Uso CFDI: al público en general (%(rfc)s) debe ser S01 (Sin efectos fiscales).")
            % {"rfc": PUBLICO_EN_GENERAL},
            "uso_publico_general",
        )
    if generic and draft.tipo == "I" and not has_global:
        raise field_error(
            "global_periodicidad",
            _(
                "Información global: una factura al público en general (%(rfc)s) requiere "
                "periodicidad, meses y año."
            )
            % {"rfc": PUBLICO_EN_GENERAL},
            "global_required",
        )
    if has_global and not generic:
        raise field_error(
            "global_periodicidad",
            _("Información global: solo va en comprobantes al público en general (%(rfc)s).")
            % {"rfc": PUBLICO_EN_GENERAL},
            "global_not_allowed",
        )


def _checked(draft: Draft, certificates: dict[int, Certificate]) -> Certificate:
    """The checks on a draft read with its rows (``loading.with_rows``) as stored now;
    ``certificates``: the company's signing certificate, if a batch already read it."""
    certificate = csd_checked(company=draft.company, certificates=certificates)
    if draft.tipo != "P" and not rows_of(draft, "concepts"):
        raise field_error(
            "concepts", _("Conceptos: agrega al menos un concepto."), "concepts_required"
        )
    if draft.tipo == "P" and not rows_of(draft, "payments"):
        raise field_error("payments", _("Pagos: agrega al menos un pago."), "payments_required")
    _customer_checked(draft)
    _publico_en_general_checked(draft)
    draft_checked(draft.company, draft_data_of(draft))
    return certificate


def issue_checks(*, draft: Draft) -> None:
    """Refuse, before any PAC call, what a PAC or SAT would: the CSD (present, of this RFC,
    older than 72 hours; vigente unless seals' sandbox mode), the receptor as CFDI 4.0
    compares it (razón social, régimen, CP, uso CFDI), the público en general's rules, and
    every rule of the draft itself. Each refusal a ValidationError naming its field."""
    loaded = with_rows(Draft.objects.all()).get(pk=draft.pk)
    carta_porte_rows([loaded])
    _checked(loaded, {})


# --- issuing ----------------------------------------------------------------------------------


def csd_signer(*, company: Company, actor: User, certificate: Certificate, purpose: str) -> Signer:
    """The ``sign`` the XML builders take: the company's CSD in the vault through
    ``seal_sign``, the certificate pinned, each use audited with ``purpose``."""

    def sign(data: bytes) -> bytes:
        return seal_sign(
            company=company,
            kind=SealKind.CSD,
            data=data,
            actor=actor,
            purpose=purpose,
            certificate=certificate,
        )

    return sign


def _sealed(draft: Draft, actor: User, certificate: Certificate) -> bytes:
    """Build and seal the draft now (its folio taken), dated now."""
    label = f"CFDI {draft.series.code if draft.series else ''}-{draft.folio} (borrador {draft.pk})"
    sign = csd_signer(company=draft.company, actor=actor, certificate=certificate, purpose=label)
    document = document_of(draft, fecha=timezone.now())
    der = bytes(certificate.certificate_der)
    return issue_xml(document=document, certificate_der=der, sign=sign)


def _stamped(
    draft: Draft, actor: User, certificate: Certificate, sealed: bytes | None, pac: Pac
) -> Stamped:
    if sealed is None:  # a retry: the PAC may have stamped the kept bytes already
        recovered = pac.recover(bytes(draft.sealed_xml or b""))
        if recovered is not None:
            return recovered
        with transaction.atomic():  # the bytes are committed before the PAC sees them
            sealed = _sealed(draft, actor, certificate)
            Draft.objects.filter(pk=draft.pk).update(sealed_xml=sealed)
    return pac.stamp(sealed)


def issued_store(
    *, company: Company, actor: User, stamped: Stamped, details: Mapping[str, object]
) -> Cfdi:
    """Inside the caller's transaction: the PAC's XML stored in the repository as the
    company's issued CFDI, byte for byte (checked against the stored file), and audited
    (``cfdi.issued`` with the UUID, the issuer and ``details``). RuntimeError otherwise."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("issued_store must run in the caller's transaction")
    outcome = cfdi_ingest(
        company=company, data=stamped.xml, name=f"{stamped.uuid}.xml", ingested_by=actor
    )
    if outcome.status is Outcome.REFUSED:
        raise RuntimeError(f"the repository refused the stamped CFDI: {outcome.message}")
    cfdi = outcome.cfdi  # None for a duplicate: stored by an earlier attempt
    if cfdi is None:
        cfdi = Cfdi.objects.select_related("company__account").get(
            company=company, uuid=stamped.uuid
        )
    with default_storage.open(cfdi.xml_path, "rb") as handle:
        if hashlib.sha256(handle.read()).digest() != hashlib.sha256(stamped.xml).digest():
            raise RuntimeError("the stored XML is not the PAC's bytes")
    audit_record(
        actor=actor,
        action=Action.CFDI_ISSUED,
        account=company.account,
        company=company,
        target=cfdi,
        after={"uuid": cfdi.uuid_text, **details, "issuer": actor.email},
    )
    return cfdi


def _store(draft: Draft, actor: User, stamped: Stamped) -> Cfdi:
    with transaction.atomic():
        details = {
            "tipo": draft.tipo,
            "serie": draft.series.code if draft.series else "",
            "folio": draft.folio,
            "draft": draft.pk,
        }
        cfdi = issued_store(company=draft.company, actor=actor, stamped=stamped, details=details)
        digest = hashlib.sha256(stamped.xml).hexdigest()
        draft_issued(draft=draft, cfdi=cfdi, xml_sha256=digest)
        customer = draft.customer
        if customer is not None and customer.emails and deliverable(cfdi):
            cfdi_deliver_many(actor=actor, cfdi=cfdi, emails=customer.emails)
    return cfdi


def draft_issue(*, draft: Draft, actor: User, pac: Pac | None = None) -> Cfdi:
    """Stamp the draft through the PAC and store the result: Facturar checked, the PAC's
    checks made first, the folio reserved (and kept on failure), the sealed XML sent, the
    stamped XML stored byte for byte, audited (``cfdi.issued``) and, after commit, emailed
    to the customer's addresses. IssueFailed on a PAC failure or a storing failure.

    ``pac`` is ``get_pac()`` unless given (a sandbox with its own clock: tests, the demo,
    which stamps documents dated in the past month)."""
    return _issue(draft, actor, pac or get_pac(), {})


def _issue(draft: Draft, actor: User, pac: Pac, certificates: dict[int, Certificate]) -> Cfdi:
    invoicing_company(viewer=actor, company=draft.company)
    # One transaction and one commit (a WAL flush) for the checks on the locked draft, the
    # folio, the sealed bytes and the seal's audit; the series' row lock lasts the sealing.
    draft, certificate, sealed = draft_stamping_sealed(
        draft=draft,
        actor=actor,
        check=lambda locked: _checked(locked, certificates),
        seal=lambda locked, certificate: _sealed(locked, actor, certificate),
    )
    try:
        stamped = _stamped(draft, actor, certificate, sealed, pac)
    except PacError as error:
        draft_stamping_failed(draft=draft, error=error.message_es)
        code = f"pac_{error.code}"
        raise IssueFailed(error.message_es, code=code, retryable=error.retryable) from error
    except Exception as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        draft_stamping_failed(draft=draft, error=message or type(error).__name__)
        raise
    try:
        return _store(draft, actor, stamped)
    except Exception as error:
        logger.exception("draft %s stamped as %s but not stored", draft.pk, stamped.uuid)
        message = _(
            "El PAC timbró el CFDI %(uuid)s, pero no se pudo guardar. Vuelve a emitirlo: se "
            "recuperará el mismo UUID, sin timbrar otro."
        ) % {"uuid": stamped.uuid.upper()}
        draft_stamping_failed(draft=draft, error=message)
        raise IssueFailed(message, code="not_stored", retryable=True) from error


# --- re-sending and batches -------------------------------------------------------------------


def cfdi_resend(*, cfdi: Cfdi, actor: User, emails: Sequence[str]) -> list[str]:
    """Email a stamped CFDI (XML, PDF, portal link) to other addresses, each checked and
    audited; Facturar on its company is required. Returns the normalized addresses."""
    invoicing_company(viewer=actor, company=cfdi.company)
    return cfdi_deliver_many(actor=actor, cfdi=cfdi, emails=emails)


def drafts_issue_many(*, drafts: Sequence[Draft], actor: User) -> dict[int, str]:
    """Issue each draft in turn; a failure does not stop the others. Draft id → the UUID,
    or the Spanish message of its refusal."""
    results: dict[int, str] = {}
    pac = get_pac()
    certificates: dict[int, Certificate] = {}  # each company's, read once for the batch
    for draft in drafts:
        try:
            results[draft.pk] = _issue(draft, actor, pac, certificates).uuid_text
        except ValidationError as error:
            results[draft.pk] = " ".join(error.messages)
        except PermissionDenied as error:
            results[draft.pk] = str(error)
    return results
