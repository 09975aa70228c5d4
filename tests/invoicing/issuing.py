"""Factories for issuing tests: a company with SAT's test CSD uploaded, its series, a customer."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.files.storage import default_storage

from despacho.cfdi.models import Cfdi
from despacho.customers.models import Customer
from despacho.invoicing.models import Draft
from despacho.tenancy.models import Company
from tests.customers.helpers import register
from tests.factories import make_account
from tests.invoicing.helpers import make_draft, make_series
from tests.seals.samples import EKU, company_of, upload_sample


@pytest.fixture
def sandbox(settings: Any) -> Any:
    settings.DESPACHO_VAULT_KEYS = [Fernet.generate_key().decode()]
    settings.DESPACHO_SEALS_SANDBOX = True  # SAT's test CSD expired in 2023
    settings.DESPACHO_PAC = "sandbox"
    return settings


def issuing_company(*, csd: bool = True) -> Company:
    """EKU9003173C9 (SAT's test taxpayer) with its CSD uploaded and a default series A."""
    company = company_of(make_account(), EKU)
    if csd:
        upload_sample(company, EKU)
    make_series(company, "A", is_default=True)
    return company


def customer_of(company: Company, **fields: Any) -> Customer:
    return register(company, **fields)


def ready_draft(company: Company, **changes: Any) -> Draft:
    """An invoice of one concept to a valid customer, ready to issue."""
    if "customer" not in changes:
        changes["customer"] = customer_of(company)
    return make_draft(company, **changes)


def stored_bytes(cfdi: Cfdi) -> bytes:
    """The stored XML of a CFDI, as the repository's storage holds it."""
    with default_storage.open(cfdi.xml_path, "rb") as handle:
        return handle.read()


def storage_failing_once(monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> None:
    """The repository's storage raises ``failure`` on its next save, then works again."""
    save = default_storage.save
    failures = iter([failure])

    def failing_once(name: str, content: Any, *args: Any, **kwargs: Any) -> str:
        pending = next(failures, None)
        if pending is not None:
            raise pending
        return save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", failing_once)
