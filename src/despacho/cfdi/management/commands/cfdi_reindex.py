"""`despacho cfdi_reindex [--company RFC]`: re-read stored originals to refill index fields.

Report amounts (taxes, payroll totals), CFDI 3.2's free-text fields (moneda,
forma and método de pago) and the relations index (``CfdiRelation``: CfdiRelacionados and
Pagos' DoctoRelacionado).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from despacho.cfdi.models import Cfdi
from despacho.cfdi.reindex import fill_free_text_fields, fill_relations, fill_report_amounts
from despacho.tenancy.rfc import normalize_rfc


class Command(BaseCommand):
    help = "Vuelve a leer los XML guardados para llenar los importes de los informes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", help="RFC de la empresa (todas si se omite)")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Cfdi.objects.all()
        if options["company"]:
            rfc = normalize_rfc(options["company"])
            rows = rows.filter(company__rfc=rfc)
            if not rows.exists():
                raise CommandError(f"No hay CFDI de una empresa con RFC {rfc}.")
        updated, unreadable = fill_report_amounts(Cfdi, queryset=rows)
        fill_free_text_fields(Cfdi, queryset=rows)  # same files: unreadable counted once
        fill_relations(queryset=rows)
        self.stdout.write(f"Actualizados: {updated} · Sin leer: {unreadable}")
        if unreadable:
            raise CommandError(f"{unreadable} CFDI no se pudieron leer (ver el registro).")
