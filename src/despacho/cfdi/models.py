"""The CFDI repository: one row per stored comprobante, the original XML in storage.

The database holds only the index fields that lists filter, sort and total on;
everything else (concepts, taxes, complements) is read from the original XML
on demand, so the original stays the single source of truth and is never
altered.

``fecha`` and ``fecha_timbrado`` are the comprobante's local wall-clock time
read as America/Mexico_City and stored in UTC: shown in America/Mexico_City
(the project's TIME_ZONE) they give back exactly the text of the XML. The XML
carries no offset and the issuer's real zone depends on its LugarExpedicion;
reading every date in one zone keeps the stored text faithful and the order of
documents of one issuer right.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.access.catalog import Perm
from despacho.tenancy.models import Company

if TYPE_CHECKING:
    from despacho.cfdi.parsing import RelationIndex


class Direction(models.TextChoices):
    EMITIDO = "emitido", _("Emitido")
    RECIBIDO = "recibido", _("Recibido")


class Tipo(models.TextChoices):
    INGRESO = "I", _("Ingreso")
    EGRESO = "E", _("Egreso")
    TRASLADO = "T", _("Traslado")
    NOMINA = "N", _("Nómina")
    PAGO = "P", _("Pago")


class Status(models.TextChoices):
    VIGENTE = "vigente", _("Vigente")
    CANCELACION_EN_PROCESO = "cancelacion_en_proceso", _("Cancelación en proceso")
    CANCELADO = "cancelado", _("Cancelado")


class Listed(models.TextChoices):
    """Where SAT's lists (articles 69-B and 69 of the CFF) put a received CFDI's emisor.

    Written by the SAT connection (``satstatus``) when a list is loaded or a CFDI stored;
    the repository only shows and counts it. Several listings: the gravest, in this order.
    """

    DEFINITIVO = "69b_definitivo", _("69-B definitivo")
    PRESUNTO = "69b_presunto", _("69-B presunto")
    ART_69 = "69", _("Artículo 69")
    SENTENCIA_FAVORABLE = "69b_sentencia", _("69-B sentencia favorable")
    DESVIRTUADO = "69b_desvirtuado", _("69-B desvirtuado")


# The listings that make an emisor risky: desvirtuados and sentencias favorables are shown,
# not counted.
RISKY_LISTINGS = (Listed.DEFINITIVO, Listed.PRESUNTO, Listed.ART_69)

_TIPO_LABELS = dict(Tipo.choices)
_STATUS_LABELS = dict(Status.choices)
_LISTED_LABELS = dict(Listed.choices)


class Category(models.TextChoices):
    VENTAS = "ventas", _("Ventas")
    EGRESOS = "egresos", _("Egresos")
    NOMINA = "nomina", _("Nómina")


# The permission that opens each category: the same rule for every list,
# detail, download, export and report.
CATEGORY_PERM: dict[str, Perm] = {
    Category.VENTAS: Perm.VENTAS,
    Category.EGRESOS: Perm.EGRESOS,
    Category.NOMINA: Perm.NOMINA,
}


def classify(*, direction: str, tipo: str) -> Category:
    """Ventas: emitidos I, E, T, P; nómina: emitidos N; egresos: every recibido."""
    if direction == Direction.RECIBIDO:
        return Category.EGRESOS
    if tipo == Tipo.NOMINA:
        return Category.NOMINA
    return Category.VENTAS


def storage_key(company_id: int, uuid: str) -> str:
    """Where the original XML lives in Django's default storage."""
    return f"cfdi/{company_id}/{uuid.lower()}.xml"


