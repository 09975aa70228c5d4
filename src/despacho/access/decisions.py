"""The one decision function: may this user do P on this company?

Every view, API endpoint and task asks ``can(user, company, perm)``. The first
decision in a request loads everything the user may do, in one query, and
caches it on the user object (which lives as long as the request, like
Django's own ``_perm_cache``); the rest of the request's decisions are free.

What a user may do on a company:
- owner or admin (active) of the account that owns the company, or of a firm
  with an accepted link to it: every permission;
- member (active) with a grant on the company, while the company still belongs
  to the member's account or is linked to it: the grant's effective set.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import F, IntegerField, Q, QuerySet, Value

from despacho.access.catalog import (
    ALL_MASK,
    AT_LEAST_ONE_OF,
    OPENING_MASK,
    Perm,
    PermSet,
    effective_mask,
    from_mask,
    requires_code,
)
from despacho.access.models import Grant
from despacho.names import before_period
from despacho.people.models import Viewer
from despacho.tenancy.models import (
    MANAGER_ROLES,
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    MembershipStatus,
    Role,
)

# Per-request caches kept on the user object all start with this prefix, so that
# ``forget`` drops every one of them (the switcher keeps its scope there too).
USER_CACHE_PREFIX = "_despacho_"
_CACHE_ATTR = USER_CACHE_PREFIX + "access"

# Kinds of rows in the one query.
_OWNED = 1  # an account whose own companies the user manages (id is the account id)
_LINKED = 2  # a company linked to an account the user manages (id is the company id)
_GRANT = 3  # a member's grant (id is the company id)


@dataclass
class AccessMap:
    """Everything one user may do, as loaded by one query."""

    managed_accounts: dict[int, str] = field(default_factory=dict)  # account id → role
    company_masks: dict[int, int] = field(default_factory=dict)  # company id → mask
    company_roles: dict[int, str] = field(default_factory=dict)  # company id → role

    def mask_for(self, company: Company) -> int:
        if company.account_id in self.managed_accounts:
            return ALL_MASK
        return self.company_masks.get(company.pk, 0)

    def role_for(self, company: Company) -> str | None:
        role = self.managed_accounts.get(company.account_id)
        return role or self.company_roles.get(company.pk)


def member_grants(user_id: int) -> QuerySet[Grant]:
    """The grants that count for a member right now (the third branch of the access query)."""
    return Grant.objects.filter(
        membership__user_id=user_id,
        membership__status=MembershipStatus.ACTIVE,
        membership__account__is_active=True,
        membership__role=Role.MEMBER,
    ).filter(
        # The company must still be the account's own or linked to it right now:
        # revoking a link cuts every member's access at once.
        Q(company__account_id=F("membership__account_id"))
        | Q(
            company__links__firm_id=F("membership__account_id"),
            company__links__status=LinkStatus.ACCEPTED,
        )
    )


def companies_granted_opening(user_id: int) -> QuerySet[Any]:
    """The company ids a member's grants open, as a subquery (``pk__in=``).

    The same rule as ``_load`` + ``permissions_on``, evaluated in SQL so a list of
    thousands of companies is a semi-join, not thousands of parameters: the effective set
    mirrors ``catalog.effective_mask`` ((profile | added) without removed, written here as
    ``held - (held & removed)``: Django's expressions have no bitwise not), and the company
    opens when that set holds Ventas or Egresos (``OPENING_MASK``).
    tests/access/test_decisions_sql.py checks both agree on every combination.
    """
    held = F("profile__permissions").bitor(F("added")).bitand(OPENING_MASK)  # type: ignore[arg-type]
    return (
        member_grants(user_id)
        .annotate(opening=held - held.bitand(F("removed")))  # type: ignore[arg-type]
        .filter(opening__gt=0)
        .values("company_id")
    )


def access_query(user_id: int) -> QuerySet[Any]:
    """The one query behind every decision of a request (exposed for EXPLAIN in bench/)."""
    active = Q(status=MembershipStatus.ACTIVE, account__is_active=True, user_id=user_id)
    managers = Membership.objects.filter(active, role__in=MANAGER_ROLES)
    owned = managers.annotate(
        kind=Value(_OWNED, IntegerField()),
        target=F("account_id"),
        mask=Value(ALL_MASK, IntegerField()),
        added=Value(0, IntegerField()),
        removed=Value(0, IntegerField()),
    ).values_list("kind", "target", "role", "mask", "added", "removed")
    linked = (
        CompanyLink.objects.filter(
            status=LinkStatus.ACCEPTED,
            firm__is_active=True,
            firm__memberships__user_id=user_id,
            firm__memberships__status=MembershipStatus.ACTIVE,
            firm__memberships__role__in=MANAGER_ROLES,
        )
        .annotate(
            kind=Value(_LINKED, IntegerField()),
            target=F("company_id"),
            role=F("firm__memberships__role"),
            mask=Value(ALL_MASK, IntegerField()),
            added=Value(0, IntegerField()),
            removed=Value(0, IntegerField()),
        )
        .values_list("kind", "target", "role", "mask", "added", "removed")
    )
    grants = (
        member_grants(user_id)
        .annotate(
            kind=Value(_GRANT, IntegerField()),
            target=F("company_id"),
            role=F("membership__role"),
            profile_mask=F("profile__permissions"),
        )
        .values_list("kind", "target", "role", "profile_mask", "added", "removed")
    )
    return owned.union(linked, grants, all=True)


# Compiling the ORM query costs several times more than running it (about 1.8 ms
# against 0.2 ms, see bench/permissions.py), so it is compiled once per database
# with a stand-in user id, and each decision binds the real id into the same SQL.
_STAND_IN_USER_ID = -7_301_245_119
_compiled_sql: dict[str, tuple[str, list[Any], tuple[int, ...]]] = {}


def _sql_for(alias: str, user_id: int) -> tuple[str, list[Any]]:
    compiled = _compiled_sql.get(alias)
    if compiled is None:
        query = access_query(_STAND_IN_USER_ID)
        sql, params = query.query.get_compiler(using=alias).as_sql()
        slots = tuple(i for i, value in enumerate(params) if value == _STAND_IN_USER_ID)
        compiled = _compiled_sql[alias] = (sql, list(params), slots)
    sql, params, slots = compiled
    bound = list(params)
    for slot in slots:
        bound[slot] = user_id
    return sql, bound


# On PostgreSQL, planning this query costs about ten times more than running it, so it
# runs as a prepared statement (protocol level, through psycopg): after a few executions
# the server keeps a generic plan. Django leaves automatic preparation off (for
# connection poolers) and so does this code for every other query; set
# DESPACHO_PREPARE_ACCESS_QUERY=0 behind a pooler without prepared-statement support
# (PgBouncer before 1.21, or without max_prepared_statements).
_NEVER = 2**62  # "auto-prepare after this many runs": never, for the connection's other queries


@functools.cache
def _prepared_cursor_class() -> type | None:
    from django.db.backends.postgresql import base as postgresql

    binding_cursor = getattr(postgresql, "ServerBindingCursor", None)
    if binding_cursor is None:  # psycopg2: no protocol-level preparation
        return None

    class PreparedCursor(binding_cursor):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True)

    return PreparedCursor


def _prepared_rows(connection: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]] | None:
    prepared_cursor = _prepared_cursor_class()
    if prepared_cursor is None:
        return None
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _NEVER
    cursor = prepared_cursor(raw)
    wrapped = (
        connection.make_debug_cursor(cursor)
        if connection.queries_logged
        else connection.make_cursor(cursor)
    )
    with wrapped:
        wrapped.execute(sql, params)
        return wrapped.fetchall()


def _rows(user_id: int) -> list[tuple[Any, ...]]:
    alias = router.db_for_read(Grant)
    connection = connections[alias]
    sql, params = _sql_for(alias, user_id)
    if connection.vendor == "postgresql" and getattr(settings, "ACCESS_PREPARE_QUERY", True):
        rows = _prepared_rows(connection, sql, params)
        if rows is not None:
            return rows
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _load(user_id: int) -> AccessMap:
    access = AccessMap()
    rows = _rows(user_id)
    for kind, target, role, mask, added, removed in rows:
        if kind == _OWNED:
            access.managed_accounts[target] = role
        elif kind == _LINKED:
            access.company_masks[target] = ALL_MASK
            access.company_roles.setdefault(target, role)
        else:
            effective = effective_mask(mask, added, removed)
            access.company_masks[target] = access.company_masks.get(target, 0) | effective
            access.company_roles.setdefault(target, role)
    return access


def access_map(user: Viewer | None) -> AccessMap:
    """The user's access, loaded once per user object (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return AccessMap()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = _load(user.pk)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def narrow(
    user: Viewer,
    *,
    companies: Iterable[Company],
    mask: int = ALL_MASK,
    managing: Account | None = None,
) -> AccessMap:
    """Cap the user object's decisions (an API key's scope) for as long as the object lives.

    Afterwards ``can`` answers yes only on ``companies``, only for permissions in ``mask``,
    and only where the user holds them now. It never widens: a manager's rights become
    per-company masks on the companies listed, nothing more, and ``may_manage`` answers no,
    except on ``managing`` (an unrestricted key's account) when the user manages it now.
    """
    full = access_map(user)
    narrowed = AccessMap()
    if managing is not None and managing.pk in full.managed_accounts:
        narrowed.managed_accounts[managing.pk] = full.managed_accounts[managing.pk]
    for company in companies:
        held = full.mask_for(company) & mask
        if held:
            narrowed.company_masks[company.pk] = held
            narrowed.company_roles[company.pk] = full.role_for(company) or Role.MEMBER
    setattr(user, _CACHE_ATTR, narrowed)
    return narrowed


