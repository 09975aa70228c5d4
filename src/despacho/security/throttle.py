"""How many mails anyone may ask for: password resets, portal login links.

Each request counts once per address asked for (``MAIL_REQUESTS_PER_ADDRESS``,
3 an hour) and once per client address (``MAIL_REQUESTS_PER_IP``, 20 an hour),
in fixed windows of an hour. Past either limit no mail is sent, and the page
answers exactly as it would otherwise: it never says whether an address is
registered nor that it was throttled. Counting is the same for known and
unknown addresses (the lookup happens later, in the mail task).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from despacho.security.lockout import email_key
from despacho.security.models import MailThrottle

WINDOW = timedelta(hours=1)


def _count(key: str, limit: int, now: datetime) -> bool:
    row, _created = MailThrottle.objects.select_for_update().get_or_create(
        key=key[:300], defaults={"window_started_at": now}
    )
    if now - row.window_started_at >= WINDOW:
        row.window_started_at, row.count = now, 0
    row.count += 1
    row.save(update_fields=["window_started_at", "count"])
    return row.count <= limit


@transaction.atomic
def mail_request_allowed(*, scope: str, email: str, ip: str | None) -> bool:
    """Count one request for mail to ``email`` from ``ip``; whether it is within both limits."""
    now = timezone.now()
    per_address = getattr(settings, "MAIL_REQUESTS_PER_ADDRESS", 3)
    per_ip = getattr(settings, "MAIL_REQUESTS_PER_IP", 20)
    allowed = _count(f"{scope}:to:{email_key(email)}", per_address, now)
    if ip:
        allowed = _count(f"{scope}:ip:{ip}", per_ip, now) and allowed
    return allowed
