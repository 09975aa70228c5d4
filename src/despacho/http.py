"""The request type our middleware builds, for type-checked views (django-htmx's advice)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from despacho.people.models import User
    from despacho.tenancy.workspace import Workspace


class AppRequest(HttpRequest):
    htmx: HtmxDetails
    workspace: Workspace
    user: User
