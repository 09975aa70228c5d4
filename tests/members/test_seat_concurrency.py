"""Two admins take the last seat at the same moment: exactly one succeeds (PostgreSQL).

The system profiles survive the flush between transactional tests: access recreates
them on post_migrate, which flush emits.

Each thread has its own database connection. Both wait at a barrier, then call
the service; ``seat_take_lock`` locks the account row, so the second waits for
the first to commit, counts again, and is refused.
"""

import pytest
from django.core.exceptions import ValidationError

from despacho.access.models import Profile
from despacho.members.services.members import GrantSpec, member_add, member_reactivate
from despacho.members.services.seats import seat_summary
from despacho.tenancy.models import MembershipStatus, Role
from tests.concurrency import at_once
from tests.factories import make_account, make_company, make_membership, set_included_seats

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    return at_once(calls, catching=(ValidationError,))


def test_two_admins_adding_people_for_the_last_seat_exactly_one_succeeds():
    account = set_included_seats(make_account(), 2)
    company = make_company(account)
    first_admin = make_membership(account, role=Role.ADMIN)  # holds one of the two seats
    second_admin = make_membership(account, role=Role.ADMIN)  # holds the other
    set_included_seats(account, 3)  # one seat left
    consulta = Profile.objects.get(account=None, code="consulta")

    def add(admin, email):
        return lambda: member_add(
            account=account,
            actor=admin.user,
            full_name="Persona Nueva Prueba",
            email=email,
            role=Role.MEMBER,
            grants=[GrantSpec(company, consulta)],
        )

    outcomes = _race(add(first_admin, "uno@example.mx"), add(second_admin, "dos@example.mx"))
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    added = [o for o in outcomes if not isinstance(o, ValidationError)]
    assert len(added) == 1, outcomes
    assert len(refused) == 1, outcomes
    assert refused[0].code == "no_seats"
    summary = seat_summary(account=account)
    assert (summary.in_use, summary.available) == (3, 3)


def test_a_reactivation_and_an_addition_racing_for_the_last_seat_one_wins():
    account = set_included_seats(make_account(), 1)
    company = make_company(account)
    owner_admin = make_membership(account, role=Role.ADMIN)  # takes the only seat
    gone = make_membership(account, role=Role.MEMBER, status=MembershipStatus.DEACTIVATED)
    set_included_seats(account, 2)  # one seat left
    consulta = Profile.objects.get(account=None, code="consulta")
    from tests.factories import owner_of

    owner = owner_of(account)
    outcomes = _race(
        lambda: member_reactivate(membership=gone, actor=owner),
        lambda: member_add(
            account=account,
            actor=owner_admin.user,
            full_name="Persona Nueva Prueba",
            email="tres@example.mx",
            role=Role.MEMBER,
            grants=[GrantSpec(company, consulta)],
        ),
    )
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1, outcomes
    assert seat_summary(account=account).in_use == 2
