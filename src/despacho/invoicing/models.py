"""The data of issuing: each company's series and folios, and its drafts (borradores).

A draft is the comprobante being prepared: its header, concepts, relations, payments
(Pagos 2.0) and Carta Porte, in normalized child rows so that each amount is a
``Decimal`` column the database checks. The engine (``documents``/``amounts``/
``xmlbuild``) reads a draft and builds the XML; the PAC stamps it; the stamped CFDI is
stored in the repository (``cfdi.Cfdi``) and the draft keeps its UUID.

Folios (see docs/apps/invoicing.md, "Series and folios"): a draft takes its folio when
stamping begins (``services.draft_stamping_begin``), in the transaction that writes it
on the draft, and keeps it through failed PAC attempts; ``(series, folio)`` is unique
in the database. A folio is given back only by rolling back that transaction, so
folios neither repeat nor skip.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from despacho.cfdi.models import Cfdi
from despacho.customers.models import Customer
from despacho.products.models import PRICE_DIGITS, PRICE_PLACES, Product
from despacho.tenancy.models import Company

# Amounts: CFDI 4.0 writes up to 6 decimals (t_Importe).
AMOUNT_DIGITS = 24
AMOUNT_PLACES = 6
QUANTITY_DIGITS = 18
QUANTITY_PLACES = 6
SERIE_PATTERN = r"^[A-Za-z0-9]{1,25}$"


def _amount(label: Any, **kwargs: Any) -> Any:
    return models.DecimalField(
        label, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs
    )


class DraftTipo(models.TextChoices):
    """The comprobantes Facturar issues (nómina is not issued from a draft)."""

    INGRESO = "I", _("Ingreso")
    EGRESO = "E", _("Egreso")
    PAGO = "P", _("Pago")
    TRASLADO = "T", _("Traslado")


class DraftStatus(models.TextChoices):
    DRAFT = "draft", _("Borrador")
    STAMPING = "stamping", _("Timbrando")
    ISSUED = "issued", _("Emitido")


class Series(models.Model):
    """A company's series (SAT's Serie) with the next folio it gives."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="series", verbose_name=_("empresa")
    )
    code = models.CharField(_("serie"), max_length=25)
    # "" serves every tipo; else one of DraftTipo.
    tipo = models.CharField(_("tipo de comprobante"), max_length=1, blank=True)
    next_folio = models.PositiveIntegerField(_("siguiente folio"), default=1)
    is_default = models.BooleanField(_("serie por omisión"), default=False)
    is_active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(_("creada"), default=timezone.now)

    class Meta:
        verbose_name = _("serie")
        verbose_name_plural = _("series")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="series_company_code"),
            # One default per tipo ("" = any tipo) and company.
            models.UniqueConstraint(
                fields=["company", "tipo"],
                condition=Q(is_default=True),
                name="series_one_default_per_tipo",
            ),
            models.CheckConstraint(condition=Q(code__regex=SERIE_PATTERN), name="series_code"),
            models.CheckConstraint(
                condition=Q(tipo__in=["", "I", "E", "P", "T"]), name="series_tipo_valid"
            ),
            models.CheckConstraint(condition=Q(next_folio__gte=1), name="series_next_folio"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_label(self) -> str:
        return str(_("serie %(code)s")) % {"code": self.code}


class Draft(models.Model):
    """A comprobante being prepared by a company, until it is stamped and stored."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="drafts", verbose_name=_("empresa")
    )
    tipo = models.CharField(_("tipo de comprobante"), max_length=1, choices=DraftTipo.choices)
    status = models.CharField(
        _("estado"), max_length=10, choices=DraftStatus.choices, default=DraftStatus.DRAFT
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cliente"),
    )
    series = models.ForeignKey(
        Series,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drafts",
        verbose_name=_("serie"),
    )
    # Taken when stamping begins, kept through failed attempts (see the module's docstring).
    folio = models.PositiveIntegerField(_("folio"), null=True, blank=True)
    # None: the moment of stamping.
    fecha = models.DateTimeField(_("fecha"), null=True, blank=True)
    forma_pago = models.CharField(_("forma de pago"), max_length=2, blank=True)
    metodo_pago = models.CharField(_("método de pago"), max_length=3, blank=True)
    uso_cfdi = models.CharField(_("uso CFDI"), max_length=4, blank=True)
    exportacion = models.CharField(_("exportación"), max_length=2, default="01")
    moneda = models.CharField(_("moneda"), max_length=3, default="MXN")
    tipo_cambio = _amount(_("tipo de cambio"), null=True, blank=True)
    # InformacionGlobal (público en general): all three or none.
    global_periodicidad = models.CharField(_("periodicidad"), max_length=2, blank=True)
    global_meses = models.CharField(_("meses"), max_length=2, blank=True)
    global_anio = models.PositiveSmallIntegerField(_("año"), null=True, blank=True)
    # The receptor as it was sent to the PAC (snapshotted when stamping begins).
    receptor_rfc = models.CharField(_("RFC del receptor"), max_length=13, blank=True)
    receptor_nombre = models.CharField(_("nombre del receptor"), max_length=300, blank=True)
    receptor_regimen = models.CharField(_("régimen del receptor"), max_length=3, blank=True)
    receptor_cp = models.CharField(_("domicilio fiscal del receptor"), max_length=5, blank=True)
    receptor_tax_id = models.CharField(_("NumRegIdTrib"), max_length=40, blank=True)
    receptor_pais = models.CharField(_("residencia fiscal"), max_length=3, blank=True)
    last_error = models.TextField(_("último error"), blank=True)
    # The exact sealed XML of the latest attempt, kept before the PAC is called: a retry
    # first asks the PAC for the stamp of these bytes (``Pac.recover``).
    sealed_xml = models.BinaryField(_("XML sellado del último intento"), null=True, editable=False)
    uuid = models.UUIDField(_("UUID"), null=True, blank=True)
    xml_sha256 = models.CharField(_("SHA-256 del XML timbrado"), max_length=64, blank=True)
    cfdi = models.ForeignKey(
        Cfdi,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("CFDI emitido"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("creado por"),
    )
    created_at = models.DateTimeField(_("creado"), default=timezone.now)
    updated_at = models.DateTimeField(_("modificado"), default=timezone.now)

    class Meta:
        verbose_name = _("borrador")
        verbose_name_plural = _("borradores")
        indexes = [models.Index(fields=["company", "status", "-updated_at"])]
        constraints = [
            models.UniqueConstraint(fields=["series", "folio"], name="draft_series_folio_unique"),
            models.UniqueConstraint(
                fields=["company", "uuid"],
                condition=Q(uuid__isnull=False),
                name="draft_company_uuid_unique",
            ),
            models.CheckConstraint(
                condition=Q(tipo__in=["I", "E", "P", "T"]), name="draft_tipo_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "stamping", "issued"]), name="draft_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(folio__isnull=True) | Q(series__isnull=False),
                name="draft_folio_has_series",
            ),
            models.CheckConstraint(
                condition=~Q(status="stamping") | Q(folio__isnull=False),
                name="draft_stamping_has_folio",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued")
                | (Q(uuid__isnull=False) & Q(folio__isnull=False) & ~Q(xml_sha256="")),
                name="draft_issued_has_uuid",
            ),
            models.CheckConstraint(
                condition=Q(tipo_cambio__isnull=True) | Q(tipo_cambio__gt=0),
                name="draft_tipo_cambio_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(global_periodicidad="", global_meses="", global_anio__isnull=True)
                    | (
                        ~Q(global_periodicidad="")
                        & ~Q(global_meses="")
                        & Q(global_anio__isnull=False)
                    )
                ),
                name="draft_informacion_global_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tipo} {self.serie_folio or self.pk}"

    @property
    def serie_folio(self) -> str:
        if self.series is None or self.folio is None:
            return ""
        return f"{self.series.code}{self.folio}"

    @property
    def audit_label(self) -> str:
        label = DraftTipo(self.tipo).label
        return str(_("borrador de %(tipo)s %(ref)s")) % {
            "tipo": str(label).lower(),
            "ref": self.serie_folio or f"#{self.pk}",
        }

    @property
    def is_editable(self) -> bool:
        return self.status == DraftStatus.DRAFT


class DraftConcept(models.Model):
    """One concepto: typed in or taken from the product catalog (then a copy, not a link)."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="concepts")
    position = models.PositiveSmallIntegerField(_("orden"))
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("producto"),
    )
    clave_prod_serv = models.CharField(_("clave de producto o servicio"), max_length=8)
    clave_unidad = models.CharField(_("clave de unidad"), max_length=3)
    no_identificacion = models.CharField(_("número de identificación"), max_length=100, blank=True)
    unidad = models.CharField(_("unidad"), max_length=20, blank=True)
    descripcion = models.CharField(_("descripción"), max_length=1000)
    cantidad = models.DecimalField(
        _("cantidad"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES
    )
    valor_unitario = models.DecimalField(
        _("valor unitario"), max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES
    )
    descuento = _amount(_("descuento"), default=Decimal(0))
    objeto_imp = models.CharField(_("objeto de impuesto"), max_length=2)
    # The tax lines as they will be written: [{"kind", "impuesto", "tipo_factor", "rate"}]
    # (a snapshot of the product's scheme, or typed in): later edits of the scheme do not
    # change a draft.
    taxes = models.JSONField(_("impuestos"), default=list, blank=True)

    class Meta:
        verbose_name = _("concepto del borrador")
        verbose_name_plural = _("conceptos del borrador")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "position"], name="draftconcept_position"),
            models.CheckConstraint(condition=Q(cantidad__gt=0), name="draftconcept_cantidad"),
            models.CheckConstraint(
                condition=Q(valor_unitario__gte=0), name="draftconcept_valor_unitario"
            ),
            models.CheckConstraint(
                condition=Q(descuento__gte=0)
                & Q(descuento__lte=F("cantidad") * F("valor_unitario")),
                name="draftconcept_descuento",
            ),
            models.CheckConstraint(
                condition=Q(objeto_imp__regex=r"^0[1-8]$"), name="draftconcept_objeto_imp"
            ),
            models.CheckConstraint(condition=~Q(descripcion=""), name="draftconcept_descripcion"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.descripcion[:60]}"


