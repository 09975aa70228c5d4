"""Writes about profiles and grants. Every write validates the catalog's rules and audits."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm, effective_mask, from_mask, to_mask, violations
from despacho.access.decisions import may_manage
from despacho.access.models import Grant, Profile
from despacho.access.selectors import GrantImpact, describe_impacts, profile_impact
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.names import name_skeleton, validate_name_characters
from despacho.people.models import User
from despacho.tenancy.models import (
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    Role,
)


def permission_rules_error(perms: Iterable[Perm], *, field: str = "permissions") -> ValidationError:
    """A ValidationError listing every rule the set breaks (codes like ``requires_ventas``)."""
    return ValidationError(
        {field: [ValidationError(v.message, code=v.code) for v in violations(perms)]}
    )


def check_permission_set(perms: Iterable[Perm], *, field: str = "permissions") -> None:
    """Raise when the set breaks any rule; an invalid set is refused, never fixed."""
    perms = frozenset(perms)
    if violations(perms):
        raise permission_rules_error(perms, field=field)


def grant_snapshot(grant: Grant) -> dict[str, object]:
    return {
        "company": grant.company.rfc,
        "profile": grant.profile.name,
        "added": sorted(p.value for p in from_mask(grant.added)),
        "removed": sorted(p.value for p in from_mask(grant.removed)),
        "effective": sorted(p.value for p in grant.perms),
    }


def _require_manager(*, actor: User | None, account_id: int) -> None:
    """Only the account's owner and admins manage profiles and permissions (None = system)."""
    if actor is None:
        return
    if not may_manage(actor, account_id):
        raise ValidationError(
            _("Solo el propietario y los administradores de la cuenta administran permisos."),
            code="not_manager",
        )


def _check_may_set_grants(*, actor: User | None, membership: Membership) -> None:
    """Nobody raises their own permissions; the owner's access is not a grant to edit."""
    _require_manager(actor=actor, account_id=membership.account_id)
    if actor is not None and membership.user_id == actor.pk:
        raise ValidationError(
            _("No puedes cambiar tus propios permisos; pídeselo a otro administrador."),
            code="own_permissions",
        )
    if membership.role == Role.OWNER:
        raise ValidationError(
            _("El propietario tiene todos los permisos; sus accesos no se editan."),
            code="owner_has_all",
        )


def _locked(profile: Profile) -> Profile:
    """The profile re-read under a row lock (system presets never change: no lock)."""
    if profile.account_id is None:
        return profile
    return Profile.objects.select_for_update().get(pk=profile.pk)


def _company_belongs_to_account(company: Company, account_id: int) -> bool:
    if company.account_id == account_id:
        return True
    return CompanyLink.objects.filter(
        company=company, firm_id=account_id, status=LinkStatus.ACCEPTED
    ).exists()


@transaction.atomic
def grant_set(
    *,
    actor: User | None,
    membership: Membership,
    company: Company,
    profile: Profile,
    add: Iterable[Perm] = (),
    remove: Iterable[Perm] = (),
) -> Grant:
    """Create or replace the member's grant on the company; the effective set must be valid."""
    add_set, remove_set = frozenset(add), frozenset(remove)
    if profile.account_id not in (None, membership.account_id):
        raise ValidationError(
            {"profile": ValidationError(_("Perfil: no existe en esta cuenta."), code="invalid")}
        )
    if not _company_belongs_to_account(company, membership.account_id):
        raise ValidationError(
            {
                "company": ValidationError(
                    _("Empresa: %(company)s no pertenece a esta cuenta ni está vinculada a ella.")
                    % {"company": company.rfc},
                    code="company_not_in_account",
                )
            }
        )
    overlap = add_set & remove_set
    if overlap:
        raise ValidationError(
            {
                "permissions": ValidationError(
                    _("Permisos: %(perms)s no puede agregarse y quitarse a la vez.")
                    % {
                        "perms": ", ".join(
                            str(p.label) for p in sorted(overlap, key=lambda p: p.bit)
                        )
                    },
                    code="added_and_removed",
                )
            }
        )
    _check_may_set_grants(actor=actor, membership=membership)
    # Hold the profile row while the set is validated against it, so a concurrent profile
    # edit (which takes the same lock) sees this grant or this grant sees the edit.
    profile = _locked(profile)
    # Hand changes are stored relative to the profile, so profile edits still reach them.
    added = to_mask(add_set) & ~profile.permissions
    removed = to_mask(remove_set) & profile.permissions
    effective = from_mask(effective_mask(profile.permissions, added, removed))
    check_permission_set(effective)
    grant = (
        Grant.objects.select_for_update()
        .select_related("company", "profile")
        .filter(membership=membership, company=company)
        .first()
    )
    before = grant_snapshot(grant) if grant is not None else None
    if grant is None:
        grant = Grant(membership=membership, company=company)
    grant.profile = profile
    grant.added = added
    grant.removed = removed
    grant.updated_at = timezone.now()
    grant.save()
    audit_record(
        actor=actor,
        action=Action.GRANT_CREATED if before is None else Action.GRANT_UPDATED,
        account=membership.account,
        company=company,
        target=grant,
        before=before,
        after=grant_snapshot(grant),
    )
    return grant


