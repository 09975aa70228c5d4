"""Background work of the SAT connection's public side (django-tasks).

The project has no scheduler: ``despacho sat_status_refresh`` and ``despacho
sat_lists_refresh`` (cron, a systemd timer) or these tasks, enqueued by whoever schedules.
The status refresh is paced by SATSTATUS_RATE inside the worker; the web process only
enqueues.
"""

from __future__ import annotations

from django_tasks import task

from despacho.cfdi.models import Cfdi
from despacho.satstatus.consulta import ConsultaError
from despacho.satstatus.services import (
    cfdi_status_refresh,
    lists_refresh,
    statuses_refresh,
    timbres_verify,
)


@task()
def status_refresh_task(cfdi_id: int) -> str:
    """Ask SAT about one CFDI (the detail page's button); its estado, or "" without answer."""
    cfdi = Cfdi.objects.select_related("company__account").filter(pk=cfdi_id).first()
    if cfdi is None:
        return ""
    try:
        return cfdi_status_refresh(cfdi=cfdi).estado
    except ConsultaError:
        return ""


@task()
def statuses_refresh_task() -> dict[str, int]:
    """One batch (SATSTATUS_BATCH) of due received CFDIs, at SATSTATUS_RATE."""
    summary = statuses_refresh()
    return {"asked": summary.asked, "cancelled": summary.cancelled, "failed": summary.failed}


@task()
def lists_refresh_task() -> dict[str, int]:
    """Load SAT's lists 69-B and 69 and flag the received CFDIs; rows per loaded file."""
    return {load.source: load.rows for load in lists_refresh() if load.ok}


@task()
def timbres_verify_task(cfdi_ids: list[int]) -> dict[str, int]:
    """Verify the SelloSAT of newly stored CFDIs; counts per verdict."""
    return timbres_verify(cfdi_ids=cfdi_ids)
