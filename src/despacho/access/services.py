"""Writes about profiles and grants. Every write validates the catalog's rules and audits."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm, from_mask, to_mask, violations
from despacho.access.models import Grant, Profile
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.people.models import User
from despacho.tenancy.models import Company, CompanyLink, LinkStatus, Membership


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
    # Hand changes are stored relative to the profile, so profile edits still reach them.
    added = to_mask(add_set) & ~profile.permissions
    removed = to_mask(remove_set) & profile.permissions
    effective = from_mask((profile.permissions | added) & ~removed)
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
