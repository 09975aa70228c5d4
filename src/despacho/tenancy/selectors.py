"""Reads of tenancy data, always scoped by the viewer."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from despacho.access.decisions import access_map, can_open
from despacho.access.models import Grant, Profile
from despacho.people.models import Invitation, InvitationKind, User
from despacho.tenancy.models import (
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    MembershipStatus,
    Role,
)


class CompanyNotFound(Exception):
    """The company does not exist or the viewer may not open it (indistinguishable)."""


def companies_visible(*, viewer: User) -> QuerySet[Company]:
    """Every company the viewer may open, through a role or a grant."""
    access = access_map(viewer)
    managed = list(access.managed_accounts)
    ids = [cid for cid, mask in access.company_masks.items() if mask]
    qs = Company.objects.filter(Q(account_id__in=managed) | Q(pk__in=ids))
    # Grants may hold a set without Ventas/Egresos only transiently; can_open decides.
    return qs.select_related("account").order_by("razon_social")


def company_for(*, viewer: User, company_id: int | str) -> Company:
    """The company if the viewer may open it; CompanyNotFound otherwise, whichever the cause."""
    try:
        company = Company.objects.select_related("account").get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError):
        raise CompanyNotFound from None
    if not can_open(viewer, company):
        raise CompanyNotFound
    return company


@dataclass(frozen=True)
class SwitcherEntry:
    company: Company
    account: Account
    role: str
    role_label: str
    via_link: bool


def switcher_entries(*, viewer: User) -> list[SwitcherEntry]:
    """The companies for the header switcher, grouped by account, with the viewer's role."""
    access = access_map(viewer)
    role_labels = dict(Role.choices)
    memberships = {
        m.account_id: m
        for m in Membership.objects.filter(user=viewer, status=MembershipStatus.ACTIVE)
    }
    companies = [c for c in companies_visible(viewer=viewer) if can_open(viewer, c)]
    linked_ids = [c.pk for c in companies if c.account_id not in memberships]
    firm_of: dict[int, Account] = {}
    if linked_ids:
        # One query for every company reached through a firm: show the viewer's firm.
        for link in CompanyLink.objects.filter(
            company_id__in=linked_ids, status=LinkStatus.ACCEPTED, firm_id__in=memberships
        ).select_related("firm"):
            firm_of.setdefault(link.company_id, link.firm)
    entries: list[SwitcherEntry] = []
    for company in companies:
        role = access.role_for(company) or Role.MEMBER
        via_link = company.pk in firm_of
        entries.append(
            SwitcherEntry(
                company=company,
                account=firm_of.get(company.pk, company.account),
                role=role,
                role_label=str(role_labels.get(role, role)),
                via_link=via_link,
            )
        )
    entries.sort(key=lambda e: (e.account.name.lower(), e.company.razon_social.lower()))
    return entries


def memberships_of(*, user: User) -> QuerySet[Membership]:
    """The user's memberships that let them in (active, in active accounts)."""
    return Membership.objects.filter(
        user=user, status=MembershipStatus.ACTIVE, account__is_active=True
    ).select_related("account")


def managed_account(*, viewer: User, account_id: int) -> Account | None:
    """The account if the viewer is its owner or an admin; None otherwise."""
    role = access_map(viewer).managed_accounts.get(account_id)
    if role is None:
        return None
    return Account.objects.filter(pk=account_id).first()


class MemberNotFound(Exception):
    """The membership or invitation does not exist or is in another account (indistinguishable)."""


@dataclass(frozen=True)
class MemberFilters:
    status: str = ""
    company_id: int | None = None
    profile_id: int | None = None


def member_for(*, account: Account, membership_id: int | str) -> Membership:
    """A membership of the account (the caller checked the viewer manages it); else not found."""
    try:
        return Membership.objects.select_related("user", "account").get(
            pk=int(membership_id), account=account
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise MemberNotFound from None


def members_list(*, account: Account, filters: MemberFilters) -> QuerySet[Membership]:
    """The account's people with their grants, owner first, filtered by status/company/profile."""
    qs = Membership.objects.filter(account=account)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.company_id:
        qs = qs.filter(grants__company_id=filters.company_id)
    if filters.profile_id:
        qs = qs.filter(grants__profile_id=filters.profile_id)
    rank = Case(
        When(role=Role.OWNER, then=Value(0)),
        When(role=Role.ADMIN, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    grants = Grant.objects.select_related("company", "profile").order_by("company__razon_social")
    return (
        qs.distinct()
        .select_related("user")
        .prefetch_related(Prefetch("grants", queryset=grants))
        .annotate(rank=rank)
        .order_by("rank", "user__full_name", "pk")
    )


def account_companies(*, account: Account) -> QuerySet[Company]:
    """Companies the account's members can be granted: its own and those linked to it."""
    linked = CompanyLink.objects.filter(firm=account, status=LinkStatus.ACCEPTED).values(
        "company_id"
    )
    return Company.objects.filter(Q(account=account) | Q(pk__in=linked)).order_by("razon_social")


def account_profiles(*, account: Account) -> QuerySet[Profile]:
    """Profiles the account can use: the system presets and its own."""
    return Profile.objects.filter(Q(account__isnull=True) | Q(account=account)).order_by(
        "account_id", "name"
    )


def member_invitations(*, account: Account, status: str = "") -> QuerySet[Invitation]:
    """The account's member invitations, newest first, every status or only ``status``."""
    qs = Invitation.objects.filter(account=account, kind=InvitationKind.MEMBER).select_related(
        "membership__user", "invited_by"
    )
    if status:
        qs = qs.filter(Invitation.status_q(status, timezone.now()))
    return qs


def invitation_for(*, account: Account, invitation_id: int | str) -> Invitation:
    """A member invitation of the account; MemberNotFound otherwise."""
    try:
        return member_invitations(account=account).get(pk=int(invitation_id))
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise MemberNotFound from None


def managed_accounts_of(*, viewer: User) -> list[Account]:
    """Accounts the viewer owns or administers (active), by name."""
    ids = list(access_map(viewer).managed_accounts)
    return list(Account.objects.filter(pk__in=ids).order_by("name"))