class DraftRelation(models.Model):
    """A CfdiRelacionado: the TipoRelacion and the related CFDI's UUID."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="relations")
    tipo_relacion = models.CharField(_("tipo de relación"), max_length=2)
    uuid = models.UUIDField(_("UUID relacionado"))

    class Meta:
        verbose_name = _("CFDI relacionado del borrador")
        verbose_name_plural = _("CFDI relacionados del borrador")
        ordering = ["tipo_relacion", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "tipo_relacion", "uuid"], name="draftrelation_unique"
            ),
            models.CheckConstraint(
                condition=Q(tipo_relacion__regex=r"^0[1-9]$"), name="draftrelation_tipo"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tipo_relacion} {self.uuid}"


class DraftPayment(models.Model):
    """One Pago of a payment complement (Pagos 2.0)."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="payments")
    position = models.PositiveSmallIntegerField(_("orden"))
    fecha_pago = models.DateTimeField(_("fecha de pago"))
    forma_pago = models.CharField(_("forma de pago"), max_length=2)
    moneda = models.CharField(_("moneda"), max_length=3, default="MXN")
    tipo_cambio = _amount(_("tipo de cambio"), null=True, blank=True)
    monto = _amount(_("monto"))
    num_operacion = models.CharField(_("número de operación"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("pago del borrador")
        verbose_name_plural = _("pagos del borrador")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "position"], name="draftpayment_position"),
            models.CheckConstraint(condition=Q(monto__gt=0), name="draftpayment_monto"),
            models.CheckConstraint(
                condition=Q(tipo_cambio__isnull=True) | Q(tipo_cambio__gt=0),
                name="draftpayment_tipo_cambio",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.monto} {self.moneda}"


