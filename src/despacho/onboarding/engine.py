"""The import engine: one flow for every kind of file Despacho imports.

A *kind* (``ImportKind``) declares what differs: its columns and template with an
example row (``Layout``), a bulk row checker that validates every row against the file
and the database with a bounded number of queries, a chunk writer that re-checks a chunk
against the database and writes it in bulk, how a row appears in the report, its scope
(the firm's account for client companies; one company for customers and products), who
may run it, and its summary audit action. Kinds register themselves
(``import_kind_register``, from the owning app's ``AppConfig.ready``), the way the
project's other hooks work, so this module knows nothing of the apps above it.

The engine does the rest the same way for all: read the upload (CSV or XLSX) in the
request into an ``ImportJob``; validate it in a task (``tasks.import_validate_task``)
with progress; a preview; one confirmation; creation in a task in chunks of
``CREATE_CHUNK``, each chunk one transaction, a failing chunk retried row by row; a
report row per file row; one summary audit event per import. Re-uploading a file is
idempotent because every kind's checker skips what already exists.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.errors import NotFound
from despacho.onboarding.csvfile import Layout, UnreadableFile
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.onboarding.sheets import read_upload
from despacho.people.models import User
from despacho.tenancy.models import Account, Company

logger = logging.getLogger(__name__)

CREATE_CHUNK = 1000

# (job, [(line, values)], on_progress) → [{"line", "values", "errors": [{field, code, message}]}]
RowChecker = Callable[[ImportJob, list[tuple[int, dict[str, str]]], Callable[[int], None]], list]
# (job, valid stored rows) → one outcome per row (``row_outcome``); runs in the chunk's
# transaction, re-checks the database and writes in bulk.
ChunkWriter = Callable[[ImportJob, list[dict[str, Any]]], list[dict[str, Any]]]
# (actor, account, company) → None, or an exception the view turns into 403/404.
Authorizer = Callable[[User, Account, Company | None], None]


@dataclass(frozen=True)
class ImportKind:
    """What one kind of import declares; the engine runs the rest."""

    name: str
    layout: Layout
    example: Mapping[str, str]
    check_rows: RowChecker
    write_chunk: ChunkWriter
    authorize: Authorizer
    summary_action: Action
    # The values a report line repeats from its row, with their header labels.
    report_fields: tuple[str, ...]
    report_labels: tuple[str | Promise, ...]
    # The reason a row gets when a concurrent write took its natural key first.
    conflict_message: str | Promise
    company_scoped: bool = True
    template_name: str = "plantilla"


_KINDS: dict[str, ImportKind] = {}


def import_kind_register(kind: ImportKind) -> None:
    """Make a kind of import known to the engine (called once, from ``AppConfig.ready``)."""
    _KINDS[kind.name] = kind


def import_kind(name: str) -> ImportKind:
    """The registered kind; KeyError for a name nobody registered."""
    return _KINDS[name]


# --- row helpers kinds share --------------------------------------------------------------


def row_error(field: str, exc: ValidationError) -> list[dict[str, str]]:
    """A ValidationError (plain or by field) as the stored errors of a row."""
    if hasattr(exc, "error_dict"):
        return [
            {"field": name, "code": e.code or "invalid", "message": " ".join(e.messages)}
            for name, errors in exc.error_dict.items()
            for e in errors
        ]
    return [{"field": field, "code": exc.code or "invalid", "message": " ".join(exc.messages)}]


def row_outcome(
    kind: ImportKind, row: Mapping[str, Any], outcome: str, reason: str = ""
) -> dict[str, Any]:
    """One line of the result: the row's line, the kind's report values, outcome, reason."""
    values = row["values"]
    return {
        "line": row["line"],
        **{name: values.get(name, "") for name in kind.report_fields},
        "outcome": outcome,
        "reason": reason,
    }


def chunks(values: list[Any]) -> Iterator[list[Any]]:
    """Slices of a list of query parameters under the backend's limit (SQLite: 999+)."""
    size = connection.features.max_query_params or 5000
    size = max(1, min(size - 10, 20_000))
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- the flow -----------------------------------------------------------------------------


def _size_refusal(data: bytes, size: int | None) -> None:
    limit = settings.IMPORT_MAX_BYTES
    real_size = max(len(data), size or 0)
    if real_size <= limit:
        return
    if real_size > len(data) or size is not None:
        message = _("El archivo pesa %(size)s MB; el máximo es %(max)s MB. Divídelo en partes.") % {
            "size": f"{real_size / 1048576:.1f}",
            "max": f"{limit / 1048576:.0f}",
        }
    else:  # a capped read with no size given: all we know is that it is too big
        message = _("El archivo pesa más de %(max)s MB, el máximo. Divídelo en partes.") % {
            "max": f"{limit / 1048576:.0f}"
        }
    raise UnreadableFile(message, code="too_large")


