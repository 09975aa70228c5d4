"""A firm's links to companies that have their own account: invite, resend, withdraw,
accept, decline, revoke.

Every function is a service: keyword-only, one transaction, the link row locked,
who and when stored on the ``CompanyLink``, and an audit event written twice — once
in the firm's account and once in the company's — so each side's Bitácora shows it.
The emailed link is a ``people`` invitation of kind ``company_link`` (hashed,
single-use, minted when sent); the in-app notice reaches the same services by the
link's id. Only the owner of the company's account answers an invitation; the owner
or an admin of that account may revoke an accepted link. Revoking deletes the firm
members' grants on the company, so a later link never brings old access back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.models import Grant
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.people.invitations import (
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    invitation_rotate,
)
from despacho.people.models import Invitation, InvitationKind, User
from despacho.people.validators import normalize_email
from despacho.tenancy.members import manager_membership
from despacho.tenancy.models import (
    LIVE_LINK_STATUSES,
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    MembershipStatus,
    Role,
)
from despacho.tenancy.rfc import validate_company_rfc


def link_validity() -> timedelta:
    return timedelta(days=settings.LINK_INVITATION_DAYS)


def link_snapshot(link: CompanyLink) -> dict[str, Any]:
    return {
        "firm": link.firm.name,
        "company": link.company.rfc,
        "status": link.current_status.value,
        "expires_at": link.expires_at,
    }


def _audit_both(
    *,
    actor: User | None,
    action: Action,
    link: CompanyLink,
    before: dict[str, Any] | None,
) -> None:
    after = link_snapshot(link)
    for account in (link.firm, link.company.account):
        audit_record(
            actor=actor,
            action=action,
            account=account,
            company=link.company,
            target=link,
            before=before,
            after=after,
        )


def _lock(link: CompanyLink) -> CompanyLink:
    return (
        CompanyLink.objects.select_for_update(of=("self",))
        .select_related("firm", "company__account")
        .get(pk=link.pk)
    )


def company_owner(company: Company) -> User | None:
    """The owner of the account the company belongs to (None for a firm-managed account)."""
    membership = (
        Membership.objects.filter(account_id=company.account_id, role=Role.OWNER)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _target_company(*, rfc: str, email: str) -> Company:
    """The company an invitation names, by RFC or by its owner's email."""
    if rfc.strip():
        try:
            rfc = validate_company_rfc(rfc)
        except ValidationError as exc:
            raise ValidationError({"rfc": exc.error_list}) from exc
        company = Company.objects.select_related("account").filter(rfc=rfc).first()
        if company is None:
            raise ValidationError(
                {
                    "rfc": ValidationError(
                        _(
                            "RFC: %(rfc)s no tiene cuenta en Despacho. Crea la cuenta del cliente "
                            "desde «Nuevo cliente»."
                        )
                        % {"rfc": rfc},
                        code="rfc_not_registered",
                    )
                }
            )
        return company
    email = normalize_email(email)
    if not email:
        raise ValidationError(
            _("Escribe el RFC de la empresa o el correo de su propietario."), code="required"
        )
    companies = list(
        Company.objects.select_related("account").filter(
            account__memberships__user__email=email,
            account__memberships__role=Role.OWNER,
            account__is_active=True,
        )
    )
    if not companies:
        raise ValidationError(
            {
                "email": ValidationError(
                    _(
                        "Correo: %(email)s no es propietario de ninguna empresa en Despacho. "
                        "Crea la cuenta del cliente desde «Nuevo cliente»."
                    )
                    % {"email": email},
                    code="owner_not_found",
                )
            }
        )
    if len(companies) > 1:
        raise ValidationError(
            {
                "email": ValidationError(
                    _(
                        "Correo: %(email)s es propietario de %(count)d empresas; invita cada una "
                        "por su RFC."
                    )
                    % {"email": email, "count": len(companies)},
                    code="several_companies",
                )
            }
        )
    return companies[0]


