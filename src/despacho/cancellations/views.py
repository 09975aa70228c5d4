"""Cancelling from the CFDI detail page: its panel, the confirmation, the refresh, the acuse.

The panel (registered in ``CancellationsConfig.ready``) shows the requests' states and
history to whoever sees the CFDI, and the "Cancelar CFDI" button to those with Cancelar
CFDIs on an issued vigente document. The confirmation page shows the expected path with
its reasons and the live documents that block it before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.access.catalog import Perm
from despacho.access.decisions import can, explain
from despacho.access.guards import denied
from despacho.cancellations.forms import CancelForm
from despacho.cancellations.selectors import (
    CancellationNotFound,
    cancellation_acuse,
    cancellations_of,
)
from despacho.cancellations.services import (
    CancelForbidden,
    cancellation_preview,
    cancellation_refresh,
    cancellation_request,
    open_cancellation,
)
from despacho.cfdi.models import Cfdi, Direction, Status
from despacho.cfdi.selectors import CfdiNotFound, cfdi_for
from despacho.forms import form_errors_from
from despacho.workspace.request import AppRequest


def cancellation_panel(request: HttpRequest, cfdi: Cfdi) -> Mapping[str, Any] | None:
    """The detail page's cancellation panel for issued CFDIs; None for received ones."""
    if cfdi.direction != Direction.EMITIDO:
        return None
    may_cancel = can(request.user, cfdi.company, Perm.CANCELAR)
    requests = cancellations_of(cfdi)
    offer = may_cancel and cfdi.status == Status.VIGENTE and not any(r.is_open for r in requests)
    if not requests and not offer:
        return None
    return {"requests": requests, "offer": offer, "may_cancel": may_cancel}


def _cfdi_or_404(request: AppRequest, uuid: UUID) -> Cfdi:
    try:
        return cfdi_for(viewer=request.user, company=request.workspace.company, uuid=uuid)
    except CfdiNotFound:
        raise Http404(_("No existe ese CFDI en esta empresa.")) from None


def _forbidden(request: AppRequest, cfdi: Cfdi) -> HttpResponse:
    return denied(request, explain(request.user, cfdi.company, Perm.CANCELAR))


@login_required
@require_http_methods(["GET", "POST"])
def cancel_confirm(request: AppRequest, uuid: UUID) -> HttpResponse:
    """The motive, the expected path and what blocks it; POST sends the request."""
    cfdi = _cfdi_or_404(request, uuid)
    try:
        preview = cancellation_preview(cfdi=cfdi, viewer=request.user)
    except CancelForbidden:
        return _forbidden(request, cfdi)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("cfdi:detail", uuid=cfdi.uuid)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancellation = cancellation_request(
                cfdi=cfdi,
                actor=request.user,
                motivo=form.cleaned_data["motivo"],
                folio_sustitucion=form.cleaned_data["folio_sustitucion"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            level = messages.error if cancellation.state == "error" else messages.success
            summary = _("Cancelación: %(state)s.") % {"state": cancellation.state_label}
            level(request, f"{summary} {cancellation.message}".strip())
            return redirect("cfdi:detail", uuid=cfdi.uuid)
    return render(
        request,
        "cancellations/confirm.html",
        {"cfdi": cfdi, "preview": preview, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def cancel_refresh(request: AppRequest, uuid: UUID) -> HttpResponse:
    """Ask SAT now about the CFDI's request in course (the worker does it every hour)."""
    cfdi = _cfdi_or_404(request, uuid)
    if not can(request.user, cfdi.company, Perm.CANCELAR):
        return _forbidden(request, cfdi)
    pending = open_cancellation(cfdi)
    if pending is None:
        messages.info(request, _("Este CFDI no tiene una cancelación en curso."))
    else:
        refreshed = cancellation_refresh(cancellation=pending)
        messages.info(request, _("Cancelación: %(state)s.") % {"state": refreshed.state_label})
    return redirect("cfdi:detail", uuid=cfdi.uuid)


@login_required
@require_GET
def acuse_download(request: AppRequest, uuid: UUID) -> HttpResponse:
    """The SAT's acuse of the CFDI's cancellation, as the PAC returned it."""
    try:
        _cancellation, acuse = cancellation_acuse(
            viewer=request.user, company=request.workspace.company, uuid=uuid
        )
    except (CfdiNotFound, CancellationNotFound):
        raise Http404(_("Este CFDI no tiene acuse de cancelación.")) from None
    response = HttpResponse(acuse, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{str(uuid).upper()}-acuse.xml"'
    return response
