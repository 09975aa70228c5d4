"""Sending an issued CFDI to its receiver from the CFDI detail page: /cfdi/<uuid>/enviar/.

The form is a panel of the CFDI app's detail page (registered in ``PortalConfig.ready``);
the view answers its POST and goes back to that page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import CfdiNotFound, cfdi_for
from despacho.portal.forms import DeliveryForm
from despacho.portal.services.delivery import cfdi_deliver, deliverable, delivery_default_email
from despacho.workspace.request import AppRequest


def delivery_panel(request: HttpRequest, cfdi: Cfdi) -> Mapping[str, Any] | None:
    """The detail page's send form, for the documents that are delivered; None otherwise."""
    if not deliverable(cfdi):
        return None
    return {"form": DeliveryForm(initial={"email": delivery_default_email(cfdi)})}


@login_required
@require_POST
def cfdi_send(request: AppRequest, uuid: UUID) -> HttpResponse:
    """Email the CFDI to its receiver (XML, PDF and the portal's address)."""
    try:
        cfdi = cfdi_for(viewer=request.user, company=request.workspace.company, uuid=uuid)
    except CfdiNotFound:
        raise Http404(_("No existe ese CFDI en esta empresa.")) from None
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            address = cfdi_deliver(actor=request.user, cfdi=cfdi, email=form.cleaned_data["email"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("Enviamos el CFDI a %(email)s, con el XML y el PDF.") % {"email": address},
            )
    else:
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, str(error))
    return redirect("cfdi:detail", uuid=cfdi.uuid)
