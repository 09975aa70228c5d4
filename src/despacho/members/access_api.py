"""REST API of access: profiles (named permission sets) and the permission catalog."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from despacho.access.catalog import REQUIRES, Perm, rules_as_data
from despacho.access.models import Profile
from despacho.access.selectors import profile_for, profiles_for
from despacho.access.services import profile_create, profile_delete, profile_update
from despacho.api.auth import Principal, caller
from despacho.api.errors import ApiError, responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import (
    CURSOR,
    LIMIT,
    PermCode,
    object_id,
    perm_codes,
    perms_of,
    query_text,
    text,
)
from despacho.errors import NotFound

profiles_router = Router(tags=["profiles"])
permissions_router = Router(tags=["permissions"])


class ProfileOut(Schema):
    id: str
    name: str
    system: bool = Field(description="A system preset (read-only).")
    permissions: list[PermCode]
    uses: int = Field(description="Grants of this account built on the profile.")

    @staticmethod
    def of(profile: Profile) -> ProfileOut:
        return ProfileOut(
            id=str(profile.pk),
            name=profile.name,
            system=profile.is_system,
            permissions=perm_codes(profile.perms),
            uses=getattr(profile, "uses", 0),
        )


class ProfileIn(Schema):
    name: str = text(max_length=200)
    permissions: list[PermCode] = Field(max_length=20)


class ProfilePatch(Schema):
    name: str | None = text(None, max_length=200)
    permissions: list[PermCode] | None = Field(None, max_length=20)


def _profile(principal: Principal, profile_id: str) -> Profile:
    principal.require_manager()
    profile = profiles_for(account=principal.account).filter(pk=object_id(profile_id)).first()
    if profile is None:
        raise NotFound
    return profile


@profiles_router.get("", response=responses({200: Page[ProfileOut]}))
def profiles_list(request: HttpRequest, limit: int = LIMIT, cursor: str | None = CURSOR) -> Any:
    """The system presets and the account's own profiles."""
    principal = caller(request)
    principal.require_manager()
    qs = profiles_for(account=principal.account)
    rows, next_cursor = paginate(qs, ordering=("id",), limit=limit, cursor=cursor)
    return {"items": [ProfileOut.of(p) for p in rows], "next_cursor": next_cursor}


@profiles_router.post("", response=responses({201: ProfileOut}))
@idempotent
def profiles_create(request: HttpRequest, payload: ProfileIn) -> Any:
    """One of the account's own profiles; the set must satisfy the catalog's rules."""
    principal = caller(request)
    principal.require_manager()
    profile = profile_create(
        actor=principal.user,
        account=principal.account,
        name=payload.name,
        permissions=perms_of(payload.permissions),
    )
    return Status(201, ProfileOut.of(profile))


@profiles_router.get("/{profile_id}", response=responses({200: ProfileOut}))
def profiles_get(request: HttpRequest, profile_id: str) -> Any:
    return ProfileOut.of(_profile(caller(request), profile_id))


@profiles_router.patch("/{profile_id}", response=responses({200: ProfileOut}))
def profiles_update(request: HttpRequest, profile_id: str, payload: ProfilePatch) -> Any:
    """Rename or change the set; refused if it would leave any grant on it invalid."""
    principal = caller(request)
    profile = profile_update(
        actor=principal.user,
        profile=_profile(principal, profile_id),
        name=payload.name,
        permissions=None if payload.permissions is None else perms_of(payload.permissions),
    )
    return ProfileOut.of(_profile(principal, str(profile.pk)))


@profiles_router.delete("/{profile_id}", response=responses({204: None}))
def profiles_delete(
    request: HttpRequest,
    profile_id: str,
    replacement: str | None = query_text(
        None, max_length=20, description="Profile the grants on this one move to (if any)."
    ),
) -> Any:
    """Delete an own profile; grants built on it move to ``replacement`` (required if any)."""
    principal = caller(request)
    profile = _profile(principal, profile_id)
    substitute = None
    if replacement:
        try:
            substitute = profile_for(account=principal.account, profile_id=object_id(replacement))
        except (NotFound, ApiError):
            raise ApiError(
                422,
                "invalid_replacement",
                _("Reemplazo: no existe ese perfil en esta cuenta."),
                fields=[
                    {
                        "field": "replacement",
                        "code": "invalid_replacement",
                        "message": _("No existe ese perfil en esta cuenta."),
                    }
                ],
            ) from None
    profile_delete(actor=principal.user, profile=profile, replacement=substitute)
    return HttpResponse(status=204)


class PermissionOut(Schema):
    code: PermCode
    label: str
    help: str
    requires: PermCode | None


class RuleOut(Schema):
    code: str
    kind: str = Field(description="`at_least_one` of `permissions`, or `permission` `requires`.")
    permissions: list[PermCode] | None = None
    permission: PermCode | None = None
    requires: PermCode | None = None


class CatalogOut(Schema):
    permissions: list[PermissionOut]
    rules: list[RuleOut]


@permissions_router.get("", response=responses({200: CatalogOut}))
def permissions_catalog(request: HttpRequest) -> Any:
    """Every permission with its label and help (Spanish), and the rules a set must satisfy."""
    caller(request)
    return {
        "permissions": [
            {
                "code": perm.value,
                "label": str(perm.label),
                "help": str(perm.help_text),
                "requires": REQUIRES[perm].value if perm in REQUIRES else None,
            }
            for perm in Perm
        ],
        "rules": rules_as_data(),
    }
