"""``despacho sat_timbres_verify``: verify the SelloSAT of CFDIs never verified, or whose SAT
certificate was unavailable last time (stored before this existed, or SAT was down)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from despacho.satstatus.services import timbres_pending, timbres_verify


class Command(BaseCommand):
    help = "Verifica el SelloSAT de los CFDI pendientes con el certificado del SAT."

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(timbres_pending().values_list("pk", flat=True))
        counts: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            for verdict, n in timbres_verify(cfdi_ids=ids[start : start + 500]).items():
                counts[verdict] = counts.get(verdict, 0) + n
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "0")
