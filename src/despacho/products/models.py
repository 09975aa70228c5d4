"""Products and services a company sells, their tax schemes, and SAT's product and unit keys.

``ProductKey`` (c_ClaveProdServ) and ``UnitKey`` (c_ClaveUnidad) are SAT's catalogs loaded
from satcfdi's copy (``catalogs.py``), each with a folded (lower-case, accent-blind) search
column. ``TaxScheme`` and its ``TaxLine`` rows are a company's taxes as data; a ``Product``
names one scheme. The rules a line must satisfy (SAT's c_TasaOCuota) live in ``taxrules.py``
and, as far as a row alone can say, in the database constraints below.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from despacho.tenancy.models import Company

# CFDI 4.0 allows six decimals in ValorUnitario and in TasaOCuota.
PRICE_DIGITS = 24
PRICE_PLACES = 6
RATE_DIGITS = 12
RATE_PLACES = 6


class ProductKey(models.Model):
    """One code of SAT's c_ClaveProdServ."""

    code = models.CharField(_("clave"), max_length=8, unique=True)
    description = models.TextField(_("descripción"))
    # Code and description, folded; PostgreSQL's trigram index (migration 0002) serves it.
    folded = models.TextField(_("búsqueda"))
    # The description's length: word searches list the shortest (most general) names first.
    weight = models.PositiveIntegerField(_("peso"), default=0)

    class Meta:
        verbose_name = _("clave de producto o servicio")
        verbose_name_plural = _("claves de producto o servicio")

    def __str__(self) -> str:
        return f"{self.code} · {self.description}"


class UnitKey(models.Model):
    """One code of SAT's c_ClaveUnidad."""

    code = models.CharField(_("clave"), max_length=3, unique=True)
    description = models.TextField(_("nombre"))
    # Code and description, folded; PostgreSQL's trigram index (migration 0002) serves it.
    folded = models.TextField(_("búsqueda"))
    # The description's length: word searches list the shortest (most general) names first.
    weight = models.PositiveIntegerField(_("peso"), default=0)

    class Meta:
        verbose_name = _("clave de unidad")
        verbose_name_plural = _("claves de unidad")

    def __str__(self) -> str:
        return f"{self.code} · {self.description}"


class LineKind(models.TextChoices):
    TRASLADO = "traslado", _("Traslado")
    RETENCION = "retencion", _("Retención")


class Tax(models.TextChoices):
    """c_Impuesto."""

    ISR = "001", _("ISR")
    IVA = "002", _("IVA")
    IEPS = "003", _("IEPS")


class Factor(models.TextChoices):
    """c_TipoFactor."""

    TASA = "Tasa", _("Tasa")
    CUOTA = "Cuota", _("Cuota")
    EXENTO = "Exento", _("Exento")


class TaxScheme(models.Model):
    """A company's named set of taxes (traslados and retenciones) a product applies."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="tax_schemes")
    name = models.CharField(_("nombre"), max_length=120)
    # The preset it was created from ("iva16" …); "" for the company's own.
    preset = models.CharField(_("predeterminado"), max_length=40, blank=True, default="")
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("esquema de impuestos")
        verbose_name_plural = _("esquemas de impuestos")
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="tax_scheme_name_unique"),
            models.UniqueConstraint(
                fields=["company", "preset"],
                condition=~Q(preset=""),
                name="tax_scheme_preset_once",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="tax_scheme_name_present"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return str(_("esquema de impuestos «%(name)s»") % {"name": self.name})


class TaxLine(models.Model):
    """One tax of a scheme: traslado or retención of ISR, IVA or IEPS at a rate or quota."""

    scheme = models.ForeignKey(TaxScheme, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    kind = models.CharField(_("tipo"), max_length=10, choices=LineKind.choices)
    impuesto = models.CharField(_("impuesto"), max_length=3, choices=Tax.choices)
    tipo_factor = models.CharField(_("tipo factor"), max_length=6, choices=Factor.choices)
    rate = models.DecimalField(
        _("tasa o cuota"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_PLACES,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("impuesto del esquema")
        verbose_name_plural = _("impuestos del esquema")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "kind", "impuesto"], name="tax_line_once_per_tax"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LineKind.values), name="tax_line_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(impuesto__in=Tax.values), name="tax_line_impuesto_known"
            ),
            models.CheckConstraint(
                condition=Q(tipo_factor__in=Factor.values), name="tax_line_factor_known"
            ),
            # Exento carries no rate; Tasa and Cuota always one, never negative.
            models.CheckConstraint(
                condition=(Q(tipo_factor=Factor.EXENTO) & Q(rate__isnull=True))
                | (~Q(tipo_factor=Factor.EXENTO) & Q(rate__gte=0)),
                name="tax_line_rate_fits_factor",
            ),
            # c_TipoFactor: Exento is for traslados only; ISR is only ever withheld.
            models.CheckConstraint(
                condition=~(Q(kind=LineKind.RETENCION) & Q(tipo_factor=Factor.EXENTO)),
                name="tax_line_no_exempt_retention",
            ),
            models.CheckConstraint(
                condition=~(Q(kind=LineKind.TRASLADO) & Q(impuesto=Tax.ISR)),
                name="tax_line_isr_only_withheld",
            ),
        ]

    def __str__(self) -> str:
        rate = "" if self.rate is None else f" {self.rate}"
        return f"{self.get_kind_display()} {self.get_impuesto_display()} {self.tipo_factor}{rate}"


class Product(models.Model):
    """A product or service the company sells, ready for a CFDI's concepto."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="products")
    clave_prod_serv = models.ForeignKey(
        ProductKey,
        on_delete=models.PROTECT,
        to_field="code",
        db_column="clave_prod_serv",
        related_name="+",
        verbose_name=_("clave de producto o servicio"),
    )
    clave_unidad = models.ForeignKey(
        UnitKey,
        on_delete=models.PROTECT,
        to_field="code",
        db_column="clave_unidad",
        related_name="+",
        verbose_name=_("clave de unidad"),
    )
    description = models.CharField(_("descripción"), max_length=1000)
    description_folded = models.CharField(max_length=1000, editable=False, db_index=True)
    unit = models.CharField(_("unidad"), max_length=20, blank=True, default="")
    unit_price = models.DecimalField(
        _("precio unitario"), max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES
    )
    objeto_imp = models.CharField(_("objeto de impuesto"), max_length=2)
    tax_scheme = models.ForeignKey(
        TaxScheme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("esquema de impuestos"),
    )
    is_active = models.BooleanField(_("activo"), default=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("producto o servicio")
        verbose_name_plural = _("productos y servicios")
        indexes = [models.Index(fields=["company", "is_active", "description_folded"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="product_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(objeto_imp__regex=r"^0[1-8]$"), name="product_objeto_imp_known"
            ),
            models.CheckConstraint(
                condition=~Q(description=""), name="product_description_present"
            ),
            # 02 (sí objeto de impuesto) needs taxes to break down; 01, 03 and 04 carry none.
            models.CheckConstraint(
                condition=~Q(objeto_imp="02", tax_scheme__isnull=True),
                name="product_objeto_02_has_scheme",
            ),
            models.CheckConstraint(
                condition=~Q(objeto_imp__in=["01", "03", "04"], tax_scheme__isnull=False),
                name="product_no_scheme_without_taxes",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def audit_label(self) -> str:
        return str(_("producto «%(name)s»") % {"name": self.description[:80]})