class Cfdi(models.Model):
    """One stored comprobante of one company (issued or received)."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="cfdis", verbose_name=_("empresa")
    )
    uuid = models.UUIDField(_("UUID"))
    direction = models.CharField(_("dirección"), max_length=8, choices=Direction.choices)
    category = models.CharField(_("categoría"), max_length=8, choices=Category.choices)
    tipo = models.CharField(_("tipo"), max_length=1, choices=Tipo.choices)
    version = models.CharField(_("versión"), max_length=4)
    serie = models.CharField(_("serie"), max_length=25, blank=True)
    folio = models.CharField(_("folio"), max_length=40, blank=True)
    fecha = models.DateTimeField(_("fecha"))
    fecha_timbrado = models.DateTimeField(_("fecha de timbrado"))
    emisor_rfc = models.CharField(_("RFC emisor"), max_length=13)
    emisor_nombre = models.CharField(_("emisor"), max_length=300, blank=True)
    receptor_rfc = models.CharField(_("RFC receptor"), max_length=13)
    receptor_nombre = models.CharField(_("receptor"), max_length=300, blank=True)
    subtotal = models.DecimalField(_("subtotal"), max_digits=24, decimal_places=6)
    descuento = models.DecimalField(
        _("descuento"), null=True, blank=True, max_digits=24, decimal_places=6
    )
    total = models.DecimalField(_("total"), max_digits=24, decimal_places=6)
    # A c_Moneda code; "" when the document names none we know (see moneda_original).
    moneda = models.CharField(_("moneda"), max_length=3, blank=True)
    # CFDI 3.2 wrote its currency as free text ("Pesos", "M.N."): kept whole here.
    moneda_original = models.CharField(_("moneda (texto del XML)"), max_length=250, blank=True)
    tipo_cambio = models.DecimalField(
        _("tipo de cambio"), null=True, blank=True, max_digits=24, decimal_places=6
    )
    forma_pago = models.CharField(_("forma de pago"), max_length=250, blank=True)
    metodo_pago = models.CharField(_("método de pago"), max_length=250, blank=True)
    uso_cfdi = models.CharField(_("uso CFDI"), max_length=4, blank=True)
    # Amounts the reports total, read from the XML at ingestion (0 when absent).
    iva_trasladado = models.DecimalField(
        _("IVA trasladado"), max_digits=24, decimal_places=6, default=0
    )
    ieps_trasladado = models.DecimalField(
        _("IEPS trasladado"), max_digits=24, decimal_places=6, default=0
    )
    isr_retenido = models.DecimalField(
        _("ISR retenido"), max_digits=24, decimal_places=6, default=0
    )
    iva_retenido = models.DecimalField(
        _("IVA retenido"), max_digits=24, decimal_places=6, default=0
    )
    total_percepciones = models.DecimalField(
        _("total percepciones"), max_digits=24, decimal_places=6, default=0
    )
    total_deducciones = models.DecimalField(
        _("total deducciones"), max_digits=24, decimal_places=6, default=0
    )
    total_otros_pagos = models.DecimalField(
        _("total otros pagos"), max_digits=24, decimal_places=6, default=0
    )
    # A Pago (tipo P) totals 0 in XXX by rule: what it paid, from its Pagos complement.
    pagos_monto = models.DecimalField(
        _("monto pagado"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    pagos_moneda = models.CharField(_("moneda del pago"), max_length=3, blank=True)
    status = models.CharField(
        _("estado"), max_length=24, choices=Status.choices, default=Status.VIGENTE
    )
    # True: the comprobante's seal verifies with the certificate it carries;
    # False: it does not (stored only because someone confirmed);
    # None: not verifiable (no certificate in the file) or not checked.
    seal_verified = models.BooleanField(_("sello verificado"), null=True)
    # A received CFDI its emisor cancelled, as SAT's status service answered (satstatus):
    # when it was first seen cancelled (``status`` is then ``cancelado``).
    sat_cancelled_at = models.DateTimeField(_("visto cancelado en el SAT"), null=True, blank=True)
    # The emisor's gravest listing in SAT's lists 69-B / 69 ("" when not listed).
    emisor_listed = models.CharField(
        _("emisor en listas del SAT"), max_length=16, blank=True, choices=Listed.choices
    )
    xml_path = models.CharField(_("archivo XML"), max_length=255)
    size = models.PositiveIntegerField(_("tamaño"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("guardado"), default=timezone.now)
    ingested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("guardado por"),
    )

    class Meta:
        verbose_name = _("CFDI")
        verbose_name_plural = _("CFDI")
        constraints = [
            # Emisor and receptor may both be companies here: each stores its own copy.
            models.UniqueConstraint(fields=["company", "uuid"], name="cfdi_unique_company_uuid"),
            models.CheckConstraint(
                condition=Q(tipo__in=["I", "E", "T", "N", "P"]), name="cfdi_tipo_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["emitido", "recibido"]), name="cfdi_direction_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(direction="recibido", category="egresos")
                    | Q(direction="emitido", tipo="N", category="nomina")
                    | (Q(direction="emitido", category="ventas") & ~Q(tipo="N"))
                ),
                name="cfdi_category_matches_classification",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["vigente", "cancelacion_en_proceso", "cancelado"]),
                name="cfdi_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(emisor_listed__in=["", *Listed.values]),
                name="cfdi_emisor_listed_valid",
            ),
            # Only a cancelled document carries the moment it was seen cancelled.
            models.CheckConstraint(
                condition=Q(sat_cancelled_at__isnull=True) | Q(status="cancelado"),
                name="cfdi_sat_cancelled_is_cancelled",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "category", "-fecha"], name="cfdi_company_cat_fecha"),
            models.Index(fields=["company", "category", "total"], name="cfdi_company_cat_total"),
            models.Index(fields=["company", "receptor_rfc"], name="cfdi_company_receptor"),
            models.Index(fields=["company", "emisor_rfc"], name="cfdi_company_emisor"),
            models.Index(
                fields=["company", "category", "serie", "folio"], name="cfdi_company_serie_folio"
            ),
            # The SAT status refresh: received, not cancelled, of the last months, across
            # companies (satstatus.services.statuses_due).
            models.Index(
                fields=["fecha"],
                condition=Q(direction="recibido") & ~Q(status="cancelado"),
                name="cfdi_received_live_fecha",
            ),
            # Egresos' «Emisor en listas» filter: the few listed rows of a company, newest
            # first, without walking all its received CFDIs.
            models.Index(
                fields=["company", "emisor_listed", "-fecha"],
                condition=~Q(emisor_listed=""),
                name="cfdi_company_listed_fecha",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tipo} {self.serie}{self.folio} {self.uuid}"

    @property
    def amount(self) -> Decimal:
        """What a list shows and totals: the Total, or for a Pago what it paid."""
        return self.total if self.pagos_monto is None else self.pagos_monto

    @property
    def amount_moneda(self) -> str:
        """The currency of ``amount``: Moneda, or for a Pago its payments' MonedaP."""
        return self.moneda if self.pagos_monto is None else self.pagos_moneda

    @property
    def audit_label(self) -> str:
        """How the audit trail names the CFDI: its type in words, series, folio, UUID."""
        return " ".join(
            x for x in (self.tipo_label, f"{self.serie}{self.folio}", str(self.uuid)) if x
        )

    @property
    def counterpart_rfc(self) -> str:
        return self.receptor_rfc if self.direction == Direction.EMITIDO else self.emisor_rfc

    @property
    def counterpart_nombre(self) -> str:
        return self.receptor_nombre if self.direction == Direction.EMITIDO else self.emisor_nombre

    # get_tipo_display() hashes every (lazy, translated) choice on each call; a list page
    # asks twice per row, so these look the label up directly. Same answer.
    @property
    def tipo_label(self) -> str:
        return str(_TIPO_LABELS.get(self.tipo, self.tipo))

    @property
    def status_label(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))

    @property
    def emisor_listed_label(self) -> str:
        return str(_LISTED_LABELS.get(self.emisor_listed, self.emisor_listed))

    @property
    def uuid_text(self) -> str:
        """The UUID as the SAT prints it (upper case)."""
        return str(self.uuid).upper()


