"""Onboarding: a CSV import of client companies, validated and created as background work."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.tenancy.models import Account, Company


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Validando")
    READY = "ready", _("Revisada: lista para confirmar")
    CREATING = "creating", _("Creando empresas")
    DONE = "done", _("Terminada")
    FAILED = "failed", _("Se detuvo por un error")


RUNNING_STATUSES = (ImportStatus.VALIDATING, ImportStatus.CREATING)


class ImportJob(models.Model):
    """One uploaded file: its rows, each row's errors, and what creating them did.

    ``rows`` holds every parsed row as ``{"line", "values", "errors"}`` (errors are
    ``{"code", "message"}``); ``report`` holds the outcome of every row after creation
    (``{"line", "rfc", "nombre", "email", "outcome", "reason"}``). Counters let the page
    show progress while the task runs.
    """

    # What the file holds (a kind of ``onboarding.engine``); "clients" for the firm's imports
    # from before kinds existed, so their rows stay readable.
    kind = models.CharField(_("tipo"), max_length=20, default="clients")
    # The account the job belongs to (the firm for client imports, the company's account
    # otherwise) and, for company-scoped kinds (customers, products), the company.
    firm = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("despacho")
    )
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("empresa"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("archivo"), max_length=255)
    file_sha256 = models.CharField(max_length=64)
    encoding = models.CharField(_("codificación"), max_length=20, blank=True)
    delimiter = models.CharField(_("separador"), max_length=5, blank=True)
    status = models.CharField(
        _("estado"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.VALIDATING
    )
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=list)
    report = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("subida"), default=timezone.now)
    validated_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("importación de empresas")
        verbose_name_plural = _("importaciones de empresas")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["firm", "-created_at"]),
            models.Index(fields=["company", "kind", "-created_at"], name="import_company_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(processed_rows__lte=models.F("total_rows")),
                name="onboarding_import_processed_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def status_label(self) -> str:
        """The status as the page shows it: the creating step names what the kind creates."""
        if self.status == ImportStatus.CREATING and self.kind != "clients":
            return str(_("Importando"))
        return self.get_status_display()

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if not self.is_running else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
