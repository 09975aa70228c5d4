"""The main navigation's link to the portal accesses, for those who may manage them."""

from __future__ import annotations

from typing import Any

from django import template

from despacho.portal.selectors import portal_manage_allowed

register = template.Library()


@register.inclusion_tag("portal/_nav.html", takes_context=True)
def portal_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    user = getattr(request, "user", None)
    return {"show": portal_manage_allowed(viewer=user, company=company)}
