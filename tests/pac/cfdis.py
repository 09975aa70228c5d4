"""Sealed CFDI 4.0 inputs for the PAC tests, built with satcfdi and SAT's test CSDs.

The issuing engine builds the production XML; these tests only need valid CFDIs that a
PAC would accept: one concept, IVA 16 %, sealed with EKU9003173C9's CSD (expired in 2023,
as the sandbox allows).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from satcfdi.create.cancela import cancelacion
from satcfdi.create.cfd import cfdi40
from satcfdi.models import Signer

from despacho.samples import CSD_SAMPLES_DIR

EKU = "EKU9003173C9"
CACX = "CACX7605101P8"


def signer(rfc: str = EKU) -> Signer:
    stem = CSD_SAMPLES_DIR / f"{rfc.lower()}_csd"
    return Signer.load(
        certificate=stem.with_suffix(".cer").read_bytes(),
        key=stem.with_suffix(".key").read_bytes(),
        password=stem.with_suffix(".txt").read_text().strip(),
    )


def sealed_cfdi(
    *,
    unit_price: Decimal = Decimal("1500.00"),
    receptor_rfc: str = "URE180429TM6",
    receptor_name: str = "UNIVERSIDAD ROBOTICA ESPAÑOLA",
    tipo: str = "I",
    folio: str = "1",
    fecha: datetime | None = None,
    issuer: Signer | None = None,
) -> bytes:
    """A CFDI 4.0 sealed by ``issuer`` (EKU9003173C9's CSD unless told), as a PAC receives it."""
    issuer = issuer or signer()
    regimen_receptor = "616" if receptor_rfc in ("XAXX010101000", "XEXX010101000") else "601"
    uso = "S01" if regimen_receptor == "616" else "G03"
    comprobante = cfdi40.Comprobante(
        emisor=cfdi40.Emisor(rfc=issuer.rfc, nombre=issuer.legal_name, regimen_fiscal="601"),
        lugar_expedicion="42501",
        receptor=cfdi40.Receptor(
            rfc=receptor_rfc,
            nombre=receptor_name,
            domicilio_fiscal_receptor="42501" if regimen_receptor == "616" else "65000",
            regimen_fiscal_receptor=regimen_receptor,
            uso_cfdi=uso,
        ),
        conceptos=[
            cfdi40.Concepto(
                clave_prod_serv="84111506",
                cantidad=Decimal("1"),
                clave_unidad="E48",
                descripcion="Servicio de contabilidad",
                valor_unitario=unit_price,
                impuestos=cfdi40.Impuestos(
                    traslados=cfdi40.Traslado(
                        impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.160000")
                    )
                ),
            )
        ],
        moneda="MXN",
        tipo_de_comprobante=tipo,
        exportacion="01",
        serie="A",
        folio=folio,
        forma_pago="03",
        metodo_pago="PUE",
        fecha=fecha or datetime(2026, 12, 1, 10, 0, 0),
    )
    comprobante.sign(issuer)
    return comprobante.xml_bytes(xml_declaration=True)


def cancellation_request(
    uuid: str,
    *,
    motivo: str = "02",
    folio_sustitucion: str | None = None,
    issuer: Signer | None = None,
    fecha: datetime | None = None,
) -> bytes:
    """SAT's Cancelacion for one UUID, signed by the issuer's CSD (on our side)."""
    folio = cancelacion.Folio(uuid.upper(), motivo, folio_sustitucion)
    request = cancelacion.Cancelacion(
        issuer or signer(), folio, fecha=fecha or datetime(2026, 12, 2, 9, 0, 0)
    )
    return request.xml_bytes(xml_declaration=True)
