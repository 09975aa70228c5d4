"""Security settings an account chooses for its people."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountSecurityPolicy(models.Model):
    """What an account demands of its people. No row means the defaults (nothing extra)."""

    account = models.OneToOneField(
        "tenancy.Account",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="security_policy",
        verbose_name=_("cuenta"),
    )
    require_2fa_for_managers = models.BooleanField(
        _("exigir verificación en dos pasos a propietario y administradores"), default=False
    )
    updated_at = models.DateTimeField(_("modificada"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("política de seguridad de la cuenta")
        verbose_name_plural = _("políticas de seguridad de las cuentas")

    def __str__(self) -> str:
        return f"{self.account_id}: 2FA={'sí' if self.require_2fa_for_managers else 'no'}"


class MailThrottle(models.Model):
    """Mails asked for under one key (an address, or a client address) in the current hour.

    A row per key, updated under a row lock, so every web process counts together.
    """

    key = models.CharField(max_length=300, unique=True)
    window_started_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