def forget(user: Viewer) -> None:
    """Drop the cached decisions (after the user's own access changed mid-request)."""
    for name in [n for n in vars(user) if n.startswith(USER_CACHE_PREFIX)]:
        delattr(user, name)


def permissions_on(user: Viewer, company: Company) -> PermSet:
    """The permissions the user holds on the company (empty when none)."""
    mask = access_map(user).mask_for(company)
    perms = from_mask(mask)
    # A set without Ventas or Egresos does not open the company at all.
    if not any(p in perms for p in AT_LEAST_ONE_OF):
        return frozenset()
    return perms


def can_open(user: Viewer, company: Company) -> bool:
    """May the user enter the company at all?"""
    return bool(permissions_on(user, company))


def can(user: Viewer, company: Company | None, perm: Perm) -> bool:
    """May ``user`` exercise ``perm`` on ``company``? The only permission check in Despacho."""
    if company is None:
        return False
    return perm in permissions_on(user, company)


def may_manage(user: Viewer | None, account: Account | int | None) -> bool:
    """May ``user`` manage ``account``: its people, profiles, grants, seats, keys and history?

    Active owners and admins of an active account, now. The one answer to the question,
    beside ``can`` and read from the same access map: the web guard, the API's principal and
    every service that checks a manager ask it (an API key narrowed to some companies or
    permissions manages nothing).
    """
    return manager_role(user, account) is not None


