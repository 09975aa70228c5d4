"""Where accounting plugs into the layers below (connected in ``apps.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from despacho.cfdi.models import Cfdi
from despacho.tenancy.models import Company


def _post_if_kept(pairs: list[tuple[int, int]]) -> None:
    """Enqueue the posting of (company, CFDI) pairs whose company keeps its accounts here.

    Runs after the commit that stored them: the ingestion's own transaction pays nothing,
    and companies without a chart never get a task.
    """
    from despacho.accounting.models import PostingRules
    from despacho.accounting.tasks import cfdis_post_task

    kept = set(
        PostingRules.objects.filter(company_id__in={c for c, _ in pairs}).values_list(
            "company_id", flat=True
        )
    )
    by_company: dict[int, list[int]] = {}
    for company_id, pk in pairs:
        if company_id in kept:
            by_company.setdefault(company_id, []).append(pk)
    for company_id, ids in by_company.items():
        cfdis_post_task.enqueue(company_id, ids)


def on_cfdi_stored(sender: Any, *, company: Company, rows: list[Cfdi], **kwargs: Any) -> None:
    """Post the stored CFDIs' pólizas in the background, for companies keeping accounts here."""
    pairs = [(company.pk, row.pk) for row in rows]
    transaction.on_commit(lambda: _post_if_kept(pairs))


def on_cfdi_cancelled(sender: Any, *, cfdi: Cfdi, at: datetime, **kwargs: Any) -> None:
    """Reverse the póliza of every cancelled copy of the CFDI (issuer's and receivers')."""
    uuid = cfdi.uuid

    def cancelled_copies() -> None:
        copies = Cfdi.objects.filter(uuid=uuid, status="cancelado").values_list("company_id", "pk")
        _post_if_kept(list(copies))

    transaction.on_commit(cancelled_copies)


def panel(request: Any, cfdi: Cfdi) -> Mapping[str, Any] | None:
    from despacho.accounting.views import poliza_panel

    return poliza_panel(request, cfdi)


def connect() -> None:
    from despacho.cancellations.signals import cfdi_status_mirrored
    from despacho.cfdi.panels import cfdi_detail_panels_register
    from despacho.cfdi.signals import cfdi_stored

    cfdi_stored.connect(on_cfdi_stored, dispatch_uid="accounting.on_cfdi_stored")
    cfdi_status_mirrored.connect(on_cfdi_cancelled, dispatch_uid="accounting.on_cancelled")
    cfdi_detail_panels_register("accounting/_cfdi_panel.html", panel)
