"""Invitations: single-use, expiring links bound to an email.

Only a SHA-256 of each token is stored. The token itself is minted by the task
that sends the email (``members.tasks.invitation_send``), so it never sits in
the database or in the task queue: it exists in the email and nowhere else.
Creating or resending an invitation stores the hash of a token nobody knows,
which also kills any link sent before.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.members.models import (
    Invitation,
    InvitationKind,
    InvitationStatus,
    invitation_validity,
)
from despacho.people.models import User
from despacho.people.services import clean_identity
from despacho.people.validators import password_checked
from despacho.tenancy.models import Account, CompanyLink, Membership, MembershipStatus, Role
from despacho.tokens import token_hash, token_mint


def invitation_snapshot(invitation: Invitation, now: datetime | None = None) -> dict[str, object]:
    return {
        "kind": invitation.kind,
        "email": invitation.email,
        "status": invitation.status_at(now or timezone.now()),
        "expires_at": invitation.expires_at,
    }


def _enqueue_send(invitation: Invitation) -> None:
    from despacho.members.tasks import invitation_send

    invitation_id = invitation.pk
    transaction.on_commit(lambda: invitation_send.enqueue(invitation_id=invitation_id))


def _trail_account(invitation: Invitation) -> Account:
    """The account whose trail records the invitation: a firm's link invitation goes to the
    invited company's account (it names its owner's email, which the firm must not learn)."""
    if invitation.company_link is not None and invitation.company_link.company is not None:
        return invitation.company_link.company.account
    return invitation.account


def invitation_create(
    *,
    kind: InvitationKind,
    account: Account,
    email: str,
    invited_by: User | None,
    membership: Membership | None = None,
    company_link: CompanyLink | None = None,
) -> Invitation:
    """Create a pending invitation and send its email once the caller's transaction commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invitation_create must run inside the caller's transaction")
    _unknown, placeholder = token_mint()
    invitation = Invitation.objects.create(
        kind=kind,
        account=account,
        membership=membership,
        company_link=company_link,
        email=email,
        token_hash=placeholder,
        invited_by=invited_by,
        expires_at=timezone.now() + invitation_validity(kind),
    )
    audit_record(
        actor=invited_by,
        action=Action.INVITATION_SENT,
        account=_trail_account(invitation),
        target=invitation,
        after=invitation_snapshot(invitation),
    )
    _enqueue_send(invitation)
    return invitation


def _refuse_unless_open(invitation: Invitation) -> None:
    """Accepted and revoked invitations are final."""
    status = invitation.status
    if status == InvitationStatus.ACCEPTED:
        raise ValidationError(
            _("Invitación: %(email)s ya la aceptó.") % {"email": invitation.email},
            code="already_accepted",
        )
    if status == InvitationStatus.REVOKED:
        raise ValidationError(
            _("Invitación: ya fue revocada; agrega de nuevo a la persona."),
            code="already_revoked",
        )


