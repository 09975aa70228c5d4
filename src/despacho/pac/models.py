"""What the sandbox PAC stamped and cancelled, so it answers recover, status and cancel truly.

Only the sandbox writes here; a real PAC keeps its own records. One row per stamped CFDI,
found by the SHA-256 of the exact bytes it was sent (stamping them again returns this
row's stamp) or by its UUID.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from despacho.pac.base import Estado, EstatusCancelacion


class SandboxDocument(models.Model):
    uuid = models.CharField(_("UUID"), max_length=36, unique=True)
    xml_sha256 = models.CharField(_("SHA-256 del XML recibido"), max_length=64, unique=True)
    emisor_rfc = models.CharField(_("RFC emisor"), max_length=13)
    receptor_rfc = models.CharField(_("RFC receptor"), max_length=13)
    receptor_regimen = models.CharField(_("régimen del receptor"), max_length=3, blank=True)
    tipo = models.CharField(_("tipo de comprobante"), max_length=1)
    total = models.DecimalField(_("total"), max_digits=22, decimal_places=6)
    total_mxn = models.DecimalField(_("total en MXN"), max_digits=22, decimal_places=2)
    fuel_carta_porte = models.BooleanField(_("traslada combustibles"), default=False)
    # The stamped CFDI exactly as the sandbox returned it: recover answers with these bytes.
    stamped_xml = models.BinaryField(editable=False)
    stamped_at = models.DateTimeField(_("timbrado"))
    estado = models.CharField(
        _("estado"),
        max_length=13,
        choices=[(e.value, e.value) for e in Estado if e is not Estado.NO_ENCONTRADO],
        default=Estado.VIGENTE,
    )
    estatus_cancelacion = models.CharField(
        _("estatus de cancelación"),
        max_length=24,
        choices=[(e.value, e.value or "—") for e in EstatusCancelacion],
        default=EstatusCancelacion.NINGUNO,
        blank=True,
    )
    motivo = models.CharField(_("motivo de cancelación"), max_length=2, blank=True)
    folio_sustitucion = models.CharField(_("folio de sustitución"), max_length=36, blank=True)
    cancel_requested_at = models.DateTimeField(_("cancelación solicitada"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelado"), null=True, blank=True)
    acuse = models.BinaryField(editable=False, blank=True, default=b"")

    class Meta:
        verbose_name = _("documento del sandbox")
        verbose_name_plural = _("documentos del sandbox")
        constraints = [
            models.CheckConstraint(
                condition=Q(estado__in=[Estado.VIGENTE, Estado.CANCELADO]),
                name="pac_sandbox_estado_known",
            ),
            models.CheckConstraint(
                condition=Q(estatus_cancelacion__in=[e.value for e in EstatusCancelacion]),
                name="pac_sandbox_estatus_known",
            ),
            # Cancelled exactly when it carries the moment it was cancelled.
            models.CheckConstraint(
                condition=Q(estado=Estado.CANCELADO, cancelled_at__isnull=False)
                | Q(estado=Estado.VIGENTE, cancelled_at__isnull=True),
                name="pac_sandbox_cancelled_has_moment",
            ),
            # A cancellation status only follows a request.
            models.CheckConstraint(
                condition=Q(estatus_cancelacion="") | Q(cancel_requested_at__isnull=False),
                name="pac_sandbox_status_after_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} ({self.estado})"
