"""``despacho satsync``: start the daily synchronisations that are due and resume runs a
stopped worker left (run it from cron or a systemd timer every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from despacho.satsync.services import syncs_due


class Command(BaseCommand):
    help = "Inicia las descargas diarias del SAT pendientes y reanuda las interrumpidas."

    def handle(self, *args: Any, **options: Any) -> None:
        count = syncs_due()
        self.stdout.write(f"{count} descargas en cola")
