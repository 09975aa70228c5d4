"""REST API of the account's administration: companies, members and their grants, seats,
member invitations (firm links are the firms app's).

Thin: each operation parses (ninja schemas), calls one service or selector, and
serialises. Account-wide operations need an unrestricted key of an owner or admin;
company-scoped reads go through the decision function (``company_for``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from despacho.access.catalog import from_mask
from despacho.access.models import Grant
from despacho.access.selectors import (
    companies_matching,
    companies_visible,
    company_for,
    company_of,
    grant_of,
    profile_for,
)
from despacho.access.services import grant_delete, grant_set
from despacho.api.auth import Principal, caller
from despacho.api.errors import ApiError, responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import (
    CURSOR,
    LIMIT,
    PermCode,
    filter_id,
    local,
    money,
    object_id,
    perm_codes,
    perms_of,
    query_text,
    text,
)
from despacho.errors import NotFound
from despacho.members.models import Invitation, InvitationStatus
from despacho.members.selectors import (
    MemberFilters,
    invitation_for,
    member_for,
    member_invitations,
    members_list,
)
from despacho.members.services.accounts import company_create
from despacho.members.services.members import (
    GrantSpec,
    member_add,
    member_deactivate,
    member_delete,
    member_invitation_resend,
    member_invitation_revoke,
    member_reactivate,
    member_update,
)
from despacho.members.services.seats import seat_purchase_record, seat_purchases, seat_summary
from despacho.tenancy.models import (
    Company,
    Membership,
    MembershipStatus,
    Role,
    SeatPurchase,
    Sector,
)

# --- companies ----------------------------------------------------------------

companies_router = Router(tags=["companies"])


class CompanyOut(Schema):
    id: str
    rfc: str
    razon_social: str
    regimen_fiscal: str
    codigo_postal: str
    sector: str
    owned: bool = Field(description="Owned by the key's account (false: reached through a link).")
    portal_url: str = Field(description="The company's download portal for its receivers.")
    created_at: datetime

    @staticmethod
    def of(company: Company, principal: Principal) -> CompanyOut:
        return CompanyOut(
            id=str(company.pk),
            rfc=company.rfc,
            razon_social=company.razon_social,
            regimen_fiscal=company.regimen_fiscal,
            codigo_postal=company.codigo_postal,
            sector=company.sector,
            owned=company.account_id == principal.account.pk,
            portal_url=company.portal_url,
            created_at=local(company.created_at),  # type: ignore[arg-type]
        )


class CompanyIn(Schema):
    rfc: str = text(max_length=20)
    razon_social: str = text(max_length=300)
    regimen_fiscal: str = text(max_length=10, description="c_RegimenFiscal, e.g. 601.")
    codigo_postal: str = text(max_length=10)
    sector: Sector = Sector.SERVICIOS


@companies_router.get("", response=responses({200: Page[CompanyOut]}))
def companies_list(
    request: HttpRequest,
    q: str | None = query_text(
        None, max_length=300, description="Part of the name or the RFC (no case, no accents)."
    ),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """Companies the key may open, optionally matching ``q`` as the pages do."""
    principal = caller(request)
    qs = companies_matching(companies_visible(viewer=principal.user), q or "")
    rows, next_cursor = paginate(qs, ordering=("id",), limit=limit, cursor=cursor)
    return {"items": [CompanyOut.of(c, principal) for c in rows], "next_cursor": next_cursor}


@companies_router.get("/{company_id}", response=responses({200: CompanyOut}))
def companies_get(request: HttpRequest, company_id: str) -> Any:
    principal = caller(request)
    company = company_for(viewer=principal.user, company_id=object_id(company_id))
    return CompanyOut.of(company, principal)


@companies_router.post("", response=responses({201: CompanyOut}))
@idempotent
def companies_create(request: HttpRequest, payload: CompanyIn) -> Any:
    """Register a company owned by the key's account (owners and admins)."""
    principal = caller(request)
    principal.require_manager()
    company = company_create(
        account=principal.account,
        actor=principal.user,
        rfc=payload.rfc,
        razon_social=payload.razon_social,
        regimen_fiscal=payload.regimen_fiscal,
        codigo_postal=payload.codigo_postal,
        sector=payload.sector,
    )
    return Status(201, CompanyOut.of(company, principal))


# --- members and grants ---------------------------------------------------------

members_router = Router(tags=["members"])


