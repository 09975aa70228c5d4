"""API keys, idempotency records and rate-limit windows.

An API key acts as one membership (its person's current access), optionally
narrowed to some companies and some permissions. Only the SHA-256 of the
secret is stored; the prefix is what people see to tell keys apart.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.access.catalog import ALL_MASK, PermSet, from_mask
from despacho.tenancy.models import Account, Company, Membership


class ApiKey(models.Model):
    """A credential for programs, acting with its member's grants (never more)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("actúa como"),
    )
    name = models.CharField(_("nombre"), max_length=100)
    prefix = models.CharField(_("prefijo"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    # Empty: every company the member reaches in the account.
    companies = models.ManyToManyField(
        Company, blank=True, related_name="+", verbose_name=_("empresas")
    )
    # NULL: every permission the member holds.
    permissions = models.PositiveIntegerField(_("permisos"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("creada"), default=timezone.now)
    expires_at = models.DateTimeField(_("vence"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("último uso"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocada"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("clave de API")
        verbose_name_plural = _("claves de API")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(permissions__isnull=True) | Q(permissions__lte=ALL_MASK),
                name="api_apikey_known_bits",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="api_apikey_expires_after_created",
            ),
        ]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def perms(self) -> PermSet | None:
        return None if self.permissions is None else from_mask(self.permissions)

    def is_expired_at(self, moment: datetime) -> bool:
        return self.expires_at is not None and moment >= self.expires_at

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.is_expired_at(timezone.now()):
            return "expired"
        return "active"


class IdempotencyRecord(models.Model):
    """The response to a creating POST, replayed when the same key and body come again."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    # NULL while the first request is still running.
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="api_idempotency_unique_key")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


class RateLimitWindow(models.Model):
    """Requests one key made in one fixed window (database-backed: every process shares it)."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "window_start"], name="api_ratelimit_one_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id} @ {self.window_start:%H:%M:%S}: {self.count}"
