"""Tenancy: accounts (subscribers), companies (taxpayers), links and memberships."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from despacho.names import validate_name_characters
from despacho.tenancy.regimen import regimen_choices, validate_regimen
from despacho.tenancy.rfc import PersonaType, persona_type, validate_company_rfc
from despacho.textsearch import fold


class Plan(models.TextChoices):
    EMPRENDEDOR = "emprendedor", _("Emprendedor")
    NEGOCIO = "negocio", _("Negocio")
    DESPACHO = "despacho", _("Despacho contable")


# Seats for users other than the owner that each plan includes.
PLAN_INCLUDED_SEATS: dict[str, int] = {
    Plan.EMPRENDEDOR: 1,
    Plan.NEGOCIO: 3,
    Plan.DESPACHO: 5,
}


class Account(models.Model):
    """The subscriber: a business or an accounting firm."""

    name = models.CharField(_("nombre"), max_length=200)
    plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices, default=Plan.NEGOCIO)
    included_seats = models.PositiveIntegerField(_("licencias incluidas"), default=3)
    is_active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(_("creada"), default=timezone.now)

    class Meta:
        verbose_name = _("cuenta")
        verbose_name_plural = _("cuentas")

    def __str__(self) -> str:
        return self.name


class Sector(models.TextChoices):
    COMERCIO = "comercio", _("Comercio")
    SERVICIOS = "servicios", _("Servicios")
    INDUSTRIA = "industria", _("Industria y manufactura")
    CONSTRUCCION = "construccion", _("Construcción")
    AGROPECUARIO = "agropecuario", _("Agropecuario")
    TRANSPORTE = "transporte", _("Transporte y logística")
    PROFESIONAL = "profesional", _("Servicios profesionales")
    NO_LUCRATIVO = "no_lucrativo", _("Sin fines de lucro")
    OTRO = "otro", _("Otro")


codigo_postal_validator = RegexValidator(
    r"^\d{5}$",
    message=_("Código postal: deben ser 5 dígitos."),
    code="codigo_postal_format",
)


# ASCII digits only, as the database constraint says (r"\d" would take "١٢٣٤٥").
CODIGO_POSTAL = re.compile(r"^[0-9]{5}\Z")


class Company(models.Model):
    """A taxpayer (RFC), owned by exactly one account."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="companies", verbose_name=_("cuenta")
    )
    rfc = models.CharField(_("RFC"), max_length=13, unique=True)
    razon_social = models.CharField(_("razón social"), max_length=300)
    regimen_fiscal = models.CharField(_("régimen fiscal"), max_length=3)
    codigo_postal = models.CharField(
        _("código postal"), max_length=5, validators=[codigo_postal_validator]
    )
    sector = models.CharField(
        _("sector"), max_length=20, choices=Sector.choices, default=Sector.SERVICIOS
    )
    telefono = models.CharField(_("teléfono"), max_length=10, blank=True, default="")
    slug = models.SlugField(_("identificador del portal"), max_length=80, unique=True)
    created_at = models.DateTimeField(_("creada"), default=timezone.now)
    # fold(razón social + RFC), kept by save() (and by bulk writers through
    # company_search_text), so "perez" finds "PÉREZ" in the database on SQLite and PostgreSQL.
    search_text = models.CharField(max_length=320, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("empresa")
        verbose_name_plural = _("empresas")
        ordering = ["razon_social"]
        indexes = [models.Index(fields=["search_text"], name="tenancy_company_search_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(codigo_postal__regex=r"^[0-9]{5}$"),
                name="tenancy_company_codigo_postal_5_digits",
            ),
            models.CheckConstraint(
                condition=Q(rfc__regex=r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$"),
                name="tenancy_company_rfc_format",
            ),
            models.CheckConstraint(
                condition=~Q(rfc__in=["XAXX010101000", "XEXX010101000"]),
                name="tenancy_company_rfc_not_generic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.razon_social} ({self.rfc})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = _unique_slug(self.razon_social, self.rfc)
        self.search_text = company_search_text(self.razon_social, self.rfc)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"razon_social", "rfc"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def persona(self) -> PersonaType:
        return persona_type(self.rfc)

    @property
    def portal_url(self) -> str:
        """The company's download portal for its receivers, absolute (as emails link it)."""
        return settings.SITE_URL + reverse("portal:home", args=[self.slug])

    @property
    def regimen_label(self) -> str:
        return dict(regimen_choices()).get(self.regimen_fiscal, self.regimen_fiscal)

    # Fields whose every rule clean() checks with a message naming the field; Django's
    # generic "blank"/"max_length" messages would only repeat them without the name.
    OWN_RULE_FIELDS = frozenset({"rfc", "razon_social", "regimen_fiscal", "codigo_postal"})

    def clean_fields(self, exclude: Any = None) -> None:
        super().clean_fields(exclude={*(exclude or ()), *self.OWN_RULE_FIELDS})

    def clean(self) -> None:
        """Every field rule at once, so a form shows all problems together."""
        errors: dict[str, list[ValidationError]] = {}
        try:
            self.rfc = validate_company_rfc(self.rfc or "")
        except ValidationError as exc:
            errors.setdefault("rfc", []).append(exc)
        self.codigo_postal = (self.codigo_postal or "").strip()
        if not CODIGO_POSTAL.match(self.codigo_postal):
            errors.setdefault("codigo_postal", []).append(
                ValidationError(codigo_postal_validator.message, code=codigo_postal_validator.code)
            )
        try:
            validate_regimen(
                self.regimen_fiscal or "",
                persona=None if "rfc" in errors else persona_type(self.rfc),
            )
        except ValidationError as exc:
            errors.setdefault("regimen_fiscal", []).append(exc)
        try:
            validate_name_characters(self.razon_social or "", field=str(_("Razón social")))
        except ValidationError as exc:
            errors.setdefault("razon_social", []).append(exc)
        self.razon_social = " ".join((self.razon_social or "").split())
        if "razon_social" in errors:
            pass
        elif not self.razon_social:
            errors.setdefault("razon_social", []).append(
                ValidationError(_("Razón social: escribe la razón social."), code="required")
            )
        elif len(self.razon_social) > 300:
            errors.setdefault("razon_social", []).append(
                ValidationError(_("Razón social: máximo 300 caracteres."), code="max_length")
            )
        if errors:
            raise ValidationError(errors)


def company_search_text(razon_social: str, rfc: str) -> str:
    """What the workspace filter matches: razón social and RFC, folded (no case, no accents)."""
    return fold(f"{razon_social} {rfc}")[:320]


def unique_slugs(pairs: list[tuple[str, str]]) -> list[str]:
    """Slugs for many new companies (razón social, RFC) with one query, as ``_unique_slug``
    would pick them; a third collision falls back to the whole RFC, unique by itself."""
    bases = [(slugify(rs)[:60].strip("-") or "empresa", slugify(rfc)) for rs, rfc in pairs]
    candidates = sorted({b for b, _r in bases} | {f"{b}-{r[-4:]}" for b, r in bases})
    taken: set[str] = set()
    size = connection.features.max_query_params or max(1, len(candidates))
    for start in range(0, len(candidates), size):
        taken.update(
            Company.objects.filter(slug__in=candidates[start : start + size]).values_list(
                "slug", flat=True
            )
        )
    slugs = []
    for base, rfc in bases:
        for candidate in (base, f"{base}-{rfc[-4:]}", f"{base}-{rfc}"):
            if candidate not in taken:
                break
        taken.add(candidate)
        slugs.append(candidate)
    return slugs


def _unique_slug(razon_social: str, rfc: str) -> str:
    base = slugify(razon_social)[:60].strip("-") or "empresa"
    candidate = base
    suffix = slugify(rfc)[-4:]
    if Company.objects.filter(slug=candidate).exists():
        candidate = f"{base}-{suffix}"
    counter = 2
    while Company.objects.filter(slug=candidate).exists():
        candidate = f"{base}-{suffix}-{counter}"
        counter += 1
    return candidate


class LinkStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    ACCEPTED = "accepted", _("Aceptada")
    DECLINED = "declined", _("Rechazada")
    REVOKED = "revoked", _("Revocada")
    EXPIRED = "expired", _("Expirada")
    WITHDRAWN = "withdrawn", _("Retirada")


# A pending link past expires_at is expired; nobody has to mark it (see CompanyLink.status_at).
LIVE_LINK_STATUSES = (LinkStatus.PENDING, LinkStatus.ACCEPTED)


class CompanyLink(models.Model):
    """A firm (account) managing a company owned by another account."""

    firm = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="company_links", verbose_name=_("despacho")
    )
    # NULL: what the firm asked for named no company that could be invited. The firm gets
    # the same answer and the same row either way; it sees the company only once its owner
    # accepts (``shown_to_firm``), so an invitation never tells whether an RFC or an email
    # belongs to someone.
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="links",
        verbose_name=_("empresa"),
    )
    # What the firm typed: the only thing its side shows until the owner accepts.
    requested_rfc = models.CharField(_("RFC solicitado"), max_length=13, blank=True)
    requested_email = models.EmailField(_("correo solicitado"), blank=True)
    status = models.CharField(
        _("estado"), max_length=10, choices=LinkStatus.choices, default=LinkStatus.PENDING
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The newest link of its (firm, company) pair: the Empresas page joins on it instead of
    # looking for the newest link row by row.
    is_latest = models.BooleanField(default=True, editable=False)

    class Meta:
        verbose_name = _("vínculo con despacho")
        verbose_name_plural = _("vínculos con despachos")
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "company"],
                condition=Q(status__in=["pending", "accepted"]),
                name="tenancy_link_one_live_per_firm_company",
            ),
            models.UniqueConstraint(
                fields=["firm", "company"],
                condition=Q(is_latest=True),
                name="tenancy_link_one_latest_per_firm_company",
            ),
        ]
        indexes = [
            models.Index(fields=["firm", "status"]),
            models.Index(fields=["company", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.firm} → {self.company} ({self.status})"

    @property
    def audit_label(self) -> str:
        """How the audit trail names the link (no internal status code)."""
        if self.company is None:  # an invitation that reached nobody: what the firm typed
            return f"{self.firm.name} → {self.requested}"
        return f"{self.firm.name} → {self.company.razon_social} ({self.company.rfc})"

    @property
    def invited_company(self) -> Company:
        """The company of a link that reached one: every link the company's side, an emailed
        invitation or an accepted link is about (DoesNotExist otherwise)."""
        if self.company is None:
            raise Company.DoesNotExist
        return self.company

    @property
    def requested(self) -> str:
        """What the firm asked for: the RFC or the owner's email it typed."""
        return self.requested_rfc or self.requested_email

    @property
    def shown_to_firm(self) -> bool:
        """Whether the firm may see the company: only once its owner accepted (revoked
        links were accepted first)."""
        return self.company_id is not None and self.status in (
            LinkStatus.ACCEPTED,
            LinkStatus.REVOKED,
        )

    def firm_status_at(self, moment: datetime) -> LinkStatus:
        """The status the firm sees: until the owner accepts, an invitation is pending until it
        expires, whether it reached a company or not and whether its owner declined."""
        if self.shown_to_firm or self.status == LinkStatus.WITHDRAWN:
            return LinkStatus(self.status)
        if self.expires_at is not None and moment >= self.expires_at:
            return LinkStatus.EXPIRED
        return LinkStatus.PENDING

    def status_at(self, moment: datetime) -> LinkStatus:
        """The stored status, except that a pending invitation past its expiry is expired."""
        if (
            self.status == LinkStatus.PENDING
            and self.expires_at is not None
            and moment >= self.expires_at
        ):
            return LinkStatus.EXPIRED
        return LinkStatus(self.status)

    @property
    def current_status(self) -> LinkStatus:
        return self.status_at(timezone.now())

    @property
    def current_status_label(self) -> str:
        return str(self.current_status.label)

    @property
    def firm_status(self) -> LinkStatus:
        return self.firm_status_at(timezone.now())


class Role(models.TextChoices):
    OWNER = "owner", _("Propietario")
    ADMIN = "admin", _("Administrador")
    MEMBER = "member", _("Usuario")


class MembershipStatus(models.TextChoices):
    INVITED = "invited", _("Invitado")
    ACTIVE = "active", _("Activo")
    DEACTIVATED = "deactivated", _("Desactivado")


MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})
SEAT_HOLDING_STATUSES = frozenset({MembershipStatus.INVITED, MembershipStatus.ACTIVE})


