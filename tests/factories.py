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
    # stdnum (like the SAT) takes a homoclave whose first character is 1-9 or A-V.
    homoclave = _rng.choice("123456789ABCDEFGHIJKLMNPQRSTUV") + _rng.choice(
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

    from despacho.tenancy.services import account_create

    owner = owner or make_user()
    with transaction.atomic():
        return account_create(name=name or f"Cuenta {next(_counter)}", owner=owner, plan=plan)


def owner_of(account: Account) -> User:
    return Membership.objects.get(account=account, role=Role.OWNER).user


def make_company(
    account: Account, razon_social: str | None = None, rfc: str | None = None
) -> Company:
    from despacho.tenancy.services import company_create

    return company_create(
        account=account,
        actor=owner_of(account),
        rfc=rfc or valid_rfc(),
        razon_social=razon_social or f"EMPRESA {next(_counter)} SA DE CV",
        regimen_fiscal="601",
        codigo_postal="06000",
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
