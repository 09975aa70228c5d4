"""Informes open on the year a person most likely wants."""

import pytest
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml
from tests.factories import make_account, make_company

from despacho.cfdi.reports import default_year
from despacho.cfdi.services import cfdi_ingest


@pytest.mark.django_db
def test_the_reports_open_on_the_year_of_the_companys_latest_cfdi():
    company = make_company(make_account())
    assert default_year(company) == default_year()  # no CFDIs yet: this year
    cfdi_ingest(
        company=company,
        data=cfdi_xml(emisor=company.rfc, receptor=any_rfc(), fecha="2023-05-10T10:00:00"),
    )
    assert default_year(company) == 2023
