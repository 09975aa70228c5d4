"""SAT's c_ClaveProdServ and c_ClaveUnidad live in the database, loaded from satcfdi's copy,
and are searched there by code prefix or by words, accents and case ignored."""

from __future__ import annotations

import pytest

from despacho.products.catalogs import catalogs_load, product_key_search, unit_key_search
from despacho.products.models import ProductKey, UnitKey
from despacho.satcatalogs import Catalog, descriptions

pytestmark = pytest.mark.django_db


def codes(qs, n=50):
    return [key.code for key in qs[:n]]


def test_migrating_loads_every_code_of_both_catalogs():
    assert ProductKey.objects.count() == len(descriptions(Catalog.CLAVE_PROD_SERV)) > 50_000
    assert UnitKey.objects.count() == len(descriptions(Catalog.CLAVE_UNIDAD)) > 2_000
    assert ProductKey.objects.get(code="50201706").description == "Café"
    assert UnitKey.objects.get(code="H87").description == "Pieza"


def test_loading_again_changes_nothing_and_puts_back_what_sat_says():
    assert catalogs_load() == 0
    ProductKey.objects.filter(code="50201706").update(description="Otra cosa", folded="otra")
    UnitKey.objects.filter(code="H87").delete()
    assert catalogs_load() == 2
    cafe = ProductKey.objects.get(code="50201706")
    assert (cafe.description, cafe.folded) == ("Café", "50201706 cafe")
    assert UnitKey.objects.filter(code="H87").exists()


def test_words_are_found_without_accents_or_case():
    found = codes(product_key_search("CAFE"))
    assert found[0] == "50201706"  # «Café»: the shortest name comes first
    assert codes(product_key_search("café")) == found
    # Every word must appear, in any order.
    both = list(product_key_search("INSTANTÁNEO cafe")[:50])
    assert [k.code for k in both] == ["50201709"]  # «Café instantáneo»
    assert codes(product_key_search("consultoria negocios")) == codes(
        product_key_search("negocios CONSULTORÍA")
    )


def test_a_number_is_a_code_prefix():
    found = codes(product_key_search("5020"), n=500)
    assert found
    assert all(code.startswith("5020") for code in found)
    assert codes(product_key_search("50201706")) == ["50201706"]
    # A prefix does not match the middle of other codes (10432100 holds «4321»).
    assert all(code.startswith("4321") for code in codes(product_key_search("4321")))


def test_units_by_code_or_name():
    assert codes(unit_key_search("h87")) == ["H87"]
    assert "H87" in codes(unit_key_search("pieza"))
    assert codes(unit_key_search("kilogramo"))[0] == "KGM"
    assert "E48" in codes(unit_key_search("unidad de servicio"))


def test_an_empty_query_lists_by_code_and_nothing_matches_nonsense():
    assert codes(unit_key_search(""), n=3) == sorted(codes(unit_key_search(""), n=3))
    assert not product_key_search("zzqxw").exists()