class Membership(models.Model):
    """A person in an account, with a role. Admins and members hold a seat unless deactivated."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rol"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(
        _("estado"),
        max_length=12,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
    )
    created_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("membresía")
        verbose_name_plural = _("membresías")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="tenancy_membership_unique"),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(role="owner"),
                name="tenancy_membership_one_owner",
            ),
            models.CheckConstraint(
                condition=~Q(role="owner") | Q(status="active"),
                name="tenancy_membership_owner_active",
            ),
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account} ({self.role}, {self.status})"

    @property
    def audit_label(self) -> str:
        """How the audit trail names the person (their role and status are in the changes)."""
        return f"{self.user.full_name} ({self.user.email})"

    @property
    def holds_seat(self) -> bool:
        return self.role != Role.OWNER and self.status in SEAT_HOLDING_STATUSES


SEAT_UNIT_PRICE = Decimal("249.00")  # MXN per seat per year, before IVA
IVA_RATE = Decimal("0.16")
SEAT_VALIDITY = timedelta(days=365)
CENTS = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round to cents the way the SAT does (half up)."""
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


class SeatPurchase(models.Model):
    """Extra seats the owner bought: they count from ``bought_at`` until ``valid_until``."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="seat_purchases", verbose_name=_("cuenta")
    )
    quantity = models.PositiveIntegerField(_("licencias"))
    unit_price = models.DecimalField(
        _("precio unitario"), max_digits=10, decimal_places=2, default=SEAT_UNIT_PRICE
    )
    iva_rate = models.DecimalField(
        _("tasa de IVA"), max_digits=4, decimal_places=2, default=IVA_RATE
    )
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2)
    iva = models.DecimalField(_("IVA"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    bought_at = models.DateTimeField(_("comprada"), default=timezone.now)
    valid_until = models.DateTimeField(_("vigente hasta"))
    bought_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("comprada por"),
    )

    class Meta:
        verbose_name = _("compra de licencias")
        verbose_name_plural = _("compras de licencias")
        ordering = ["-bought_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="tenancy_seatpurchase_quantity_positive"
            ),
            # total = subtotal + iva exactly is seat_quote's job: SQLite compares decimals
            # as floats, so the database only guards the signs and the order.
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, iva__gte=0, total__gte=F("subtotal")),
                name="tenancy_seatpurchase_amounts_consistent",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("bought_at")),
                name="tenancy_seatpurchase_valid_after_bought",
            ),
        ]
        indexes = [models.Index(fields=["account", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.unit_price} ({self.account})"

    def is_valid_at(self, moment: datetime) -> bool:
        return self.bought_at <= moment < self.valid_until
