"""Invitations: single-use, expiring links that bring a person into an account (as a member,
the owner of a client account or a company linked to a firm)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

INVITATION_VALIDITY = timedelta(hours=72)


class InvitationKind(models.TextChoices):
    """What accepting the invitation does. Later issues add their kinds here."""

    MEMBER = "member", _("Usuario de la cuenta")
    COMPANY_LINK = "company_link", _("Vínculo de empresa con despacho")
    CLIENT_ACTIVATION = "client_activation", _("Activación de cuenta de cliente")
    PORTAL = "portal", _("Acceso al portal de descargas")


def invitation_validity(kind: str) -> timedelta:
    """How long a link lives from sending: 72 hours for members; LINK_INVITATION_DAYS for
    a company's link to a firm and a client's activation (people answer those less quickly)."""
    if kind in (InvitationKind.COMPANY_LINK, InvitationKind.CLIENT_ACTIVATION):
        return timedelta(days=settings.LINK_INVITATION_DAYS)
    return INVITATION_VALIDITY


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    ACCEPTED = "accepted", _("Aceptada")
    EXPIRED = "expired", _("Vencida")
    REVOKED = "revoked", _("Revocada")


class Invitation(models.Model):
    """A single-use, expiring link bound to an email. Only a SHA-256 of the token is stored."""

    kind = models.CharField(_("tipo"), max_length=20, choices=InvitationKind.choices)
    account = models.ForeignKey(
        "tenancy.Account", on_delete=models.CASCADE, related_name="invitations"
    )
    membership = models.ForeignKey(
        "tenancy.Membership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    # For kind company_link: the link the company's owner accepts or declines.
    company_link = models.ForeignKey(
        "tenancy.CompanyLink",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("correo electrónico"), max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("creada"), default=timezone.now)
    sent_at = models.DateTimeField(_("enviada"), null=True, blank=True)
    send_count = models.PositiveIntegerField(_("envíos"), default=0)
    expires_at = models.DateTimeField(_("vence"))
    accepted_at = models.DateTimeField(_("aceptada"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocada"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        # The table (and its constraints) keep the name they had when the model lived in
        # the people app; only Django's state moved (members 0001, people 0004).
        db_table = "people_invitation"
        verbose_name = _("invitación")
        verbose_name_plural = _("invitaciones")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="people_invitation_one_live_per_membership",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="people_invitation_not_accepted_and_revoked",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="people_invitation_email_lowercase"
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "kind", "-created_at"], name="people_invi_account_938867_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.email}"

    def status_at(self, moment: datetime) -> InvitationStatus:
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if moment >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @staticmethod
    def status_q(status: str, moment: datetime) -> models.Q:
        """The filter for invitations whose ``status_at(moment)`` is ``status`` (same rule)."""
        live = models.Q(revoked_at__isnull=True, accepted_at__isnull=True)
        return {
            InvitationStatus.REVOKED: models.Q(revoked_at__isnull=False),
            InvitationStatus.ACCEPTED: models.Q(revoked_at__isnull=True, accepted_at__isnull=False),
            InvitationStatus.EXPIRED: live & models.Q(expires_at__lte=moment),
            InvitationStatus.PENDING: live & models.Q(expires_at__gt=moment),
        }[InvitationStatus(status)]

    @property
    def status(self) -> InvitationStatus:
        return self.status_at(timezone.now())

    @property
    def status_label(self) -> str:
        return str(self.status.label)

    @property
    def is_pending(self) -> bool:
        return self.status == InvitationStatus.PENDING
