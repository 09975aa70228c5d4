"""``despacho cancellations_refresh``: ask SAT about every open cancellation request.

Run it from cron or a systemd timer (every hour is plenty: the receiver has 72 hours);
the database worker also refreshes each request an hour after it starts waiting.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from despacho.cancellations.services import cancellations_refresh_pending


class Command(BaseCommand):
    help = "Consulta en el SAT las cancelaciones pendientes y actualiza su estado."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = cancellations_refresh_pending()
        self.stdout.write(f"Cancelaciones que cambiaron de estado: {changed}")
