"""The CFDI page's SAT panel and its "Consultar estado en el SAT" button.

The panel shows whoever sees the CFDI (its category's permission, checked by the page) the
last answer of SAT's status service, the verdict on the timbre's SelloSAT and, for a
received CFDI, the emisor's listings in SAT's lists 69-B and 69. The button enqueues the
question (the worker asks SAT; the web process never waits on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import CfdiNotFound, cfdi_for
from despacho.satstatus.models import Verdict
from despacho.satstatus.selectors import sat_view_of
from despacho.satstatus.tasks import status_refresh_task, timbres_verify_task
from despacho.workspace.request import AppRequest


def sat_panel(request: HttpRequest, cfdi: Cfdi) -> Mapping[str, Any] | None:
    """The detail page's SAT panel, for every CFDI the page shows."""
    view = sat_view_of(cfdi)
    return {
        "sat": view,
        "verdict_ok": view.timbre is not None
        and view.timbre.verdict
        in (
            Verdict.VALID,
            Verdict.SANDBOX,
        ),
    }


@login_required
@require_POST
def status_refresh(request: AppRequest, uuid: UUID) -> HttpResponse:
    """Enqueue the question to SAT about this CFDI (and its SelloSAT if still unverified)."""
    try:
        cfdi = cfdi_for(viewer=request.user, company=request.workspace.company, uuid=uuid)
    except CfdiNotFound:
        raise Http404(_("No existe ese CFDI en esta empresa.")) from None
    status_refresh_task.enqueue(cfdi.pk)
    timbre = getattr(cfdi, "timbre_check", None)
    if timbre is None or timbre.verdict == Verdict.UNAVAILABLE:
        timbres_verify_task.enqueue([cfdi.pk])
    messages.info(
        request, _("Se consultó al SAT el estado del CFDI; la respuesta aparece en su página.")
    )
    return redirect("cfdi:detail", uuid=cfdi.uuid)