def manager_role(user: Viewer | None, account: Account | int | None) -> Role | None:
    """The role (owner or admin) through which ``user`` manages ``account``; None if they don't."""
    if account is None:
        return None
    account_id = account if isinstance(account, int) else account.pk
    role = access_map(user).managed_accounts.get(account_id)
    return Role(role) if role is not None else None


def role_on(user: Viewer, company: Company) -> str | None:
    """The user's role through which they reach the company (owner/admin/member)."""
    if not can_open(user, company):
        return None
    return access_map(user).role_for(company)


# ---------------------------------------------------------------------------
# "Why can't X do Y here?" — the decision spelled out, for people.
# Not on the hot path: it may take a few queries, and it must agree with ``can``.


@dataclass(frozen=True)
class Reason:
    """One fact behind a decision, with a stable code and a Spanish sentence."""

    code: str
    message: str


@dataclass(frozen=True)
class Explanation:
    """Whether the user may exercise the permission on the company, and why (or why not)."""

    allowed: bool
    perm: Perm
    reasons: tuple[Reason, ...]

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def _role_label(role: str) -> str:
    return str(dict(Role.choices).get(role, role))


def _explain_grant(
    membership: Membership, company: Company, perm: Perm
) -> tuple[bool, list[Reason]]:
    """Why a member's grant on the company does or does not hold the permission."""
    from django.utils.translation import gettext as _

    from despacho.access.catalog import REQUIRES

    names = {"account": membership.account.name, "company": company.razon_social}
    grant = (
        Grant.objects.select_related("profile")
        .filter(membership=membership, company=company)
        .first()
    )
    if grant is None:
        return False, [
            Reason(
                "no_grant",
                _(
                    "Es Usuario de la cuenta %(account)s, pero no tiene permisos asignados "
                    "en %(company)s."
                )
                % {**names, "company": before_period(company.razon_social)},
            )
        ]
    effective = grant.perms
    profile_name = grant.profile.name
    if not any(p in effective for p in AT_LEAST_ONE_OF):
        return False, [
            Reason(
                "cannot_open",
                _(
                    "Su acceso a %(company)s no incluye %(ventas)s ni %(egresos)s, "
                    "así que no puede abrir la empresa."
                )
                % {**names, "ventas": Perm.VENTAS.label, "egresos": Perm.EGRESOS.label},
            )
        ]
    labels = {**names, "perm": perm.label, "profile": profile_name}
    if perm in effective:
        if perm in grant.profile.perms:
            message = _("Tiene %(perm)s en %(company)s por su perfil «%(profile)s».")
        else:
            message = _("Tiene %(perm)s en %(company)s: se le agregó a mano.")
        return True, [Reason("granted", message % labels)]
    reasons = [
        Reason(
            "missing_permission",
            _("Le falta el permiso %(perm)s en %(company)s (cuenta %(account)s).") % labels,
        )
    ]
    if perm in grant.profile.perms:
        reasons.append(
            Reason(
                "removed_by_hand",
                _("Su perfil «%(profile)s» lo incluye, pero se le quitó a mano.") % labels,
            )
        )
    else:
        reasons.append(
            Reason(
                "not_in_profile",
                _("Su perfil «%(profile)s» no lo incluye y no se le agregó a mano.") % labels,
            )
        )
    required = REQUIRES.get(perm)
    if required is not None and required not in effective:
        reasons.append(
            Reason(
                requires_code(required),
                _("%(perm)s requiere %(required)s, y tampoco tiene %(required)s.")
                % {"perm": perm.label, "required": required.label},
            )
        )
    return False, reasons


