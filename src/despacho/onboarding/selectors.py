"""Reads of onboarding data, scoped by the firm the viewer manages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from despacho.errors import NotFound
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.tenancy.models import Account


class ImportNotFound(NotFound):
    """The import does not exist or belongs to another firm (indistinguishable)."""


def import_jobs(*, firm: Account) -> QuerySet[ImportJob]:
    """The firm's recent imports, without their (large) rows."""
    return ImportJob.objects.filter(firm=firm).defer("rows", "report").order_by("-created_at")


def import_job_for(*, firm: Account, job_id: int | str, with_rows: bool = False) -> ImportJob:
    """One import of the firm; ImportNotFound otherwise."""
    qs = ImportJob.objects.filter(firm=firm)
    if not with_rows:
        qs = qs.defer("rows", "report")
    try:
        return qs.get(pk=int(job_id))
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise ImportNotFound from None


REPORT_HEADER = [
    _("fila"),
    _("nombre"),
    _("rfc"),
    _("email"),
    _("resultado"),
    _("motivo"),
]
OUTCOME_LABELS = {
    "created": _("creada o invitada"),
    "skipped": _("omitida"),
    "not_created": _("no creada"),
    "valid": _("válida"),
    "invalid": _("con errores"),
}


def import_report_rows(job: ImportJob) -> Iterator[list[Any]]:
    """The result (after creation) or the review (before), one line per row of the file."""
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED) and job.report:
        for item in job.report:
            yield [
                item["line"],
                item["nombre"],
                item["rfc"],
                item["email"],
                str(OUTCOME_LABELS.get(item["outcome"], item["outcome"])),
                item["reason"],
            ]
        return
    for row in job.rows:
        values = row["values"]
        outcome = "invalid" if row["errors"] else "valid"
        yield [
            row["line"],
            values.get("nombre", ""),
            values.get("rfc", ""),
            values.get("email", ""),
            str(OUTCOME_LABELS[outcome]),
            " ".join(e["message"] for e in row["errors"]),
        ]
