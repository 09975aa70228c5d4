"""Where accounting plugs into the layers below (connected in ``apps.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from despacho.cfdi.models import Cfdi
from despacho.tenancy.models import Company


def on_cfdi_stored(sender: Any, *, company: Company, rows: list[Cfdi], **kwargs: Any) -> None:
    """Post the stored CFDIs' pólizas in the background, for companies keeping accounts here."""
    from despacho.accounting.models import PostingRules
    from despacho.accounting.tasks import cfdis_post_task

    if not PostingRules.objects.filter(company=company).exists():
        return
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: cfdis_post_task.enqueue(company.pk, ids))


def on_cfdi_cancelled(sender: Any, *, cfdi: Cfdi, at: datetime, **kwargs: Any) -> None:
    """Reverse the póliza of every cancelled copy of the CFDI (issuer's and receivers')."""
    from despacho.accounting.models import PostingRules
    from despacho.accounting.tasks import cfdis_post_task

    copies = Cfdi.objects.filter(uuid=cfdi.uuid, status="cancelado").values_list("company_id", "pk")
    kept = set(
        PostingRules.objects.filter(company_id__in={c for c, _ in copies}).values_list(
            "company_id", flat=True
        )
    )
    for company_id, pk in copies:
        if company_id in kept:
            transaction.on_commit(
                lambda c=company_id, p=pk: cfdis_post_task.enqueue(c, [p])  # type: ignore[misc]
            )


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
