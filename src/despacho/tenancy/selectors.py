"""Reads of tenancy data, always scoped by the viewer."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from despacho.access.decisions import access_map, can_open
from despacho.people.models import User
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