@transaction.atomic
def link_invite(*, firm: Account, actor: User, rfc: str = "", email: str = "") -> CompanyLink:
    """Invite a company (by RFC or by its owner's email) to be managed by the firm."""
    manager_membership(account=firm, actor=actor)
    company = _target_company(rfc=rfc, email=email)
    if company.account_id == firm.pk:
        raise ValidationError(
            _("%(company)s ya es una empresa de tu cuenta.") % {"company": company.razon_social},
            code="own_company",
        )
    owner = company_owner(company)
    if owner is None or not company.account.is_active:
        raise ValidationError(
            _("%(company)s no tiene un propietario que pueda aceptar la invitación.")
            % {"company": company.razon_social},
            code="no_owner",
        )
    now = timezone.now()
    live = (
        CompanyLink.objects.select_for_update()
        .filter(firm=firm, company=company, status__in=LIVE_LINK_STATUSES)
        .first()
    )
    if live is not None:
        if live.status_at(now) == LinkStatus.EXPIRED:
            # Expiry is derived; mark it now so the new invitation may take its place.
            live.status = LinkStatus.EXPIRED
            live.save(update_fields=["status"])
        elif live.status == LinkStatus.ACCEPTED:
            raise ValidationError(
                _("Ya administras %(company)s.") % {"company": company.razon_social},
                code="already_linked",
            )
        else:
            raise ValidationError(
                _(
                    "Ya invitaste a %(company)s; espera su respuesta o reenvía la invitación "
                    "desde Empresas."
                )
                % {"company": company.razon_social},
                code="already_invited",
            )
    CompanyLink.objects.filter(firm=firm, company=company, is_latest=True).update(is_latest=False)
    try:
        with transaction.atomic():
            link = CompanyLink.objects.create(
                firm=firm,
                company=company,
                status=LinkStatus.PENDING,
                invited_by=actor,
                invited_at=now,
                expires_at=now + link_validity(),
            )
    except IntegrityError as exc:  # another admin invited the same company at the same moment
        raise ValidationError(
            _("Ya invitaste a %(company)s.") % {"company": company.razon_social},
            code="already_invited",
        ) from exc
    invitation_create(
        kind=InvitationKind.COMPANY_LINK,
        account=firm,
        email=owner.email,
        invited_by=actor,
        company_link=link,
    )
    _audit_both(actor=actor, action=Action.LINK_INVITED, link=link, before=None)
    return link