class DraftPaymentDocument(models.Model):
    """A DoctoRelacionado: which invoice a payment settles, and how much of it."""

    payment = models.ForeignKey(DraftPayment, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField(_("orden"))
    related_uuid = models.UUIDField(_("UUID de la factura"))
    serie = models.CharField(_("serie"), max_length=25, blank=True)
    folio = models.CharField(_("folio"), max_length=40, blank=True)
    moneda_dr = models.CharField(_("moneda de la factura"), max_length=3, default="MXN")
    equivalencia_dr = _amount(_("equivalencia"), null=True, blank=True)
    num_parcialidad = models.PositiveIntegerField(_("número de parcialidad"))
    imp_saldo_ant = _amount(_("saldo anterior"))
    imp_pagado = _amount(_("importe pagado"))
    objeto_imp_dr = models.CharField(_("objeto de impuesto"), max_length=2, default="01")

    class Meta:
        verbose_name = _("documento pagado del borrador")
        verbose_name_plural = _("documentos pagados del borrador")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "related_uuid"], name="draftpaymentdocument_once"
            ),
            models.CheckConstraint(
                condition=Q(num_parcialidad__gte=1), name="draftpaymentdocument_parcialidad"
            ),
            models.CheckConstraint(
                condition=Q(imp_pagado__gt=0) & Q(imp_pagado__lte=F("imp_saldo_ant")),
                name="draftpaymentdocument_pagado_within_saldo",
            ),
            models.CheckConstraint(
                condition=Q(objeto_imp_dr__regex=r"^0[1-8]$"),
                name="draftpaymentdocument_objeto_imp",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.related_uuid} #{self.num_parcialidad}"

    @property
    def imp_saldo_insoluto(self) -> Decimal:
        return self.imp_saldo_ant - self.imp_pagado


