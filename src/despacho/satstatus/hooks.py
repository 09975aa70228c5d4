"""Where the SAT connection plugs into the layers below (connected in ``apps.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy

from despacho.cfdi.models import Cfdi
from despacho.people.models import User
from despacho.tenancy.models import Company


def on_cfdi_stored(sender: Any, *, company: Company, rows: list[Cfdi], **kwargs: Any) -> None:
    """Flag stored received CFDIs of listed emisores now; verify SelloSAT after the commit."""
    from despacho.satstatus.services import stored_rows_flag
    from despacho.satstatus.tasks import timbres_verify_task

    stored_rows_flag(rows)
    if settings.SATSTATUS_VERIFY_SELLO_SAT:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: timbres_verify_task.enqueue(ids))


def on_issuer_cancelled(sender: Any, *, cfdi: Cfdi, at: datetime, **kwargs: Any) -> None:
    from despacho.satstatus.services import received_copies_cancelled

    received_copies_cancelled(cfdi=cfdi, at=at)


def risky_cells(viewer: User, companies: list[Company]) -> Mapping[int, Mapping[str, Any]]:
    """The Empresas column: each client's received CFDIs from listed emisores (Egresos)."""
    from despacho.satstatus.selectors import risky_counts

    return {
        company_id: {"risky": n}
        for company_id, n in risky_counts(viewer=viewer, companies=companies).items()
    }


def panel(request: Any, cfdi: Cfdi) -> Mapping[str, Any] | None:
    from despacho.satstatus.views import sat_panel

    return sat_panel(request, cfdi)


def connect() -> None:
    from despacho.audit.describe import register_choices
    from despacho.cancellations.signals import cfdi_status_mirrored
    from despacho.cfdi.panels import cfdi_detail_panels_register
    from despacho.cfdi.signals import cfdi_stored
    from despacho.firms.columns import workspace_column_register
    from despacho.satstatus.models import Estado

    cfdi_stored.connect(on_cfdi_stored, dispatch_uid="satstatus.on_cfdi_stored")
    cfdi_status_mirrored.connect(on_issuer_cancelled, dispatch_uid="satstatus.on_cancelled")
    workspace_column_register(
        key="satstatus",
        header=gettext_lazy("Listas del SAT"),
        template="satstatus/_workspace_cell.html",
        source=risky_cells,
    )
    cfdi_detail_panels_register("satstatus/_cfdi_panel.html", panel)
    register_choices("estado", Estado.choices)