def import_start(
    *,
    kind: ImportKind,
    firm: Account,
    company: Company | None = None,
    actor: User,
    file_name: str,
    data: bytes,
    size: int | None = None,
) -> ImportJob:
    """Read the uploaded file and queue its validation; UnreadableFile says why it can't be.

    ``size`` is the upload's real size: callers read at most one byte past the limit, so
    ``data`` alone cannot say how big a refused file was.
    """
    kind.authorize(actor, firm, company)
    _size_refusal(data, size)
    parsed = read_upload(data, max_rows=settings.IMPORT_MAX_ROWS, layout=kind.layout)
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind.name,
            firm=firm,
            company=company if kind.company_scoped else None,
            created_by=actor,
            file_name=file_name[:255],
            file_sha256=hashlib.sha256(data).hexdigest(),
            encoding=parsed.encoding,
            delimiter=parsed.delimiter,
            status=ImportStatus.VALIDATING,
            total_rows=len(parsed.rows),
            rows=[{"line": line, "values": values, "errors": []} for line, values in parsed.rows],
        )
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue("import_validate_task", job_id))
    return job


def _enqueue(name: str, job_id: int) -> None:
    from despacho.onboarding import tasks

    getattr(tasks, name).enqueue(job_id=job_id)


def import_validate(*, job_id: int) -> ImportJob:
    """Validate every row of the job (background work), storing each row's errors."""
    job = ImportJob.objects.select_related("firm", "company").get(pk=job_id)
    if job.status != ImportStatus.VALIDATING:
        return job
    kind = import_kind(job.kind)

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=min(done, job.total_rows))

    rows = kind.check_rows(job, [(row["line"], row["values"]) for row in job.rows], progress)
    invalid = sum(1 for row in rows if row["errors"])
    ImportJob.objects.filter(pk=job.pk).update(
        rows=rows,
        status=ImportStatus.READY,
        processed_rows=len(rows),
        valid_rows=len(rows) - invalid,
        invalid_rows=invalid,
        validated_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


@transaction.atomic
def import_confirm(*, job: ImportJob, actor: User) -> ImportJob:
    """Start creating the valid rows of a reviewed import (once: a second click changes nothing)."""
    import_kind(job.kind).authorize(actor, job.firm, job.company)
    started = ImportJob.objects.filter(
        pk=job.pk, status=ImportStatus.READY, valid_rows__gt=0
    ).update(
        status=ImportStatus.CREATING,
        confirmed_by=actor,
        confirmed_at=timezone.now(),
        processed_rows=0,
    )
    if not started:
        raise ValidationError(
            _("Esta importación no tiene filas por crear o ya se confirmó."), code="not_ready"
        )
    job_id = job.pk
    transaction.on_commit(lambda: _enqueue("import_create_task", job_id))
    job.refresh_from_db()
    return job


def import_create(
    *, job_id: int, kind: ImportKind | None = None, chunk_size: int | None = None
) -> ImportJob:
    """Create the job's valid rows in chunks; the report says, row by row, what happened."""
    job = ImportJob.objects.select_related("firm", "company", "confirmed_by").get(pk=job_id)
    if job.status != ImportStatus.CREATING:
        return job
    kind = kind or import_kind(job.kind)
    size = chunk_size or CREATE_CHUNK
    report: list[dict[str, Any]] = [
        row_outcome(kind, row, "skipped", " ".join(e["message"] for e in row["errors"]))
        for row in job.rows
        if row["errors"]
    ]
    valid = [row for row in job.rows if not row["errors"]]
    created = 0
    processed = len(report)
    try:
        for start in range(0, len(valid), size):
            chunk = valid[start : start + size]
            outcomes = _create_chunk(kind, job, chunk)
            report.extend(outcomes)
            created += sum(1 for o in outcomes if o["outcome"] == "created")
            processed += len(chunk)
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=min(processed, job.total_rows),
                created_rows=created,
                skipped_rows=len(report) - created,
                report=report,
            )
    except Exception as exc:  # the task must leave a truthful report, whatever happened
        logger.exception("import %s stopped", job.pk)
        done = {o["line"] for o in report}
        report.extend(
            row_outcome(kind, row, "not_created", _("No se creó: la importación se detuvo antes."))
            for row in valid
            if row["line"] not in done
        )
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            error=_(
                "La importación se detuvo por un error (%(error)s). Las filas marcadas como "
                "creadas sí se crearon completas; las demás no. Sube el archivo de nuevo para "
                "crear las que faltan."
            )
            % {"error": type(exc).__name__},
            report=sorted(report, key=lambda o: o["line"]),
            created_rows=created,
            skipped_rows=len(report) - created,
            finished_at=timezone.now(),
        )
        _summary_event(kind, job, created)
        job.refresh_from_db()
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE,
        report=sorted(report, key=lambda o: o["line"]),
        processed_rows=job.total_rows,
        created_rows=created,
        skipped_rows=len(report) - created,
        finished_at=timezone.now(),
    )
    _summary_event(kind, job, created)
    job.refresh_from_db()
    return job


