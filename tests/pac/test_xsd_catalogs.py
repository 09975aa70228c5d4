"""SAT's large catalogs (c_ClaveProdServ, c_CodigoPostal, c_ClaveProdServCP, …) are checked
by set lookups instead of libxml2's enumeration walk: the same rule, the same values."""

from __future__ import annotations

import re

import pytest

from despacho.cfdi.parsing import parse_xml
from despacho.invoicing.xmlbuild import issue_xml
from despacho.pac.xsd import _catalog_attributes, xsd_errors
from tests.invoicing.samples import certificate_der, invoice, sign


def _sealed() -> bytes:
    return issue_xml(document=invoice(), certificate_der=certificate_der(), sign=sign)


def test_a_valid_invoice_still_validates():
    assert xsd_errors(parse_xml(_sealed())) == []


@pytest.mark.parametrize(
    ("attribute", "value", "catalog"),
    [
        ("ClaveProdServ", "99999999", "c_ClaveProdServ"),
        ("LugarExpedicion", "00001", "c_CodigoPostal"),
        ("ClaveUnidad", "ZZZ", "c_ClaveUnidad"),
    ],
)
def test_a_code_outside_a_large_catalog_is_refused_naming_it(attribute, value, catalog):
    xml = re.sub(
        rf'{attribute}="[^"]*"'.encode(), f'{attribute}="{value}"'.encode(), _sealed(), count=1
    )
    [error] = xsd_errors(parse_xml(xml))
    assert f"attribute '{attribute}'" in error
    assert f"'{value}'" in error
    assert catalog in error


def test_the_large_catalogs_are_placed_on_the_attributes_that_use_them():
    checks, placed = _catalog_attributes()
    names = {name for _namespace, name in placed}
    assert {"c_ClaveProdServ", "c_CodigoPostal", "c_ClaveProdServCP"} <= names
    concept = dict(checks[("http://www.sat.gob.mx/cfd/4", "Concepto")])
    assert concept["ClaveProdServ"][1] == "c_ClaveProdServ"
