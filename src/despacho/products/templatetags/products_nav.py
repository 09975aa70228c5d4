"""The main navigation's link to the products, for those who keep the company's master data."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from despacho.people.models import Viewer
from despacho.products.selectors import products_allowed

register = template.Library()


@register.inclusion_tag("products/_nav.html", takes_context=True)
def products_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    user: Viewer = getattr(request, "user", None) or AnonymousUser()
    return {"show": products_allowed(viewer=user, company=company)}