class GrantOut(Schema):
    company: str
    profile: str
    added: list[PermCode]
    removed: list[PermCode]
    permissions: list[PermCode] = Field(
        description="The effective set: (profile ∪ added) − removed."
    )

    @staticmethod
    def of(grant: Grant) -> GrantOut:
        return GrantOut(
            company=str(grant.company_id),
            profile=str(grant.profile_id),
            added=perm_codes(from_mask(grant.added)),
            removed=perm_codes(from_mask(grant.removed)),
            permissions=perm_codes(grant.perms),
        )


class MemberOut(Schema):
    id: str
    email: str
    full_name: str
    role: Role
    status: MembershipStatus
    created_at: datetime
    joined_at: datetime | None
    grants: list[GrantOut]

    @staticmethod
    def of(membership: Membership) -> MemberOut:
        grants = (
            membership.grants.select_related("profile").order_by("company_id")
            if not hasattr(membership, "_prefetched_objects_cache")
            else sorted(membership.grants.all(), key=lambda g: g.company_id)
        )
        return MemberOut(
            id=str(membership.pk),
            email=membership.user.email,
            full_name=membership.user.full_name,
            role=Role(membership.role),
            status=MembershipStatus(membership.status),
            created_at=local(membership.created_at),  # type: ignore[arg-type]
            joined_at=local(membership.joined_at),
            grants=[GrantOut.of(g) for g in grants],
        )


class GrantBody(Schema):
    profile: str = text(max_length=20, description="A profile id (GET /profiles).")
    add: list[PermCode] = Field(default_factory=list, max_length=20)
    remove: list[PermCode] = Field(default_factory=list, max_length=20)


class GrantIn(GrantBody):
    company: str = text(max_length=20, description="A company id (GET /companies).")


class MemberIn(Schema):
    full_name: str = text(max_length=150)
    email: str = text(max_length=254)
    role: Role = Role.MEMBER
    grants: list[GrantIn] = Field(default_factory=list, max_length=500)


class MemberPatch(Schema):
    full_name: str | None = text(None, max_length=150)
    role: Role | None = None


class MemberFilter(Schema):
    status: MembershipStatus | None = None
    company: str | None = text(None, max_length=20, description="Only people with a grant here.")
    profile: str | None = text(None, max_length=20, description="Only people with this profile.")


def _unknown(field: str) -> ApiError:
    return ApiError(
        422,
        "not_found",
        _("%(field)s: no existe en esta cuenta.") % {"field": field},
        fields=[{"field": field, "code": "not_found", "message": _("No existe en esta cuenta.")}],
    )


def _grant_spec(principal: Principal, body: GrantBody, company: Company, field: str) -> GrantSpec:
    try:
        profile = profile_for(account=principal.account, profile_id=object_id(body.profile))
    except (NotFound, ApiError):
        raise _unknown(f"{field}profile") from None
    return GrantSpec(
        company=company, profile=profile, add=perms_of(body.add), remove=perms_of(body.remove)
    )


def _company_ref(principal: Principal, value: str, field: str) -> Company:
    try:
        return company_of(account=principal.account, company_id=object_id(value))
    except (NotFound, ApiError):
        raise _unknown(field) from None


def _member(principal: Principal, member_id: str) -> Membership:
    principal.require_manager()
    return member_for(account=principal.account, membership_id=object_id(member_id))


