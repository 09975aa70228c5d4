"""REST API of the download portal's accesses: the issuer's side (Perm.PORTAL on the company).

The same services and selectors as the Accesos al portal pages; the company is an
explicit parameter, as in the CFDI routes. Passwords are never returned; one the
service generates is shown once, in the creating response (never stored for replays).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.api.auth import Principal, caller, company_param, refused
from despacho.api.errors import responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, local, object_id, query_text, text
from despacho.portal.models import AccessStatus, Origin, PortalAccess, PortalLink
from despacho.portal.selectors import (
    PortalForbidden,
    portal_access_for,
    portal_access_list,
    portal_manage_company,
)
from despacho.portal.services.accesses import (
    portal_access_create,
    portal_access_send,
    portal_access_set_active,
    portal_access_update,
)
from despacho.tenancy.models import Company

portal_accesses_router = Router(tags=["portal-accesses"])

COMPANY = query_text(max_length=20, description="The issuing company's id (GET /companies).")


class PortalAccessOut(Schema):
    id: str
    company: str
    rfc: str
    name: str
    email: str
    origin: Origin
    status: AccessStatus = Field(
        description="`no_password` until someone can log in, `active`, or `disabled`."
    )
    is_active: bool
    has_password: bool
    created_at: datetime
    last_login_at: datetime | None
    last_download_at: datetime | None

    @staticmethod
    def fields_of(access: PortalAccess) -> dict[str, Any]:
        return {
            "id": str(access.pk),
            "company": str(access.company_id),
            "rfc": access.rfc,
            "name": access.name,
            "email": access.email,
            "origin": Origin(access.origin),
            "status": access.status,
            "is_active": access.is_active,
            "has_password": access.has_password,
            "created_at": local(access.created_at),
            "last_login_at": local(access.last_login_at),
            "last_download_at": local(access.last_download_at),
        }

    @staticmethod
    def of(access: PortalAccess) -> PortalAccessOut:
        return PortalAccessOut(**PortalAccessOut.fields_of(access))


class PortalAccessCreatedOut(PortalAccessOut):
    generated_password: str | None = Field(
        description="Only when `generate_password` was asked: shown this once, never again."
    )


class PortalAccessIn(Schema):
    company: str = text(max_length=20, description="The issuing company's id.")
    rfc: str = text(max_length=20, description="The receiver's RFC.")
    name: str = text("", max_length=300)
    email: str = text("", max_length=254, description="Where the access is emailed.")
    password: str = Field(
        "",
        max_length=128,
        pattern=r"^[^\x00]*$",
        description="Optional; empty: the receiver chooses one with the emailed link.",
    )
    generate_password: bool = Field(
        False, description="Generate a password and return it once (instead of `password`)."
    )


class PortalAccessPatch(Schema):
    name: str | None = text(None, max_length=300)
    email: str | None = text(None, max_length=254)


class SendIn(Schema):
    email: str = text("", max_length=254, description="Empty: the address on file.")


class SendOut(Schema):
    access: str
    email: str
    expires_at: datetime
    sent_at: datetime | None = Field(description="Null while the email is still queued.")
    send_error: str

    @staticmethod
    def of(link: PortalLink) -> SendOut:
        return SendOut(
            access=str(link.access_id),
            email=link.email,
            expires_at=local(link.expires_at),  # type: ignore[arg-type]
            sent_at=local(link.sent_at),
            send_error=link.send_error,
        )


def _company(principal: Principal, company_id: str) -> Company:
    """The company, if the key may open it (404) and manage its portal (403, saying why)."""
    company = company_param(principal, company_id)
    try:
        return portal_manage_company(viewer=principal.user, company=company)
    except PortalForbidden:
        raise refused(principal, company, Perm.PORTAL) from None


def _access(request: HttpRequest, access_id: str, company: str) -> tuple[Principal, PortalAccess]:
    principal = caller(request)
    access = portal_access_for(
        viewer=principal.user,
        company=_company(principal, company),
        access_id=object_id(access_id),
    )
    return principal, access


@portal_accesses_router.get("", response=responses({200: Page[PortalAccessOut]}))
def portal_accesses_list(
    request: HttpRequest,
    company: str = COMPANY,
    q: str | None = query_text(None, max_length=300, description="Part of the RFC or name."),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """The company's accesses by RFC, optionally matching ``q`` (accents and case ignored)."""
    principal = caller(request)
    qs = portal_access_list(
        viewer=principal.user, company=_company(principal, company), query=q or ""
    )
    rows, next_cursor = paginate(qs, ordering=("rfc", "id"), limit=limit, cursor=cursor)
    return {"items": [PortalAccessOut.of(a) for a in rows], "next_cursor": next_cursor}


