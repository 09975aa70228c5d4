"""A company's customers: the receptor data its CFDIs need, as SAT registers it.

The rules that need SAT's catalogs (régimen × persona type, uso CFDI × régimen, CP)
are checked by ``services.customer_checked``; the database refuses what must never be
stored whatever writes it: a malformed RFC, two customers with one RFC in a company
(except the generic ones), a foreigner without tax id and country, a generic RFC
with another régimen than 616.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.tenancy.models import Company
from despacho.textsearch import fold

PUBLICO_EN_GENERAL = "XAXX010101000"
EXTRANJERO = "XEXX010101000"
# The name CFDI 4.0 requires with XAXX010101000 (Guía de llenado, Receptor: Nombre).
PUBLICO_EN_GENERAL_NAME = "PUBLICO EN GENERAL"
# The régimen both generic RFCs carry: "Sin obligaciones fiscales".
GENERIC_REGIMEN = "616"
RFC_PATTERN = r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$"


class Customer(models.Model):
    """One receptor of one company's invoices."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="customers", verbose_name=_("empresa")
    )
    rfc = models.CharField(_("RFC"), max_length=13)
    razon_social = models.CharField(_("razón social"), max_length=300)
    # Accent- and case-folded razón social, so the list searches in the database.
    name_folded = models.CharField(max_length=300, editable=False)
    regimen_fiscal = models.CharField(_("régimen fiscal"), max_length=3)
    codigo_postal = models.CharField(_("código postal del domicilio fiscal"), max_length=5)
    uso_cfdi = models.CharField(_("uso CFDI"), max_length=4)
    forma_pago = models.CharField(_("forma de pago"), max_length=2, blank=True)
    metodo_pago = models.CharField(_("método de pago"), max_length=3, blank=True)
    # Foreigners (XEXX010101000): NumRegIdTrib and ResidenciaFiscal (c_Pais).
    tax_id = models.CharField(_("número de identificación fiscal"), max_length=40, blank=True)
    pais = models.CharField(_("país de residencia fiscal"), max_length=3, blank=True)
    emails = models.JSONField(_("correos electrónicos"), default=list, blank=True)
    contact_name = models.CharField(_("contacto"), max_length=150, blank=True)
    contact_phone = models.CharField(_("teléfono"), max_length=30, blank=True)
    notes = models.TextField(_("notas"), max_length=2000, blank=True)
    is_active = models.BooleanField(_("activo"), default=True)
    created_at = models.DateTimeField(_("creado"), default=timezone.now)
    updated_at = models.DateTimeField(_("modificado"), default=timezone.now)

    class Meta:
        verbose_name = _("cliente")
        verbose_name_plural = _("clientes")
        ordering = ["razon_social", "id"]
        constraints = [
            # One customer per RFC and company; foreigners share XEXX010101000 and are
            # told apart by their tax id (one per country).
            models.UniqueConstraint(
                fields=["company", "rfc"],
                condition=~Q(rfc=EXTRANJERO),
                name="customer_company_rfc",
            ),
            models.UniqueConstraint(
                fields=["company", "pais", "tax_id"],
                condition=Q(rfc=EXTRANJERO),
                name="customer_company_foreign_tax_id",
            ),
            models.CheckConstraint(condition=Q(rfc__regex=RFC_PATTERN), name="customer_rfc_format"),
            models.CheckConstraint(
                condition=~Q(rfc=EXTRANJERO) | (~Q(tax_id="") & ~Q(pais="") & ~Q(pais="MEX")),
                name="customer_foreigner_tax_id_country",
            ),
            models.CheckConstraint(
                condition=Q(rfc=EXTRANJERO) | (Q(tax_id="") & Q(pais="")),
                name="customer_tax_id_only_foreigners",
            ),
            models.CheckConstraint(
                condition=~Q(rfc=PUBLICO_EN_GENERAL) | Q(razon_social=PUBLICO_EN_GENERAL_NAME),
                name="customer_publico_en_general_name",
            ),
            models.CheckConstraint(
                condition=~Q(rfc__in=[PUBLICO_EN_GENERAL, EXTRANJERO])
                | Q(regimen_fiscal=GENERIC_REGIMEN),
                name="customer_generic_regimen",
            ),
            models.CheckConstraint(
                condition=Q(regimen_fiscal__regex=r"^[0-9]{3}$"), name="customer_regimen_format"
            ),
            models.CheckConstraint(
                condition=Q(codigo_postal__regex=r"^[0-9]{5}$"), name="customer_cp_format"
            ),
            models.CheckConstraint(
                condition=Q(metodo_pago__in=["", "PUE", "PPD"]), name="customer_metodo_pago"
            ),
            models.CheckConstraint(condition=~Q(razon_social=""), name="customer_razon_social"),
        ]
        indexes = [
            models.Index(fields=["company", "name_folded"], name="customer_name"),
            models.Index(fields=["company", "rfc"], name="customer_rfc"),
        ]

    def __str__(self) -> str:
        return f"{self.rfc} {self.razon_social}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_folded = fold(self.razon_social)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "razon_social" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_folded"}
        super().save(*args, **kwargs)

    @property
    def audit_label(self) -> str:
        return f"{self.razon_social} ({self.rfc})"

    @property
    def is_generic(self) -> bool:
        return self.rfc in (PUBLICO_EN_GENERAL, EXTRANJERO)
