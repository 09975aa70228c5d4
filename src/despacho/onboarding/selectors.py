"""Reads of onboarding data, scoped by the firm the viewer manages (the client kind of the
import engine; ``engine.import_jobs_of`` and ``engine.import_job_of`` serve every kind)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from despacho.onboarding import engine
from despacho.onboarding.engine import ImportNotFound
from despacho.onboarding.models import ImportJob
from despacho.tenancy.models import Account

__all__ = ["ImportNotFound", "import_job_for", "import_jobs", "import_report_rows"]


def _clients() -> engine.ImportKind:
    return engine.import_kind("clients")


def import_jobs(*, firm: Account) -> QuerySet[ImportJob]:
    """The firm's recent client imports, without their (large) rows."""
    return engine.import_jobs_of(kind=_clients(), firm=firm)


def import_job_for(*, firm: Account, job_id: int | str, with_rows: bool = False) -> ImportJob:
    """One client import of the firm; ImportNotFound otherwise."""
    return engine.import_job_of(kind=_clients(), firm=firm, job_id=job_id, with_rows=with_rows)


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
    return engine.import_report_lines(_clients(), job, OUTCOME_LABELS)
