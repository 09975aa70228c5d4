"""What the SAT connection keeps: each company's schedule, every synchronisation run, each
request made to SAT's descarga masiva and each package downloaded (so a restarted worker
resumes without asking or storing twice), and the metadata of received CFDIs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from despacho.tenancy.models import Company


class Direction(models.TextChoices):
    EMITIDOS = "emitidos", _("Emitidos")
    RECIBIDOS = "recibidos", _("Recibidos")


class RequestType(models.TextChoices):
    CFDI = "CFDI", _("CFDI")
    METADATA = "Metadata", _("Metadatos")


class RunKind(models.TextChoices):
    DAILY = "daily", _("Diaria")
    MANUAL = "manual", _("A petición")
    BACKFILL = "backfill", _("Histórico")


class RunState(models.TextChoices):
    PENDING = "pending", _("En cola")
    RUNNING = "running", _("En curso")
    DONE = "done", _("Terminada")
    FAILED = "failed", _("Con errores")


OPEN_STATES = (RunState.PENDING, RunState.RUNNING)


class RequestState(models.TextChoices):
    NEW = "new", _("Por solicitar")
    WAITING = "waiting", _("En proceso en el SAT")
    READY = "ready", _("Paquetes listos")
    DONE = "done", _("Descargada")
    EMPTY = "empty", _("Sin información")
    SPLIT = "split", _("Dividida en periodos menores")
    FAILED = "failed", _("Rechazada")


FINAL_REQUEST_STATES = (
    RequestState.DONE,
    RequestState.EMPTY,
    RequestState.SPLIT,
    RequestState.FAILED,
)


class SyncSchedule(models.Model):
    """A company's daily synchronisation: on or off, and how many days back it asks."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="sat_schedule")
    daily = models.BooleanField(_("sincronización diaria"), default=True)
    days = models.PositiveSmallIntegerField(_("días hacia atrás"), null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(days__isnull=True) | Q(days__gte=1, days__lte=90),
                name="satsync_schedule_days_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_id} diaria={self.daily} días={self.effective_days}"

    @property
    def effective_days(self) -> int:
        return self.days or settings.DESPACHO_SAT_SYNC_DAYS


class SyncRun(models.Model):
    """One synchronisation of a company for a period: its requests, progress and outcome."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sat_runs")
    kind = models.CharField(max_length=10, choices=RunKind.choices)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.PENDING)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker holding the run until then (a crashed worker's lease expires: resumable).
    lease_until = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # {"emitidos": {"accepted": n, "duplicate": n, "refused": n}, "recibidos": {...},
    #  "metadata": n}: what the run brought so far.
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(state__in=["pending", "running"]),
                name="satsync_one_open_run_per_company",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="satsync_run_period_order",
            ),
        ]
        indexes = [models.Index(fields=["company", "-created_at"])]

    def __str__(self) -> str:
        return (
            f"{self.company_id} {self.kind} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"
        )

    @property
    def audit_label(self) -> str:
        return str(_("descarga del SAT del %(start)s al %(end)s")) % {
            "start": f"{self.period_start:%Y-%m-%d}",
            "end": f"{self.period_end:%Y-%m-%d}",
        }

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class SatRequest(models.Model):
    """One SolicitaDescarga: its period, direction and type, SAT's id and where it stands."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="requests")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    request_type = models.CharField(max_length=10, choices=RequestType.choices)
    fecha_inicial = models.DateTimeField()
    fecha_final = models.DateTimeField()
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.NEW)
    id_solicitud = models.CharField(max_length=64, blank=True)
    sat_code = models.CharField(max_length=10, blank=True)
    message = models.TextField(blank=True)
    number_cfdis = models.PositiveIntegerField(null=True, blank=True)
    verifications = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "direction", "request_type", "fecha_inicial", "fecha_final"],
                name="satsync_request_once_per_run",
            ),
            models.CheckConstraint(
                condition=Q(fecha_final__gt=models.F("fecha_inicial")),
                name="satsync_request_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.request_type} {self.fecha_inicial:%Y-%m-%d} {self.state}"


class SatPackage(models.Model):
    """A package SAT made ready for a request; ``ingested`` once its content is stored."""

    request = models.ForeignKey(SatRequest, on_delete=models.CASCADE, related_name="packages")
    package_id = models.CharField(max_length=80)
    ingested = models.BooleanField(default=False)
    counts = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "package_id"], name="satsync_package_once")
        ]

    def __str__(self) -> str:
        return self.package_id


class SatMetadata(models.Model):
    """A CFDI as SAT's metadata lists it (received ones above all: SAT lists the cancelled
    ones whose XML it no longer gives)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sat_metadata")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    uuid = models.UUIDField()
    emisor_rfc = models.CharField(max_length=13)
    emisor_nombre = models.CharField(max_length=300, blank=True)
    receptor_rfc = models.CharField(max_length=13)
    receptor_nombre = models.CharField(max_length=300, blank=True)
    pac_rfc = models.CharField(max_length=13, blank=True)
    fecha_emision = models.DateTimeField()
    fecha_certificacion = models.DateTimeField(null=True, blank=True)
    monto = models.DecimalField(max_digits=20, decimal_places=6)
    efecto = models.CharField(max_length=1, blank=True)
    vigente = models.BooleanField(default=True)
    fecha_cancelacion = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "uuid"], name="satsync_metadata_once")
        ]
        indexes = [models.Index(fields=["company", "direction", "-fecha_emision"])]

    def __str__(self) -> str:
        return str(self.uuid)
