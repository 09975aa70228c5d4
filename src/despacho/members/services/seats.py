"""Seats: how many an account has, how many are in use, buying more, and taking one safely.

Seats available = the plan's included seats + seat purchases still valid.
Seats in use = admins and members who are invited or active (the owner never).
Every service that takes a seat calls ``seat_take_lock`` first: it locks the
account row, so two admins taking the last seat at the same moment are
serialised and exactly one succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.people.models import User
from despacho.tenancy.models import (
    IVA_RATE,
    SEAT_HOLDING_STATUSES,
    SEAT_UNIT_PRICE,
    SEAT_VALIDITY,
    Account,
    Membership,
    MembershipStatus,
    Role,
    SeatPurchase,
    money,
)

MAX_SEATS_PER_PURCHASE = 500


@dataclass(frozen=True)
class SeatQuote:
    """What a purchase costs, computed before anyone confirms it."""

    quantity: int
    unit_price: Decimal
    iva_rate: Decimal
    subtotal: Decimal
    iva: Decimal
    total: Decimal


def seat_quote(
    *, quantity: int, unit_price: Decimal = SEAT_UNIT_PRICE, iva_rate: Decimal = IVA_RATE
) -> SeatQuote:
    """Subtotal, IVA and total in MXN, each rounded to cents half up (never float)."""
    subtotal = money(unit_price * quantity)
    iva = money(subtotal * iva_rate)
    return SeatQuote(
        quantity=quantity,
        unit_price=unit_price,
        iva_rate=iva_rate,
        subtotal=subtotal,
        iva=iva,
        total=subtotal + iva,
    )


@dataclass(frozen=True)
class SeatSummary:
    included: int
    purchased: int
    in_use: int

    @property
    def available(self) -> int:
        return self.included + self.purchased

    @property
    def free(self) -> int:
        return max(self.available - self.in_use, 0)

    @property
    def missing_for_one_more(self) -> int:
        """Seats to buy before one more person can be added or reactivated."""
        return max(self.in_use + 1 - self.available, 0)

    @property
    def over_limit(self) -> bool:
        return self.in_use > self.available


def seat_holding_q() -> Q:
    """The memberships that hold a seat, as a query filter (see Membership.holds_seat)."""
    return Q(role__in=[Role.ADMIN, Role.MEMBER], status__in=list(SEAT_HOLDING_STATUSES))


def seat_summary(*, account: Account, now: datetime | None = None) -> SeatSummary:
    """The account's seats right now: included, purchased and still valid, in use."""
    now = now or timezone.now()
    purchased = SeatPurchase.objects.filter(
        account=account, bought_at__lte=now, valid_until__gt=now
    ).aggregate(n=Sum("quantity"))["n"]
    in_use = Membership.objects.filter(seat_holding_q(), account=account).count()
    return SeatSummary(included=account.included_seats, purchased=purchased or 0, in_use=in_use)


def no_seats_error(summary: SeatSummary) -> ValidationError:
    missing = summary.missing_for_one_more
    return ValidationError(
        ngettext(
            "Licencias: las %(available)d licencias están en uso (%(in_use)d); "
            "falta %(missing)d licencia. Compra más o desactiva a alguien.",
            "Licencias: las %(available)d licencias están en uso (%(in_use)d); "
            "faltan %(missing)d licencias. Compra más o desactiva a alguien.",
            missing,
        )
        % {"available": summary.available, "in_use": summary.in_use, "missing": missing},
        code="no_seats",
        params={"missing": missing},
    )


def seat_take_lock(*, account: Account) -> SeatSummary:
    """Lock the account row, then check that one more seat is free; raise ``no_seats`` if not.

    Must run inside the caller's transaction: the lock holds until it commits.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("seat_take_lock must run inside the service's transaction")
    Account.objects.select_for_update().only("pk").get(pk=account.pk)
    summary = seat_summary(account=account)
    if summary.missing_for_one_more:
        raise no_seats_error(summary)
    return summary


@transaction.atomic
def seat_purchase_record(*, account: Account, actor: User, quantity: int) -> SeatPurchase:
    """Record a purchase of extra seats by the owner, valid one year. Payment is out of scope."""
    is_owner = Membership.objects.filter(
        account=account, user=actor, role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).exists()
    if not is_owner:
        raise ValidationError(
            _("Licencias: solo el propietario de la cuenta registra compras."),
            code="owner_only",
        )
    if not isinstance(quantity, int) or quantity < 1 or quantity > MAX_SEATS_PER_PURCHASE:
        raise ValidationError(
            {
                "quantity": ValidationError(
                    _("Cantidad: escribe un número entero de licencias entre 1 y %(max)d.")
                    % {"max": MAX_SEATS_PER_PURCHASE},
                    code="invalid_quantity",
                )
            }
        )
    quote = seat_quote(quantity=quantity)
    now = timezone.now()
    purchase = SeatPurchase.objects.create(
        account=account,
        quantity=quote.quantity,
        unit_price=quote.unit_price,
        iva_rate=quote.iva_rate,
        subtotal=quote.subtotal,
        iva=quote.iva,
        total=quote.total,
        bought_at=now,
        valid_until=now + SEAT_VALIDITY,
        bought_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.SEATS_PURCHASED,
        account=account,
        target=purchase,
        before=None,
        after={
            "quantity": purchase.quantity,
            "unit_price": purchase.unit_price,
            "subtotal": purchase.subtotal,
            "iva": purchase.iva,
            "total": purchase.total,
            "valid_until": purchase.valid_until,
        },
    )
    return purchase


def seat_purchases(*, account: Account) -> QuerySet[SeatPurchase]:
    """The account's purchases, newest first (the caller checked the viewer manages it)."""
    return SeatPurchase.objects.filter(account=account).select_related("bought_by")
