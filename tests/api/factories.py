"""Small factories for API tests: keys through the service, a tenant with a key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from despacho.access.catalog import Perm
from despacho.api.services import api_key_create
from despacho.tenancy.models import Account, Company, Membership, MembershipStatus, Role
from tests.factories import add_member, make_account, make_company, owner_of


def make_key(
    membership: Membership,
    *,
    companies: Iterable[Company] = (),
    permissions: Iterable[Perm] | None = None,
    expires_at: datetime | None = None,
    name: str = "Integración",
) -> str:
    """A key acting as ``membership`` (created by the operator); returns the token."""
    with transaction.atomic():
        return api_key_create(
            actor=None,
            account=membership.account,
            membership=membership,
            name=name,
            companies=companies,
            permissions=permissions,
            expires_at=expires_at,
        ).token


def owner_membership(account: Account) -> Membership:
    return Membership.objects.get(account=account, role=Role.OWNER)


def active_member(
    account: Account, companies: Iterable[Company], profile_code: str = "consulta", **kw: object
) -> Membership:
    """A member who already accepted (active), with a grant of ``profile_code`` per company."""
    membership = add_member(account, companies=companies, profile_code=profile_code, **kw)  # type: ignore[arg-type]
    Membership.objects.filter(pk=membership.pk).update(status=MembershipStatus.ACTIVE)
    membership.refresh_from_db()
    return membership


@dataclass
class Tenant:
    account: Account
    company: Company
    owner: Membership
    token: str


def make_tenant(rfc: str | None = None, razon_social: str | None = None) -> Tenant:
    account = make_account()
    company = make_company(account, rfc=rfc, razon_social=razon_social)
    owner = owner_membership(account)
    assert owner.user == owner_of(account)
    return Tenant(account=account, company=company, owner=owner, token=make_key(owner))
