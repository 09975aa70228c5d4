"""A firm's links to companies that have their own account: invite, resend, withdraw,
accept, decline, revoke.

Every function is a service: keyword-only, one transaction, the link row locked,
who and when stored on the ``CompanyLink``, and an audit event written twice — once
in the firm's account and once in the company's — so each side's Bitácora shows it.
The emailed link is a members ``Invitation`` of kind ``company_link`` (hashed,
single-use, minted when sent); the in-app notice reaches the same services by the
link's id. Only the owner of the company's account answers an invitation; the owner
or an admin of that account may revoke an accepted link. Revoking deletes the firm
members' grants on the company, so a later link never brings old access back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from despacho.access.decisions import may_manage
from despacho.access.models import Grant
from despacho.access.selectors import manager_membership
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.members.models import Invitation, InvitationKind
from despacho.members.services.invitations import (
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    invitation_rotate,
)
from despacho.names import before_period
from despacho.people.models import User
from despacho.people.validators import normalize_email
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


def link_snapshot(link: CompanyLink, *, for_firm: bool = False) -> dict[str, Any]:
    """The link for the audit trail; the firm's copy names the company only once accepted."""
    shown = link.company is not None and (link.shown_to_firm or not for_firm)
    return {
        "firm": link.firm.name,
        "company": link.company.rfc if shown and link.company is not None else None,
        "requested": link.requested,
        "status": (link.firm_status if for_firm else link.current_status).value,
        "expires_at": link.expires_at,
    }