def invitation_rotate(*, invitation: Invitation, actor: User | None) -> Invitation:
    """Resend: the old link dies now, a new one (valid for its kind's time) is emailed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invitation_rotate must run inside the caller's transaction")
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _refuse_unless_open(invitation)
    before = invitation_snapshot(invitation)
    _unknown, invitation.token_hash = token_mint()
    invitation.expires_at = timezone.now() + invitation_validity(invitation.kind)
    invitation.save(update_fields=["token_hash", "expires_at"])
    audit_record(
        actor=actor,
        action=Action.INVITATION_RESENT,
        account=_trail_account(invitation),
        target=invitation,
        before=before,
        after=invitation_snapshot(invitation),
    )
    _enqueue_send(invitation)
    return invitation


def invitation_revoke(*, invitation: Invitation, actor: User | None) -> Invitation:
    """Kill the link for good (the caller decides what happens to the membership)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invitation_revoke must run inside the caller's transaction")
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _refuse_unless_open(invitation)
    before = invitation_snapshot(invitation)
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = actor
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action=Action.INVITATION_REVOKED,
        account=_trail_account(invitation),
        target=invitation,
        before=before,
        after=invitation_snapshot(invitation),
    )
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation behind a link; ValidationError saying why the link is dead."""
    invitation = (
        Invitation.objects.select_related(
            "account", "membership__user", "company_link__firm", "company_link__company"
        )
        .filter(token_hash=token_hash(token or ""))
        .first()
    )
    if invitation is None:
        raise ValidationError(
            _(
                "Enlace de invitación: no es válido. Puede que se haya reenviado uno más "
                "nuevo; usa el último correo que recibiste o pide otro."
            ),
            code="unknown_token",
        )
    status = invitation.status
    if status == InvitationStatus.ACCEPTED:
        raise ValidationError(
            _("Enlace de invitación: ya se usó. Entra con tu correo y contraseña."),
            code="already_accepted",
        )
    if status == InvitationStatus.REVOKED:
        raise ValidationError(
            _("Enlace de invitación: la invitación fue revocada."), code="already_revoked"
        )
    if status == InvitationStatus.EXPIRED:
        if invitation.kind == InvitationKind.MEMBER:
            message = _(
                "Enlace de invitación: venció (vale 72 horas). Pide al administrador de la "
                "cuenta que te la reenvíe."
            )
        else:
            message = _(
                "Enlace de invitación: venció (vale %(days)d días). Pide al despacho que te la "
                "reenvíe."
            ) % {"days": invitation_validity(invitation.kind).days}
        raise ValidationError(message, code="expired")
    return invitation


def invitation_refuse_other_person(*, invitation: Invitation, user: User | None) -> None:
    """An invitation is bound to its email: whoever else is logged in is refused."""
    if user is not None and user.is_authenticated and user.email != invitation.email:
        raise ValidationError(
            _(
                "Esta invitación es para %(invited)s, pero entraste como %(current)s. "
                "Sal de tu sesión y vuelve a abrir el enlace."
            )
            % {"invited": invitation.email, "current": user.email},
            code="wrong_person",
        )


def invitation_needs_password(invitation: Invitation) -> bool:
    """Whether accepting must set the person's first password (they never logged in)."""
    person = User.objects.filter(email=invitation.email).first()
    return person is None or not person.has_usable_password()


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user: User | None,
    full_name: str | None = None,
    password: str | None = None,
) -> Membership:
    """Accept a member invitation: set the first password if needed, activate the membership.

    ``user`` is whoever is logged in (or None). The link only works for the
    person it was sent to; a person who already has a password must log in.
    """
    found = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    invitation_for_token(token)  # re-check under the lock: two tabs, one acceptance
    invitation_refuse_other_person(invitation=invitation, user=user)
    membership_id = invitation.membership_id
    if invitation.kind == InvitationKind.CLIENT_ACTIVATION and membership_id is not None:
        return _client_activate(invitation, full_name=full_name, password=password)
    if invitation.kind != InvitationKind.MEMBER or membership_id is None:
        raise ValidationError(
            _("Enlace de invitación: este tipo de invitación no se acepta aquí."),
            code="wrong_kind",
        )
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account")
        .get(pk=membership_id)
    )
    if membership.status != MembershipStatus.INVITED:
        raise ValidationError(
            _("Enlace de invitación: tu acceso a %(account)s fue desactivado.")
            % {"account": membership.account.name},
            code="membership_not_invited",
        )
    person = membership.user
    before = {"status": membership.status, "full_name": person.full_name}
    if not person.has_usable_password():
        _first_password_set(person, full_name=full_name, password=password)
    elif user is None or not user.is_authenticated:
        raise ValidationError(
            _("Enlace de invitación: ya tienes contraseña; entra con ella para aceptar."),
            code="login_required",
        )
    now = timezone.now()
    membership.status = MembershipStatus.ACTIVE
    membership.joined_at = now
    membership.save(update_fields=["status", "joined_at"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        actor=person,
        action=Action.INVITATION_ACCEPTED,
        account=membership.account,
        target=membership,
        before=before,
        after={"status": membership.status, "full_name": person.full_name},
    )
    return membership


def _first_password_set(person: User, *, full_name: str | None, password: str | None) -> None:
    """Someone who never logged in names themselves and chooses their first password.

    The name follows the rules of ``clean_identity`` and the password Django's validators
    (ValidationError on ``full_name`` or ``password``); the caller records the event.
    """
    _email, person.full_name = clean_identity(person.email, full_name or "")
    person.set_password(password_checked(password or "", person))
    person.save(update_fields=["full_name", "password"])


def _client_activate(
    invitation: Invitation, *, full_name: str | None, password: str | None
) -> Membership:
    """A client whose account a firm created sets their name and password: the account is
    theirs (they were its owner from the start; until now nobody could log in as them)."""
    assert invitation.membership_id is not None
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account")
        .get(pk=invitation.membership_id)
    )
    if membership.role != Role.OWNER:
        raise ValidationError(
            _("Enlace de invitación: ya no tienes la propiedad de %(account)s.")
            % {"account": membership.account.name},
            code="not_owner",
        )
    person = membership.user
    if person.has_usable_password():
        raise ValidationError(
            _("Enlace de invitación: tu cuenta ya está activa. Entra con tu correo y contraseña."),
            code="already_accepted",
        )
    before = {"full_name": person.full_name, "activated": False}
    _first_password_set(person, full_name=full_name, password=password)
    now = timezone.now()
    membership.joined_at = now
    membership.save(update_fields=["joined_at"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    company = invitation.company_link.company if invitation.company_link else None
    audit_record(
        actor=person,
        action=Action.CLIENT_ACCOUNT_ACTIVATED,
        account=membership.account,
        company=company,
        target=membership,
        before=before,
        after={"full_name": person.full_name, "activated": True},
    )
    if invitation.company_link is not None:
        audit_record(
            actor=person,
            action=Action.CLIENT_ACCOUNT_ACTIVATED,
            account=invitation.company_link.firm,
            company=company,
            target=membership,
            before=before,
            after={"full_name": person.full_name, "activated": True},
        )
    return membership
