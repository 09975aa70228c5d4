"""Panels the CFDI detail page shows, supplied by the apps above without cfdi knowing them.

An app registers, in its ``AppConfig.ready``, a template and a function that returns the
panel's context for the request and the document, or None to show nothing. The panel is
rendered below the page's buttons; its template sees the page's context (``cfdi``,
``content``) and its own as ``panel``. The portal registers the form that sends an issued
CFDI to its receiver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from despacho.cfdi.models import Cfdi

PanelSource = Callable[[HttpRequest, Cfdi], Mapping[str, Any] | None]


@dataclass(frozen=True)
class DetailPanel:
    template: str
    context: Mapping[str, Any]


_SOURCES: dict[str, PanelSource] = {}


def cfdi_detail_panels_register(template: str, source: PanelSource) -> None:
    """Show ``template`` on the CFDI detail page whenever ``source(request, cfdi)`` is not None."""
    _SOURCES[template] = source


def cfdi_detail_panels(request: HttpRequest, cfdi: Cfdi) -> list[DetailPanel]:
    """The panels the page shows for this request and document, in registration order."""
    panels = []
    for template, source in _SOURCES.items():
        context = source(request, cfdi)
        if context is not None:
            panels.append(DetailPanel(template, context))
    return panels
