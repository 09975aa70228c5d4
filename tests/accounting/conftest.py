from __future__ import annotations

from collections.abc import Callable

import pytest

from despacho.cfdi.models import Cfdi
from despacho.cfdi.services import cfdi_ingest
from despacho.tenancy.models import Company


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def store(django_capture_on_commit_callbacks) -> Callable[[Company, bytes], Cfdi]:
    """Ingest a CFDI and run what its commit enqueues (the pólizas' task, immediate)."""

    def stored(company: Company, xml: bytes) -> Cfdi:
        with django_capture_on_commit_callbacks(execute=True):
            outcome = cfdi_ingest(company=company, data=xml)
        assert outcome.cfdi is not None, outcome
        return outcome.cfdi

    return stored