@transaction.atomic
def grant_delete(*, actor: User | None, grant: Grant) -> None:
    """Take away the member's access to the company (the membership stays)."""
    membership = grant.membership
    _check_may_set_grants(actor=actor, membership=membership)
    before = grant_snapshot(grant)
    company = grant.company
    grant.delete()
    audit_record(
        actor=actor,
        action=Action.GRANT_DELETED,
        account=membership.account,
        company=company,
        target=membership,
        before=before,
    )


# --- profiles ---------------------------------------------------------------


def profile_snapshot(profile: Profile) -> dict[str, object]:
    return {
        "name": profile.name,
        "permissions": sorted(p.value for p in profile.perms),
    }


def _clean_profile_name(*, account: Account, name: str, exclude_pk: int | None = None) -> str:
    try:
        validate_name_characters(name or "", field=_("Nombre"))
    except ValidationError as exc:
        raise ValidationError({"name": exc}) from exc
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(
            {"name": ValidationError(_("Nombre: escribe el nombre del perfil."), code="required")}
        )
    if len(name) > 80:
        raise ValidationError(
            {"name": ValidationError(_("Nombre: máximo 80 caracteres."), code="max_length")}
        )
    # Compared by what they look like, not by code points: "Аdministrador" with a
    # Cyrillic A would pass for the preset in every list and in the audit trail.
    skeleton = name_skeleton(name)
    others = Profile.objects.filter(Q(account=account) | Q(account__isnull=True))
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    names = others.values_list("name", flat=True)
    clash = next((other for other in names if name_skeleton(other) == skeleton), None)
    if clash is not None:
        raise ValidationError(
            {
                "name": ValidationError(
                    _("Nombre: ya existe un perfil llamado «%(name)s».") % {"name": clash},
                    code="name_taken",
                )
            }
        )
    return name


def _refuse_broken_grants(impacts: list[GrantImpact], *, code: str, lead: str) -> None:
    broken = [impact for impact in impacts if impact.violations]
    if broken:
        raise ValidationError(
            {
                "permissions": ValidationError(
                    f"{lead} {describe_impacts(broken)}",
                    code=code,
                )
            }
        )


def _editable(profile: Profile) -> None:
    if profile.is_system:
        raise ValidationError(
            _("Los perfiles del sistema no se modifican; crea uno propio a partir de él."),
            code="system_profile",
        )


@transaction.atomic
def profile_create(
    *, actor: User | None, account: Account, name: str, permissions: Iterable[Perm]
) -> Profile:
    """Create one of the account's own profiles; its set must be valid and its name unique."""
    _require_manager(actor=actor, account_id=account.pk)
    perms = frozenset(permissions)
    errors: dict[str, list[ValidationError]] = {}
    try:
        name = _clean_profile_name(account=account, name=name)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if violations(perms):
        errors.update(permission_rules_error(perms).error_dict)
    if errors:
        raise ValidationError(errors)
    profile = Profile.objects.create(account=account, name=name, permissions=to_mask(perms))
    audit_record(
        actor=actor,
        action=Action.PROFILE_CREATED,
        account=account,
        target=profile,
        after=profile_snapshot(profile),
    )
    return profile


