"""The main navigation's link to Facturar, for those who may issue for the active company."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from despacho.invoicing.selectors import invoicing_allowed

register = template.Library()


@register.inclusion_tag("invoicing/_nav.html", takes_context=True)
def invoicing_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    return {
        "show": invoicing_allowed(
            viewer=getattr(request, "user", None) or AnonymousUser(), company=company
        )
    }
