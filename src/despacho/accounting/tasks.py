"""Background work of accounting (django-tasks): the pólizas of newly stored CFDIs."""

from __future__ import annotations

from django_tasks import task

from despacho.accounting.posting import cfdis_post


@task()
def cfdis_post_task(company_id: int, cfdi_ids: list[int]) -> dict[str, int]:
    """Post the pólizas of these CFDIs (and reversals of cancelled ones); counts."""
    summary = cfdis_post(company=company_id, cfdi_ids=cfdi_ids)
    return {"posted": summary.posted, "reversed": summary.reversed, "closed": len(summary.closed)}
