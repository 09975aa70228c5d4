"""The CFDI detail page's "Clonar como borrador" (``cfdi.panels``), for those with Facturar.

Re-sending an issued CFDI to other addresses is the portal's "Enviar por correo" panel on
the same page (``portal.delivery_views``): it sends to any address typed, so it is not
repeated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from despacho.cfdi.models import Cfdi, Direction
from despacho.invoicing.models import DraftTipo
from despacho.invoicing.selectors import invoicing_allowed


def clone_panel(request: HttpRequest, cfdi: Cfdi) -> Mapping[str, Any] | None:
    """The clone button for a document the company issued (I, E, P, T); None otherwise."""
    if cfdi.direction != Direction.EMITIDO or cfdi.tipo not in DraftTipo.values:
        return None
    if not invoicing_allowed(viewer=request.user, company=cfdi.company):
        return None
    return {}
