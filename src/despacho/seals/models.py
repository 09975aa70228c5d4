"""A company's certificates: CSD (sello digital) and e.firma (FIEL), each with its private key.

The key is kept only as a vault token (``vault.py``: Fernet with ``DESPACHO_VAULT_KEYS``) of
its unencrypted PKCS#8 form; the password that opened it is never stored. Nothing here
prints the token: not ``str``, ``repr``, the admin or the API (``sealed_key`` is not
editable, so no ModelForm or serializer picks it up by accident).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.tenancy.models import Company

# Days before expiry from which the page warns.
EXPIRY_WARNING_DAYS = 30


class SealKind(models.TextChoices):
    CSD = "csd", _("CSD (sello digital)")
    FIEL = "fiel", _("e.firma (FIEL)")


class Certificate(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("empresa")
    )
    kind = models.CharField(_("tipo"), max_length=4, choices=SealKind.choices)
    serial = models.CharField(_("número de certificado"), max_length=20)
    rfc = models.CharField(_("RFC"), max_length=13)
    holder = models.CharField(_("titular"), max_length=300, blank=True)
    valid_from = models.DateTimeField(_("vigente desde"))
    valid_to = models.DateTimeField(_("vigente hasta"))
    # The .cer as SAT issued it (DER): public, goes into every CFDI it seals.
    certificate_der = models.BinaryField(editable=False)
    # The private key: a vault token, never the key's bytes.
    sealed_key = models.BinaryField(editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("subió"),
    )
    uploaded_at = models.DateTimeField(_("subido"), default=timezone.now)

    class Meta:
        verbose_name = _("certificado")
        verbose_name_plural = _("certificados")
        ordering = ("kind", "-valid_to", "id")
        constraints = [
            models.UniqueConstraint(fields=["company", "serial"], name="seals_serial_per_company"),
            models.CheckConstraint(
                condition=Q(kind__in=[kind.value for kind in SealKind]), name="seals_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__gt=models.F("valid_from")), name="seals_validity_ordered"
            ),
            models.CheckConstraint(condition=~Q(serial=""), name="seals_serial_present"),
        ]
        indexes = [models.Index(fields=["company", "kind", "-valid_to"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial} ({self.rfc})"

    def __repr__(self) -> str:
        return f"<Certificate {self.pk}: {self.kind} {self.serial} {self.rfc}>"

    @property
    def audit_label(self) -> str:
        return str(_("%(kind)s número %(serial)s")) % {
            "kind": self.get_kind_display(),
            "serial": self.serial,
        }

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days until it expires (negative once expired)."""
        return (self.valid_to - (now or timezone.now())).days

    def is_current(self, now: datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.valid_from <= moment < self.valid_to

    @property
    def state(self) -> str:
        """``expired``, ``pending`` (not yet valid), ``expiring`` (30 days or less), ``active``."""
        now = timezone.now()
        if now >= self.valid_to:
            return "expired"
        if now < self.valid_from:
            return "pending"
        if self.days_left(now) <= EXPIRY_WARNING_DAYS:
            return "expiring"
        return "active"

    @property
    def state_label(self) -> str:
        return str(
            {
                "expired": _("Vencido"),
                "pending": _("Aún no vigente"),
                "expiring": _("Vence pronto"),
                "active": _("Vigente"),
            }[self.state]
        )
