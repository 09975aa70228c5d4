"""Reads about profiles and grants, always scoped to an account the caller manages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from despacho.access.catalog import (
    PermSet,
    RuleViolation,
    effective_mask,
    from_mask,
    to_mask,
    violations,
)
from despacho.access.decisions import access_map, can_open, may_manage
from despacho.access.models import Grant, Profile
from despacho.errors import NotFound
from despacho.people.models import User
from despacho.tenancy.models import (
    Account,
    Company,
    Membership,
    MembershipStatus,
    Role,
)
from despacho.tenancy.selectors import account_companies
from despacho.textsearch import fold


@dataclass(frozen=True)
class GrantImpact:
    """What a profile change does to one grant built on the profile."""

    grant: Grant
    before: PermSet
    after: PermSet
    violations: tuple[RuleViolation, ...]

    @property
    def changed(self) -> bool:
        return self.before != self.after


def profile_impact(*, profile: Profile, permissions: PermSet) -> list[GrantImpact]:
    """Each grant on the profile with its set now and with ``permissions`` as the profile."""
    new_mask = to_mask(permissions)
    impacts = []
    grants = (
        Grant.objects.filter(profile=profile)
        .select_related("membership__user", "company")
        .order_by("membership__user__full_name", "company__razon_social", "pk")
    )
    for grant in grants:
        before = from_mask(effective_mask(profile.permissions, grant.added, grant.removed))
        after = from_mask(effective_mask(new_mask, grant.added, grant.removed))
        impacts.append(GrantImpact(grant, before, after, tuple(violations(after))))
    return impacts


def describe_impacts(impacts: list[GrantImpact], *, limit: int = 10) -> str:
    """'Ana López en EMPRESA SA (Facturar requiere Ventas.); …' for error messages."""
    parts = [
        _("%(user)s en %(company)s (%(rules)s)")
        % {
            "user": impact.grant.membership.user.full_name,
            "company": impact.grant.company.razon_social,
            "rules": " ".join(v.message for v in impact.violations),
        }
        for impact in impacts[:limit]
    ]
    text = "; ".join(parts)
    if len(impacts) > limit:
        text += " " + _("y %(count)s más.") % {"count": len(impacts) - limit}
    return text


def profiles_for(*, account: Account) -> QuerySet[Profile]:
    """The system presets and the account's own profiles, with how many grants use each."""
    return (
        Profile.objects.filter(Q(account__isnull=True) | Q(account=account))
        .annotate(
            uses=Count("grants", filter=Q(grants__membership__account=account), distinct=True)
        )
        .order_by("account_id", "name")
    )


def profile_for(*, account: Account, profile_id: object) -> Profile:
    """A profile the account may use (a preset or its own); NotFound otherwise."""
    try:
        return Profile.objects.get(
            Q(account__isnull=True) | Q(account=account), pk=int(str(profile_id))
        )
    except (Profile.DoesNotExist, ValueError):
        raise NotFound from None


def company_of(*, account: Account, company_id: object) -> Company:
    try:
        return account_companies(account=account).get(pk=int(str(company_id)))
    except (Company.DoesNotExist, ValueError):
        raise NotFound from None


def members_of(*, account: Account) -> QuerySet[Membership]:
    """Everyone in the account, owner first."""
    return (
        Membership.objects.filter(account=account)
        .select_related("user")
        .order_by("role", "user__full_name")
    )


def grant_of(*, membership: Membership, company: Company) -> Grant | None:
    return (
        Grant.objects.select_related("profile", "company")
        .filter(membership=membership, company=company)
        .first()
    )


def grants_of(*, account: Account) -> QuerySet[Grant]:
    """Every grant of the account's members, for the permissions overview."""
    return (
        Grant.objects.filter(membership__account=account)
        .select_related("membership__user", "company", "profile")
        .order_by("membership__user__full_name", "company__razon_social")
    )


@dataclass(frozen=True)
class CompanyPerson:
    """One person of the account, as seen from one company: their grant there, if any."""

    membership: Membership
    grant: Grant | None


def company_people(*, account: Account, company: Company) -> list[CompanyPerson]:
    """The account's people (not deactivated), owner first, each with their grant on the company.

    ``company`` must come from ``company_of(account=...)``, so it is one the account manages.
    """
    grants = Grant.objects.filter(company=company).select_related("profile")
    memberships = (
        members_of(account=account)
        .exclude(status=MembershipStatus.DEACTIVATED)
        .prefetch_related(Prefetch("grants", queryset=grants, to_attr="company_grants"))
    )
    return [
        CompanyPerson(membership=m, grant=m.company_grants[0] if m.company_grants else None)
        for m in memberships
    ]


def manageable_members(*, account: Account) -> QuerySet[Membership]:
    """Members whose grants decide what they may do (owners and admins hold everything)."""
    return members_of(account=account).filter(role=Role.MEMBER)


class CompanyNotFound(NotFound):
    """The company does not exist or the viewer may not open it (indistinguishable)."""


def companies_visible(*, viewer: User) -> QuerySet[Company]:
    """Every company the viewer may open, through a role or a grant."""
    access = access_map(viewer)
    managed = list(access.managed_accounts)
    ids = [cid for cid, mask in access.company_masks.items() if mask]
    qs = Company.objects.filter(Q(account_id__in=managed) | Q(pk__in=ids))
    # Grants may hold a set without Ventas/Egresos only transiently; can_open decides.
    return qs.select_related("account").order_by("razon_social")


_Companies = TypeVar("_Companies", bound=QuerySet[Company])


def companies_matching(companies: _Companies, query: str) -> _Companies:
    """The companies whose razón social or RFC contains ``query``, ignoring case and accents.

    The one search rule for companies, in the pages and the API alike ("panaderia" finds
    "Panadería"): the folded query against the folded ``search_text``; blank matches all.
    """
    folded = fold(query.strip())
    return companies.filter(search_text__contains=folded) if folded else companies


def company_for(*, viewer: User, company_id: int | str) -> Company:
    """The company if the viewer may open it; CompanyNotFound otherwise, whichever the cause."""
    try:
        company = Company.objects.select_related("account").get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError):
        raise CompanyNotFound from None
    if not can_open(viewer, company):
        raise CompanyNotFound
    return company


def managed_account(*, viewer: User, account_id: int) -> Account | None:
    """The account if the viewer is its owner or an admin; None otherwise."""
    if not may_manage(viewer, account_id):
        return None
    return Account.objects.filter(pk=account_id).first()


def manager_membership(*, account: Account, actor: User, refusal: str = "") -> Membership:
    """The actor's membership of an account they manage (``may_manage``); PermissionDenied,
    with ``refusal`` or the general Spanish reason, otherwise."""
    membership = (
        Membership.objects.filter(account=account, user_id=actor.pk).first()
        if may_manage(actor, account)
        else None
    )
    if membership is None:
        raise PermissionDenied(
            refusal
            or _("Solo el propietario y los administradores administran los usuarios de la cuenta.")
        )
    return membership


def managed_accounts_of(*, viewer: User) -> list[Account]:
    """Accounts the viewer owns or administers (active), by name."""
    ids = list(access_map(viewer).managed_accounts)
    return list(Account.objects.filter(pk__in=ids).order_by("name"))
