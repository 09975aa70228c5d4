"""A draft's parts come from the company's data: products and Carta Porte items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from despacho.invoicing.amounts import invoice_amounts
from despacho.invoicing.documents import (
    TaxLine,
    concept_from_product,
    figure_from,
    stop_from_location,
    truck_from,
)
from despacho.products.models import Factor, LineKind, Tax
from despacho.products.services import LineSpec
from tests.cartaporte.samples import make_item
from tests.factories import make_account, make_company
from tests.products.factories import IVA16, make_product, make_scheme

pytestmark = pytest.mark.django_db

D = Decimal


def test_a_product_becomes_a_concept_with_its_schemes_taxes():
    company = make_company(make_account())
    scheme = make_scheme(
        company,
        name="Honorarios",
        lines=[IVA16, LineSpec(LineKind.RETENCION, Tax.ISR, Factor.TASA, D("0.100000"))],
    )
    product = make_product(company, description="Asesoría contable", scheme=scheme)
    concept = concept_from_product(product, D("3"), descuento=D("1.50"))
    assert (concept.clave_prod_serv, concept.clave_unidad, concept.objeto_imp) == (
        "50201706",
        "H87",
        "02",
    )
    assert (concept.cantidad, concept.valor_unitario, concept.unidad) == (
        D("3"),
        D("250.500000"),
        "Pieza",
    )
    assert concept.taxes == (
        TaxLine("002", "Tasa", D("0.160000")),
        TaxLine("001", "Tasa", D("0.100000"), retencion=True),
    )
    amounts = invoice_amounts(concepts=(concept,), moneda="MXN")
    assert (amounts.subtotal, amounts.total) == (D("751.50"), D("795.00"))


def test_a_product_without_taxes_becomes_a_concept_without_taxes():
    company = make_company(make_account())
    product = make_product(company, description="Donativo", objeto_imp="01")
    concept = concept_from_product(product, D("1"), valor_unitario=D("99"))
    assert (concept.taxes, concept.objeto_imp, concept.valor_unitario) == ((), "01", D("99"))


def test_carta_porte_items_become_stops_truck_and_figures():
    company = make_company(make_account())
    location = make_item(Location, company)
    vehicle = make_item(Vehicle, company)
    trailer = make_item(Trailer, company)
    figure = make_item(Figure, company)
    stop = stop_from_location(
        location, tipo="Origen", number=1, fecha_hora=datetime(2026, 11, 30, 8, 0)
    )
    assert (stop.id_ubicacion, stop.rfc, stop.nombre) == (
        "OR000001",
        "EKU9003173C9",
        "Bodega Guadalajara",
    )
    assert (stop.domicilio.estado, stop.domicilio.codigo_postal, stop.domicilio.colonia) == (
        "JAL",
        "44100",
        "0003",
    )
    truck = truck_from(vehicle, peso_bruto_vehicular=D("36.5"), trailers=(trailer,))
    assert (truck.placa, truck.config_vehicular, truck.perm_sct, truck.anio_modelo) == (
        "ABC1234",
        "T3S2",
        "TPAF01",
        2020,
    )
    assert [(t.subtipo, t.placa) for t in truck.trailers] == [("CTR002", "XYZ987")]
    assert figure_from(figure).num_licencia == "LFD123456"
