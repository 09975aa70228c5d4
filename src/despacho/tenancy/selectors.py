"""Reads of tenancy data, always scoped by the viewer."""

from __future__ import annotations

from django.db.models import (
    Q,
    QuerySet,
)

from despacho.people.models import User
from despacho.tenancy.models import (
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    MembershipStatus,
)


def memberships_of(*, user: User) -> QuerySet[Membership]:
    """The user's memberships that let them in (active, in active accounts)."""
    return Membership.objects.filter(
        user=user, status=MembershipStatus.ACTIVE, account__is_active=True
    ).select_related("account")


def deactivated_memberships_of(*, user: User) -> QuerySet[Membership]:
    """The user's deactivated memberships, newest first: why someone may see no company."""
    return (
        Membership.objects.filter(user=user, status=MembershipStatus.DEACTIVATED)
        .select_related("account")
        .order_by("-deactivated_at", "-pk")
    )


def membership_count(*, user: User) -> int:
    """How many active memberships the user holds (one query on the (user, status) index)."""
    return Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE).count()


def account_companies(*, account: Account) -> QuerySet[Company]:
    """Companies the account's members can be granted: its own and those linked to it."""
    linked = CompanyLink.objects.filter(firm=account, status=LinkStatus.ACCEPTED).values(
        "company_id"
    )
    return Company.objects.filter(Q(account=account) | Q(pk__in=linked)).order_by("razon_social")
