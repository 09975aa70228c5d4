"""Enforcement for views: the decision function turned into 403 pages that explain why.

``@require_perm(Perm.X)`` guards a view that acts on the session's active company;
``manager_account(request)`` returns the account whose owner/admin the user is, or
refuses. Both answer in Spanish, naming the missing permission or role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.access.catalog import Perm
from despacho.access.decisions import Explanation, Reason, can, explain, may_manage
from despacho.tenancy.models import Account, Company

View = TypeVar("View", bound=Callable[..., HttpResponse])


class ActiveCompany(Protocol):
    """What the guards read of the session's workspace (built by the workspace app)."""

    @property
    def company(self) -> Company | None: ...

    @property
    def account(self) -> Account | None: ...


class GuardedRequest(HttpRequest):
    """A request whose workspace middleware ran: the base of the project's request class
    (``workspace.request.AppRequest``), so guards type-check without knowing that app."""

    workspace: ActiveCompany


def denied(request: HttpRequest, explanation: Explanation) -> HttpResponse:
    """The 403 page: what was asked and every reason it was refused."""
    return render(request, "access/denied.html", {"explanation": explanation}, status=403)


def require_perm(perm: Perm) -> Callable[[View], View]:
    """Let the view run only if the user holds ``perm`` on the active company."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(request: GuardedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            company = request.workspace.company
            if company is None:
                return denied(
                    request,
                    Explanation(
                        False,
                        perm,
                        (Reason("no_company", _("No tienes una empresa activa.")),),
                    ),
                )
            if not can(request.user, company, perm):
                return denied(request, explain(request.user, company, perm))
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator


# The general refusal of an action only an account's managers may take (pages and API).
MANAGERS_ONLY = gettext_lazy(
    "Solo el propietario y los administradores de la cuenta pueden hacer esto."
)


def manager_account(request: GuardedRequest, *, refusal: str | Promise | None = None) -> Account:
    """The active account if the user is its owner or an admin; PermissionDenied otherwise.

    ``refusal`` is the Spanish reason the 403 page shows (the page's own words).
    """
    account = request.workspace.account
    if account is None or not may_manage(request.user, account):
        raise PermissionDenied(
            refusal
            or _("Solo el propietario y los administradores de la cuenta administran permisos.")
        )
    return account
