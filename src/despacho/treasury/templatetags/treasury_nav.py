"""The main navigation's link to Tesorería, for those holding it on the active company."""

from __future__ import annotations

from typing import Any

from django import template

from despacho.access.catalog import Perm
from despacho.access.decisions import can

register = template.Library()


@register.inclusion_tag("treasury/_nav.html", takes_context=True)
def treasury_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    user = getattr(request, "user", None)
    show = company is not None and user is not None and can(user, company, Perm.TESORERIA)
    return {"show": show}
