"""Issuing a nómina: a payslip sealed with the company's CSD, checked against SAT's XSD,
stamped by the PAC and stored in the repository like any issued CFDI (category nómina).

Nómina is not drafted: the payroll is computed elsewhere and arrives as a ``Payslip`` with
its own serie and folio. A receipt is identified by them: issuing a payslip whose serie and
folio the company already issued to the same employee returns the stored CFDI, never a
second stamp. Its Fecha is the payslip's, so the same payslip always seals to the same
bytes (RSA PKCS#1 v1.5 is deterministic): after a "stamped but not stored" failure the
retry sends the PAC the very bytes it stamped, and the PAC answers with the first stamp
(the sandbox by their SHA-256, Finkok's incidence 307).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from despacho.cfdi.models import Cfdi, Direction, Tipo
from despacho.invoicing.assemble import issuer_of
from despacho.invoicing.payroll import Payslip, payslip_xml
from despacho.invoicing.selectors import payroll_company
from despacho.invoicing.services.issue import IssueFailed, csd_checked, csd_signer, issued_store
from despacho.invoicing.xmlbuild import validate_against_xsd
from despacho.pac.base import Pac, PacError, get_pac
from despacho.people.models import User
from despacho.tenancy.models import Company

logger = logging.getLogger(__name__)


def _already_issued(company: Company, payslip: Payslip) -> Cfdi | None:
    issued = Cfdi.objects.filter(
        company=company,
        direction=Direction.EMITIDO,
        tipo=Tipo.NOMINA,
        serie=payslip.serie,
        folio=payslip.folio,
    ).first()
    if issued is not None and issued.receptor_rfc != payslip.employee.rfc:
        raise ValidationError(
            _("Folio: la nómina %(serie)s-%(folio)s ya se emitió a %(rfc)s.")
            % {"serie": payslip.serie, "folio": payslip.folio, "rfc": issued.receptor_rfc},
            code="folio_taken",
        )
    return issued


def payslip_issue(
    *, company: Company, actor: User, payslip: Payslip, pac: Pac | None = None
) -> Cfdi:
    """The payslip issued as the company's CFDI N: Facturar and Nómina checked, its totals
    reconciled (``payroll.payslip_totals``), sealed with the company's CSD through
    ``seal_sign``, valid against SAT's XSD, stamped by the PAC, stored byte for byte and
    audited (``cfdi.issued``). Idempotent per serie and folio (see the module's docstring).
    ValidationError for a refused payslip; IssueFailed when the PAC refuses or fails, or
    the stamp could not be stored.

    ``pac`` is ``get_pac()`` unless given (the demo's sandbox with its own clock)."""
    payroll_company(viewer=actor, company=company)
    issued = _already_issued(company, payslip)
    if issued is not None:
        return issued
    certificate = csd_checked(company=company)
    label = f"Nómina {payslip.serie}-{payslip.folio} ({payslip.employee.rfc})"
    sealed = payslip_xml(
        issuer=issuer_of(company),
        payslip=payslip,
        certificate_der=bytes(certificate.certificate_der),
        sign=csd_signer(company=company, actor=actor, certificate=certificate, purpose=label),
    )
    validate_against_xsd(sealed)
    try:
        stamped = (pac or get_pac()).stamp(sealed)
    except PacError as error:
        raise IssueFailed(
            error.message_es, code=f"pac_{error.code}", retryable=error.retryable
        ) from error
    details = {"tipo": Tipo.NOMINA.value, "serie": payslip.serie, "folio": payslip.folio}
    try:
        with transaction.atomic():
            return issued_store(company=company, actor=actor, stamped=stamped, details=details)
    except Exception as error:
        logger.exception("payslip %s stamped as %s but not stored", label, stamped.uuid)
        message = _(
            "El PAC timbró la nómina %(uuid)s, pero no se pudo guardar. Vuelve a emitirla: "
            "se recuperará el mismo UUID, sin timbrar otra."
        ) % {"uuid": stamped.uuid.upper()}
        raise IssueFailed(message, code="not_stored", retryable=True) from error