def _summary_event(kind: ImportKind, job: ImportJob, created: int) -> None:
    with transaction.atomic():
        audit_record(
            actor=job.confirmed_by,
            action=kind.summary_action,
            account=job.firm,
            company=job.company,
            target=job,
            after={
                "file": job.file_name,
                "rows": job.total_rows,
                "created": created,
                "skipped": job.total_rows - created,
            },
        )


def _create_chunk(
    kind: ImportKind, job: ImportJob, chunk: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Write a chunk whole; if it fails, row by row, so one bad row cannot sink the others."""
    try:
        with transaction.atomic():
            return kind.write_chunk(job, chunk)
    except (IntegrityError, DatabaseError):
        if len(chunk) == 1:
            return [row_outcome(kind, chunk[0], "skipped", str(kind.conflict_message))]
    return [outcome for single in chunk for outcome in _create_chunk(kind, job, [single])]


# --- reads --------------------------------------------------------------------------------


class ImportNotFound(NotFound):
    """The import does not exist or belongs to someone else (indistinguishable)."""


def _scoped(kind: ImportKind, firm: Account, company: Company | None) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.filter(kind=kind.name, firm=firm)
    if kind.company_scoped:
        return jobs.filter(company=company) if company is not None else jobs.none()
    return jobs


def import_jobs_of(
    *, kind: ImportKind, firm: Account, company: Company | None = None
) -> QuerySet[ImportJob]:
    """Recent imports of one kind in the scope, without their (large) rows."""
    return _scoped(kind, firm, company).defer("rows", "report").order_by("-created_at")


def import_job_of(
    *,
    kind: ImportKind,
    firm: Account,
    company: Company | None = None,
    job_id: int | str,
    with_rows: bool = False,
) -> ImportJob:
    """One import of the kind in the scope; ImportNotFound otherwise (another tenant's too)."""
    jobs = _scoped(kind, firm, company)
    if not with_rows:
        jobs = jobs.defer("rows", "report")
    try:
        return jobs.get(pk=int(job_id))
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise ImportNotFound from None


OUTCOME_LABELS = {
    "created": gettext_lazy("creado"),
    "skipped": gettext_lazy("omitido"),
    "not_created": gettext_lazy("no creado"),
    "valid": gettext_lazy("válido"),
    "invalid": gettext_lazy("con errores"),
}


def import_report_header(kind: ImportKind) -> list[str]:
    return [_("fila"), *(str(label) for label in kind.report_labels), _("resultado"), _("motivo")]


def import_report_lines(
    kind: ImportKind, job: ImportJob, labels: Mapping[str, Any] = OUTCOME_LABELS
) -> Iterator[list[Any]]:
    """The result (after creation) or the review (before), one line per row of the file."""
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED) and job.report:
        items = job.report
    else:
        items = [
            row_outcome(
                kind,
                row,
                "invalid" if row["errors"] else "valid",
                " ".join(e["message"] for e in row["errors"]),
            )
            for row in job.rows
        ]
    for item in items:
        yield [
            item["line"],
            *(item.get(name, "") for name in kind.report_fields),
            str(labels.get(item["outcome"], item["outcome"])),
            item["reason"],
        ]


def template_xlsx(kind: ImportKind) -> bytes:
    """The kind's template as a workbook: the header row and the example row, all text."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(str(_("Plantilla"))[:31])
    text = workbook.add_format({"num_format": "@"})
    for column, name in enumerate(kind.layout.template):
        sheet.write_string(0, column, name)
        sheet.write_string(1, column, kind.example.get(name, ""), text)
        sheet.set_column(column, column, max(14, len(name) + 2), text)
    workbook.close()
    return buffer.getvalue()


def template_rows(kind: ImportKind) -> list[list[str]]:
    """The kind's template as CSV rows after the header: the example row."""
    return [[kind.example.get(column, "") for column in kind.layout.template]]
