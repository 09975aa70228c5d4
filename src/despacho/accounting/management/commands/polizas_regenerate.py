"""``despacho polizas_regenerate RFC YYYY-MM``: rebuild a month's automatic pólizas."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from despacho.accounting.posting import period_regenerate
from despacho.tenancy.models import Company


class Command(BaseCommand):
    help = "Rebuild the automatic pólizas of a company's open month from its CFDIs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("rfc")
        parser.add_argument("month", help="YYYY-MM")

    def handle(self, *args: Any, **options: Any) -> None:
        company = Company.objects.filter(rfc=options["rfc"].upper()).first()
        if company is None:
            raise CommandError(f"no company with RFC {options['rfc']}")
        try:
            year, month = (int(part) for part in options["month"].split("-"))
            day = date(year, month, 1)
        except ValueError as exc:
            raise CommandError("month must be YYYY-MM") from exc
        try:
            summary = period_regenerate(company=company, actor=None, month=day)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"{company.rfc} {day:%Y-%m}: {summary.posted} pólizas, "
            f"{summary.reversed} reversals, {len(summary.closed)} in closed months"
        )
