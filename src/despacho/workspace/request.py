"""The request our middleware builds, typed for views (django-htmx's advice).

``request.workspace`` is attached by ``workspace.middleware.ActiveCompanyMiddleware`` and
``request.htmx`` by django-htmx; a view that is only reached by a person logged in reads
``request.user`` as a ``User``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from despacho.access.guards import GuardedRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from despacho.people.models import User
    from despacho.workspace.active import Workspace


class AppRequest(GuardedRequest):
    htmx: HtmxDetails
    workspace: Workspace
    user: User
