"""API keys: create (the secret is returned once), revoke, and resolve a presented token.

A token reads ``dsp_<8 chars>_<secret>``; ``dsp_<8 chars>`` is the stored, visible
prefix and only the SHA-256 of the whole token is stored. Resolution compares
hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm, to_mask
from despacho.access.selectors import manager_membership
from despacho.access.services import check_permission_set
from despacho.api.models import ApiKey
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.names import validate_name_characters
from despacho.people.models import User
from despacho.tenancy.models import (
    MANAGER_ROLES,
    Account,
    Company,
    Membership,
    MembershipStatus,
    Role,
)
from despacho.tenancy.selectors import account_companies

PREFIX_TAG = "dsp_"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_ROLE_RANK = {Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def secret_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mint() -> tuple[str, str]:
    prefix = PREFIX_TAG + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


def key_snapshot(key: ApiKey) -> dict[str, object]:
    return {
        "name": key.name,
        "prefix": key.prefix,
        "member": key.membership.user.email,
        "companies": sorted(c.rfc for c in key.companies.all()),
        "permissions": None if key.perms is None else sorted(p.value for p in key.perms),
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
    }


def _check_may_act_as(*, actor: User | None, account: Account, membership: Membership) -> None:
    """Managers create keys for themselves or for people of a lower role (None = operator)."""
    if actor is None:
        return
    manager = manager_membership(account=account, actor=actor)
    if manager.pk == membership.pk:
        return
    if _ROLE_RANK[Role(membership.role)] >= _ROLE_RANK[Role(manager.role)]:
        raise ValidationError(
            {
                "membership": ValidationError(
                    _(
                        "Actúa como: solo puedes crear claves para ti o para personas con un "
                        "rol menor que el tuyo."
                    ),
                    code="cannot_act_as",
                )
            }
        )


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # shown once, never stored


@transaction.atomic
def api_key_create(
    *,
    actor: User | None,
    account: Account,
    membership: Membership,
    name: str,
    companies: Iterable[Company] = (),
    permissions: Iterable[Perm] | None = None,
    expires_at: datetime | None = None,
) -> NewKey:
    """A key acting as an active member of the account, optionally narrower; the token once."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        validate_name_characters(name or "", field=_("Nombre"))
    except ValidationError as exc:
        errors["name"] = [exc]
    name = " ".join((name or "").split())
    if "name" not in errors and not name:
        errors["name"] = [ValidationError(_("Nombre: escribe un nombre."), code="required")]
    elif "name" not in errors and len(name) > 100:
        errors["name"] = [ValidationError(_("Nombre: máximo 100 caracteres."), code="max_length")]
    if membership.account_id != account.pk or membership.status != MembershipStatus.ACTIVE:
        errors["membership"] = [
            ValidationError(
                _("Actúa como: elige a una persona activa de esta cuenta."),
                code="invalid_membership",
            )
        ]
    chosen = list(companies)
    reachable = {c.pk for c in account_companies(account=account)}
    foreign = [c.rfc for c in chosen if c.pk not in reachable]
    if foreign:
        errors["companies"] = [
            ValidationError(
                _("Empresas: %(rfcs)s no pertenecen a esta cuenta.") % {"rfcs": ", ".join(foreign)},
                code="company_not_in_account",
            )
        ]
    if permissions is not None:
        # A narrower set obeys the catalog's rules too; intersected with the member's (valid)
        # set, every "X requires Y" still holds.
        try:
            check_permission_set(permissions)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        errors["expires_at"] = [
            ValidationError(_("Vence: debe ser una fecha futura."), code="expires_in_past")
        ]
    if errors:
        raise ValidationError(errors)
    _check_may_act_as(actor=actor, account=account, membership=membership)
    prefix, token = _mint()
    key = ApiKey.objects.create(
        account=account,
        membership=membership,
        name=name,
        prefix=prefix,
        secret_hash=secret_hash(token),
        permissions=None if permissions is None else to_mask(permissions),
        created_by=actor,
        created_at=now,
        expires_at=expires_at,
    )
    key.companies.set(chosen)
    audit_record(
        actor=actor,
        action=Action.API_KEY_CREATED,
        account=account,
        target=key,
        after=key_snapshot(key),
    )
    return NewKey(key=key, token=token)


@transaction.atomic
def api_key_revoke(*, actor: User | None, key: ApiKey) -> ApiKey:
    """Revoke the key for good; requests with it get 401 from now on."""
    if actor is not None:
        manager_membership(account=key.account, actor=actor)
    key = ApiKey.objects.select_for_update().select_related("membership__user").get(pk=key.pk)
    if key.revoked_at is not None:
        raise ValidationError(_("La clave ya estaba revocada."), code="already_revoked")
    before = key_snapshot(key)
    key.revoked_at = timezone.now()
    key.revoked_by = actor
    key.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action=Action.API_KEY_REVOKED,
        account=key.account,
        target=key,
        before=before,
        after=key_snapshot(key),
    )
    return key