class RelationKind(models.TextChoices):
    RELACIONADO = "relacionado", _("CFDI relacionado")
    PAGO = "pago", _("Documento pagado")


class CfdiRelation(models.Model):
    """One document a stored CFDI points to, read from its XML at ingestion.

    ``relacionado``: a CfdiRelacionado with its TipoRelacion (a credit note's invoice, a
    substitution's original); ``pago``: a Pagos DoctoRelacionado with what the payment
    settled of that invoice. Indexed by ``(company, related_uuid)``: "who points at this
    invoice" is the question (its PPD balance, whether it may be cancelled).
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("empresa")
    )
    cfdi = models.ForeignKey(
        Cfdi, on_delete=models.CASCADE, related_name="relations", verbose_name=_("CFDI")
    )
    related_uuid = models.UUIDField(_("UUID relacionado"))
    kind = models.CharField(_("tipo de relación"), max_length=12, choices=RelationKind.choices)
    tipo_relacion = models.CharField(_("TipoRelacion"), max_length=2, blank=True)
    num_parcialidad = models.PositiveIntegerField(_("número de parcialidad"), null=True)
    imp_saldo_ant = models.DecimalField(
        _("saldo anterior"), max_digits=24, decimal_places=6, null=True
    )
    imp_pagado = models.DecimalField(
        _("importe pagado"), max_digits=24, decimal_places=6, null=True
    )
    imp_saldo_insoluto = models.DecimalField(
        _("saldo insoluto"), max_digits=24, decimal_places=6, null=True
    )
    moneda_dr = models.CharField(_("moneda del documento"), max_length=3, blank=True)
    equivalencia_dr = models.DecimalField(
        _("equivalencia"), max_digits=24, decimal_places=6, null=True
    )

    class Meta:
        verbose_name = _("relación de CFDI")
        verbose_name_plural = _("relaciones de CFDI")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["relacionado", "pago"]), name="cfdirelation_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "related_uuid"], name="cfdirelation_company_related"),
        ]

    def __str__(self) -> str:
        return f"{self.cfdi_id} → {self.related_uuid} ({self.kind})"


def relation_row(*, cfdi: Cfdi, relation: RelationIndex) -> CfdiRelation:
    """The index row of one relation read from ``cfdi``'s XML (not saved)."""
    # RelationIndex's fields are the row's columns, named alike.
    return CfdiRelation(company_id=cfdi.company_id, cfdi=cfdi, **asdict(relation))
