"""`despacho ingest_cfdi --company RFC <folder>`: ingest every XML and ZIP of a folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from despacho.cfdi.services import Outcome, cfdi_ingest_files
from despacho.tenancy.models import Company
from despacho.tenancy.rfc import normalize_rfc

# Files are ingested in chunks so a folder of any size keeps few files open.
CHUNK = 500


class Command(BaseCommand):
    help = "Guarda los CFDI (XML y ZIP) de una carpeta para una empresa e informa por archivo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--company", required=True, help="RFC de la empresa")
        parser.add_argument(
            "--accept-unverified",
            action="store_true",
            help="Guardar también los CFDI cuyo sello no es válido o falta (quedan marcados).",
        )
        parser.add_argument(
            "--no-verify", action="store_true", help="No verificar los sellos (más rápido)."
        )
        parser.add_argument(
            "--quiet-accepted", action="store_true", help="No listar los guardados."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if not folder.is_dir():
            raise CommandError(f"No existe la carpeta {folder}.")
        rfc = normalize_rfc(options["company"])
        company = Company.objects.filter(rfc=rfc).select_related("account").first()
        if company is None:
            raise CommandError(f"No hay una empresa con RFC {rfc}.")
        paths = sorted(
            p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in {".xml", ".zip"}
        )
        totals = dict.fromkeys(Outcome, 0)
        for start in range(0, len(paths), CHUNK):
            with ExitStack() as stack:
                report = cfdi_ingest_files(
                    company=company,
                    files=self._opened(stack, folder, paths[start : start + CHUNK]),
                    accept_unverified=options["accept_unverified"],
                    verify_seals=False if options["no_verify"] else None,
                )
            for outcome in report.outcomes:
                totals[outcome.status] += 1
                if outcome.status == Outcome.ACCEPTED and options["quiet_accepted"]:
                    continue
                detail = f" [{outcome.code}] {outcome.message}" if outcome.code else ""
                self.stdout.write(f"{outcome.status.label}: {outcome.name}{detail}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Guardados: {totals[Outcome.ACCEPTED]}, "
                f"ya estaban guardados: {totals[Outcome.DUPLICATE]}, "
                f"rechazados: {totals[Outcome.REFUSED]}."
            )
        )

    @staticmethod
    def _opened(
        stack: ExitStack, folder: Path, paths: list[Path]
    ) -> Iterator[tuple[str, IO[bytes]]]:
        for path in paths:
            yield str(path.relative_to(folder)), stack.enter_context(path.open("rb"))
