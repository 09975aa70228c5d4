"""Emails about invitations and new members, sent as background tasks (django-tasks)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from despacho.mail import email_send
from despacho.members.models import Invitation, InvitationKind, invitation_validity
from despacho.people.models import User
from despacho.tenancy.models import CompanyLink, Membership
from despacho.tokens import token_mint

# What each kind of invitation emails, and the page its link opens (template, URL name).
# Each app registers its own kinds in its AppConfig.ready (firms: company links;
# onboarding: client activations), so this app names no template of theirs.
_EMAILS: dict[str, tuple[str, str]] = {
    InvitationKind.MEMBER: ("members/email/invitation", "invitations:accept"),
}


def invitation_email_register(kind: InvitationKind, *, template: str, url_name: str) -> None:
    """Email invitations of ``kind`` with ``template`` and a link to ``url_name``(token)."""
    _EMAILS[kind] = (template, url_name)


@task()
def invitation_send(invitation_id: int) -> bool:
    """Mint the invitation's token, store its hash, and email the link. False if no longer open."""
    return _invitation_send(invitation_id)


@task()
def invitations_send_many(invitation_ids: list[int]) -> int:
    """Send a batch of invitations (a CSV import's activations); how many were sent."""
    return sum(1 for invitation_id in invitation_ids if _invitation_send(invitation_id))


def _invitation_send(invitation_id: int) -> bool:
    token, digest = token_mint()
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related(
                "account",
                "invited_by",
                "membership__user",
                "company_link__firm",
                "company_link__company",
            )
            .filter(pk=invitation_id, accepted_at=None, revoked_at=None)
            .first()
        )
        if invitation is None:
            return False
        if invitation.kind not in _EMAILS:
            raise ValueError(f"No email for invitations of kind {invitation.kind!r} yet")
        expires_at = now + invitation_validity(invitation.kind)
        # The link is valid from the moment it is sent; any earlier link dies here.
        Invitation.objects.filter(pk=invitation.pk).update(
            token_hash=digest,
            sent_at=now,
            expires_at=expires_at,
            send_count=F("send_count") + 1,
        )
        if invitation.kind == InvitationKind.COMPANY_LINK and invitation.company_link_id:
            # The link's expiry is the email's: the Empresas page shows when it lapses.
            CompanyLink.objects.filter(pk=invitation.company_link_id).update(expires_at=expires_at)
    template, url_name = _EMAILS[invitation.kind]
    link = invitation.company_link
    email_send(
        to=invitation.email,
        template=template,
        context={
            "account": invitation.account,
            "invited_by": invitation.invited_by,
            "person": invitation.membership.user if invitation.membership else None,
            "firm": link.firm if link else None,
            "company": link.company if link else None,
            "link": settings.SITE_URL + reverse(url_name, args=[token]),
            "expires_at": expires_at,
            "days": invitation_validity(invitation.kind).days,
        },
    )
    return True


@task()
def membership_notice_send(membership_id: int, added_by_id: int | None) -> bool:
    """Tell a person who already has a login that they were added to an account."""
    membership = (
        Membership.objects.select_related("user", "account").filter(pk=membership_id).first()
    )
    if membership is None:
        return False
    added_by = User.objects.filter(pk=added_by_id).first() if added_by_id else None
    email_send(
        to=membership.user.email,
        template="members/email/membership_notice",
        context={
            "account": membership.account,
            "person": membership.user,
            "invited_by": added_by,
            "link": settings.SITE_URL + reverse("home"),
            "role": membership.get_role_display(),
        },
    )
    return True
