"""Who is calling: ``Authorization: Bearer <key>`` resolved to its member, narrowed, counted.

The key acts as its member's user, whose every decision goes through
``access.decisions.can``; before the view runs, the user object's decisions are
narrowed (``decisions.narrow``) to the key's account, its companies and its
permission mask. Manager actions (people, profiles, seats, audit) need an
unrestricted key of an active owner or admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from despacho.access.catalog import ALL_MASK, Perm
from despacho.access.decisions import explain, may_manage, narrow
from despacho.access.guards import MANAGERS_ONLY
from despacho.access.selectors import company_for
from despacho.api.errors import ApiError
from despacho.api.models import ApiKey
from despacho.api.ratelimit import rate_limit_take
from despacho.api.schemas import object_id
from despacho.api.services import KeyRefused, api_key_resolve, api_key_touch
from despacho.people.models import User
from despacho.tenancy.models import Account, Company, Membership
from despacho.tenancy.selectors import account_companies

_REQUEST_ATTR = "_despacho_api_principal"


@dataclass
class Principal:
    """The caller of one request: the key, its member, the member's user (narrowed)."""

    key: ApiKey
    membership: Membership
    user: User
    account: Account
    scoped_company_ids: list[int]
    # Whether the key's person manages its account now (``may_manage``, asked before the
    # key narrowed the person's decisions).
    manages: bool

    @property
    def restricted(self) -> bool:
        return self.key.permissions is not None or bool(self.scoped_company_ids)

    def require_manager(self) -> None:
        """Owner or admin now, with a key not narrowed; 403 otherwise."""
        if not self.manages:
            raise ApiError(
                403,
                "not_manager",
                str(MANAGERS_ONLY),
            )
        if self.restricted:
            raise ApiError(
                403,
                "key_scope",
                _(
                    "Esta clave está limitada a algunas empresas o permisos; no administra "
                    "la cuenta."
                ),
            )


def _authenticate(request: HttpRequest, token: str) -> Principal:
    now = timezone.now()
    try:
        key = api_key_resolve(token, now=now)
    except KeyRefused as refusal:
        raise ApiError(
            401, refusal.code, refusal.message, headers={"WWW-Authenticate": "Bearer"}
        ) from None
    retry_after = rate_limit_take(key, now=now)
    if retry_after is not None:
        raise ApiError(
            429,
            "rate_limited",
            _("Demasiadas solicitudes con esta clave; espera %(s)d segundos.") % {"s": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
    api_key_touch(key, now=now)
    scoped = list(key.companies.values_list("pk", flat=True))
    companies = account_companies(account=key.account)
    if scoped:
        companies = companies.filter(pk__in=scoped)
    user = key.membership.user
    manages = may_manage(user, key.account)
    unrestricted = key.permissions is None and not scoped
    narrow(
        user,
        companies=companies,
        mask=ALL_MASK if key.permissions is None else key.permissions,
        managing=key.account if unrestricted else None,
    )
    request.user = user
    return Principal(
        key=key,
        membership=key.membership,
        user=user,
        account=key.account,
        scoped_company_ids=scoped,
        manages=manages,
    )


def principal_of(request: HttpRequest) -> Principal:
    """Resolve the request's key once (auth, rate limit, narrowing); ApiError when refused."""
    cached: Any = getattr(request, _REQUEST_ATTR, None)
    if cached is None:
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            cached = ApiError(
                401,
                "unauthenticated",
                _("Falta la clave de API: envía «Authorization: Bearer <clave>»."),
                headers={"WWW-Authenticate": "Bearer"},
            )
        else:
            try:
                cached = _authenticate(request, token.strip())
            except ApiError as exc:
                cached = exc
        setattr(request, _REQUEST_ATTR, cached)
    if isinstance(cached, ApiError):
        raise cached
    return cached


class ApiKeyAuth(HttpBearer):
    """ninja's bearer scheme (it documents the security scheme in OpenAPI)."""

    def __call__(self, request: HttpRequest) -> Principal:
        return principal_of(request)

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        return principal_of(request)


def caller(request: HttpRequest) -> Principal:
    """The authenticated principal of an API view."""
    return principal_of(request)


def company_param(principal: Principal, company_id: str) -> Company:
    """The company a ``company`` parameter names, if the key may open it; 404 otherwise."""
    return company_for(viewer=principal.user, company_id=object_id(company_id))


def refused(principal: Principal, company: Company, perm: Perm) -> ApiError:
    """The 403 for a permission the key's decisions do not hold, saying why (explain())."""
    explanation = explain(principal.user, company, perm)
    if explanation.allowed:  # the person may; the key was narrowed
        return ApiError(
            403,
            "key_scope",
            _("La clave de API no incluye %(perm)s en esta empresa.") % {"perm": perm.label},
        )
    return ApiError(
        403, "permission_denied", " ".join(reason.message for reason in explanation.reasons)
    )
