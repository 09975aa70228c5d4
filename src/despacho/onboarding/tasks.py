"""Background work of imports (django-tasks: in-process in the embedded mode and tests,
the database worker in production). One pair of tasks serves every kind of the engine."""

from __future__ import annotations

from django_tasks import task

from despacho.onboarding.engine import import_create, import_validate


@task()
def import_validate_task(job_id: int) -> int:
    """Validate every row of an uploaded file; how many rows are valid."""
    return import_validate(job_id=job_id).valid_rows


@task()
def import_create_task(job_id: int) -> int:
    """Create the valid rows of a confirmed import; how many rows were created."""
    return import_create(job_id=job_id).created_rows
