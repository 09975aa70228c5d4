"""decisions.narrow, the cap behind every key: exactly the member's decisions ∩ the key's scope."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from despacho.access.catalog import ALL_MASK, Perm, from_mask, to_mask
from despacho.access.decisions import can, narrow, permissions_on
from despacho.people.models import User
from tests.api.factories import active_member, make_tenant
from tests.factories import make_client_of, make_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tenant = make_tenant()
    second = make_company(tenant.account)
    client = make_client_of(tenant.account)
    foreign = make_tenant().company
    member = active_member(tenant.account, [tenant.company, client], profile_code="auxiliar_ventas")
    companies = [tenant.company, second, client, foreign]
    return tenant, member, companies


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    mask=st.integers(min_value=0, max_value=ALL_MASK),
    chosen=st.sets(st.integers(min_value=0, max_value=3)),
    as_owner=st.booleans(),
)
def test_narrowed_decisions_are_the_persons_intersected_with_the_scope(
    world, mask, chosen, as_owner
):
    tenant, member, companies = world
    user_id = tenant.owner.user_id if as_owner else member.user_id
    full = User.objects.get(pk=user_id)
    capped = User.objects.get(pk=user_id)
    scope = [companies[i] for i in sorted(chosen)]
    narrow(capped, companies=scope, mask=mask)
    for company in companies:
        held = permissions_on(full, company) & from_mask(mask) if company in scope else set()
        # The decision function's own rule: a set without Ventas or Egresos opens nothing.
        opens = bool(held & {Perm.VENTAS, Perm.EGRESOS})
        for perm in Perm:
            assert can(capped, company, perm) == (opens and perm in held), (company, perm)


def test_narrowing_never_keeps_manager_rights_beyond_the_companies_listed(world):
    tenant, _member, companies = world
    owner = User.objects.get(pk=tenant.owner.user_id)
    narrow(owner, companies=[companies[0]], mask=to_mask(Perm))
    assert can(owner, companies[0], Perm.PORTAL)
    assert not can(owner, companies[1], Perm.VENTAS)  # the account's own, but not listed