def api_keys_revoke_created_by(*, account: Account, creator: User, actor: User | None) -> int:
    """Revoke every live key ``creator`` made in the account (each audited); how many.

    Runs when the creator stops managing the account (``access.signals.management_lost``),
    inside that change's transaction: a key never outlives its creator's authority.
    """
    keys = (
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("membership__user", "account")
        .filter(account=account, created_by=creator, revoked_at=None)
    )
    now = timezone.now()
    revoked = 0
    for key in keys:
        before = key_snapshot(key)
        key.revoked_at = now
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action=Action.API_KEY_REVOKED,
            account=account,
            target=key,
            before=before,
            after={**key_snapshot(key), "reason": "creator_lost_authority"},
        )
        revoked += 1
    return revoked


def revoke_keys_of_former_manager(
    sender: object, *, account: Account, person: User, actor: User | None, **kwargs: object
) -> None:
    """Receiver of ``management_lost`` (connected in ``ApiConfig.ready``)."""
    api_keys_revoke_created_by(account=account, creator=person, actor=actor)


def revoke_keys_of_deleted_person(sender: object, *, instance: User, **kwargs: object) -> None:
    """Receiver of the person's ``pre_delete``: ``created_by`` is about to become NULL, which
    would read as a key the operator made, so their keys are revoked first."""
    accounts = Account.objects.filter(
        api_keys__created_by=instance, api_keys__revoked_at=None
    ).distinct()
    for account in accounts:
        api_keys_revoke_created_by(account=account, creator=instance, actor=None)


class KeyRefused(Exception):
    """A presented token that does not authenticate, with a stable code and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def api_key_resolve(token: str, *, now: datetime | None = None) -> ApiKey:
    """The live key behind a token, its member active; KeyRefused saying why not."""
    now = now or timezone.now()
    if not (token.isascii() and token.isprintable()):
        raise KeyRefused("invalid_key", _("La clave de API no es válida."))
    prefix = token[: len(PREFIX_TAG) + 8]
    # Whether the creator still manages the account, in the same query (defence in depth:
    # the member services revoke their keys when they stop; this holds if a row changed
    # some other way). A key the operator made (no creator) has no one to outlive.
    creator_manages = Exists(
        Membership.objects.filter(
            account=OuterRef("account"),
            user=OuterRef("created_by"),
            user__is_active=True,
            status=MembershipStatus.ACTIVE,
            role__in=MANAGER_ROLES,
        )
    )
    key = (
        ApiKey.objects.select_related("account", "membership__user")
        .annotate(creator_manages=creator_manages)
        .filter(prefix=prefix)
        .first()
        if token.startswith(PREFIX_TAG)
        else None
    )
    # Compare even when nothing matched, so timing says nothing about prefixes.
    stored = key.secret_hash if key is not None else "0" * 64
    if not hmac.compare_digest(stored, secret_hash(token)) or key is None:
        raise KeyRefused("invalid_key", _("La clave de API no es válida."))
    if key.revoked_at is not None:
        raise KeyRefused("key_revoked", _("La clave de API fue revocada."))
    if key.is_expired_at(now):
        raise KeyRefused("key_expired", _("La clave de API venció."))
    membership = key.membership
    if (
        membership.status != MembershipStatus.ACTIVE
        or not key.account.is_active
        or not membership.user.is_active
    ):
        raise KeyRefused(
            "member_inactive",
            _("La persona con la que actúa la clave ya no está activa en la cuenta."),
        )
    if key.created_by_id is not None and not key.creator_manages:
        raise KeyRefused(
            "creator_inactive",
            _(
                "Quien creó la clave ya no administra la cuenta; pide una clave nueva a un "
                "administrador."
            ),
        )
    return key


def api_key_touch(key: ApiKey, *, now: datetime | None = None) -> None:
    """Record the use, at most once per LAST_USED_RESOLUTION (a write per minute, not per call)."""
    now = now or timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def api_keys_of(*, account: Account) -> list[ApiKey]:
    """The account's keys, newest first (the caller checked the viewer manages it)."""
    return list(
        ApiKey.objects.filter(account=account)
        .select_related("membership__user", "created_by")
        .prefetch_related("companies")
    )


def api_key_for(*, account: Account, key_id: object) -> ApiKey:
    """One of the account's keys; ApiKey.DoesNotExist whether missing or foreign."""
    try:
        return ApiKey.objects.select_related("membership__user", "account").get(
            account=account, pk=int(str(key_id))
        )
    except ValueError:
        raise ApiKey.DoesNotExist from None
