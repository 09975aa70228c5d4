"""``despacho sat_status_refresh``: ask SAT the status of received CFDIs that are due.

Run it from cron or a systemd timer; each run asks at most ``--limit`` (SATSTATUS_BATCH)
CFDIs at SATSTATUS_RATE a second, or every due one with ``--all``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from despacho.satstatus.services import statuses_refresh


class Command(BaseCommand):
    help = "Consulta en el SAT el estado de los CFDI recibidos de los últimos meses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument("--all", action="store_true", help="hasta que no quede ninguno")

    def handle(self, *args: Any, **options: Any) -> None:
        total = {"asked": 0, "cancelled": 0, "failed": 0}
        while True:
            summary = statuses_refresh(limit=options["limit"])
            total["asked"] += summary.asked
            total["cancelled"] += summary.cancelled
            total["failed"] += summary.failed
            for error in summary.errors:
                self.stderr.write(error)
            if not options["all"] or summary.asked == 0:
                break
        self.stdout.write(
            f"Consultados: {total['asked']}; cancelados: {total['cancelled']}; "
            f"sin respuesta: {total['failed']}"
        )
