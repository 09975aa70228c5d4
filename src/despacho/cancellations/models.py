"""A cancellation of an issued CFDI: a state machine, each step kept, the acuse in storage.

``Cancellation`` is one request to cancel one CFDI. Its ``state`` moves only through
``services.cancellation_advance`` along ``TRANSITIONS``; every move is a
``CancellationStep`` (the history the CFDI page shows). The database refuses a second
open request for the same CFDI (solicitada or en proceso), an unknown state or motive, a
substitute on any motive but 01 (and 01 without one), and a final state without its moment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.cfdi.models import Cfdi
from despacho.tenancy.models import Company


class State(models.TextChoices):
    SOLICITADA = "solicitada", _("Solicitada")
    EN_PROCESO = "en_proceso", _("En proceso (esperando al receptor)")
    CANCELADA = "cancelada", _("Cancelada")
    RECHAZADA = "rechazada", _("Rechazada por el receptor")
    PLAZO_VENCIDO = "plazo_vencido", _("Cancelada por plazo vencido")
    ERROR = "error", _("No procedió")


class MotivoChoice(models.TextChoices):
    """SAT's c_MotivoCancelacion with its descriptions (``pac.cancelrules.Motivo``'s codes)."""

    ERRORES_CON_RELACION = "01", _("01 · Comprobante emitido con errores con relación")
    ERRORES_SIN_RELACION = "02", _("02 · Comprobante emitido con errores sin relación")
    NO_SE_LLEVO_A_CABO = "03", _("03 · No se llevó a cabo la operación")
    NOMINATIVA_EN_GLOBAL = "04", _("04 · Operación nominativa relacionada en una factura global")


#: Requests still waiting for an answer: at most one per CFDI.
OPEN_STATES = (State.SOLICITADA, State.EN_PROCESO)
#: States after which nothing changes.
FINAL_STATES = (State.CANCELADA, State.RECHAZADA, State.PLAZO_VENCIDO, State.ERROR)
#: Every legal move; anything else is refused by ``services.cancellation_advance``.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.SOLICITADA: frozenset({State.EN_PROCESO, State.CANCELADA, State.ERROR}),
    State.EN_PROCESO: frozenset({State.CANCELADA, State.RECHAZADA, State.PLAZO_VENCIDO}),
    State.CANCELADA: frozenset(),
    State.RECHAZADA: frozenset(),
    State.PLAZO_VENCIDO: frozenset(),
    State.ERROR: frozenset(),
}

_STATE_LABELS = dict(State.choices)


def acuse_key(company_id: int, cancellation_id: int) -> str:
    """Where the SAT's acuse of a cancellation lives in Django's default storage."""
    return f"cancellations/{company_id}/{cancellation_id}-acuse.xml"


class Cancellation(models.Model):
    """One request to cancel one issued CFDI of the company, and where it stands."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("empresa")
    )
    cfdi = models.ForeignKey(
        Cfdi, on_delete=models.PROTECT, related_name="cancellations", verbose_name=_("CFDI")
    )
    motivo = models.CharField(_("motivo"), max_length=2, choices=MotivoChoice.choices)
    folio_sustitucion = models.CharField(_("folio de sustitución"), max_length=36, blank=True)
    state = models.CharField(
        _("estado"), max_length=16, choices=State.choices, default=State.SOLICITADA
    )
    # The path cancellation_path foresaw when it was requested, and its reasons (Spanish).
    needs_acceptance = models.BooleanField(_("requiere aceptación del receptor"))
    reasons = models.JSONField(_("razones"), default=list)
    # The SAT's EstatusUUID (201, 202, 205 …) or the PAC's code of a refusal; its message.
    sat_code = models.CharField(_("código del SAT"), max_length=16, blank=True)
    message = models.TextField(_("mensaje"), blank=True)
    acuse_path = models.CharField(_("acuse"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("solicitada por"),
    )
    requested_at = models.DateTimeField(_("solicitada"), default=timezone.now)
    updated_at = models.DateTimeField(_("actualizada"), default=timezone.now)
    finished_at = models.DateTimeField(_("concluida"), null=True, blank=True)

    class Meta:
        verbose_name = _("cancelación")
        verbose_name_plural = _("cancelaciones")
        constraints = [
            models.UniqueConstraint(
                fields=["cfdi"],
                condition=Q(state__in=["solicitada", "en_proceso"]),
                name="cancellation_one_open_per_cfdi",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in State]), name="cancellation_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(motivo__in=[m.value for m in MotivoChoice]),
                name="cancellation_motivo_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(motivo="01") & ~Q(folio_sustitucion="")
                    | ~Q(motivo="01") & Q(folio_sustitucion="")
                ),
                name="cancellation_substitute_only_for_01",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state__in=["solicitada", "en_proceso"], finished_at__isnull=True)
                    | Q(
                        state__in=["cancelada", "rechazada", "plazo_vencido", "error"],
                        finished_at__isnull=False,
                    )
                ),
                name="cancellation_finished_when_final",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "updated_at"], name="cancellation_state_updated"),
            models.Index(fields=["company", "cfdi", "-requested_at"], name="cancellation_cfdi"),
        ]

    def __str__(self) -> str:
        return f"{self.cfdi_id} {self.motivo} {self.state}"

    @property
    def audit_label(self) -> str:
        return str(_("cancelación del %(cfdi)s") % {"cfdi": self.cfdi.audit_label})

    @property
    def state_label(self) -> str:
        return str(_STATE_LABELS.get(self.state, self.state))

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def motivo_label(self) -> str:
        return str(dict(MotivoChoice.choices).get(self.motivo, self.motivo))


class CancellationStep(models.Model):
    """One move of a cancellation's state: the history the CFDI page shows."""

    cancellation = models.ForeignKey(
        Cancellation, on_delete=models.CASCADE, related_name="steps", verbose_name=_("cancelación")
    )
    state = models.CharField(_("estado"), max_length=16, choices=State.choices)
    at = models.DateTimeField(_("momento"), default=timezone.now)
    message = models.TextField(_("mensaje"), blank=True)

    class Meta:
        verbose_name = _("paso de cancelación")
        verbose_name_plural = _("pasos de cancelación")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in State]),
                name="cancellationstep_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cancellation_id} {self.state} {self.at:%Y-%m-%d %H:%M}"

    @property
    def state_label(self) -> str:
        return str(_STATE_LABELS.get(self.state, self.state))
