"""The SAT connection's tests: a vault key, the e.firma of SAT's test taxpayer EKU9003173C9
(src/despacho/samples/csd) on a company of that RFC, and the fake SAT on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from despacho.seals.models import SealKind
from despacho.seals.services import certificate_upload
from despacho.tenancy.models import Company
from tests.factories import make_account, owner_of
from tests.satsync.fake_sat import FakeSat, fake_sat
from tests.seals.samples import EKU, company_of, pair


@pytest.fixture(autouse=True)
def _vault_and_sandbox(settings):
    settings.DESPACHO_VAULT_KEYS = [Fernet.generate_key().decode()]
    settings.DESPACHO_SEALS_SANDBOX = True  # SAT's test e.firma expired in 2023
    settings.DESPACHO_SAT_VERIFY_EVERY = 0


@pytest.fixture
def company(db) -> Company:
    """EKU9003173C9 with its e.firma uploaded by its owner."""
    company = company_of(make_account(), EKU)
    sample = pair(EKU, "fiel")
    certificate_upload(
        company=company,
        actor=owner_of(company.account),
        kind=SealKind.FIEL,
        cer=sample.cer,
        key=sample.key,
        password=sample.password,
    )
    return company


@pytest.fixture
def sat(settings) -> Iterator[FakeSat]:
    with fake_sat(EKU) as fake:
        settings.DESPACHO_SAT_DESCARGA_SOLICITUD_URL = f"{fake.base_url}/solicitud"
        settings.DESPACHO_SAT_DESCARGA_URL = f"{fake.base_url}/descarga"
        yield fake
