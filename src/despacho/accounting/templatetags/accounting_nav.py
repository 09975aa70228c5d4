"""The main navigation's link to Contabilidad, for those with Pólizas."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from despacho.accounting.selectors import accounting_allowed
from despacho.people.models import Viewer

register = template.Library()


@register.inclusion_tag("accounting/_nav.html", takes_context=True)
def accounting_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    company = workspace.company if workspace is not None else None
    user: Viewer = getattr(request, "user", None) or AnonymousUser()
    return {"show": accounting_allowed(viewer=user, company=company)}
