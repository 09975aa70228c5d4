"""Profiles (named permission sets) and grants (a member's access to one company)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.access.catalog import ALL_MASK, PermSet, effective_mask, from_mask
from despacho.tenancy.models import Account, Company, Membership


class Profile(models.Model):
    """A named permission set: a system preset (no account) or an account's own."""

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="profiles"
    )
    code = models.SlugField(max_length=40, blank=True, help_text="Stable code of system presets.")
    name = models.CharField(_("nombre"), max_length=80)
    permissions = models.PositiveIntegerField(_("permisos"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("perfil")
        verbose_name_plural = _("perfiles")
        ordering = ["account_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"],
                name="access_profile_unique_name_per_account",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(account__isnull=True),
                name="access_profile_unique_system_name",
            ),
            models.CheckConstraint(
                condition=Q(permissions__lte=ALL_MASK), name="access_profile_known_bits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_system(self) -> bool:
        return self.account_id is None

    @property
    def perms(self) -> PermSet:
        return from_mask(self.permissions)


class Grant(models.Model):
    """A member's access to one company: a profile plus permissions added/removed by hand."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="grants")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="grants")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="grants")
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("acceso a empresa")
        verbose_name_plural = _("accesos a empresas")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "company"], name="access_grant_one_per_company"
            ),
            models.CheckConstraint(
                condition=Q(added__lte=ALL_MASK) & Q(removed__lte=ALL_MASK),
                name="access_grant_known_bits",
            ),
            # A permission is never both added and removed by hand.
            models.CheckConstraint(
                condition=Q(Exact(F("added").bitand(F("removed")), 0)),  # type: ignore[arg-type]
                name="access_grant_added_removed_disjoint",
            ),
        ]
        indexes = [models.Index(fields=["company", "membership"])]

    def __str__(self) -> str:
        return f"{self.membership} · {self.company}"

    @property
    def audit_label(self) -> str:
        """How the audit trail names the grant: the person and the company."""
        return f"{self.membership.audit_label} · {self.company}"

    @property
    def mask(self) -> int:
        return effective_mask(self.profile.permissions, self.added, self.removed)

    @property
    def perms(self) -> PermSet:
        return from_mask(self.mask)
