"""A company's Carta Porte data: where goods leave from and arrive at, the vehicles and
trailers that carry them, and the people (figuras de transporte) who drive or own them.

Codes are the SAT's Carta Porte 3.1 catalogs (read through ``despacho.satcatalogs``); the
services check them against the catalog, the database refuses what must never be stored
(a malformed code, plate, RFC or year; two active vehicles with one plate). Nothing is
deleted: archiving hides an item from the lists and frees its name or plate.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.tenancy.models import Company

RFC_SHAPE = r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$"
# PlacaVM / Placa of Carta Porte 3.1: 5 to 7 letters or digits, no spaces or dashes.
PLATE_SHAPE = r"^[A-Z0-9]{5,7}$"
LICENSE_SHAPE = r"^[A-Z0-9]{6,16}$"
EARLIEST_MODEL_YEAR = 1900
LATEST_MODEL_YEAR = 2100  # the service refuses anything after next year


class LocationRole(models.TextChoices):
    ORIGIN = "origin", _("Origen")
    DESTINATION = "destination", _("Destino")
    BOTH = "both", _("Origen y destino")


class FigureType(models.TextChoices):
    """c_FiguraTransporte."""

    OPERATOR = "01", _("Operador")
    OWNER = "02", _("Propietario")
    LESSOR = "03", _("Arrendador")
    NOTIFIED = "04", _("Notificado")
    COORDINATED = "05", _("Integrante de Coordinados")


class Item(models.Model):
    """What the four kinds share: the company, archiving and timestamps."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, verbose_name=_("empresa"))
    archived_at = models.DateTimeField(_("archivado"), null=True, blank=True)
    created_at = models.DateTimeField(_("creado"), default=timezone.now)
    updated_at = models.DateTimeField(_("modificado"), default=timezone.now)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Address(models.Model):
    """A Mexican address with the SAT's codes (Domicilio of Carta Porte 3.1)."""

    state = models.CharField(_("estado"), max_length=3, blank=True)  # c_Estado
    municipality = models.CharField(_("municipio"), max_length=3, blank=True)  # c_Municipio
    locality = models.CharField(_("localidad"), max_length=2, blank=True)  # c_Localidad
    neighborhood = models.CharField(_("colonia"), max_length=4, blank=True)  # c_Colonia
    postal_code = models.CharField(_("código postal"), max_length=5, blank=True)
    street = models.CharField(_("calle"), max_length=100, blank=True)
    exterior_number = models.CharField(_("número exterior"), max_length=55, blank=True)
    interior_number = models.CharField(_("número interior"), max_length=55, blank=True)
    reference = models.CharField(_("referencia"), max_length=250, blank=True)
    country = models.CharField(_("país"), max_length=3, blank=True)

    class Meta:
        abstract = True


def _address_checks(prefix: str) -> list[models.CheckConstraint]:
    """The address codes' shapes (empty allowed: the services say when one is required)."""
    return [
        models.CheckConstraint(
            condition=Q(state="") | Q(state__regex=r"^[A-Z]{3}$"), name=f"{prefix}_state_shape"
        ),
        models.CheckConstraint(
            condition=Q(municipality="") | Q(municipality__regex=r"^[0-9]{3}$"),
            name=f"{prefix}_municipality_shape",
        ),
        models.CheckConstraint(
            condition=Q(locality="") | Q(locality__regex=r"^[0-9]{2}$"),
            name=f"{prefix}_locality_shape",
        ),
        models.CheckConstraint(
            condition=Q(neighborhood="") | Q(neighborhood__regex=r"^[0-9]{4}$"),
            name=f"{prefix}_neighborhood_shape",
        ),
        models.CheckConstraint(
            condition=Q(postal_code="") | Q(postal_code__regex=r"^[0-9]{5}$"),
            name=f"{prefix}_postal_code_shape",
        ),
        models.CheckConstraint(condition=Q(country__in=["", "MEX"]), name=f"{prefix}_country"),
    ]


