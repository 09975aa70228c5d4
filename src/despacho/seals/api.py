"""REST API of the company's certificates: metadata only (Perm.DATOS_MAESTROS on the company).

No operation returns, accepts or names a private key; uploading stays on the page, where
the password never travels through an API key's logs or retries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.api.auth import Principal, caller, company_param, refused
from despacho.api.errors import responses
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, local, object_id, query_text
from despacho.seals.models import Certificate, SealKind
from despacho.seals.selectors import certificate_for, certificate_list
from despacho.tenancy.models import Company

certificates_router = Router(tags=["certificates"])

COMPANY = query_text(max_length=20, description="The company's id (GET /companies).")


class CertificateOut(Schema):
    id: str
    company: str
    kind: SealKind = Field(description="`csd` (sello digital) or `fiel` (e.firma).")
    serial: str = Field(description="The SAT's certificate number (NoCertificado).")
    rfc: str
    holder: str
    valid_from: datetime
    valid_to: datetime
    days_left: int = Field(description="Whole days until it expires; negative once expired.")
    state: str = Field(description="`active`, `expiring` (30 days or less), `pending`, `expired`.")
    uploaded_by: str | None = Field(description="The email of who uploaded it.")
    uploaded_at: datetime

    @staticmethod
    def of(certificate: Certificate) -> CertificateOut:
        return CertificateOut(
            id=str(certificate.pk),
            company=str(certificate.company_id),
            kind=SealKind(certificate.kind),
            serial=certificate.serial,
            rfc=certificate.rfc,
            holder=certificate.holder,
            valid_from=local(certificate.valid_from),  # type: ignore[arg-type]
            valid_to=local(certificate.valid_to),  # type: ignore[arg-type]
            days_left=certificate.days_left(),
            state=certificate.state,
            uploaded_by=certificate.uploaded_by.email if certificate.uploaded_by else None,
            uploaded_at=local(certificate.uploaded_at),  # type: ignore[arg-type]
        )


def _company(principal: Principal, company_id: str) -> Company:
    """The company, if the key may open it (404) and holds Datos maestros there (403)."""
    company = company_param(principal, company_id)
    try:
        certificate_list(viewer=principal.user, company=company)
    except PermissionDenied:
        raise refused(principal, company, Perm.DATOS_MAESTROS) from None
    return company


@certificates_router.get("", response=responses({200: Page[CertificateOut]}))
def certificates_list(
    request: HttpRequest, company: str = COMPANY, limit: int = LIMIT, cursor: str | None = CURSOR
) -> Any:
    """The company's CSD and e.firma certificates (metadata only)."""
    principal = caller(request)
    rows = certificate_list(viewer=principal.user, company=_company(principal, company))
    page, next_cursor = paginate(rows, ordering=("id",), limit=limit, cursor=cursor)
    return {"items": [CertificateOut.of(c) for c in page], "next_cursor": next_cursor}


@certificates_router.get("/{certificate_id}", response=responses({200: CertificateOut}))
def certificates_get(request: HttpRequest, certificate_id: str, company: str = COMPANY) -> Any:
    principal = caller(request)
    certificate = certificate_for(
        viewer=principal.user,
        company=_company(principal, company),
        certificate_id=object_id(certificate_id),
    )
    return CertificateOut.of(certificate)