@members_router.get("", response=responses({200: Page[MemberOut]}))
def members_list_op(
    request: HttpRequest,
    filters: Query[MemberFilter],
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """Everyone in the account with their grants (owners and admins)."""
    principal = caller(request)
    principal.require_manager()
    qs = members_list(
        account=principal.account,
        filters=MemberFilters(
            status=filters.status or "",
            company_id=filter_id(filters.company, field="company"),
            profile_id=filter_id(filters.profile, field="profile"),
        ),
    )
    rows, next_cursor = paginate(qs, ordering=("id",), limit=limit, cursor=cursor)
    return {"items": [MemberOut.of(m) for m in rows], "next_cursor": next_cursor}


@members_router.post("", response=responses({201: MemberOut}))
@idempotent
def members_add(request: HttpRequest, payload: MemberIn) -> Any:
    """Add a person on a free seat with their grants, all or nothing (invited by email if new)."""
    principal = caller(request)
    principal.require_manager()
    specs = []
    for index, grant in enumerate(payload.grants):
        field = f"grants.{index}."
        company = _company_ref(principal, grant.company, f"{field}company")
        specs.append(_grant_spec(principal, grant, company, field))
    membership = member_add(
        account=principal.account,
        actor=principal.user,
        full_name=payload.full_name,
        email=payload.email,
        role=payload.role,
        grants=specs,
    )
    return Status(201, MemberOut.of(membership))


@members_router.get("/{member_id}", response=responses({200: MemberOut}))
def members_get(request: HttpRequest, member_id: str) -> Any:
    return MemberOut.of(_member(caller(request), member_id))


@members_router.patch("/{member_id}", response=responses({200: MemberOut}))
def members_update(request: HttpRequest, member_id: str, payload: MemberPatch) -> Any:
    """Change the role, or the name of someone who never logged in."""
    principal = caller(request)
    membership = member_update(
        membership=_member(principal, member_id),
        actor=principal.user,
        role=payload.role,
        full_name=payload.full_name,
    )
    return MemberOut.of(membership)


@members_router.post("/{member_id}/deactivate", response=responses({200: MemberOut}))
def members_deactivate(request: HttpRequest, member_id: str) -> Any:
    """Access ends at once and the seat is freed; grants are kept."""
    principal = caller(request)
    membership = member_deactivate(membership=_member(principal, member_id), actor=principal.user)
    return MemberOut.of(membership)


@members_router.post("/{member_id}/reactivate", response=responses({200: MemberOut}))
def members_reactivate(request: HttpRequest, member_id: str) -> Any:
    """Back on a free seat (someone who never logged in is invited again)."""
    principal = caller(request)
    membership = member_reactivate(membership=_member(principal, member_id), actor=principal.user)
    return MemberOut.of(membership)


@members_router.delete("/{member_id}", response=responses({204: None}))
def members_delete(request: HttpRequest, member_id: str) -> Any:
    """Remove the person from the account (the audit trail keeps their history)."""
    principal = caller(request)
    member_delete(membership=_member(principal, member_id), actor=principal.user)
    return HttpResponse(status=204)


@members_router.get("/{member_id}/grants/{company_id}", response=responses({200: GrantOut}))
def grants_get(request: HttpRequest, member_id: str, company_id: str) -> Any:
    principal = caller(request)
    membership = _member(principal, member_id)
    company = company_of(account=principal.account, company_id=object_id(company_id))
    grant = grant_of(membership=membership, company=company)
    if grant is None:
        raise NotFound
    return GrantOut.of(grant)


@members_router.put("/{member_id}/grants/{company_id}", response=responses({200: GrantOut}))
def grants_put(request: HttpRequest, member_id: str, company_id: str, payload: GrantBody) -> Any:
    """Create or replace the member's access to the company; an invalid set is refused (422)."""
    principal = caller(request)
    membership = _member(principal, member_id)
    company = company_of(account=principal.account, company_id=object_id(company_id))
    spec = _grant_spec(principal, payload, company, "")
    grant = grant_set(
        actor=principal.user,
        membership=membership,
        company=company,
        profile=spec.profile,
        add=spec.add,
        remove=spec.remove,
    )
    return GrantOut.of(grant)


@members_router.delete("/{member_id}/grants/{company_id}", response=responses({204: None}))
def grants_delete(request: HttpRequest, member_id: str, company_id: str) -> Any:
    """Take away the member's access to the company."""
    principal = caller(request)
    membership = _member(principal, member_id)
    company = company_of(account=principal.account, company_id=object_id(company_id))
    grant = grant_of(membership=membership, company=company)
    if grant is None:
        raise NotFound
    grant_delete(actor=principal.user, grant=grant)
    return HttpResponse(status=204)


# --- seats ----------------------------------------------------------------------

seats_router = Router(tags=["seats"])


class SeatsOut(Schema):
    included: int
    purchased: int
    in_use: int
    available: int
    free: int


class PurchaseOut(Schema):
    id: str
    quantity: int
    unit_price: str = Field(examples=["249.00"])
    iva_rate: str = Field(examples=["0.16"])
    subtotal: str
    iva: str
    total: str
    bought_at: datetime
    valid_until: datetime
    bought_by: str | None

    @staticmethod
    def of(purchase: SeatPurchase) -> PurchaseOut:
        return PurchaseOut(
            id=str(purchase.pk),
            quantity=purchase.quantity,
            unit_price=money(purchase.unit_price),  # type: ignore[arg-type]
            iva_rate=money(purchase.iva_rate),  # type: ignore[arg-type]
            subtotal=money(purchase.subtotal),  # type: ignore[arg-type]
            iva=money(purchase.iva),  # type: ignore[arg-type]
            total=money(purchase.total),  # type: ignore[arg-type]
            bought_at=local(purchase.bought_at),  # type: ignore[arg-type]
            valid_until=local(purchase.valid_until),  # type: ignore[arg-type]
            bought_by=purchase.bought_by.email if purchase.bought_by else None,
        )


class PurchaseIn(Schema):
    quantity: int = Field(ge=1, le=500)


@seats_router.get("", response=responses({200: SeatsOut}))
def seats_get(request: HttpRequest) -> Any:
    """Seats now: included in the plan, purchased and valid, in use, available, free."""
    principal = caller(request)
    principal.require_manager()
    summary = seat_summary(account=principal.account)
    return SeatsOut(
        included=summary.included,
        purchased=summary.purchased,
        in_use=summary.in_use,
        available=summary.available,
        free=summary.free,
    )


@seats_router.get("/purchases", response=responses({200: Page[PurchaseOut]}))
def seat_purchases_list(
    request: HttpRequest, limit: int = LIMIT, cursor: str | None = CURSOR
) -> Any:
    principal = caller(request)
    principal.require_manager()
    qs = seat_purchases(account=principal.account)
    rows, next_cursor = paginate(qs, ordering=("-id",), limit=limit, cursor=cursor)
    return {"items": [PurchaseOut.of(p) for p in rows], "next_cursor": next_cursor}


@seats_router.post("/purchases", response=responses({201: PurchaseOut}))
@idempotent
def seat_purchases_create(request: HttpRequest, payload: PurchaseIn) -> Any:
    """Record a purchase of extra seats, valid one year (the owner only)."""
    principal = caller(request)
    principal.require_manager()
    purchase = seat_purchase_record(
        account=principal.account, actor=principal.user, quantity=payload.quantity
    )
    return Status(201, PurchaseOut.of(purchase))


# --- invitations ------------------------------------------------------------------

invitations_router = Router(tags=["invitations"])


class InvitationOut(Schema):
    id: str
    email: str
    status: InvitationStatus
    member: str | None
    invited_by: str | None
    created_at: datetime
    sent_at: datetime | None
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def of(invitation: Invitation) -> InvitationOut:
        return InvitationOut(
            id=str(invitation.pk),
            email=invitation.email,
            status=invitation.status,
            member=str(invitation.membership_id) if invitation.membership_id else None,
            invited_by=invitation.invited_by.email if invitation.invited_by else None,
            created_at=local(invitation.created_at),  # type: ignore[arg-type]
            sent_at=local(invitation.sent_at),
            expires_at=local(invitation.expires_at),  # type: ignore[arg-type]
            accepted_at=local(invitation.accepted_at),
            revoked_at=local(invitation.revoked_at),
        )


def _invitation(principal: Principal, invitation_id: str) -> Invitation:
    principal.require_manager()
    return invitation_for(account=principal.account, invitation_id=object_id(invitation_id))


@invitations_router.get("", response=responses({200: Page[InvitationOut]}))
def invitations_list(
    request: HttpRequest,
    status: InvitationStatus | None = None,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """The account's member invitations, newest first, optionally of one status."""
    principal = caller(request)
    principal.require_manager()
    qs = member_invitations(account=principal.account, status=status or "")
    rows, next_cursor = paginate(qs, ordering=("-id",), limit=limit, cursor=cursor)
    return {"items": [InvitationOut.of(i) for i in rows], "next_cursor": next_cursor}


@invitations_router.post("/{invitation_id}/resend", response=responses({200: InvitationOut}))
def invitations_resend(request: HttpRequest, invitation_id: str) -> Any:
    """A new link valid 72 hours; the previous one stops working."""
    principal = caller(request)
    invitation = member_invitation_resend(
        invitation=_invitation(principal, invitation_id), actor=principal.user
    )
    return InvitationOut.of(invitation)


@invitations_router.post("/{invitation_id}/revoke", response=responses({200: InvitationOut}))
def invitations_revoke(request: HttpRequest, invitation_id: str) -> Any:
    """Kill the link; the invited person is deactivated and their seat freed."""
    principal = caller(request)
    invitation = member_invitation_revoke(
        invitation=_invitation(principal, invitation_id), actor=principal.user
    )
    return InvitationOut.of(invitation)
