"""Seats: arithmetic in Decimal, what counts as available and in use, refusals when full."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from despacho.audit.models import AuditEvent
from despacho.members.services.members import member_deactivate, member_reactivate
from despacho.members.services.seats import seat_purchase_record, seat_quote, seat_summary
from despacho.tenancy.models import MembershipStatus, Role, SeatPurchase
from tests.factories import (
    add_member,
    make_account,
    make_company,
    make_membership,
    owner_of,
    set_included_seats,
)

pytestmark = pytest.mark.django_db


def test_three_seats_at_list_price_cost_747_plus_iva_119_52():
    quote = seat_quote(quantity=3)
    assert quote.unit_price == Decimal("249.00")
    assert quote.subtotal == Decimal("747.00")
    assert quote.iva == Decimal("119.52")
    assert quote.total == Decimal("866.52")


def test_iva_rounds_half_up_to_cents():
    # 0.16 × 0.03125 → 0.005 exactly: half up gives 0.01, banker's rounding would give 0.00.
    quote = seat_quote(quantity=1, unit_price=Decimal("0.03125"))
    assert quote.subtotal == Decimal("0.03")
    quote = seat_quote(quantity=1, unit_price=Decimal("0.05"))  # IVA 0.008 → 0.01
    assert quote.iva == Decimal("0.01")


@given(
    quantity=st.integers(min_value=1, max_value=500),
    cents=st.integers(min_value=1, max_value=10_000_00),
)
def test_quote_total_is_always_subtotal_plus_iva_in_cents(quantity, cents):
    quote = seat_quote(quantity=quantity, unit_price=Decimal(cents) / 100)
    assert quote.total == quote.subtotal + quote.iva
    assert quote.subtotal.as_tuple().exponent == -2
    assert quote.iva.as_tuple().exponent == -2
    assert abs(quote.iva - quote.subtotal * Decimal("0.16")) <= Decimal("0.005")


def test_purchase_records_decimal_amounts_valid_one_year_and_audits():
    account = make_account()
    purchase = seat_purchase_record(account=account, actor=owner_of(account), quantity=3)
    purchase.refresh_from_db()
    assert (purchase.subtotal, purchase.iva, purchase.total) == (
        Decimal("747.00"),
        Decimal("119.52"),
        Decimal("866.52"),
    )
    assert purchase.valid_until - purchase.bought_at == timedelta(days=365)
    event = AuditEvent.objects.get(action="seats.purchased")
    assert event.after["total"] == "866.52"


def test_seats_available_are_plan_seats_plus_valid_purchases():
    account = set_included_seats(make_account(), 2)
    seat_purchase_record(account=account, actor=owner_of(account), quantity=3)
    summary = seat_summary(account=account)
    assert (summary.included, summary.purchased, summary.available) == (2, 3, 5)


def test_expired_purchases_stop_counting():
    account = set_included_seats(make_account(), 2)
    purchase = seat_purchase_record(account=account, actor=owner_of(account), quantity=3)
    SeatPurchase.objects.filter(pk=purchase.pk).update(
        bought_at=timezone.now() - timedelta(days=400),
        valid_until=timezone.now() - timedelta(days=35),
    )
    assert seat_summary(account=account).available == 2


def test_owner_holds_no_seat_admins_and_members_invited_or_active_do():
    account = make_account()
    make_membership(account, role=Role.ADMIN)
    make_membership(account, role=Role.MEMBER, status=MembershipStatus.INVITED)
    make_membership(account, role=Role.MEMBER, status=MembershipStatus.DEACTIVATED)
    assert seat_summary(account=account).in_use == 2


def test_pending_invitations_hold_a_seat():
    account = set_included_seats(make_account(), 1)
    company = make_company(account)
    membership = add_member(account, companies=[company])
    assert membership.status == MembershipStatus.INVITED
    summary = seat_summary(account=account)
    assert summary.in_use == 1
    assert summary.free == 0


def test_adding_without_a_free_seat_is_refused_saying_how_many_are_missing():
    account = set_included_seats(make_account(), 1)
    company = make_company(account)
    add_member(account, companies=[company])
    with pytest.raises(ValidationError) as exc:
        add_member(account, companies=[company])
    assert exc.value.code == "no_seats"
    assert "falta 1 licencia" in exc.value.messages[0]


def test_nobody_is_kicked_out_when_seats_fall_below_use_but_nobody_can_be_added():
    account = set_included_seats(make_account(), 0)
    company = make_company(account)
    seat_purchase_record(account=account, actor=owner_of(account), quantity=2)
    first = add_member(account, companies=[company])
    add_member(account, companies=[company])
    SeatPurchase.objects.filter(account=account).update(
        bought_at=timezone.now() - timedelta(days=400),
        valid_until=timezone.now() - timedelta(days=1),
    )
    first.refresh_from_db()
    assert first.status == MembershipStatus.INVITED  # still there
    summary = seat_summary(account=account)
    assert summary.over_limit
    assert summary.missing_for_one_more == 3
    with pytest.raises(ValidationError) as exc:
        add_member(account, companies=[company])
    assert exc.value.code == "no_seats"
    assert "faltan 3 licencias" in exc.value.messages[0]


def test_reactivating_without_a_free_seat_says_how_many_are_missing():
    account = set_included_seats(make_account(), 1)
    company = make_company(account)
    owner = owner_of(account)
    first = add_member(account, companies=[company])
    member_deactivate(membership=first, actor=owner)
    add_member(account, companies=[company])
    with pytest.raises(ValidationError) as exc:
        member_reactivate(membership=first, actor=owner)
    assert exc.value.code == "no_seats"
    assert exc.value.params == {"missing": 1}


def test_only_the_owner_records_purchases():
    account = make_account()
    admin = make_membership(account, role=Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        seat_purchase_record(account=account, actor=admin.user, quantity=1)
    assert exc.value.code == "owner_only"


@pytest.mark.parametrize("quantity", [0, -1, 501])
def test_purchase_quantity_must_be_between_1_and_500(quantity):
    account = make_account()
    with pytest.raises(ValidationError) as exc:
        seat_purchase_record(account=account, actor=owner_of(account), quantity=quantity)
    assert exc.value.error_dict["quantity"][0].code == "invalid_quantity"
    assert not SeatPurchase.objects.exists()