def _explain_membership(
    membership: Membership, company: Company, perm: Perm, link: CompanyLink | None
) -> tuple[bool, list[Reason]]:
    """What one membership (in the owner account, or in a firm through ``link``) contributes."""
    from django.utils.translation import gettext as _

    account = membership.account
    names = {
        "account": account.name,
        "company": company.razon_social,
        "role": _role_label(membership.role),
    }
    if not account.is_active:
        message = _("La cuenta %(account)s está suspendida.") % names
        return False, [Reason("account_inactive", message)]
    if membership.status == MembershipStatus.DEACTIVATED:
        return False, [
            Reason(
                "membership_deactivated",
                _("Su acceso a la cuenta %(account)s está desactivado.") % names,
            )
        ]
    if membership.status == MembershipStatus.INVITED:
        return False, [
            Reason(
                "membership_invited",
                _("Aún no acepta su invitación a la cuenta %(account)s.") % names,
            )
        ]
    if link is not None and link.status != LinkStatus.ACCEPTED:
        code = {
            LinkStatus.REVOKED: "link_revoked",
            LinkStatus.PENDING: "link_pending",
            LinkStatus.DECLINED: "link_declined",
        }.get(LinkStatus(link.status), "link_expired")
        return False, [
            Reason(
                code,
                _("El vínculo de %(account)s con %(company)s está %(status)s.")
                % {**names, "status": str(LinkStatus(link.status).label).lower()},
            )
        ]
    if membership.role in MANAGER_ROLES:
        return True, [
            Reason(
                "manager",
                _("Es %(role)s de la cuenta %(account)s: tiene todos los permisos en %(company)s.")
                % {**names, "company": before_period(company.razon_social)},
            )
        ]
    return _explain_grant(membership, company, perm)


def explain(user: Viewer, company: Company, perm: Perm) -> Explanation:
    """Why ``can(user, company, perm)`` answers as it does, naming role, grant, rule or link."""
    from django.utils.translation import gettext as _

    if user is None or not getattr(user, "is_authenticated", False):
        return Explanation(False, perm, (Reason("anonymous", _("No ha iniciado sesión.")),))
    if not user.is_active:
        return Explanation(
            False, perm, (Reason("user_inactive", _("La persona está desactivada en Despacho.")),)
        )
    allowed = False
    reasons: list[Reason] = []
    own = (
        Membership.objects.select_related("account")
        .filter(user_id=user.pk, account_id=company.account_id)
        .first()
    )
    if own is not None:
        ok, found = _explain_membership(own, company, perm, link=None)
        allowed |= ok
        reasons += found
    # Firms the user belongs to that have (or had) a link to the company: for each firm its
    # accepted link if there is one, else its latest.
    links = sorted(
        CompanyLink.objects.filter(company=company, firm__memberships__user_id=user.pk),
        key=lambda lk: (lk.status != LinkStatus.ACCEPTED, -lk.invited_at.timestamp(), -lk.pk),
    )
    seen: set[int] = set()
    for link in links:
        if link.firm_id in seen:
            continue
        seen.add(link.firm_id)
        membership = Membership.objects.select_related("account").get(
            user_id=user.pk, account_id=link.firm_id
        )
        ok, found = _explain_membership(membership, company, perm, link=link)
        allowed |= ok
        reasons += found
    if own is None and not seen:
        reasons.append(
            Reason(
                "no_membership",
                _(
                    "No pertenece a la cuenta dueña de %(company)s ni a un despacho "
                    "vinculado a ella."
                )
                % {"company": company.razon_social},
            )
        )
    if allowed:
        # Only the paths that grant it matter to someone asking "why can they?".
        reasons = [r for r in reasons if r.code in ("manager", "granted")]
    return Explanation(allowed, perm, tuple(reasons))