class Location(Item, Address):
    """An origin or destination (Ubicación) with its remitente's or destinatario's RFC."""

    name = models.CharField(_("nombre"), max_length=120)
    location_type = models.CharField(_("tipo"), max_length=12, choices=LocationRole.choices)
    rfc = models.CharField(_("RFC del remitente o destinatario"), max_length=13)

    class Meta:
        verbose_name = _("ubicación")
        verbose_name_plural = _("ubicaciones")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"],
                condition=Q(archived_at__isnull=True),
                name="cartaporte_location_active_name",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="cartaporte_location_name"),
            models.CheckConstraint(
                condition=Q(location_type__in=["origin", "destination", "both"]),
                name="cartaporte_location_type",
            ),
            models.CheckConstraint(
                condition=Q(rfc__regex=RFC_SHAPE), name="cartaporte_location_rfc_shape"
            ),
            # Estado, código postal and país are required in a Carta Porte address.
            models.CheckConstraint(
                condition=~Q(state="") & ~Q(postal_code="") & Q(country="MEX"),
                name="cartaporte_location_address_required",
            ),
            *_address_checks("cartaporte_location"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return str(_("ubicación «%(name)s»") % {"name": self.name})


class Vehicle(Item):
    """An Autotransporte's vehicle: configuration, plate, year, SCT permit and insurance."""

    name = models.CharField(_("nombre"), max_length=120, blank=True)
    configuration = models.CharField(_("configuración vehicular"), max_length=8)
    plate = models.CharField(_("placa"), max_length=7)
    model_year = models.PositiveSmallIntegerField(_("año modelo"))
    permit_type = models.CharField(_("permiso SCT"), max_length=6)  # c_TipoPermiso
    permit_number = models.CharField(_("número de permiso SCT"), max_length=50)
    insurer = models.CharField(_("aseguradora de responsabilidad civil"), max_length=50)
    policy = models.CharField(_("póliza de responsabilidad civil"), max_length=30)

    class Meta:
        verbose_name = _("vehículo")
        verbose_name_plural = _("vehículos")
        ordering = ["plate", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "plate"],
                condition=Q(archived_at__isnull=True),
                name="cartaporte_vehicle_active_plate",
            ),
            models.CheckConstraint(
                condition=Q(plate__regex=PLATE_SHAPE), name="cartaporte_vehicle_plate_shape"
            ),
            models.CheckConstraint(
                condition=Q(configuration__regex=r"^[A-Z0-9]{2,8}$"),
                name="cartaporte_vehicle_configuration_shape",
            ),
            models.CheckConstraint(
                condition=Q(model_year__gte=EARLIEST_MODEL_YEAR)
                & Q(model_year__lte=LATEST_MODEL_YEAR),
                name="cartaporte_vehicle_model_year",
            ),
            models.CheckConstraint(
                condition=Q(permit_type__regex=r"^TP[A-Z0-9]{4}$"),
                name="cartaporte_vehicle_permit_type_shape",
            ),
            models.CheckConstraint(
                condition=~Q(permit_number="") & ~Q(insurer="") & ~Q(policy=""),
                name="cartaporte_vehicle_permit_insurance",
            ),
        ]

    def __str__(self) -> str:
        return self.plate

    @property
    def audit_label(self) -> str:
        return str(_("vehículo con placa %(plate)s") % {"plate": self.plate})


class Trailer(Item):
    """A remolque or semirremolque: its subtype (c_SubTipoRem) and plate."""

    name = models.CharField(_("nombre"), max_length=120, blank=True)
    subtype = models.CharField(_("subtipo de remolque"), max_length=6)
    plate = models.CharField(_("placa"), max_length=7)

    class Meta:
        verbose_name = _("remolque")
        verbose_name_plural = _("remolques")
        ordering = ["plate", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "plate"],
                condition=Q(archived_at__isnull=True),
                name="cartaporte_trailer_active_plate",
            ),
            models.CheckConstraint(
                condition=Q(plate__regex=PLATE_SHAPE), name="cartaporte_trailer_plate_shape"
            ),
            models.CheckConstraint(
                condition=Q(subtype__regex=r"^CTR[0-9]{3}$"),
                name="cartaporte_trailer_subtype_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.plate

    @property
    def audit_label(self) -> str:
        return str(_("remolque con placa %(plate)s") % {"plate": self.plate})


class Figure(Item, Address):
    """A figura de transporte: the operator (with a federal licence), owner, lessor …"""

    figure_type = models.CharField(_("tipo de figura"), max_length=2, choices=FigureType.choices)
    rfc = models.CharField(_("RFC"), max_length=13)
    name = models.CharField(_("nombre"), max_length=254)
    license = models.CharField(_("licencia federal"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("figura de transporte")
        verbose_name_plural = _("figuras de transporte")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "figure_type", "rfc"],
                condition=Q(archived_at__isnull=True),
                name="cartaporte_figure_active_type_rfc",
            ),
            models.CheckConstraint(
                condition=Q(figure_type__in=[c.value for c in FigureType]),
                name="cartaporte_figure_type",
            ),
            models.CheckConstraint(
                condition=Q(rfc__regex=RFC_SHAPE), name="cartaporte_figure_rfc_shape"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="cartaporte_figure_name"),
            models.CheckConstraint(
                condition=Q(license="") | Q(license__regex=LICENSE_SHAPE),
                name="cartaporte_figure_license_shape",
            ),
            # An operator drives: a federal licence is required.
            models.CheckConstraint(
                condition=~Q(figure_type="01") | ~Q(license=""),
                name="cartaporte_figure_operator_license",
            ),
            *_address_checks("cartaporte_figure"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return str(_("figura de transporte %(name)s") % {"name": self.name})
