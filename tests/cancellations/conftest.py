import pytest

from tests.cancellations.issuing import issuing_company


@pytest.fixture(autouse=True)
def _sandbox(settings, tmp_path):
    settings.DESPACHO_SEALS_SANDBOX = True  # SAT's test CSD expired in 2023
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def company():
    """EKU9003173C9 with its CSD: the issuer of every document these tests cancel."""
    return issuing_company()
