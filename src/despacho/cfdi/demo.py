"""Demo data for the CFDI repository: the project's sample CFDIs, for the demo companies."""

from __future__ import annotations

import os
from pathlib import Path

from despacho.cfdi.services import Outcome, cfdi_ingest_files
from despacho.samples import CFDI_SAMPLES_DIR
from despacho.tenancy.models import Company

# Each sample is stored for every demo company it names, as emisor (Ventas, Nómina) and
# as receptor (Egresos): KIJ0906199R1 receives HERRERIA & ELECTRICOS' ingreso and pago.
DEMO_RFCS = ("EKU9003173C9", "H&E951128469", "ISD950921HE5", "KIJ0906199R1")


def demo_fixtures_dir() -> Path:
    """``DESPACHO_DEMO_CFDI_DIR``, else the samples in the package (``despacho/samples/cfdi``)."""
    configured = os.environ.get("DESPACHO_DEMO_CFDI_DIR")
    if configured:
        return Path(configured)
    return CFDI_SAMPLES_DIR


def load_demo_cfdis(folder: Path | None = None) -> int:
    """Ingest the sample CFDIs for each demo company they belong to; idempotent. Returns new."""
    folder = folder or demo_fixtures_dir()
    if not folder.is_dir():
        return 0
    stored = 0
    paths = sorted(folder.glob("*.xml"))
    for company in Company.objects.filter(rfc__in=DEMO_RFCS).select_related("account"):
        # Files of other companies are refused (not_party) and simply not counted.
        files = [(p.name, p.open("rb")) for p in paths]
        try:
            # One sample's timbre belongs to another comprobante: show it stored and flagged.
            report = cfdi_ingest_files(company=company, files=files, accept_unverified=True)
        finally:
            for _name, handle in files:
                handle.close()
        stored += sum(1 for o in report.outcomes if o.status == Outcome.ACCEPTED)
    return stored
