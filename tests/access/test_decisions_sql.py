"""The switcher asks the database which companies a member's grants open; ``can`` asks
the access map. Both must give the same answer for every profile and hand-made change."""

from __future__ import annotations

import itertools

import pytest

from despacho.access.catalog import Perm
from despacho.access.decisions import can_open, companies_granted_opening
from despacho.access.models import Profile
from despacho.tenancy.models import Company, LinkStatus
from despacho.workspace import selectors
from despacho.workspace.selectors import switcher_entries
from tests.factories import (
    link,
    make_account,
    make_client_of,
    make_company,
    make_grant,
    make_membership,
)

pytestmark = pytest.mark.django_db

BITS = (Perm.VENTAS, Perm.EGRESOS, Perm.NOMINA)


def changes() -> list[tuple[list[Perm], list[Perm]]]:
    """Every way to leave, add or remove each of the bits that decide opening."""
    result = []
    for choice in itertools.product(("keep", "add", "remove"), repeat=len(BITS)):
        add = [perm for perm, what in zip(BITS, choice, strict=True) if what == "add"]
        remove = [perm for perm, what in zip(BITS, choice, strict=True) if what == "remove"]
        result.append((add, remove))
    return result


@pytest.mark.parametrize("in_memory_max", [-1, 10_000])
def test_the_database_and_the_access_map_agree_on_every_grant_that_opens_a_company(
    monkeypatch, in_memory_max
):
    monkeypatch.setattr(selectors, "SWITCHER_IN_MEMORY_MAX", in_memory_max)
    account = make_account()
    member = make_membership(account)
    companies: list[Company] = []
    presets = list(Profile.objects.filter(account__isnull=True).values_list("code", flat=True))
    assert len(presets) >= 5
    for number, (code, (add, remove)) in enumerate(itertools.product(presets, changes())):
        # Own companies, clients reached through an accepted link, and revoked clients.
        if number % 3 == 0:
            company = make_company(account)
        else:
            company = make_client_of(account)
            if number % 3 == 2:
                company.links.update(status=LinkStatus.REVOKED)
        make_grant(member, company, profile_code=code, add=add, remove=remove)
        companies.append(company)
    outsider = make_company(make_account())
    link(make_account(), outsider)

    opened_by_map = {c.pk for c in companies if can_open(member.user, c)}
    opened_in_sql = set(
        Company.objects.filter(pk__in=companies_granted_opening(member.user.pk)).values_list(
            "pk", flat=True
        )
    )
    listed = {entry.company.pk for entry in switcher_entries(viewer=member.user)}

    assert opened_by_map  # the combinations include companies that open and that do not
    assert opened_by_map != {c.pk for c in companies}
    assert opened_in_sql == opened_by_map
    assert listed == opened_by_map
