"""Background refresh of pending cancellations (django-tasks).

After a request ends up waiting for the receiver, ``cancellation_refresh_task`` is enqueued
to run ``services.REFRESH_AFTER`` later on a backend that can defer (the database worker).
The project has no scheduler: ``despacho cancellations_refresh`` (cron, a systemd timer, or
by hand) and ``cancellations_refresh_pending_task`` refresh every open request.
"""

from __future__ import annotations

from django_tasks import task

from despacho.cancellations.models import Cancellation
from despacho.cancellations.services import (
    cancellation_refresh,
    cancellation_refresh_later,
    cancellations_refresh_pending,
)


@task()
def cancellation_refresh_task(cancellation_id: int) -> str:
    """Ask SAT again about one request; its state afterwards. Still open: ask again later."""
    cancellation = Cancellation.objects.filter(pk=cancellation_id).first()
    if cancellation is None:
        return ""
    refreshed = cancellation_refresh(cancellation=cancellation)
    if refreshed.is_open:
        cancellation_refresh_later(refreshed)
    return refreshed.state


@task()
def cancellations_refresh_pending_task() -> int:
    """Refresh every open request; how many changed state."""
    return cancellations_refresh_pending()
