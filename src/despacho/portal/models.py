"""The receivers' download portal: accesses, their people, links, events and lock-outs.

A ``PortalAccess`` is one receiver RFC's door into one issuing company's
portal. Passwords are stored only as Django password hashes (Argon2 in
production); a receiver's session carries a fingerprint of the hash and of
``session_version``, so changing the password or disabling the access ends
every open session on its next request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.tenancy.models import Company
from despacho.tenancy.rfc import GENERIC_RFCS
from despacho.textsearch import fold

PORTAL_LINK_VALIDITY = timedelta(hours=72)
LOGIN_LINK_VALIDITY = timedelta(minutes=30)


class Origin(models.TextChoices):
    AUTO = "auto", _("Automático")
    MANUAL = "manual", _("Manual")
    API = "api", _("API")


class AccessStatus(models.TextChoices):
    NO_PASSWORD = "no_password", _("Sin contraseña")
    ACTIVE = "active", _("Activo")
    DISABLED = "disabled", _("Deshabilitado")


class PortalAccess(models.Model):
    """Issuer company × receiver RFC: who may download what that company issued to the RFC."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="portal_accesses", verbose_name=_("empresa")
    )
    rfc = models.CharField(_("RFC"), max_length=13)
    name = models.CharField(_("nombre"), max_length=300, blank=True)
    # Accent- and case-folded name, so the list filters in the database ("perez" finds "PÉREZ").
    name_folded = models.CharField(max_length=300, blank=True, editable=False)
    email = models.EmailField(_("correo electrónico"), max_length=254, blank=True)
    password = models.CharField(_("contraseña"), max_length=128, blank=True)
    origin = models.CharField(_("origen"), max_length=8, choices=Origin.choices)
    is_active = models.BooleanField(_("habilitado"), default=True)
    # Bumped whenever open sessions must end (password changed, access disabled).
    session_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("creado"), default=timezone.now)
    last_login_at = models.DateTimeField(_("último acceso"), null=True, blank=True)
    last_download_at = models.DateTimeField(_("última descarga"), null=True, blank=True)

    class Meta:
        verbose_name = _("acceso al portal")
        verbose_name_plural = _("accesos al portal")
        ordering = ["rfc"]
        constraints = [
            models.UniqueConstraint(fields=["company", "rfc"], name="portal_access_company_rfc"),
            models.CheckConstraint(
                condition=~Q(rfc__in=sorted(GENERIC_RFCS)), name="portal_access_rfc_not_generic"
            ),
            models.CheckConstraint(
                condition=Q(rfc__regex=r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$"),
                name="portal_access_rfc_format",
            ),
            models.CheckConstraint(
                condition=Q(origin__in=["auto", "manual", "api"]), name="portal_access_origin"
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="portal_access_email_lowercase"
            ),
        ]
        indexes = [models.Index(fields=["company", "name_folded"], name="portal_access_name")]

    def __str__(self) -> str:
        return f"{self.rfc} {self.name}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_folded = fold(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_folded"}
        super().save(*args, **kwargs)

    @property
    def has_password(self) -> bool:
        return bool(self.password) and is_password_usable(self.password)

    @property
    def status(self) -> AccessStatus:
        """Disabled, active (someone can log in), or without a password yet."""
        if not self.is_active:
            return AccessStatus.DISABLED
        # The list annotates ``people_with_password``; elsewhere it is asked for.
        people = getattr(self, "people_with_password", None)
        if people is None:
            people = self.people.filter(is_active=True).exclude(password="").exists()
        if self.has_password or people:
            return AccessStatus.ACTIVE
        return AccessStatus.NO_PASSWORD

    @property
    def status_label(self) -> str:
        return str(self.status.label)


class PortalUser(models.Model):
    """One person of the receiver with their own login (email + password) on the access."""

    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="people")
    email = models.EmailField(_("correo electrónico"), max_length=254)
    name = models.CharField(_("nombre"), max_length=150, blank=True)
    password = models.CharField(_("contraseña"), max_length=128, blank=True)
    is_active = models.BooleanField(_("habilitado"), default=True)
    session_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("creado"), default=timezone.now)
    last_login_at = models.DateTimeField(_("último acceso"), null=True, blank=True)

    class Meta:
        verbose_name = _("persona del portal")
        verbose_name_plural = _("personas del portal")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["access", "email"], name="portal_user_access_email"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="portal_user_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def has_password(self) -> bool:
        return bool(self.password) and is_password_usable(self.password)

    @property
    def status(self) -> AccessStatus:
        if not self.is_active:
            return AccessStatus.DISABLED
        return AccessStatus.ACTIVE if self.has_password else AccessStatus.NO_PASSWORD

    @property
    def status_label(self) -> str:
        return str(self.status.label)


class LinkPurpose(models.TextChoices):
    SET_PASSWORD = "set_password", _("Elegir contraseña")
    LOGIN = "login", _("Entrar sin contraseña")


class PortalLink(models.Model):
    """A single-use emailed link: choose a password (72 h) or log in once (30 min).

    Hashed like people's invitations (``despacho.tokens.token_hash``): the
    token is minted by the task that sends the email and exists only there.
    """

    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="links")
    portal_user = models.ForeignKey(
        PortalUser, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    purpose = models.CharField(max_length=16, choices=LinkPurpose.choices)
    email = models.EmailField(_("correo electrónico"), max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    # Links sent together by one bulk action, so their results can be shown together.
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.email}"

    def is_usable_at(self, moment: datetime) -> bool:
        return self.used_at is None and self.sent_at is not None and moment < self.expires_at


class EventKind(models.TextChoices):
    LOGIN = "login", _("Entrada")
    LOGIN_FAILED = "login_failed", _("Entrada fallida")
    LOGIN_LOCKED = "login_locked", _("Entrada bloqueada")
    LOGOUT = "logout", _("Salida")
    PASSWORD_SET = "password_set", _("Contraseña elegida")
    DOWNLOAD_XML = "download_xml", _("Descarga XML")
    DOWNLOAD_PDF = "download_pdf", _("Descarga PDF")
    DOWNLOAD_ZIP = "download_zip", _("Descarga ZIP")


class PortalEventQuerySet(models.QuerySet["PortalEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Portal events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Portal events are append-only.")


class PortalEvent(models.Model):
    """What happened at the portal's door: logins, failures, downloads. Append-only."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    # Null for a failed login whose RFC has no access (the typed identifier is kept).
    access = models.ForeignKey(
        PortalAccess, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    portal_user = models.ForeignKey(
        PortalUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("evento"), max_length=16, choices=EventKind.choices)
    identifier = models.CharField(_("RFC o correo escrito"), max_length=254, blank=True)
    detail = models.JSONField(_("detalle"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("fecha"), default=timezone.now)

    objects = PortalEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["access", "-occurred_at"], name="portal_event_access")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind} {self.identifier}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("Portal events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Portal events are append-only.")


class LoginThrottle(models.Model):
    """Failed logins counted per key (an RFC at one company, or an IP address).

    A row per key, updated under a row lock, so several web processes count
    together on PostgreSQL and SQLite alike.
    """

    key = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
