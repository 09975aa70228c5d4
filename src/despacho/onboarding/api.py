"""REST API of CSV onboarding: upload a file of client companies, follow it, confirm it.

The same services as the Importar page: ``import_start`` stores the rows and queues
their validation (the background task), ``import_confirm`` queues the creation of the
valid rows. A firm's imports are its own (owners and admins, unrestricted key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Router, Schema, Status, UploadedFile
from pydantic import Field

from despacho.api.auth import Principal, caller
from despacho.api.errors import ApiError, responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, local, object_id
from despacho.onboarding.csvfile import UnreadableFile
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.onboarding.selectors import import_job_for, import_jobs
from despacho.onboarding.services import import_confirm, import_start

imports_router = Router(tags=["imports"])

Outcome = Literal["valid", "invalid", "created", "skipped", "not_created"]


class RowErrorOut(Schema):
    field: str
    code: str
    message: str


class RowOut(Schema):
    line: int = Field(description="The row's line in the file (the header is line 1).")
    nombre: str
    rfc: str
    email: str
    outcome: Outcome = Field(
        description="Before confirming: `valid` or `invalid`; after: `created`, `skipped` "
        "(invalid, or taken meanwhile) or `not_created` (the import stopped)."
    )
    reason: str
    errors: list[RowErrorOut]


class ImportOut(Schema):
    id: str
    file_name: str
    status: ImportStatus
    total_rows: int
    processed_rows: int
    valid_rows: int
    invalid_rows: int
    created_rows: int
    skipped_rows: int
    error: str
    created_by: str | None
    created_at: datetime
    validated_at: datetime | None
    confirmed_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def fields_of(job: ImportJob) -> dict[str, Any]:
        return {
            "id": str(job.pk),
            "file_name": job.file_name,
            "status": ImportStatus(job.status),
            "total_rows": job.total_rows,
            "processed_rows": job.processed_rows,
            "valid_rows": job.valid_rows,
            "invalid_rows": job.invalid_rows,
            "created_rows": job.created_rows,
            "skipped_rows": job.skipped_rows,
            "error": job.error,
            "created_by": job.created_by.email if job.created_by else None,
            "created_at": local(job.created_at),
            "validated_at": local(job.validated_at),
            "confirmed_at": local(job.confirmed_at),
            "finished_at": local(job.finished_at),
        }

    @staticmethod
    def of(job: ImportJob) -> ImportOut:
        return ImportOut(**ImportOut.fields_of(job))


class ImportDetailOut(ImportOut):
    rows: list[RowOut] = Field(
        description="Every row of the file: its review (with each broken rule) until the "
        "import is confirmed, then what creating it did. Empty while validating."
    )

    @staticmethod
    def detail(job: ImportJob) -> ImportDetailOut:
        return ImportDetailOut(**ImportOut.fields_of(job), rows=_rows(job))  # type: ignore[arg-type]


def _rows(job: ImportJob) -> list[dict[str, Any]]:
    if job.status == ImportStatus.VALIDATING:
        return []
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED) and job.report:
        return [{**item, "errors": []} for item in job.report]
    return [
        {
            "line": row["line"],
            "nombre": row["values"].get("nombre", ""),
            "rfc": row["values"].get("rfc", ""),
            "email": row["values"].get("email", ""),
            "outcome": "invalid" if row["errors"] else "valid",
            "reason": " ".join(error["message"] for error in row["errors"]),
            "errors": [
                {
                    "field": error.get("field", ""),
                    "code": error.get("code", "invalid"),
                    "message": error["message"],
                }
                for error in row["errors"]
            ],
        }
        for row in job.rows
    ]


def _job(principal: Principal, job_id: str, *, with_rows: bool = False) -> ImportJob:
    principal.require_manager()
    return import_job_for(firm=principal.account, job_id=object_id(job_id), with_rows=with_rows)


@imports_router.get("", response=responses({200: Page[ImportOut]}))
def imports_list(request: HttpRequest, limit: int = LIMIT, cursor: str | None = CURSOR) -> Any:
    """The firm's imports, newest first (without their rows)."""
    principal = caller(request)
    principal.require_manager()
    qs = import_jobs(firm=principal.account).select_related("created_by")
    rows, next_cursor = paginate(qs, ordering=("-created_at", "-id"), limit=limit, cursor=cursor)
    return {"items": [ImportOut.of(job) for job in rows], "next_cursor": next_cursor}


@imports_router.post("", response=responses({201: ImportDetailOut}))
@idempotent
def imports_upload(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """Upload a CSV of client companies (the Importar page's columns); its rows are
    validated in the background: follow ``status`` until ``ready``, read the rows, confirm."""
    principal = caller(request)
    principal.require_manager()
    limit: int = settings.IMPORT_MAX_BYTES
    data = file.read(limit + 1) if (file.size or 0) > limit else file.read()
    try:
        job = import_start(
            firm=principal.account,
            actor=principal.user,
            file_name=file.name or "importacion.csv",
            data=data,
            size=file.size,
        )
    except UnreadableFile as exc:
        raise ApiError(
            422,
            exc.code,
            exc.message,
            fields=[{"field": "file", "code": exc.code, "message": exc.message}],
        ) from None
    return Status(201, ImportDetailOut.detail(_job(principal, str(job.pk), with_rows=True)))


@imports_router.get("/{job_id}", response=responses({200: ImportDetailOut}))
def imports_get(request: HttpRequest, job_id: str) -> Any:
    """The import's status and counts, and its per-row report."""
    return ImportDetailOut.detail(_job(caller(request), job_id, with_rows=True))


@imports_router.post("/{job_id}/confirm", response=responses({200: ImportOut}))
def imports_confirm(request: HttpRequest, job_id: str) -> Any:
    """Create the valid rows (in the background); once: a second confirm is 409 ``not_ready``."""
    principal = caller(request)
    job = import_confirm(job=_job(principal, job_id), actor=principal.user)
    return ImportOut.of(_job(principal, str(job.pk)))
