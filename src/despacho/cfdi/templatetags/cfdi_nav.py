"""The main navigation's CFDI links: one per category the viewer's grant opens."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from despacho.cfdi.selectors import categories_visible
from despacho.people.models import Viewer

register = template.Library()


@register.inclusion_tag("cfdi/_nav.html", takes_context=True)
def cfdi_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    user: Viewer = getattr(request, "user", None) or AnonymousUser()
    return {"categories": categories_visible(viewer=user, company=company)}
