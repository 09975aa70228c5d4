"""Valid Carta Porte data (every code from the SAT's catalogs) the tests start from."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from despacho.cartaporte.models import Figure, Item, Location, Trailer, Vehicle
from despacho.cartaporte.services import item_create
from despacho.people.models import User
from despacho.tenancy.models import Company

# Guadalajara Centro: CP 44100 is JAL, municipio 039, localidad 03, colonia 0003.
LOCATION: dict[str, Any] = {
    "name": "Bodega Guadalajara",
    "location_type": "origin",
    "rfc": "EKU9003173C9",
    "state": "JAL",
    "municipality": "039",
    "locality": "03",
    "neighborhood": "0003",
    "postal_code": "44100",
    "street": "Av. Juárez",
    "exterior_number": "100",
    "interior_number": "",
    "reference": "Frente a la plaza",
}
VEHICLE: dict[str, Any] = {
    "name": "Tracto 1",
    "configuration": "T3S2",
    "plate": "ABC1234",
    "model_year": 2020,
    "permit_type": "TPAF01",
    "permit_number": "SCT-0001",
    "insurer": "Seguros Atlas",
    "policy": "POL-123",
}
TRAILER: dict[str, Any] = {"name": "Caja 1", "subtype": "CTR002", "plate": "XYZ987"}
FIGURE: dict[str, Any] = {
    "figure_type": "01",
    "rfc": "EKU9003173C9",
    "name": "Juan Pérez Operador",
    "license": "LFD123456",
}
SAMPLES: dict[type[Item], dict[str, Any]] = {
    Location: LOCATION,
    Vehicle: VEHICLE,
    Trailer: TRAILER,
    Figure: FIGURE,
}


def make_item(model: type[Item], company: Company, actor: User | None = None, **changes: Any):
    with transaction.atomic():
        return item_create(
            model=model,
            company=company,
            actor=actor,  # type: ignore[arg-type]
            values={**SAMPLES[model], **changes},
        )