@portal_accesses_router.post("", response=responses({201: PortalAccessCreatedOut}))
@idempotent
def portal_accesses_create(
    request: HttpRequest, response: HttpResponse, payload: PortalAccessIn
) -> Any:
    """Give a receiver RFC access to the company's portal (origin ``api``)."""
    principal = caller(request)
    result = portal_access_create(
        company=_company(principal, payload.company),
        actor=principal.user,
        rfc=payload.rfc,
        name=payload.name,
        email=payload.email,
        password=payload.password,
        generate_password=payload.generate_password,
        origin=Origin.API,
    )
    if result.shown_password:
        response["Cache-Control"] = "no-store"  # never cached, never kept for a replay
    body = PortalAccessCreatedOut(
        **PortalAccessOut.fields_of(result.access),
        generated_password=result.shown_password if payload.generate_password else None,
    )
    return Status(201, body)


@portal_accesses_router.get("/{access_id}", response=responses({200: PortalAccessOut}))
def portal_accesses_get(request: HttpRequest, access_id: str, company: str = COMPANY) -> Any:
    _principal, access = _access(request, access_id, company)
    return PortalAccessOut.of(access)


@portal_accesses_router.patch("/{access_id}", response=responses({200: PortalAccessOut}))
def portal_accesses_update(
    request: HttpRequest, access_id: str, payload: PortalAccessPatch, company: str = COMPANY
) -> Any:
    """Change the receiver's name or email on file (what is omitted stays)."""
    principal, access = _access(request, access_id, company)
    access = portal_access_update(
        access=access,
        actor=principal.user,
        name=access.name if payload.name is None else payload.name,
        email=access.email if payload.email is None else payload.email,
    )
    return PortalAccessOut.of(access)


@portal_accesses_router.post("/{access_id}/disable", response=responses({200: PortalAccessOut}))
def portal_accesses_disable(request: HttpRequest, access_id: str, company: str = COMPANY) -> Any:
    """Nobody logs in with it any more; open sessions end on their next request."""
    principal, access = _access(request, access_id, company)
    access = portal_access_set_active(access=access, actor=principal.user, active=False)
    return PortalAccessOut.of(access)


@portal_accesses_router.post("/{access_id}/enable", response=responses({200: PortalAccessOut}))
def portal_accesses_enable(request: HttpRequest, access_id: str, company: str = COMPANY) -> Any:
    principal, access = _access(request, access_id, company)
    access = portal_access_set_active(access=access, actor=principal.user, active=True)
    return PortalAccessOut.of(access)


@portal_accesses_router.post("/{access_id}/send", response=responses({200: SendOut}))
def portal_accesses_send(
    request: HttpRequest, access_id: str, payload: SendIn | None = None, company: str = COMPANY
) -> Any:
    """Email the receiver a link (72 hours, single use) to choose their password."""
    principal, access = _access(request, access_id, company)
    email = payload.email if payload else ""
    link = portal_access_send(access=access, actor=principal.user, email=email)
    link.refresh_from_db()
    return SendOut.of(link)
