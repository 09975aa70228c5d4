"""Reads about a person's second factor and what their accounts demand."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from despacho.people.models import User
from despacho.security.models import AccountSecurityPolicy
from despacho.tenancy.models import MANAGER_ROLES, Account, Membership, MembershipStatus, Role


@dataclass(frozen=True)
class SecondFactorStatus:
    has_device: bool  # a confirmed authenticator app
    required: bool  # an account they own or administer demands one


def second_factor_status(*, user: User) -> SecondFactorStatus:
    """Whether the person has 2FA and whether an account they manage requires it (one query)."""
    devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    demanding = AccountSecurityPolicy.objects.filter(
        require_2fa_for_managers=True,
        account__is_active=True,
        account__memberships__user=OuterRef("pk"),
        account__memberships__status=MembershipStatus.ACTIVE,
        account__memberships__role__in=MANAGER_ROLES,
    )
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(has_device=Exists(devices), required=Exists(demanding))
        .values_list("has_device", "required")
        .first()
    )
    has_device, required = row or (False, False)
    return SecondFactorStatus(has_device=bool(has_device), required=bool(required))


def account_policy_of(*, account: Account) -> AccountSecurityPolicy:
    """The account's policy, or an unsaved one with the defaults."""
    return AccountSecurityPolicy.objects.filter(account=account).first() or (
        AccountSecurityPolicy(account=account)
    )


def is_account_owner(*, user: User, account: Account) -> bool:
    return Membership.objects.filter(
        account=account, user=user, role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).exists()
