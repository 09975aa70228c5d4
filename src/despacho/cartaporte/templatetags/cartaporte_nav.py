"""The main navigation's link to Carta Porte, for those who hold Datos maestros."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.people.models import Viewer

register = template.Library()


@register.inclusion_tag("cartaporte/_nav.html", takes_context=True)
def cartaporte_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    user: Viewer = getattr(request, "user", None) or AnonymousUser()
    return {"show": company is not None and can(user, company, Perm.DATOS_MAESTROS)}