class DraftCartaPorte(models.Model):
    """The Carta Porte 3.1 of a draft: the company's prepared vehicle and trailer."""

    draft = models.OneToOneField(Draft, on_delete=models.CASCADE, related_name="carta_porte")
    # IdCCP, given when stamping (CCC + 33 characters of a UUID, Carta Porte 3.1).
    id_ccp = models.CharField(_("IdCCP"), max_length=36, blank=True)
    transp_internac = models.BooleanField(_("transporte internacional"), default=False)
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="+", verbose_name=_("vehículo")
    )
    trailer = models.ForeignKey(
        Trailer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("remolque"),
    )

    class Meta:
        verbose_name = _("Carta Porte del borrador")
        verbose_name_plural = _("Cartas Porte de borradores")

    def __str__(self) -> str:
        return f"Carta Porte {self.id_ccp or self.draft_id}"


class DraftStop(models.Model):
    """An Ubicacion: origin first, then destinations with the distance driven to each."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="stops")
    position = models.PositiveSmallIntegerField(_("orden"))
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("ubicación")
    )
    fecha_hora = models.DateTimeField(_("fecha y hora de salida o llegada"))
    distancia_recorrida = models.DecimalField(
        _("distancia recorrida (km)"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("ubicación del borrador")
        verbose_name_plural = _("ubicaciones del borrador")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "position"], name="draftstop_position"),
            models.CheckConstraint(
                condition=Q(distancia_recorrida__isnull=True) | Q(distancia_recorrida__gt=0),
                name="draftstop_distancia",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.location_id}"


class DraftFigure(models.Model):
    """A FiguraTransporte (operator, owner, lessor) of the draft's Carta Porte."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="figures")
    figure = models.ForeignKey(
        Figure, on_delete=models.PROTECT, related_name="+", verbose_name=_("figura")
    )

    class Meta:
        verbose_name = _("figura del borrador")
        verbose_name_plural = _("figuras del borrador")
        constraints = [
            models.UniqueConstraint(fields=["draft", "figure"], name="draftfigure_once"),
        ]

    def __str__(self) -> str:
        return f"{self.figure_id}"


class DraftGoods(models.Model):
    """A Mercancia of the Carta Porte: SAT's key, quantity, unit and weight."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="goods")
    position = models.PositiveSmallIntegerField(_("orden"))
    bienes_transp = models.CharField(_("clave de bienes transportados"), max_length=8)
    descripcion = models.CharField(_("descripción"), max_length=1000)
    cantidad = models.DecimalField(
        _("cantidad"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES
    )
    clave_unidad = models.CharField(_("clave de unidad"), max_length=3)
    peso_kg = models.DecimalField(_("peso en kg"), max_digits=15, decimal_places=3)
    material_peligroso = models.BooleanField(_("material peligroso"), default=False)
    valor_mercancia = _amount(_("valor de la mercancía"), null=True, blank=True)
    moneda = models.CharField(_("moneda"), max_length=3, blank=True)

    class Meta:
        verbose_name = _("mercancía del borrador")
        verbose_name_plural = _("mercancías del borrador")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "position"], name="draftgoods_position"),
            models.CheckConstraint(condition=Q(cantidad__gt=0), name="draftgoods_cantidad"),
            models.CheckConstraint(condition=Q(peso_kg__gt=0), name="draftgoods_peso"),
            models.CheckConstraint(condition=~Q(descripcion=""), name="draftgoods_descripcion"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.descripcion[:60]}"
