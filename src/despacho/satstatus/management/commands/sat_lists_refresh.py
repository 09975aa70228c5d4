"""``despacho sat_lists_refresh``: load SAT's lists 69-B and 69 and flag received CFDIs.

SAT updates the lists every few weeks; a daily run is plenty. A file that cannot be read
keeps its previous rows.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from despacho.satstatus.services import lists_refresh


class Command(BaseCommand):
    help = "Carga las listas 69-B y 69 del SAT y marca los CFDI recibidos de emisores listados."

    def handle(self, *args: Any, **options: Any) -> None:
        for load in lists_refresh():
            if load.ok:
                self.stdout.write(f"{load.source}: {load.rows} contribuyentes")
            else:
                self.stderr.write(f"{load.source}: {load.error}")
