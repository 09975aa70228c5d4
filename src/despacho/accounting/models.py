"""Accounting: each company's chart of accounts, its pólizas and their movements, closed months.

A póliza balances by construction of the database, not by the form that wrote it: every
``Poliza`` points (``balance``, a deferred foreign key, checked at COMMIT on PostgreSQL and
SQLite alike) at a ``PolizaBalance`` row that triggers on ``Movement`` delete whenever the
póliza's debits and credits differ and write back when they match (migration 0002). A
transaction that leaves a póliza unbalanced therefore cannot commit. The same triggers
refuse any write to a póliza of a month the company has closed (``ClosedPeriod``).
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.cfdi.models import Cfdi
from despacho.tenancy.models import Company

CENTS = Decimal("0.01")


class Nature(models.TextChoices):
    """SAT's Natur: D deudora, A acreedora."""

    DEUDORA = "D", _("Deudora")
    ACREEDORA = "A", _("Acreedora")


class Account(models.Model):
    """One account of a company's chart: its number, SAT's código agrupador, nature, level.

    Level 1 accounts have no parent; every other account's parent is one level up.
    Sub-accounts of a customer or supplier carry its RFC (``counterpart_rfc``), at most one
    per parent and RFC.
    """

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("empresa")
    )
    code = models.CharField(_("número de cuenta"), max_length=100)
    name = models.CharField(_("nombre"), max_length=400)
    codigo_agrupador = models.CharField(_("código agrupador"), max_length=12)
    nature = models.CharField(_("naturaleza"), max_length=1, choices=Nature.choices)
    level = models.PositiveSmallIntegerField(_("nivel"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("cuenta padre"),
    )
    counterpart_rfc = models.CharField(_("RFC del cliente o proveedor"), max_length=13, blank=True)
    is_active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(_("creada"), default=timezone.now)

    class Meta:
        verbose_name = _("cuenta contable")
        verbose_name_plural = _("cuentas contables")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="acct_unique_company_code"),
            models.UniqueConstraint(
                fields=["company", "parent", "counterpart_rfc"],
                condition=~Q(counterpart_rfc=""),
                name="acct_unique_counterpart",
            ),
            models.CheckConstraint(condition=Q(nature__in=["D", "A"]), name="acct_nature_valid"),
            models.CheckConstraint(
                condition=(Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False)),
                name="acct_level_matches_parent",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="acct_code_not_empty"),
            models.CheckConstraint(condition=~Q(pk=F("parent")), name="acct_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def audit_label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def nature_label(self) -> str:
        return str(Nature(self.nature).label)


class PolizaTipo(models.TextChoices):
    """SAT's TipoPol (Pólizas 1.3): 1 ingresos, 2 egresos, 3 diario."""

    INGRESO = "1", _("Ingreso")
    EGRESO = "2", _("Egreso")
    DIARIO = "3", _("Diario")


class Source(models.TextChoices):
    """Where a póliza came from: typed by a person, or posted from a CFDI by the rules."""

    MANUAL = "manual", _("Captura")
    CFDI = "cfdi", _("CFDI")
    REVERSAL = "reversal", _("Cancelación de CFDI")


class PolizaBalance(models.Model):
    """The proof that a póliza balances: present only while its debits equal its credits.

    Written only by the database's triggers (migration 0002); a ``Poliza`` whose row is
    missing at COMMIT fails its deferred foreign key, and the transaction with it.
    """

    key = models.UUIDField(primary_key=True)

    class Meta:
        verbose_name = _("cuadre de póliza")
        verbose_name_plural = _("cuadres de pólizas")

    def __str__(self) -> str:
        return str(self.key)


class Poliza(models.Model):
    """A journal entry of a company: tipo, number within its month and tipo, date, concept."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("empresa")
    )
    key = models.UUIDField(_("clave"), default=uuid_module.uuid4, unique=True, editable=False)
    # Always equal to ``key`` (a check below): the deferred foreign key that needs the
    # balance row at COMMIT.
    balance = models.ForeignKey(
        PolizaBalance,
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("cuadre"),
    )
    tipo = models.CharField(_("tipo"), max_length=1, choices=PolizaTipo.choices)
    number = models.PositiveIntegerField(_("número"))
    fecha = models.DateField(_("fecha"))
    concepto = models.CharField(_("concepto"), max_length=300)
    source = models.CharField(
        _("origen"), max_length=8, choices=Source.choices, default=Source.MANUAL
    )
    cfdi = models.ForeignKey(
        Cfdi,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("CFDI"),
    )
    created_at = models.DateTimeField(_("creada"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("capturada por"),
    )

    class Meta:
        verbose_name = _("póliza")
        verbose_name_plural = _("pólizas")
        ordering = ["fecha", "tipo", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(balance=F("key")), name="poliza_balance_is_key"),
            models.CheckConstraint(condition=Q(tipo__in=["1", "2", "3"]), name="poliza_tipo_valid"),
            models.CheckConstraint(
                condition=(
                    Q(source="manual", cfdi__isnull=True)
                    | Q(source__in=["cfdi", "reversal"], cfdi__isnull=False)
                ),
                name="poliza_source_matches_cfdi",
            ),
            # Re-posting a CFDI never doubles it: one póliza and at most one reversal each.
            models.UniqueConstraint(
                fields=["company", "cfdi", "source"],
                condition=Q(cfdi__isnull=False),
                name="poliza_unique_per_cfdi",
            ),
            models.UniqueConstraint(
                fields=["company", "fecha", "tipo", "number"], name="poliza_unique_number"
            ),
        ]
        indexes = [models.Index(fields=["company", "fecha"], name="poliza_company_fecha")]

    def __str__(self) -> str:
        return f"{self.tipo_label} {self.number} {self.fecha}"

    @property
    def tipo_label(self) -> str:
        return str(PolizaTipo(self.tipo).label)

    @property
    def audit_label(self) -> str:
        return f"{self.tipo_label} {self.number} · {self.fecha.isoformat()} · {self.concepto}"


class Movement(models.Model):
    """One line of a póliza: an account charged (debe) or credited (haber), never both.

    ``company`` and ``fecha`` repeat the póliza's (the triggers refuse a difference) so the
    balanza aggregates movements by account and date on one index.
    """

    poliza = models.ForeignKey(
        Poliza, on_delete=models.CASCADE, related_name="movements", verbose_name=_("póliza")
    )
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("empresa")
    )
    fecha = models.DateField(_("fecha"))
    line = models.PositiveSmallIntegerField(_("renglón"))
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="movements", verbose_name=_("cuenta")
    )
    concepto = models.CharField(_("concepto"), max_length=300)
    debe = models.DecimalField(_("debe"), max_digits=20, decimal_places=2, default=Decimal(0))
    haber = models.DecimalField(_("haber"), max_digits=20, decimal_places=2, default=Decimal(0))

    class Meta:
        verbose_name = _("movimiento")
        verbose_name_plural = _("movimientos")
        ordering = ["poliza", "line"]
        constraints = [
            models.CheckConstraint(
                condition=Q(debe__gte=0) & Q(haber__gte=0), name="movement_amounts_not_negative"
            ),
            models.CheckConstraint(
                condition=(Q(debe=0, haber__gt=0) | Q(debe__gt=0, haber=0)),
                name="movement_debe_xor_haber",
            ),
            models.UniqueConstraint(fields=["poliza", "line"], name="movement_unique_line"),
        ]
        indexes = [
            models.Index(
                fields=["company", "account", "fecha"], name="movement_company_acct_fecha"
            ),
            models.Index(fields=["company", "fecha"], name="movement_company_fecha"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.debe} {self.haber}"


class MovementCfdi(models.Model):
    """A CFDI a movement is backed by (SAT's CompNal): UUID, counterpart RFC, amount."""

    movement = models.ForeignKey(
        Movement, on_delete=models.CASCADE, related_name="cfdis", verbose_name=_("movimiento")
    )
    uuid = models.UUIDField(_("UUID"))
    rfc = models.CharField(_("RFC"), max_length=13)
    monto_total = models.DecimalField(_("monto total"), max_digits=24, decimal_places=2)
    moneda = models.CharField(_("moneda"), max_length=3, blank=True)
    tipo_cambio = models.DecimalField(
        _("tipo de cambio"), max_digits=19, decimal_places=5, null=True, blank=True
    )

    class Meta:
        verbose_name = _("CFDI del movimiento")
        verbose_name_plural = _("CFDI de los movimientos")
        constraints = [
            models.UniqueConstraint(fields=["movement", "uuid"], name="movementcfdi_unique"),
        ]
        indexes = [models.Index(fields=["uuid"], name="movementcfdi_uuid")]

    def __str__(self) -> str:
        return str(self.uuid)


class ClosedPeriod(models.Model):
    """A month of a company closed for accounting: no póliza of it may change."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("empresa")
    )
    month = models.DateField(_("mes"))  # its first day
    closed_at = models.DateTimeField(_("cerrado"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cerrado por"),
    )

    class Meta:
        verbose_name = _("periodo cerrado")
        verbose_name_plural = _("periodos cerrados")
        constraints = [
            models.UniqueConstraint(fields=["company", "month"], name="closedperiod_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="closedperiod_month_first_day"),
        ]

    def __str__(self) -> str:
        return self.audit_label

    @property
    def audit_label(self) -> str:
        return self.month.strftime("%Y-%m")


def month_start(day: date) -> date:
    return day.replace(day=1)


def _rule_account(verbose: Any) -> models.ForeignKey[Account, Account]:
    return models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=verbose
    )


class PostingRules(models.Model):
    """Which account each part of a CFDI's póliza goes to, per company (editable).

    The row exists once the company's chart exists: automatic pólizas run for companies
    that have one, and nobody else pays for them at ingestion.
    """

    company = models.OneToOneField(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("empresa")
    )

    clientes = _rule_account(_("clientes (se crea una subcuenta por RFC)"))
    proveedores = _rule_account(_("proveedores (se crea una subcuenta por RFC)"))
    ventas = _rule_account(_("ventas"))
    devoluciones_ventas = _rule_account(_("devoluciones, descuentos o bonificaciones sobre ventas"))
    gastos = _rule_account(_("gastos y compras"))
    devoluciones_compras = _rule_account(
        _("devoluciones, descuentos o bonificaciones sobre compras")
    )
    bancos = _rule_account(_("bancos"))
    iva_trasladado_cobrado = _rule_account(_("IVA trasladado cobrado"))
    iva_trasladado_pendiente = _rule_account(_("IVA trasladado no cobrado"))
    iva_acreditable_pagado = _rule_account(_("IVA acreditable pagado"))
    iva_acreditable_pendiente = _rule_account(_("IVA acreditable pendiente de pago"))
    ieps_trasladado = _rule_account(_("IEPS trasladado"))
    impuestos_retenidos_a_favor = _rule_account(_("impuestos que nos retuvieron los clientes"))
    isr_retenido = _rule_account(_("ISR retenido a proveedores"))
    iva_retenido = _rule_account(_("IVA retenido a proveedores"))
    sueldos = _rule_account(_("sueldos y salarios (nómina)"))
    deducciones_nomina = _rule_account(_("retenciones de nómina (ISR, IMSS)"))
    ingresos_nomina = _rule_account(_("ingresos por nómina recibida"))

    class Meta:
        verbose_name = _("reglas de pólizas")
        verbose_name_plural = _("reglas de pólizas")

    def __str__(self) -> str:
        return self.audit_label

    @property
    def audit_label(self) -> str:
        return str(_("Reglas de pólizas"))
