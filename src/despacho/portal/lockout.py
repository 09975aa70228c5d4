"""Lock-outs after failed portal logins: the staff login's policy, on the portal's own counters.

The policy is the staff login's (``security.lockout``, docs/security.md):

- failures count per identity + address (``security.lockout.pair_limit``, 5) and
  per address alone (``address_limit``); reaching either locks that pair or that
  address, so a stranger guessing elsewhere never locks the receiver out of
  their own address;
- failures also count per identity from anywhere (``PORTAL_SLOWDOWN_FAILURES``,
  twice the pair limit): reaching it slows the identity down, only for
  addresses that never logged in as it. Guesses spread over many addresses
  wait; the receiver at an address they used before does not;
- the cool-off is ``security.lockout.cool_off_after``: 15 minutes, doubling
  with each lock-out of the same counter, at most a day; attempts during a
  lock-out neither count nor extend it; a quiet day forgets the history. The
  wait a refusal names is ``security.lockout.minutes_left``.

The identity is what the login looks up, keyed the same way: an RFC through
``normalize_rfc`` (``KIJ-0906199R1``, ``kij 0906199r1`` are one RFC), a
person's email through ``email_key``. Counters live in the database
(``LoginThrottle``, updated under a row lock) so every web process sees them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from despacho.portal.models import EventKind, LoginThrottle, PortalEvent
from despacho.security.lockout import (
    LOCKOUT_MEMORY,
    address_limit,
    cool_off_after,
    email_key,
    pair_limit,
)
from despacho.tenancy.rfc import normalize_rfc


def identity_key(identifier: str) -> str:
    """The RFC or email the login looks up, however it was typed (look-alikes included)."""
    text = unicodedata.normalize("NFKC", identifier or "")
    if "@" in text:
        return email_key(text)
    return normalize_rfc(text)


@dataclass(frozen=True)
class Attempt:
    """The counters one login attempt at a company's portal touches."""

    company_id: int
    identity: str
    ip: str | None

    @property
    def pair_key(self) -> str:
        return f"pair:{self.company_id}:{self.ip or '-'}:{self.identity}"[:300]

    @property
    def ip_key(self) -> str | None:
        return f"ip:{self.ip}" if self.ip else None

    @property
    def identity_key(self) -> str:
        return f"id:{self.company_id}:{self.identity}"[:300]

    def thresholds(self) -> list[tuple[str, int]]:
        per_pair = pair_limit()
        keyed = [
            (self.pair_key, per_pair),
            (self.identity_key, getattr(settings, "PORTAL_SLOWDOWN_FAILURES", 2 * per_pair)),
        ]
        if self.ip_key:
            keyed.append((self.ip_key, address_limit()))
        return keyed


def attempt_for(*, company_id: int, identifier: str, ip: str | None) -> Attempt:
    return Attempt(company_id, identity_key(identifier), ip)


def _address_is_known(attempt: Attempt) -> bool:
    """Whether someone logged in as this identity from this address before."""
    if not attempt.ip:
        return False
    return PortalEvent.objects.filter(
        company_id=attempt.company_id,
        kind=EventKind.LOGIN,
        ip=attempt.ip,
        identifier=attempt.identity,
    ).exists()


def locked_until(attempt: Attempt, now: datetime | None = None) -> datetime | None:
    """The latest moment until which this attempt is refused, or None."""
    now = now or timezone.now()
    rows = dict(
        LoginThrottle.objects.filter(
            key__in=[key for key, _limit in attempt.thresholds()], locked_until__gt=now
        ).values_list("key", "locked_until")
    )
    if attempt.identity_key in rows and _address_is_known(attempt):
        del rows[attempt.identity_key]  # the slow-down is for addresses never used before
    return max((m for m in rows.values() if m is not None), default=None)


def failure_record(attempt: Attempt, now: datetime | None = None) -> None:
    """Count one failure on each counter; lock the ones that reach their threshold."""
    now = now or timezone.now()
    with transaction.atomic():
        for key, threshold in attempt.thresholds():
            row, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key)
            if row.locked_until and row.locked_until > now:
                continue  # a known address past the identity's slow-down: it does not extend it
            if row.last_failure_at and now - row.last_failure_at > LOCKOUT_MEMORY:
                row.failures, row.lockouts = 0, 0
            if row.locked_until and row.failures >= threshold:
                row.failures = 0  # the lock served its time: a new round of attempts
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= threshold:
                row.lockouts += 1
                row.locked_until = now + cool_off_after(row.lockouts)
            row.save()


def success_record(attempt: Attempt) -> None:
    """A successful login forgets the failures of that identity at that address only.

    The identity's count from everywhere stays: a distributed guesser would
    otherwise start afresh each time the receiver logs in.
    """
    LoginThrottle.objects.filter(key=attempt.pair_key).delete()
