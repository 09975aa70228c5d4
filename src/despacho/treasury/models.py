"""Treasury's data: a company's bank accounts, the statements imported into them, their
movements, the saved column mappings of bank files, and the matches between movements
and CFDIs. Every row carries its company, so each read is scoped by one filter."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.satcatalogs import Catalog, description


class BankAccount(models.Model):
    company = models.ForeignKey(
        "tenancy.Company", on_delete=models.CASCADE, related_name="bank_accounts"
    )
    bank_code = models.CharField(_("banco"), max_length=3)  # SAT c_Banco
    name = models.CharField(_("nombre"), max_length=80, blank=True)
    number = models.CharField(_("número de cuenta"), max_length=20)
    clabe = models.CharField(_("CLABE"), max_length=18, blank=True)
    currency = models.CharField(_("moneda"), max_length=3, default="MXN")
    opening_balance = models.DecimalField(_("saldo inicial"), max_digits=18, decimal_places=2)
    opening_date = models.DateField(_("fecha del saldo inicial"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("cuenta bancaria")
        verbose_name_plural = _("cuentas bancarias")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "bank_code", "number"], name="bankaccount_unique_number"
            ),
            models.UniqueConstraint(
                fields=["company", "clabe"],
                condition=~Q(clabe=""),
                name="bankaccount_unique_clabe",
            ),
            models.CheckConstraint(
                condition=Q(bank_code__regex=r"^[0-9]{3}$"), name="bankaccount_bank_code_digits"
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{4,20}$"), name="bankaccount_number_digits"
            ),
            # The check digit is the service's; the shape and the bank prefix are the DB's.
            models.CheckConstraint(
                condition=Q(clabe="")
                | (Q(clabe__regex=r"^[0-9]{18}$") & Q(clabe__startswith=F("bank_code"))),
                name="bankaccount_clabe_shape_and_bank",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="bankaccount_currency_code"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def bank_name(self) -> str:
        return description(Catalog.BANCO, self.bank_code) or self.bank_code

    @property
    def label(self) -> str:
        """«BBVA BANCOMER ····6789» (or the name given to the account)."""
        return self.name or f"{self.bank_name} ····{self.number[-4:]}"

    @property
    def audit_label(self) -> str:
        return str(_("cuenta bancaria %(label)s") % {"label": self.label})


class StatementFormat(models.TextChoices):
    OFX = "ofx", _("OFX")
    MT940 = "mt940", _("MT940")
    CSV = "csv", _("CSV / Excel")


class Statement(models.Model):
    """One imported file: its period, the balances it stated, what it added."""

    company = models.ForeignKey("tenancy.Company", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="statements")
    format = models.CharField(_("formato"), max_length=8, choices=StatementFormat.choices)
    layout = models.CharField(_("formato de columnas"), max_length=40, blank=True)
    file_name = models.CharField(_("archivo"), max_length=255)
    file_sha256 = models.CharField(max_length=64)
    period_start = models.DateField(_("desde"))
    period_end = models.DateField(_("hasta"))
    opening_balance = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    closing_balance = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    movements_added = models.PositiveIntegerField(default=0)
    movements_skipped = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "file_sha256"], name="statement_unique_file"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")), name="statement_period_order"
            ),
        ]

    def __str__(self) -> str:
        return self.audit_label

    @property
    def audit_label(self) -> str:
        return str(_("estado de cuenta %(file)s") % {"file": self.file_name})


class Movement(models.Model):
    """One line of a bank statement: a deposit (amount > 0) or a withdrawal (amount < 0)."""

    company = models.ForeignKey("tenancy.Company", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="movements")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="movements")
    line = models.PositiveIntegerField(_("línea"))
    date = models.DateField(_("fecha"))
    amount = models.DecimalField(_("importe"), max_digits=18, decimal_places=2)
    description = models.CharField(_("concepto"), max_length=500, blank=True)
    reference = models.CharField(_("referencia"), max_length=200, blank=True)
    # (date, amount, description, reference, nth occurrence of that tuple on that day):
    # the same movement in two files has the same key.
    fingerprint = models.CharField(max_length=64)
    reconciled = models.BooleanField(_("conciliado"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fingerprint"], name="movement_unique_fingerprint"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="movement_amount_not_zero"),
        ]
        indexes = [
            models.Index(fields=["account", "date"], name="movement_account_date"),
            models.Index(fields=["company", "reconciled", "date"], name="movement_pending"),
        ]

    def __str__(self) -> str:
        return self.audit_label

    @property
    def is_deposit(self) -> bool:
        return self.amount > 0

    @property
    def audit_label(self) -> str:
        return str(
            _("movimiento del %(date)s por %(amount)s")
            % {"date": self.date.strftime("%d/%m/%Y"), "amount": f"{self.amount:,.2f}"}
        )


class ColumnMapping(models.Model):
    """A company's own layout for a bank's CSV/XLSX: which header holds what."""

    company = models.ForeignKey("tenancy.Company", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("nombre"), max_length=60)
    date_column = models.CharField(_("columna de fecha"), max_length=80)
    description_column = models.CharField(_("columna de concepto"), max_length=80)
    reference_column = models.CharField(_("columna de referencia"), max_length=80, blank=True)
    amount_column = models.CharField(_("columna de importe con signo"), max_length=80, blank=True)
    debit_column = models.CharField(_("columna de cargos"), max_length=80, blank=True)
    credit_column = models.CharField(_("columna de abonos"), max_length=80, blank=True)
    balance_column = models.CharField(_("columna de saldo"), max_length=80, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="columnmapping_unique_name"),
            # Either one signed amount or both cargo and abono.
            models.CheckConstraint(
                condition=(
                    (~Q(amount_column="") & Q(debit_column="") & Q(credit_column=""))
                    | (Q(amount_column="") & ~Q(debit_column="") & ~Q(credit_column=""))
                ),
                name="columnmapping_amount_or_debit_credit",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MatchStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Sugerida")
    CONFIRMED = "confirmed", _("Confirmada")
    REJECTED = "rejected", _("Rechazada")
    UNDONE = "undone", _("Deshecha")


class Match(models.Model):
    """Movements (one or more) paired with CFDIs (one or more), with why."""

    company = models.ForeignKey("tenancy.Company", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=MatchStatus.choices)
    manual = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0"))
    reasons = models.JSONField(default=list)
    movements_total = models.DecimalField(max_digits=18, decimal_places=2)
    cfdis_total = models.DecimalField(max_digits=18, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MatchStatus.values), name="match_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="match_score_range"
            ),
        ]
        indexes = [models.Index(fields=["company", "status"], name="match_company_status")]

    def __str__(self) -> str:
        return self.audit_label

    @property
    def difference(self) -> Decimal:
        """What the bank moved minus what the CFDIs say (fees, withholdings)."""
        return self.movements_total - self.cfdis_total

    @property
    def audit_label(self) -> str:
        return str(_("conciliación #%(id)s") % {"id": self.pk})


class MatchMovement(models.Model):
    """A movement in a match."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="movement_links")
    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="match_links")
    # Mirrors the match's status being confirmed, so the database refuses a movement
    # reconciled twice.
    confirmed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["match", "movement"], name="matchmovement_unique"),
            models.UniqueConstraint(
                fields=["movement"],
                condition=Q(confirmed=True),
                name="matchmovement_one_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.match_id}:{self.movement_id}"


class MatchCfdi(models.Model):
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="cfdi_links")
    cfdi = models.ForeignKey("cfdi.Cfdi", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=8)  # the CFDI's, so display can hide it cheaply
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    confirmed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["match", "cfdi"], name="matchcfdi_unique"),
        ]
        indexes = [models.Index(fields=["cfdi", "confirmed"], name="matchcfdi_cfdi_confirmed")]

    def __str__(self) -> str:
        return f"{self.match_id}:{self.cfdi_id}"