@transaction.atomic
def profile_update(
    *,
    actor: User | None,
    profile: Profile,
    name: str | None = None,
    permissions: Iterable[Perm] | None = None,
) -> Profile:
    """Rename and/or change the set; the change reaches every grant built on the profile.

    Refused (nothing saved) when the set is invalid or when it would leave any grant on
    the profile invalid; the error names each person and company affected.
    """
    _editable(profile)
    account = profile.account
    assert account is not None
    _require_manager(actor=actor, account_id=account.pk)
    profile = _locked(profile)
    before = profile_snapshot(profile)
    errors: dict[str, list[ValidationError]] = {}
    if name is not None:
        try:
            profile.name = _clean_profile_name(account=account, name=name, exclude_pk=profile.pk)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if permissions is not None:
        perms = frozenset(permissions)
        if violations(perms):
            errors.update(permission_rules_error(perms).error_dict)
        else:
            try:
                _refuse_broken_grants(
                    profile_impact(profile=profile, permissions=perms),
                    code="grants_would_break",
                    lead=_("El cambio dejaría permisos inválidos a:"),
                )
            except ValidationError as exc:
                errors.update(exc.error_dict)
            profile.permissions = to_mask(perms)
    if errors:
        raise ValidationError(errors)
    profile.updated_at = timezone.now()
    profile.save()
    audit_record(
        actor=actor,
        action=Action.PROFILE_UPDATED,
        account=profile.account,
        target=profile,
        before=before,
        after={**profile_snapshot(profile), "grants": profile.grants.count()},
    )
    return profile


@transaction.atomic
def profile_delete(
    *, actor: User | None, profile: Profile, replacement: Profile | None = None
) -> int:
    """Delete an own profile; grants built on it move to ``replacement`` (required if any).

    Hand changes travel with each grant; a move that would leave any grant invalid is
    refused naming who is affected. Returns how many grants moved.
    """
    _editable(profile)
    account = profile.account
    assert account is not None
    _require_manager(actor=actor, account_id=account.pk)
    profile = _locked(profile)
    grants = Grant.objects.filter(profile=profile)
    in_use = grants.count()
    if in_use and replacement is None:
        raise ValidationError(
            {
                "replacement": ValidationError(
                    _(
                        "Reemplazo: %(count)s accesos usan este perfil; elige el perfil que "
                        "tomarán antes de eliminarlo."
                    )
                    % {"count": in_use},
                    code="replacement_required",
                )
            }
        )
    moved: list[dict[str, object]] = []
    if replacement is not None and in_use:
        if replacement.pk == profile.pk or replacement.account_id not in (
            None,
            profile.account_id,
        ):
            raise ValidationError(
                {
                    "replacement": ValidationError(
                        _("Reemplazo: elige otro perfil de esta cuenta o del sistema."),
                        code="invalid_replacement",
                    )
                }
            )
        replacement = _locked(replacement)
        _refuse_broken_grants(
            profile_impact(profile=profile, permissions=replacement.perms),
            code="grants_would_break",
            lead=_("Con el perfil «%(name)s» quedarían permisos inválidos para:")
            % {"name": replacement.name},
        )
        for grant in grants.select_related("membership__user", "company"):
            moved.append(
                {
                    "user": grant.membership.user.email,
                    "company": grant.company.rfc,
                    "effective": sorted(
                        p.value
                        for p in from_mask(
                            effective_mask(replacement.permissions, grant.added, grant.removed)
                        )
                    ),
                }
            )
        grants.update(profile=replacement, updated_at=timezone.now())
    before = profile_snapshot(profile)
    audit_record(
        actor=actor,
        action=Action.PROFILE_DELETED,
        account=account,
        target=profile,
        before=before,
        after={"replacement": replacement.name, "grants": moved} if moved and replacement else None,
    )
    profile.delete()
    return len(moved)
