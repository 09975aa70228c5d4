"""The main navigation's link to the customers, for those who may keep master data."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from despacho.customers.selectors import customers_allowed
from despacho.people.models import Viewer

register = template.Library()


@register.inclusion_tag("customers/_nav.html", takes_context=True)
def customers_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    user: Viewer = getattr(request, "user", None) or AnonymousUser()
    return {"show": customers_allowed(viewer=user, company=company)}
