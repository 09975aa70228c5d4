"""Per-key rate limits: a fixed window counted in the database.

Django's default cache is per-process memory, so a limit kept there would
multiply by the number of web processes; the database is what every process
shares. One row per key and window: an upsert and an increment per request.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F

from despacho.api.models import ApiKey, RateLimitWindow


def rate_limit_take(key: ApiKey, *, now: datetime) -> int | None:
    """Count one request; None if within the limit, else the seconds until the window ends."""
    limit: int = settings.API_RATE_LIMIT
    window: int = settings.API_RATE_WINDOW
    epoch = int(now.timestamp())
    start_epoch = epoch - epoch % window
    start = datetime.fromtimestamp(start_epoch, tz=UTC)
    with transaction.atomic():
        row, created = RateLimitWindow.objects.get_or_create(api_key=key, window_start=start)
        if created:  # the key's older windows are history
            RateLimitWindow.objects.filter(api_key=key, window_start__lt=start).delete()
        RateLimitWindow.objects.filter(pk=row.pk).update(count=F("count") + 1)
        count = RateLimitWindow.objects.values_list("count", flat=True).get(pk=row.pk)
    if count <= limit:
        return None
    return max(start_epoch + window - epoch, 1)
