"""The main navigation's link to Sellos y e.firma, for those with Datos maestros."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from despacho.people.models import Viewer
from despacho.seals.selectors import seals_allowed

register = template.Library()


@register.inclusion_tag("seals/_nav.html", takes_context=True)
def seals_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    user: Viewer = getattr(request, "user", None) or AnonymousUser()
    return {"show": seals_allowed(viewer=user, company=company)}