def _open_invitation(link: CompanyLink) -> Invitation | None:
    return (
        Invitation.objects.filter(
            company_link=link,
            kind=InvitationKind.COMPANY_LINK,
            accepted_at=None,
            revoked_at=None,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def _refuse_unless_pending(link: CompanyLink, *, allow_expired: bool = False) -> None:
    status = link.current_status
    if status == LinkStatus.PENDING:
        return
    if status == LinkStatus.EXPIRED:
        if allow_expired:
            return
        raise ValidationError(
            _("La invitación de %(firm)s venció. Pide al despacho que te la reenvíe.")
            % {"firm": link.firm.name},
            code="expired",
        )
    raise ValidationError(
        _("Esta invitación ya no está pendiente: está %(status)s.")
        % {"status": str(status.label).lower()},
        code="not_pending",
    )


@transaction.atomic
def link_resend(*, link: CompanyLink, actor: User) -> CompanyLink:
    """Send the invitation again: a new link by email, the old one dies, the expiry restarts."""
    link = _lock(link)
    manager_membership(account=link.firm, actor=actor)
    _refuse_unless_pending(link, allow_expired=True)
    before = link_snapshot(link)
    link.expires_at = timezone.now() + link_validity()
    link.save(update_fields=["expires_at"])
    invitation = _open_invitation(link)
    owner = company_owner(link.company)
    if owner is None:
        raise ValidationError(
            _("%(company)s ya no tiene propietario.") % {"company": link.company.razon_social},
            code="no_owner",
        )
    if invitation is not None and invitation.email == owner.email:
        invitation_rotate(invitation=invitation, actor=actor)
    else:  # the company changed hands since: the new owner gets the invitation
        if invitation is not None:
            invitation_revoke(invitation=invitation, actor=actor)
        invitation_create(
            kind=InvitationKind.COMPANY_LINK,
            account=link.firm,
            email=owner.email,
            invited_by=actor,
            company_link=link,
        )
    _audit_both(actor=actor, action=Action.LINK_RESENT, link=link, before=before)
    return link


@transaction.atomic
def link_withdraw(*, link: CompanyLink, actor: User) -> CompanyLink:
    """The firm takes back an invitation that was not answered: its link stops working."""
    link = _lock(link)
    manager_membership(account=link.firm, actor=actor)
    _refuse_unless_pending(link, allow_expired=True)
    before = link_snapshot(link)
    link.status = LinkStatus.WITHDRAWN
    link.revoked_by = actor
    link.revoked_at = timezone.now()
    link.save(update_fields=["status", "revoked_by", "revoked_at"])
    invitation = _open_invitation(link)
    if invitation is not None:
        invitation_revoke(invitation=invitation, actor=actor)
    _audit_both(actor=actor, action=Action.LINK_WITHDRAWN, link=link, before=before)
    return link


def refuse_unless_company_owner(*, link: CompanyLink, user: User) -> None:
    """An invitation is answered by the owner of the company's account, nobody else."""
    is_owner = Membership.objects.filter(
        account_id=link.company.account_id,
        user_id=user.pk,
        role=Role.OWNER,
        status=MembershipStatus.ACTIVE,
    ).exists()
    if not is_owner:
        raise ValidationError(
            _(
                "Esta invitación es para el propietario de %(company)s y entraste como "
                "%(current)s. Sal de tu sesión y entra con la cuenta del propietario."
            )
            % {"company": link.company.razon_social, "current": user.email},
            code="wrong_person",
        )


@transaction.atomic
def link_respond(*, link: CompanyLink, actor: User, accept: bool) -> CompanyLink:
    """The company's owner accepts (the firm starts managing it) or declines the invitation."""
    link = _lock(link)
    refuse_unless_company_owner(link=link, user=actor)
    _refuse_unless_pending(link)
    before = link_snapshot(link)
    now = timezone.now()
    link.status = LinkStatus.ACCEPTED if accept else LinkStatus.DECLINED
    link.responded_by = actor
    link.responded_at = now
    link.save(update_fields=["status", "responded_by", "responded_at"])
    invitation = _open_invitation(link)
    if invitation is not None:
        if accept:
            invitation.accepted_at = now
            invitation.save(update_fields=["accepted_at"])
        else:
            invitation.revoked_at = now
            invitation.revoked_by = actor
            invitation.save(update_fields=["revoked_at", "revoked_by"])
    _audit_both(
        actor=actor,
        action=Action.LINK_ACCEPTED if accept else Action.LINK_DECLINED,
        link=link,
        before=before,
    )
    return link


def link_for_token(token: str) -> CompanyLink:
    """The pending link behind an emailed token; ValidationError saying why a link is dead."""
    invitation = invitation_for_token(token)
    if invitation.kind != InvitationKind.COMPANY_LINK or invitation.company_link is None:
        raise ValidationError(_("Enlace de invitación: no es válido."), code="unknown_token")
    link = invitation.company_link
    if link.current_status != LinkStatus.PENDING:
        _refuse_unless_pending(link)
    return link


@transaction.atomic
def link_revoke(*, link: CompanyLink, actor: User) -> CompanyLink:
    """The company's owner (or an admin of its account) ends the firm's access, at once."""
    link = _lock(link)
    manages_company = Membership.objects.filter(
        account_id=link.company.account_id,
        user_id=actor.pk,
        role__in=[Role.OWNER, Role.ADMIN],
        status=MembershipStatus.ACTIVE,
    ).exists()
    if not manages_company:
        raise ValidationError(
            _("Solo el propietario o un administrador de %(company)s puede revocar el vínculo.")
            % {"company": link.company.razon_social},
            code="not_company_manager",
        )
    if link.status != LinkStatus.ACCEPTED:
        raise ValidationError(
            _("El vínculo con %(firm)s no está activo.") % {"firm": link.firm.name},
            code="not_accepted",
        )
    before = link_snapshot(link)
    link.status = LinkStatus.REVOKED
    link.revoked_by = actor
    link.revoked_at = timezone.now()
    link.save(update_fields=["status", "revoked_by", "revoked_at"])
    grants = Grant.objects.filter(company=link.company, membership__account=link.firm)
    removed = sorted(grants.values_list("membership__user__email", flat=True))
    grants.delete()
    _audit_both(actor=actor, action=Action.LINK_REVOKED, link=link, before=before)
    if removed:
        audit_record(
            actor=actor,
            action=Action.GRANT_DELETED,
            account=link.firm,
            company=link.company,
            target=link,
            before={"members": removed},
            after=None,
        )
    return link
