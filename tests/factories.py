"""Small factory functions for tests: each builds one thing through the services."""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Iterable

from stdnum.mx import rfc as stdnum_rfc

from despacho.access.catalog import Perm, to_mask
from despacho.access.models import Grant, Profile
from despacho.people.models import User
from despacho.tenancy.models import (
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    MembershipStatus,
    Plan,
    Role,
)

PASSWORD = "Clave.Segura.2026"
_counter = itertools.count(1)
_rng = random.Random(20261125)


def valid_rfc(moral: bool = True) -> str:
    """A syntactically valid RFC with a correct check digit, unique per call."""
    n = next(_counter)
    letters = "".join(_rng.choice("BCDFGHJKLMNPQRSTVWZ") for _ in range(3 if moral else 4))
    year = 50 + n % 50
    month = 1 + n % 12
    day = 1 + n % 28
    # The SAT's homoclave: first character 1-9 or A-V, second 1-9 or A-Z (python-stdnum checks).
    homoclave = _rng.choice("123456789ABCDEFGHIJKLMNOPQRSTUV") + _rng.choice(
        string.ascii_uppercase + "123456789"
    )
    base = f"{letters}{year:02d}{month:02d}{day:02d}{homoclave}"
    return base + stdnum_rfc.calc_check_digit(base)


def make_user(
    email: str | None = None, full_name: str = "Juan Pérez López", password: str = PASSWORD
) -> User:
    n = next(_counter)
    return User.objects.create_user(
        email=email or f"persona{n}@example.mx", full_name=full_name, password=password
    )


def make_account(
    name: str | None = None, owner: User | None = None, plan: str = Plan.DESPACHO
) -> Account:
    from django.db import transaction

    from despacho.members.services.accounts import account_create

    owner = owner or make_user()
    with transaction.atomic():
        return account_create(name=name or f"Cuenta {next(_counter)}", owner=owner, plan=plan)


def owner_of(account: Account) -> User:
    return Membership.objects.get(account=account, role=Role.OWNER).user


def make_company(
    account: Account,
    razon_social: str | None = None,
    rfc: str | None = None,
    regimen_fiscal: str = "601",
    codigo_postal: str = "06000",
) -> Company:
    from despacho.members.services.accounts import company_create

    return company_create(
        account=account,
        actor=owner_of(account),
        rfc=rfc or valid_rfc(),
        razon_social=razon_social or f"EMPRESA {next(_counter)} SA DE CV",
        regimen_fiscal=regimen_fiscal,
        codigo_postal=codigo_postal,
    )


def make_membership(
    account: Account,
    user: User | None = None,
    role: str = Role.MEMBER,
    status: str = MembershipStatus.ACTIVE,
) -> Membership:
    return Membership.objects.create(
        user=user or make_user(), account=account, role=role, status=status
    )


def profile(code: str) -> Profile:
    return Profile.objects.get(account=None, code=code)


def make_grant(
    membership: Membership,
    company: Company,
    profile_code: str = "consulta",
    add: Iterable[Perm] = (),
    remove: Iterable[Perm] = (),
) -> Grant:
    return Grant.objects.create(
        membership=membership,
        company=company,
        profile=profile(profile_code),
        added=to_mask(add),
        removed=to_mask(remove),
    )


def link(firm: Account, company: Company, status: str = LinkStatus.ACCEPTED) -> CompanyLink:
    return CompanyLink.objects.create(firm=firm, company=company, status=status)


def add_member(
    account: Account,
    *,
    email: str | None = None,
    full_name: str = "Ana Torres Vega",
    role: str = Role.MEMBER,
    companies: Iterable[Company] = (),
    profile_code: str = "consulta",
    actor: User | None = None,
) -> Membership:
    """Add a person through the service (an invitation if they have no login yet)."""
    from despacho.members.services.members import GrantSpec, member_add

    return member_add(
        account=account,
        actor=actor or owner_of(account),
        full_name=full_name,
        email=email or f"persona{next(_counter)}@example.mx",
        role=role,
        grants=[GrantSpec(company, profile(profile_code)) for company in companies],
    )


def set_included_seats(account: Account, seats: int) -> Account:
    Account.objects.filter(pk=account.pk).update(included_seats=seats)
    account.refresh_from_db()
    return account


def make_client_of(firm: Account, razon_social: str | None = None) -> Company:
    """A company owned by its own account and linked (accepted) to the firm."""
    company = make_company(make_account(plan=Plan.EMPRENDEDOR), razon_social=razon_social)
    link(firm, company)
    return company


def make_own_company(
    razon_social: str | None = None, owner: User | None = None, rfc: str | None = None
) -> Company:
    """A company with its own account (plan Emprendedor) and owner, linked to nobody."""
    account = make_account(name=razon_social, owner=owner, plan=Plan.EMPRENDEDOR)
    return make_company(account, razon_social=razon_social, rfc=rfc)


def invite_link(firm: Account, company: Company, actor: User | None = None) -> CompanyLink:
    """The firm invites the company to be managed (pending link + emailed invitation)."""
    from despacho.firms.services import link_invite

    return link_invite(firm=firm, actor=actor or owner_of(firm), rfc=company.rfc)
