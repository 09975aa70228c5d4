"""The API of company links between firms and companies (firm and company sides)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from despacho.api.auth import Principal, caller
from despacho.api.errors import responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import (
    CURSOR,
    LIMIT,
    local,
    object_id,
    text,
)
from despacho.firms.selectors import (
    account_link_for,
    account_links,
    company_links_seen_by,
    firm_link_for,
)
from despacho.firms.services import (
    link_invite,
    link_resend,
    link_respond,
    link_revoke,
    link_withdraw,
)
from despacho.members.api import companies_router
from despacho.tenancy.models import (
    CompanyLink,
    LinkStatus,
)

# --- firm links -------------------------------------------------------------------

links_router = Router(tags=["links"])

LinkSide = Literal["firm", "company"]


class LinkCompanyOut(Schema):
    id: str
    rfc: str
    razon_social: str


class LinkOut(Schema):
    id: str
    side: LinkSide = Field(
        description="`firm`: the key's account invited the company; `company`: the company is "
        "the key's account's, invited by `firm`."
    )
    firm: str = Field(description="The firm's name.")
    requested: str = Field(description="What the firm asked for: the RFC or the owner's email.")
    company: LinkCompanyOut | None = Field(
        description="On the firm's side, null until the company's owner accepts: an invitation "
        "answers the same whether or not the RFC or email belongs to anyone."
    )
    status: LinkStatus = Field(
        description="A pending invitation past `expires_at` is expired. On the firm's side an "
        "invitation not accepted is pending until it expires (a decline is the owner's)."
    )
    invited_by: str | None
    invited_at: datetime
    expires_at: datetime | None
    responded_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def of(link: CompanyLink, principal: Principal) -> LinkOut:
        company = link.company
        firm_side = link.firm_id == principal.account.pk
        shown = company is not None and (link.shown_to_firm or not firm_side)
        return LinkOut(
            id=str(link.pk),
            side="firm" if firm_side else "company",
            firm=link.firm.name,
            requested=link.requested,
            company=(
                LinkCompanyOut(
                    id=str(company.pk), rfc=company.rfc, razon_social=company.razon_social
                )
                if shown and company is not None
                else None
            ),
            status=link.firm_status if firm_side else link.current_status,
            invited_by=link.invited_by.email if link.invited_by else None,
            invited_at=local(link.invited_at),  # type: ignore[arg-type]
            expires_at=local(link.expires_at),
            responded_at=local(link.responded_at) if shown else None,
            revoked_at=local(link.revoked_at),
        )


class LinkIn(Schema):
    rfc: str = text("", max_length=20, description="The company's RFC …")
    email: str = text("", max_length=254, description="… or its owner's email (one company).")


def _links_page(
    principal: Principal, qs: QuerySet[CompanyLink], limit: int, cursor: str | None
) -> dict[str, Any]:
    rows, next_cursor = paginate(qs, ordering=("-id",), limit=limit, cursor=cursor)
    return {"items": [LinkOut.of(link, principal) for link in rows], "next_cursor": next_cursor}


@companies_router.get("/{company_id}/links", response=responses({200: Page[LinkOut]}))
def company_links_list(
    request: HttpRequest, company_id: str, limit: int = LIMIT, cursor: str | None = CURSOR
) -> Any:
    """The company's links as the key's account sees them: every firm's if the company is
    the account's, the account's own invitations to it if the account is the firm."""
    principal = caller(request)
    principal.require_manager()
    _company, links = company_links_seen_by(
        account=principal.account, company_id=object_id(company_id)
    )
    return _links_page(principal, links, limit, cursor)


@links_router.get("", response=responses({200: Page[LinkOut]}))
def links_list(
    request: HttpRequest,
    side: LinkSide | None = None,
    status: LinkStatus | None = None,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """Links the key's account is a side of, newest first (owners and admins)."""
    principal = caller(request)
    principal.require_manager()
    qs = account_links(account=principal.account, side=side or "", status=status or "")
    return _links_page(principal, qs, limit, cursor)


@links_router.post("", response=responses({201: LinkOut}))
@idempotent
def links_invite(request: HttpRequest, payload: LinkIn) -> Any:
    """As a firm, invite a company with its own account (by RFC, or by its owner's email);
    its owner is emailed and answers with accept or decline. The answer is the same whether
    or not the RFC or email belongs to anyone; the company shows once its owner accepts.
    At most `LINK_INVITATIONS_PER_HOUR` (20) an hour per account: 429 beyond."""
    principal = caller(request)
    principal.require_manager()
    link = link_invite(
        firm=principal.account, actor=principal.user, rfc=payload.rfc, email=payload.email
    )
    return Status(201, LinkOut.of(link, principal))


@links_router.get("/{link_id}", response=responses({200: LinkOut}))
def links_get(request: HttpRequest, link_id: str) -> Any:
    principal = caller(request)
    principal.require_manager()
    link = account_link_for(account=principal.account, link_id=object_id(link_id))
    return LinkOut.of(link, principal)


def _firm_side(principal: Principal, link_id: str) -> CompanyLink:
    principal.require_manager()
    return firm_link_for(account=principal.account, link_id=object_id(link_id))


def _company_side(principal: Principal, link_id: str) -> CompanyLink:
    principal.require_manager()
    return account_link_for(account=principal.account, link_id=object_id(link_id), side="company")


@links_router.post("/{link_id}/resend", response=responses({200: LinkOut}))
def links_resend(request: HttpRequest, link_id: str) -> Any:
    """The firm sends the invitation again: a new emailed link, the expiry restarts."""
    principal = caller(request)
    link = link_resend(link=_firm_side(principal, link_id), actor=principal.user)
    return LinkOut.of(link, principal)


@links_router.post("/{link_id}/withdraw", response=responses({200: LinkOut}))
def links_withdraw(request: HttpRequest, link_id: str) -> Any:
    """The firm takes back an invitation nobody answered."""
    principal = caller(request)
    link = link_withdraw(link=_firm_side(principal, link_id), actor=principal.user)
    return LinkOut.of(link, principal)


@links_router.post("/{link_id}/accept", response=responses({200: LinkOut}))
def links_accept(request: HttpRequest, link_id: str) -> Any:
    """The company's owner accepts: the firm starts managing the company."""
    principal = caller(request)
    link = link_respond(link=_company_side(principal, link_id), actor=principal.user, accept=True)
    return LinkOut.of(link, principal)


@links_router.post("/{link_id}/decline", response=responses({200: LinkOut}))
def links_decline(request: HttpRequest, link_id: str) -> Any:
    """The company's owner declines the invitation."""
    principal = caller(request)
    link = link_respond(link=_company_side(principal, link_id), actor=principal.user, accept=False)
    return LinkOut.of(link, principal)


@links_router.post("/{link_id}/revoke", response=responses({200: LinkOut}))
def links_revoke(request: HttpRequest, link_id: str) -> Any:
    """The company's owner or an admin ends the firm's access at once (its grants go)."""
    principal = caller(request)
    link = link_revoke(link=_company_side(principal, link_id), actor=principal.user)
    return LinkOut.of(link, principal)
