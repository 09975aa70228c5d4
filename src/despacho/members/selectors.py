"""Reads of an account's members and invitations (the caller checked the viewer manages it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    IntegerField,
    Prefetch,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from despacho.access.models import Grant
from despacho.errors import NotFound
from despacho.members.models import Invitation, InvitationKind
from despacho.tenancy.models import (
    Account,
    Membership,
    Role,
)


class MemberNotFound(NotFound):
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
