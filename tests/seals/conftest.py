"""SAT's public test certificates (src/despacho/samples/csd), and a vault key per test."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet


@pytest.fixture(autouse=True)
def _vault_key(settings):
    settings.DESPACHO_VAULT_KEYS = [Fernet.generate_key().decode()]
    settings.DESPACHO_SEALS_SANDBOX = False
