"""The SAT connection's tests run against the fake SAT on 127.0.0.1 (fake_sat.py)."""

from __future__ import annotations

import pytest

from tests.satstatus.fake_sat import fake_sat


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sat(settings):
    """The fake SAT, with every SAT URL of the settings pointing at it."""
    with fake_sat() as fake:
        settings.SATSTATUS_CONSULTA_URL = fake.consulta_url
        settings.SATSTATUS_LIST_69B_URL = f"{fake.url}/69b.csv"
        settings.SATSTATUS_LIST_69_BASE_URL = f"{fake.url}/69/"
        settings.SATSTATUS_CERTIFICATE_URL = f"{fake.url}/rccf/"
        settings.SATSTATUS_RATE = 0  # unpaced unless a test paces it
        yield fake
