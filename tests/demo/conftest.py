"""The demo issues through the sandbox PAC with SAT's (expired) test CSD: a vault key and
seals' sandbox mode, as ``make run`` has them."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet


@pytest.fixture(autouse=True)
def sandbox(settings: Any) -> Any:
    settings.DESPACHO_VAULT_KEYS = [Fernet.generate_key().decode()]
    settings.DESPACHO_SEALS_SANDBOX = True
    settings.DESPACHO_PAC = "sandbox"
    return settings
