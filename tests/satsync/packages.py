"""Packages for the fake SAT built from the project's real samples."""

from __future__ import annotations

import uuid

from despacho.samples import CFDI_SAMPLES_DIR
from tests.satsync.fake_sat import metadata_zip, package_zip

# EKU9003173C9's own real CFDI (issued by it, stamped in PAC test environments).
EKU_ISSUED = ["pago20_swsapien_pago_stamped.xml", "nomina12_swsapien_nomina12_40.xml"]
EKU_ISSUED_UUIDS = {"080cf54e-f9db-4470-bf0d-a8613dc10b24", "1ac10691-e5c5-422f-9ec0-0aafe486d493"}
# A real CFDI between two other taxpayers: refused as not_party when it arrives for EKU.
FOREIGN = "ingreso_cfdiutils_cfdi40-real.xml"


def sample(name: str) -> bytes:
    return (CFDI_SAMPLES_DIR / name).read_bytes()


def issued_package() -> bytes:
    return package_zip({f"{name}": sample(name) for name in EKU_ISSUED})


def foreign_package() -> bytes:
    return package_zip({"C2832671-DA6D-11EF-A83D-00155D012007.xml": sample(FOREIGN)})


def received_metadata(rfc: str, count: int = 2, *, cancelled: int = 1) -> tuple[bytes, list[str]]:
    """Metadata of CFDI received by ``rfc``: the first ``cancelled`` ones cancelled."""
    uuids = [str(uuid.uuid4()).upper() for _ in range(count)]
    rows = [
        {
            "Uuid": value,
            "RfcEmisor": "AAA010101AAA",
            "NombreEmisor": "Proveedor Patito",
            "RfcReceptor": rfc,
            "NombreReceptor": "ESCUELA KEMPER URGATE",
            "RfcPac": "SNF171020F3A",
            "FechaEmision": "2026-12-01 10:00:00",
            "FechaCertificacionSat": "2026-12-01 10:01:00",
            "Monto": "1160.00",
            "EfectoComprobante": "I",
            "Estatus": "0" if position < cancelled else "1",
            "FechaCancelacion": "2026-12-02 09:00:00" if position < cancelled else "",
        }
        for position, value in enumerate(uuids)
    ]
    return metadata_zip(rows), uuids
