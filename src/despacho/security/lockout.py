"""Lock-out of repeated failed logins, on top of django-axes.

Policy (docs/security.md, "Lock-out"):

- failures count per email + address (``AXES_FAILURE_LIMIT``, 5) and per address
  alone (``LOGIN_FAILURE_LIMIT_PER_IP``, 30); reaching either limit locks that
  pair or that address. Someone guessing from elsewhere locks only their own
  address out, never the person at theirs;
- the cool-off is ``LOGIN_COOLOFF_MINUTES`` (15) and doubles with each lock-out
  of the same address in the last 24 hours (15, 15, 30, 60 … minutes, at most
  ``LOGIN_COOLOFF_MAX_HOURS``); attempts during a lock-out neither count nor
  extend it;
- while locked, the right password gets exactly the same page as a wrong one.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_lockout_parameters
from axes.models import AccessAttemptExpiration, AccessFailureLog
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from despacho.http import client_ip

LOCKOUT_MEMORY = timedelta(hours=24)  # how far back lock-outs count for the growing cool-off


def email_key(value: str) -> str:
    """An email as lock-outs and throttles count it: NFKC, case-folded, trimmed.

    Folds at least as much as any login lookup does (``normalize_email`` lower-cases),
    so ``ANA@X.MX``, ``ana@x.mx`` and their fullwidth look-alikes share one counter.
    """
    return unicodedata.normalize("NFKC", value).casefold().strip()


def username_of(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The email as the login form typed it, keyed like every lock-out counter (``email_key``)."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    return email_key(str(raw or ""))[:255]


def client_ip_of(request: HttpRequest) -> str | None:
    """The same address the audit trail records (REMOTE_ADDR, set by the proxy)."""
    return client_ip(request)


def _moment(request: HttpRequest | None) -> datetime:
    moment = getattr(request, "axes_attempt_time", None)
    return moment or timezone.now()


def lockouts_of(ip_address: str | None, *, since: datetime) -> int:
    """How many times the address was locked out since ``since``."""
    if not ip_address:
        return 0
    return AccessFailureLog.objects.filter(
        ip_address=ip_address, locked_out=True, attempt_time__gte=since
    ).count()


def cool_off_after(lockouts: int) -> timedelta:
    """The cool-off after the n-th lock-out in a day: 15 min, 15, 30, 60, … capped."""
    base = timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    doublings = min(max(lockouts - 1, 0), 16)  # 2**16 × 15 min is past any sensible cap
    return min(base * 2**doublings, timedelta(hours=settings.LOGIN_COOLOFF_MAX_HOURS))


def cool_off(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: grows with the lock-outs of the request's address in the last day."""
    ip_address = getattr(request, "axes_ip_address", None)
    moment = _moment(request)
    return cool_off_after(lockouts_of(ip_address, since=moment - LOCKOUT_MEMORY))


def pair_limit() -> int:
    """Failures of one identity (an email, a portal RFC) from one address before that pair
    is locked."""
    return settings.AXES_FAILURE_LIMIT


def address_limit() -> int:
    """Failures from one address, whatever identities it tries, before the address is locked."""
    return settings.LOGIN_FAILURE_LIMIT_PER_IP


def minutes_left(until: datetime, now: datetime | None = None) -> int:
    """The wait a lock-out page or message shows: whole minutes, rounded up, at least one."""
    now = now or timezone.now()
    return max(1, math.ceil((until - now).total_seconds() / 60))


def _limit_of(parameter: str | list[str]) -> int:
    if parameter == "ip_address" or parameter == ["ip_address"]:
        return address_limit()
    return pair_limit()


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per parameter set and a cool-off that grows."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Failures on the scale of AXES_FAILURE_LIMIT.

        Axes compares one number with one limit. Each parameter set's count is
        scaled by its own limit, so the number reaches AXES_FAILURE_LIMIT exactly
        when some set reaches its own limit (5 for email + IP, 30 for the IP).
        """
        limit = pair_limit()
        parameters = get_lockout_parameters(request, credentials)
        attempts_list = self.get_user_attempts(request, credentials)
        scaled = [
            (attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0) * limit // _limit_of(p)
            for p, attempts in zip(parameters, attempts_list, strict=True)
        ]
        return max(scaled, default=0)

    def user_login_failed(
        self, sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        already_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or already_locked or not getattr(request, "axes_locked_out", False):
            return
        # This failure started a lock-out, which lengthens the cool-off of the address:
        # the attempts behind it must live that long (axes set their expiry before).
        until = _moment(request) + (get_cool_off(request) or timedelta(0))
        for attempts in self.filter_user_attempts(request, credentials):
            AccessAttemptExpiration.objects.filter(
                access_attempt__in=attempts, expires_at__lt=until
            ).update(expires_at=until)

    def locked_until(self, request: HttpRequest, credentials: dict | None = None) -> datetime:
        """When the current lock-out of this request ends (the latest expiry behind it)."""
        latest = None
        for attempts in self.filter_user_attempts(request, credentials):
            found = attempts.aggregate(until=Max("expiration__expires_at"))["until"]
            if found is not None and (latest is None or found > latest):
                latest = found
        return latest or _moment(request) + (get_cool_off(request) or timedelta(0))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a Spanish page saying how long to wait (429)."""
    from axes.handlers.proxy import AxesProxyHandler

    handler = AxesProxyHandler.get_implementation()
    until = (
        handler.locked_until(request, credentials)
        if isinstance(handler, LockoutHandler)
        else _moment(request) + timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    )
    minutes = minutes_left(until, _moment(request))
    return render(
        request,
        "security/lockout.html",
        {"minutes": minutes, "hours": minutes // 60, "rest_minutes": minutes % 60},
        status=429,
    )
