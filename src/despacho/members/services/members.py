"""The people of an account: add, edit, deactivate, reactivate, delete, transfer ownership.

Every function here is a service: keyword-only, one transaction, an audit event
with before and after. Owners and admins manage; the owner is untouchable
except by a transfer they make; nobody raises their own role; seat-taking
services lock the account row first (``seats.seat_take_lock``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.models import Grant, Profile
from despacho.access.selectors import manager_membership
from despacho.access.services import grant_set, grant_snapshot
from despacho.access.signals import management_lost
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.members.models import Invitation, InvitationKind
from despacho.members.services.accounts import user_create
from despacho.members.services.invitations import (
    invitation_create,
    invitation_revoke,
    invitation_rotate,
)
from despacho.members.services.seats import seat_take_lock
from despacho.people.models import User
from despacho.people.services import clean_identity
from despacho.tenancy.models import (
    MANAGER_ROLES,
    Account,
    Company,
    Membership,
    MembershipStatus,
    Role,
)

ASSIGNABLE_ROLES = (Role.ADMIN, Role.MEMBER)
_ROLE_RANK = {Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def _lose_management(*, target: Membership, actor: User) -> None:
    if target.role in MANAGER_ROLES and target.status == MembershipStatus.ACTIVE:
        management_lost.send(
            sender=Membership, account=target.account, person=target.user, actor=actor
        )


class GrantSpec(NamedTuple):
    """One company for a new member: the profile plus permissions added/removed by hand."""

    company: Company
    profile: Profile
    add: Iterable[Perm] = ()
    remove: Iterable[Perm] = ()


def membership_snapshot(membership: Membership) -> dict[str, Any]:
    return {
        "email": membership.user.email,
        "full_name": membership.user.full_name,
        "role": membership.role,
        "status": membership.status,
    }


def _lock(membership: Membership) -> Membership:
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account")
        .get(pk=membership.pk)
    )


def _refuse_touching_owner(target: Membership, verb: str) -> None:
    if target.role == Role.OWNER:
        raise ValidationError(
            _(
                "No se puede %(verb)s al propietario de la cuenta; primero transfiere la "
                "propiedad a otra persona."
            )
            % {"verb": verb},
            code="owner_protected",
        )


def _refuse_self(target: Membership, actor: User, verb: str) -> None:
    if target.user_id == actor.pk:
        raise ValidationError(
            _("No puedes %(verb)s a ti mismo; pídeselo a otro administrador o al propietario.")
            % {"verb": verb},
            code="self_action",
        )


def _clean_role(role: str) -> Role:
    if role == Role.OWNER:
        raise ValidationError(
            {
                "role": ValidationError(
                    _("Rol: la propiedad de la cuenta solo cambia de manos con una transferencia."),
                    code="use_transfer",
                )
            }
        )
    if role not in ASSIGNABLE_ROLES:
        raise ValidationError(
            {"role": ValidationError(_("Rol: elige Administrador o Usuario."), code="invalid_role")}
        )
    return Role(role)


def _needs_company_error() -> ValidationError:
    return ValidationError(
        {
            "grants": ValidationError(
                _(
                    "Empresas: un usuario (rol Usuario) necesita acceso al menos a una empresa, "
                    "con un perfil."
                ),
                code="needs_company",
            )
        }
    )


def _flat(exc: ValidationError) -> list[ValidationError]:
    if hasattr(exc, "error_dict"):
        return [error for errors in exc.error_dict.values() for error in errors]
    return exc.error_list


def _apply_grants(*, actor: User, membership: Membership, grants: Sequence[GrantSpec]) -> None:
    seen: set[int] = set()
    for spec in grants:
        if spec.company.pk in seen:
            raise ValidationError(
                {
                    "grants": ValidationError(
                        _("Empresas: %(rfc)s aparece dos veces.") % {"rfc": spec.company.rfc},
                        code="duplicate_company",
                    )
                }
            )
        seen.add(spec.company.pk)
        try:
            grant_set(
                actor=actor,
                membership=membership,
                company=spec.company,
                profile=spec.profile,
                add=spec.add,
                remove=spec.remove,
            )
        except ValidationError as exc:
            # Say which company each problem belongs to; keep grant_set's codes.
            raise ValidationError(
                {
                    "grants": [
                        ValidationError(
                            _("Empresas: %(rfc)s: %(problem)s")
                            % {
                                "rfc": spec.company.rfc,
                                "problem": error.message % (error.params or {}),
                            },
                            code=error.code,
                        )
                        for error in _flat(exc)
                    ]
                }
            ) from exc


@transaction.atomic
def member_add(
    *,
    account: Account,
    actor: User,
    full_name: str,
    email: str,
    role: str,
    grants: Sequence[GrantSpec | tuple[Any, ...]] = (),
) -> Membership:
    """Add a person to the account on a free seat, with their company grants, all or nothing.

    A person without a login is created with no password and invited by email
    (membership ``invited``); a person who already has a login joins at once
    (``active``) and gets a notice. Admins reach every company, so grants are
    only written for members.
    """
    manager_membership(account=account, actor=actor)
    clean_role = _clean_role(role)
    email, full_name = clean_identity(email, full_name)
    specs = [spec if isinstance(spec, GrantSpec) else GrantSpec(*spec) for spec in grants]
    if clean_role == Role.MEMBER and not specs:
        raise _needs_company_error()
    seat_take_lock(account=account)
    person = User.objects.filter(email=email).first()
    if person is not None:
        existing = Membership.objects.filter(account=account, user=person).first()
        if existing is not None:
            raise ValidationError(
                {
                    "email": ValidationError(
                        _("Correo electrónico: %(email)s ya está en esta cuenta (%(status)s).")
                        % {"email": email, "status": existing.get_status_display()},
                        code="already_member",
                    )
                }
            )
    else:
        person = user_create(email=email, full_name=full_name, password=None, actor=actor)
    needs_invitation = not person.has_usable_password()
    membership = Membership.objects.create(
        user=person,
        account=account,
        role=clean_role,
        status=MembershipStatus.INVITED if needs_invitation else MembershipStatus.ACTIVE,
        joined_at=None if needs_invitation else timezone.now(),
    )
    audit_record(
        actor=actor,
        action=Action.MEMBERSHIP_CREATED,
        account=account,
        target=membership,
        after=membership_snapshot(membership),
    )
    if clean_role == Role.MEMBER:
        _apply_grants(actor=actor, membership=membership, grants=specs)
    if needs_invitation:
        invitation_create(
            kind=InvitationKind.MEMBER,
            account=account,
            email=person.email,
            invited_by=actor,
            membership=membership,
        )
    else:
        from despacho.members.tasks import membership_notice_send

        membership_id, actor_id = membership.pk, actor.pk
        transaction.on_commit(
            lambda: membership_notice_send.enqueue(
                membership_id=membership_id, added_by_id=actor_id
            )
        )
    return membership


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    actor: User,
    role: str | None = None,
    full_name: str | None = None,
) -> Membership:
    """Change a person's role or (before their first login) their name; never the owner's role."""
    target = _lock(membership)
    manager = manager_membership(account=target.account, actor=actor)
    if target.role == Role.OWNER and manager.role != Role.OWNER:
        raise ValidationError(
            _("Solo el propietario puede modificar sus propios datos en la cuenta."),
            code="owner_protected",
        )
    before = membership_snapshot(target)
    fields: list[str] = []
    if role is not None and role != target.role:
        if target.role == Role.OWNER:
            _clean_role(Role.OWNER)  # the owner changes role only by transferring ownership
        new_role = _clean_role(role)
        if target.user_id == actor.pk and _ROLE_RANK[new_role] > _ROLE_RANK[Role(target.role)]:
            raise ValidationError(
                {
                    "role": ValidationError(
                        _("Rol: nadie puede subir su propio rol."), code="self_raise"
                    )
                }
            )
        if new_role == Role.MEMBER and not Grant.objects.filter(membership=target).exists():
            raise _needs_company_error()
        if new_role not in MANAGER_ROLES:
            _lose_management(target=target, actor=actor)
        target.role = new_role
        fields.append("role")
    if full_name is not None:
        person = target.user
        _email, clean_name = clean_identity(person.email, full_name)
        if clean_name != person.full_name:
            if person.has_usable_password():
                raise ValidationError(
                    {
                        "full_name": ValidationError(
                            _(
                                "Nombre completo: %(email)s ya entró a Despacho; solo esa persona "
                                "puede cambiar su nombre."
                            )
                            % {"email": person.email},
                            code="name_owned_by_person",
                        )
                    }
                )
            person.full_name = clean_name
            person.save(update_fields=["full_name"])
    if fields:
        target.save(update_fields=fields)
    after = membership_snapshot(target)
    if after != before:
        audit_record(
            actor=actor,
            action=Action.MEMBERSHIP_UPDATED,
            account=target.account,
            target=target,
            before=before,
            after=after,
        )
    return target


def _revoke_live_invitations(*, membership: Membership, actor: User) -> None:
    for invitation in Invitation.objects.filter(
        membership=membership, accepted_at=None, revoked_at=None
    ):
        invitation_revoke(invitation=invitation, actor=actor)


def _deactivate(*, target: Membership, actor: User) -> None:
    before = membership_snapshot(target)
    _lose_management(target=target, actor=actor)
    _revoke_live_invitations(membership=target, actor=actor)
    target.status = MembershipStatus.DEACTIVATED
    target.deactivated_at = timezone.now()
    target.save(update_fields=["status", "deactivated_at"])
    audit_record(
        actor=actor,
        action=Action.MEMBERSHIP_DEACTIVATED,
        account=target.account,
        target=target,
        before=before,
        after=membership_snapshot(target),
    )


@transaction.atomic
def member_deactivate(*, membership: Membership, actor: User) -> Membership:
    """Take the person out of the account at once: seat freed, access ends, history kept."""
    target = _lock(membership)
    manager_membership(account=target.account, actor=actor)
    _refuse_touching_owner(target, _("desactivar"))
    _refuse_self(target, actor, _("desactivarte"))
    if target.status == MembershipStatus.DEACTIVATED:
        raise ValidationError(
            _("El acceso de %(email)s ya está desactivado.") % {"email": target.user.email},
            code="already_deactivated",
        )
    _deactivate(target=target, actor=actor)
    return target


@transaction.atomic
def member_reactivate(*, membership: Membership, actor: User) -> Membership:
    """Bring a deactivated person back, only on a free seat; someone who never logged in is
    invited again."""
    target = _lock(membership)
    manager_membership(account=target.account, actor=actor)
    if target.status != MembershipStatus.DEACTIVATED:
        raise ValidationError(
            _("El acceso de %(email)s no está desactivado.") % {"email": target.user.email},
            code="not_deactivated",
        )
    seat_take_lock(account=target.account)
    before = membership_snapshot(target)
    needs_invitation = not target.user.has_usable_password()
    target.status = MembershipStatus.INVITED if needs_invitation else MembershipStatus.ACTIVE
    target.deactivated_at = None
    target.save(update_fields=["status", "deactivated_at"])
    audit_record(
        actor=actor,
        action=Action.MEMBERSHIP_REACTIVATED,
        account=target.account,
        target=target,
        before=before,
        after=membership_snapshot(target),
    )
    if needs_invitation:
        invitation_create(
            kind=InvitationKind.MEMBER,
            account=target.account,
            email=target.user.email,
            invited_by=actor,
            membership=target,
        )
    return target


@transaction.atomic
def member_delete(*, membership: Membership, actor: User) -> None:
    """Remove the person from the account: membership and grants gone, seat freed, audit kept.

    Their login survives when they belong to another account or have ever set a password.
    """
    target = _lock(membership)
    manager_membership(account=target.account, actor=actor)
    _refuse_touching_owner(target, _("eliminar"))
    _refuse_self(target, actor, _("eliminarte"))
    account = target.account
    for grant in Grant.objects.filter(membership=target).select_related("company", "profile"):
        audit_record(
            actor=actor,
            action=Action.GRANT_DELETED,
            account=account,
            company=grant.company,
            target=grant,
            before=grant_snapshot(grant),
        )
    audit_record(
        actor=actor,
        action=Action.MEMBERSHIP_DELETED,
        account=account,
        target=target,
        before=membership_snapshot(target),
    )
    _lose_management(target=target, actor=actor)
    person = target.user
    target.delete()  # grants and invitations go with it
    belongs_elsewhere = Membership.objects.filter(user=person).exists()
    if not belongs_elsewhere and not person.has_usable_password() and person.last_login is None:
        person.delete()  # an invitee who never came: nothing of theirs is left to keep


@transaction.atomic
def ownership_transfer(*, account: Account, actor: User, new_owner: Membership) -> Membership:
    """Make an active admin or member the owner; the old owner stays as admin."""
    Account.objects.select_for_update().only("pk").get(pk=account.pk)
    current = (
        Membership.objects.select_related("user")
        .filter(account=account, role=Role.OWNER, user=actor)
        .first()
    )
    if current is None:
        raise ValidationError(
            _("Solo el propietario de la cuenta puede transferir la propiedad."),
            code="owner_only",
        )
    target = _lock(new_owner)
    if (
        target.account_id != account.pk
        or target.pk == current.pk
        or target.status != MembershipStatus.ACTIVE
    ):
        raise ValidationError(
            {
                "new_owner": ValidationError(
                    _(
                        "Nuevo propietario: elige a una persona activa de esta cuenta "
                        "(administrador o usuario) que no seas tú."
                    ),
                    code="invalid_new_owner",
                )
            }
        )
    before = {"owner": current.user.email, "new_owner_role": target.role}
    current.role = Role.ADMIN
    current.save(update_fields=["role"])
    target.role = Role.OWNER
    target.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action=Action.OWNERSHIP_TRANSFERRED,
        account=account,
        target=target,
        before=before,
        after={"owner": target.user.email, "previous_owner_role": current.role},
    )
    return target


@transaction.atomic
def member_invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """A new link valid 72 hours; the old one dies."""
    manager_membership(account=invitation.account, actor=actor)
    if invitation.membership is None or invitation.membership.status != MembershipStatus.INVITED:
        raise ValidationError(
            _("Invitación: la persona ya no está invitada; reactívala para invitarla de nuevo."),
            code="membership_not_invited",
        )
    return invitation_rotate(invitation=invitation, actor=actor)


@transaction.atomic
def member_invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Kill the link; the invited person is deactivated, so their seat is freed."""
    manager_membership(account=invitation.account, actor=actor)
    invitation = invitation_revoke(invitation=invitation, actor=actor)
    if invitation.membership_id is not None:
        target = _lock(invitation.membership)  # type: ignore[arg-type]
        if target.status == MembershipStatus.INVITED:
            _deactivate(target=target, actor=actor)
    return invitation
