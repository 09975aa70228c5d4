"""Lock-outs after failed portal logins, per typed RFC (at one company) and per IP address.

After ``threshold`` failures in a row a key is locked; each lock-out doubles the
next one (15, 30, 60 … minutes, at most a day). A quiet day forgets the
history; a successful login forgets the RFC's. Counters live in the database
(``LoginThrottle``, updated under a row lock) so every web process sees them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from despacho.portal.models import LoginThrottle

FORGET_AFTER = timedelta(days=1)
MAX_LOCK = timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    threshold: int
    first_lock: timedelta


def _rules() -> dict[str, Rule]:
    # An office behind one address may hold several receivers: the IP rule is looser.
    return {
        "rfc": Rule(
            getattr(settings, "PORTAL_LOCKOUT_RFC_FAILURES", 5),
            timedelta(minutes=getattr(settings, "PORTAL_LOCKOUT_MINUTES", 15)),
        ),
        "ip": Rule(
            getattr(settings, "PORTAL_LOCKOUT_IP_FAILURES", 20),
            timedelta(minutes=getattr(settings, "PORTAL_LOCKOUT_MINUTES", 15)),
        ),
    }


def rfc_key(company_id: int, identifier: str) -> str:
    return f"rfc:{company_id}:{identifier.strip().upper()}"[:300]


def ip_key(ip: str | None) -> str | None:
    return f"ip:{ip}" if ip else None


def locked_until(keys: list[str | None], now: datetime | None = None) -> datetime | None:
    """The latest moment until which any of the keys is locked, or None."""
    now = now or timezone.now()
    moments = LoginThrottle.objects.filter(
        key__in=[k for k in keys if k], locked_until__gt=now
    ).values_list("locked_until", flat=True)
    return max((m for m in moments if m is not None), default=None)


def _lock_length(rule: Rule, lockouts: int) -> timedelta:
    return min(rule.first_lock * (2 ** max(lockouts - 1, 0)), MAX_LOCK)


def failure_record(keys: list[tuple[str, str | None]], now: datetime | None = None) -> None:
    """Count one failure on each (kind, key); lock the ones that reach their threshold."""
    now = now or timezone.now()
    rules = _rules()
    with transaction.atomic():
        for kind, key in keys:
            if not key:
                continue
            rule = rules[kind]
            row, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key)
            if row.last_failure_at and now - row.last_failure_at > FORGET_AFTER:
                row.failures, row.lockouts = 0, 0
            if row.locked_until and row.locked_until <= now and row.failures >= rule.threshold:
                row.failures = 0  # the lock served its time: a new round of attempts
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= rule.threshold:
                row.lockouts += 1
                row.locked_until = now + _lock_length(rule, row.lockouts)
            row.save()


def success_record(key: str) -> None:
    """A successful login forgets that RFC's failures (not the address's)."""
    LoginThrottle.objects.filter(key=key).delete()


def minutes_left(until: datetime, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return max(1, math.ceil((until - now).total_seconds() / 60))
