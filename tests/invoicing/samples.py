"""Small factories for the engine's tests: parties, concepts and a signer with SAT's test CSD.

EKU9003173C9 (persona moral, SAT's public test set in src/despacho/samples/csd) issues;
signing here uses its key directly, since seals is not the subject (test_xmlbuild also
signs once through ``seal_sign``).
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from despacho.cfdi.parsing import TFD
from despacho.invoicing.documents import (
    EXENTO,
    IEPS,
    ISR,
    IVA,
    TASA,
    Concept,
    Document,
    DocumentTax,
    Header,
    Issuer,
    PaidDocument,
    Receiver,
    TaxLine,
)
from despacho.samples import CSD_SAMPLES_DIR

D = Decimal
EKU = "EKU9003173C9"

IVA16 = TaxLine(IVA, TASA, D("0.160000"))
IVA8 = TaxLine(IVA, TASA, D("0.080000"))
IVA0 = TaxLine(IVA, TASA, D("0.000000"))
IVA_EXENTO = TaxLine(IVA, EXENTO, None)
IEPS_265 = TaxLine(IEPS, TASA, D("0.265000"))
IEPS_8 = TaxLine(IEPS, TASA, D("0.080000"))
RET_IVA = TaxLine(IVA, TASA, D("0.106667"), retencion=True)
RET_ISR_10 = TaxLine(ISR, TASA, D("0.100000"), retencion=True)
RET_ISR_RESICO = TaxLine(ISR, TASA, D("0.012500"), retencion=True)


def certificate_der() -> bytes:
    return (CSD_SAMPLES_DIR / "eku9003173c9_csd.cer").read_bytes()


@functools.cache
def _key() -> rsa.RSAPrivateKey:
    password = (CSD_SAMPLES_DIR / "eku9003173c9_csd.txt").read_text().strip()
    key = serialization.load_der_private_key(
        (CSD_SAMPLES_DIR / "eku9003173c9_csd.key").read_bytes(), password.encode()
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def sign(data: bytes) -> bytes:
    return _key().sign(data, padding.PKCS1v15(), hashes.SHA256())


def issuer() -> Issuer:
    return Issuer(rfc=EKU, nombre="ESCUELA KEMPER URGATE", regimen_fiscal="601",
                  lugar_expedicion="42501")  # fmt: skip


def receiver(**overrides: str) -> Receiver:
    values = {
        "rfc": "URE180429TM6",
        "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
        "regimen_fiscal": "601",
        "domicilio_fiscal": "86991",
        "uso_cfdi": "G03",
    }
    return Receiver(**{**values, **overrides})


def concept(
    valor_unitario: str = "100",
    cantidad: str = "1",
    *taxes: TaxLine,
    descuento: str = "0",
    objeto_imp: str | None = None,
) -> Concept:
    return Concept(
        clave_prod_serv="01010101",
        cantidad=D(cantidad),
        clave_unidad="H87",
        descripcion="Artículo de prueba",
        valor_unitario=D(valor_unitario),
        objeto_imp=objeto_imp or ("02" if taxes else "01"),
        taxes=taxes,
        descuento=D(descuento),
    )


def paid_document(
    uuid: str,
    saldo: str,
    pagado: str,
    *taxes: DocumentTax,
    moneda: str = "MXN",
    equivalencia: str = "1",
    parcialidad: int = 1,
    **more: str,
) -> PaidDocument:
    """A DoctoRelacionado: objeto 02 when it carries taxes, 01 otherwise."""
    return PaidDocument(
        id_documento=uuid,
        moneda=moneda,
        num_parcialidad=parcialidad,
        imp_saldo_ant=D(saldo),
        imp_pagado=D(pagado),
        equivalencia=D(equivalencia),
        taxes=taxes,
        objeto_imp="02" if taxes else "01",
        **more,
    )


def header(tipo: str = "I", **overrides: object) -> Header:
    values: dict[str, object] = {
        "tipo": tipo,
        "fecha": datetime(2026, 11, 30, 12, 0, 0),
        "serie": "A",
        "folio": "1",
        "forma_pago": "03",
        "metodo_pago": "PUE",
    }
    return Header(**{**values, **overrides})  # type: ignore[arg-type]


def invoice(*concepts: Concept, **header_overrides: object) -> Document:
    return Document(
        header=header("I", **header_overrides),
        issuer=issuer(),
        receiver=receiver(),
        concepts=concepts or (concept("100", "1", IVA16),),
    )


def stamped(xml: bytes, uuid: str = "5f8a4c2e-1b3d-4e6f-8a9b-0c1d2e3f4a5b") -> etree._Element:
    """The XML with a TimbreFiscalDigital appended, as a PAC returns it (so the
    repository's ``read_index`` reads it); the seal is not the PAC's, only the shape."""
    root = etree.fromstring(xml)
    ns = root.nsmap["cfdi"]
    complemento = root.find(f"{{{ns}}}Complemento")
    if complemento is None:
        complemento = etree.SubElement(root, f"{{{ns}}}Complemento")
    etree.SubElement(
        complemento,
        f"{{{TFD}}}TimbreFiscalDigital",
        Version="1.1",
        UUID=uuid,
        FechaTimbrado="2026-11-30T12:00:05",
        RfcProvCertif="SPR190613I52",
        SelloCFD=root.get("Sello") or "",
        NoCertificadoSAT="30001000000400002495",
        SelloSAT="AAAA",
    )
    return root