def _audit_both(
    *,
    actor: User | None,
    action: Action,
    link: CompanyLink,
    before: dict[str, Any] | None,
    firm_before: dict[str, Any] | None = None,
    firm_side: bool = True,
) -> None:
    """The event in the company's account (if the link reached one) and in the firm's, whose
    copy says nothing of the company until its owner accepted (``firm_side=False``: an act
    the firm must not learn of, such as a decline)."""
    if link.company is not None:
        audit_record(
            actor=actor,
            action=action,
            account=link.company.account,
            company=link.company,
            target=link,
            before=before,
            after=link_snapshot(link),
        )
    if firm_side:
        audit_record(
            actor=actor,
            action=action,
            account=link.firm,
            company=link.company if link.shown_to_firm else None,
            target=link,
            before=firm_before,
            after=link_snapshot(link, for_firm=True),
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


def _clean_request(*, rfc: str, email: str) -> tuple[str, str]:
    """The RFC (valid, with check digit) or the email the firm typed; only format errors."""
    if rfc.strip():
        try:
            return validate_company_rfc(rfc), ""
        except ValidationError as exc:
            raise ValidationError({"rfc": exc.error_list}) from exc
    clean_email = normalize_email(email)
    if not clean_email:
        raise ValidationError(
            _("Escribe el RFC de la empresa o el correo de su propietario."), code="required"
        )
    try:
        validate_email(clean_email)
    except ValidationError as exc:
        raise ValidationError(
            {"email": ValidationError(_("Correo: escribe un correo válido."), code="invalid")}
        ) from exc
    return "", clean_email


def _target_company(*, rfc: str, email: str) -> Company | None:
    """The one company the request names, by RFC or by its owner's email; None if none (or
    several: an owner of several companies is invited by RFC)."""
    if rfc:
        return Company.objects.select_related("account").filter(rfc=rfc).first()
    companies = list(
        Company.objects.select_related("account").filter(
            account__memberships__user__email=email,
            account__memberships__role=Role.OWNER,
            account__is_active=True,
        )[:2]
    )
    return companies[0] if len(companies) == 1 else None


def _refuse_over_the_hourly_cap(*, firm: Account, now: datetime) -> None:
    limit = settings.LINK_INVITATIONS_PER_HOUR
    # Invitations carry what the firm typed; links a firm makes for clients it creates do not.
    sent = (
        CompanyLink.objects.filter(firm=firm, invited_at__gt=now - timedelta(hours=1))
        .exclude(requested_rfc="", requested_email="")
        .count()
    )
    if sent >= limit:
        raise ValidationError(
            ngettext(
                "Puedes enviar hasta %(limit)d invitación de vínculo por hora; espera un poco "
                "e inténtalo de nuevo.",
                "Puedes enviar hasta %(limit)d invitaciones de vínculo por hora; espera un poco "
                "e inténtalo de nuevo.",
                limit,
            )
            % {"limit": limit},
            code="too_many_link_invitations",
        )


@transaction.atomic
def link_invite(
    *, firm: Account, actor: User, rfc: str = "", email: str = "", hourly_cap: bool = True
) -> CompanyLink:
    """Invite a company (by RFC or by its owner's email) to be managed by the firm.

    The firm gets the same answer and the same kind of row whether or not the RFC or email
    belongs to anyone: the owner of a matching company is emailed and decides; the firm
    sees the company only once they accept. At most ``LINK_INVITATIONS_PER_HOUR`` a firm.
    """
    manager_membership(account=firm, actor=actor)
    rfc, email = _clean_request(rfc=rfc, email=email)
    Account.objects.select_for_update().only("pk").get(pk=firm.pk)  # the hourly count, serialised
    now = timezone.now()
    if hourly_cap:
        _refuse_over_the_hourly_cap(firm=firm, now=now)
    company = _target_company(rfc=rfc, email=email)
    if company is not None and company.account_id == firm.pk:
        raise ValidationError(
            _("%(company)s ya es una empresa de tu cuenta.") % {"company": company.razon_social},
            code="own_company",
        )
    requested = Q(requested_rfc=rfc) if rfc else Q(requested_email=email)
    asked_before = (
        CompanyLink.objects.filter(requested, firm=firm, expires_at__gt=now)
        .exclude(status__in=[LinkStatus.WITHDRAWN, LinkStatus.REVOKED, LinkStatus.EXPIRED])
        .first()
    )
    if asked_before is not None and asked_before.firm_status_at(now) == LinkStatus.ACCEPTED:
        raise ValidationError(
            _("Ya administras %(company)s.") % {"company": asked_before.company},
            code="already_linked",
        )
    if asked_before is not None:
        raise ValidationError(
            _(
                "Ya invitaste a %(requested)s; espera la respuesta o reenvía la invitación "
                "desde Empresas."
            )
            % {"requested": rfc or email},
            code="already_invited",
        )
    owner = None if company is None else company_owner(company)
    live = None
    if company is not None:
        live = (
            CompanyLink.objects.select_for_update()
            .filter(firm=firm, company=company, status__in=LIVE_LINK_STATUSES)
            .first()
        )
        if live is not None and live.status_at(now) == LinkStatus.EXPIRED:
            # Expiry is derived; mark it now so the new invitation may take its place.
            live.status = LinkStatus.EXPIRED
            live.save(update_fields=["status"])
            live = None
        elif live is not None and live.status == LinkStatus.ACCEPTED:
            raise ValidationError(
                _("Ya administras %(company)s.") % {"company": before_period(company.razon_social)},
                code="already_linked",
            )
    reachable = (
        company is not None
        and owner is not None
        and company.account.is_active
        and live is None  # asked for under another name while pending: one invitation
    )
    if not reachable:
        company = None
    if company is not None:
        CompanyLink.objects.filter(firm=firm, company=company, is_latest=True).update(
            is_latest=False
        )
    link = CompanyLink.objects.create(
        firm=firm,
        company=company,
        requested_rfc=rfc,
        requested_email=email,
        status=LinkStatus.PENDING,
        invited_by=actor,
        invited_at=now,
        expires_at=now + link_validity(),
        is_latest=company is not None,
    )
    if company is not None and owner is not None:
        invitation_create(
            kind=InvitationKind.COMPANY_LINK,
            account=firm,
            email=owner.email,
            invited_by=actor,
            company_link=link,
        )
    _audit_both(actor=actor, action=Action.LINK_INVITED, link=link, before=None)
    return link


def link_sent_message(link: CompanyLink) -> str:
    """The one answer to an invitation, whether or not it reached anyone (pages and API)."""
    return _(
        "Invitación enviada a %(requested)s; si la empresa ya tiene cuenta en Despacho, su "
        "propietario decidirá si acepta. Verás la empresa en tu lista cuando acepte."
    ) % {"requested": link.requested}


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


def _refuse_unless_firm_sees_pending(link: CompanyLink) -> None:
    """The firm acts on an invitation it sees pending or expired (declines look pending)."""
    status = link.firm_status
    if status not in (LinkStatus.PENDING, LinkStatus.EXPIRED):
        raise ValidationError(
            _("Esta invitación ya no está pendiente: está %(status)s.")
            % {"status": str(status.label).lower()},
            code="not_pending",
        )


def _snapshots(link: CompanyLink) -> tuple[dict[str, Any], dict[str, Any]]:
    return link_snapshot(link), link_snapshot(link, for_firm=True)


@transaction.atomic
def link_resend(*, link: CompanyLink, actor: User) -> CompanyLink:
    """Send the invitation again: a new link by email, the old one dies, the expiry restarts.

    An invitation that reached nobody, or whose owner declined, only restarts its expiry: the
    firm's answer is the same and a declining owner gets no more email.
    """
    link = _lock(link)
    manager_membership(account=link.firm, actor=actor)
    _refuse_unless_firm_sees_pending(link)
    before, firm_before = _snapshots(link)
    link.expires_at = timezone.now() + link_validity()
    link.save(update_fields=["expires_at"])
    owner = None if link.company is None else company_owner(link.company)
    if link.company is not None and link.status != LinkStatus.DECLINED and owner is not None:
        invitation = _open_invitation(link)
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
    _audit_both(
        actor=actor, action=Action.LINK_RESENT, link=link, before=before, firm_before=firm_before
    )
    return link


@transaction.atomic
def link_withdraw(*, link: CompanyLink, actor: User) -> CompanyLink:
    """The firm takes back an invitation that was not answered: its link stops working."""
    link = _lock(link)
    manager_membership(account=link.firm, actor=actor)
    _refuse_unless_firm_sees_pending(link)
    before, firm_before = _snapshots(link)
    link.status = LinkStatus.WITHDRAWN
    link.revoked_by = actor
    link.revoked_at = timezone.now()
    link.save(update_fields=["status", "revoked_by", "revoked_at"])
    invitation = _open_invitation(link)
    if invitation is not None:
        invitation_revoke(invitation=invitation, actor=actor)
    _audit_both(
        actor=actor,
        action=Action.LINK_WITHDRAWN,
        link=link,
        before=before,
        firm_before=firm_before,
    )
    return link


def refuse_unless_company_owner(*, link: CompanyLink, user: User) -> None:
    """An invitation is answered by the owner of the company's account, nobody else."""
    is_owner = Membership.objects.filter(
        account_id=link.invited_company.account_id,
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
            % {"company": link.invited_company.razon_social, "current": user.email},
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
        firm_before=None,  # until now the firm's trail named no company
        firm_side=accept,  # a decline is the owner's; the firm's invitation just expires
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
    if not may_manage(actor, link.invited_company.account_id):
        raise ValidationError(
            _("Solo el propietario o un administrador de %(company)s puede revocar el vínculo.")
            % {"company": link.invited_company.razon_social},
            code="not_company_manager",
        )
    if link.status != LinkStatus.ACCEPTED:
        raise ValidationError(
            _("El vínculo con %(firm)s no está activo.") % {"firm": link.firm.name},
            code="not_accepted",
        )
    before, firm_before = _snapshots(link)
    link.status = LinkStatus.REVOKED
    link.revoked_by = actor
    link.revoked_at = timezone.now()
    link.save(update_fields=["status", "revoked_by", "revoked_at"])
    grants = Grant.objects.filter(company=link.company, membership__account=link.firm)
    removed = sorted(grants.values_list("membership__user__email", flat=True))
    grants.delete()
    _audit_both(
        actor=actor,
        action=Action.LINK_REVOKED,
        link=link,
        before=before,
        firm_before=firm_before,
    )
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
