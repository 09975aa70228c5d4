"""Documents to cancel, issued for real: the engine builds and seals them with SAT's test
CSD uploaded to the company (``seal_sign``), the sandbox PAC stamps them at a chosen moment,
and ``cfdi_ingest`` stores them in the company's repository, as issuing will.

(The issuing service, ``draft_issue``, is another branch's work; these steps are exactly
what it does.)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from despacho.cfdi.models import Cfdi
from despacho.cfdi.services import cfdi_ingest
from despacho.invoicing.documents import (
    Concept,
    Document,
    Header,
    PaidDocument,
    Payment,
    Relation,
    local_time,
)
from despacho.invoicing.xmlbuild import issue_xml
from despacho.pac.sandbox import SandboxPac
from despacho.seals.models import SealKind
from despacho.seals.services import seal_sign, signing_certificate
from despacho.tenancy.models import Company
from tests.factories import make_account, owner_of
from tests.invoicing.samples import IVA16, issuer, receiver
from tests.seals.samples import EKU, company_of, upload_sample

D = Decimal
#: When the test documents are stamped: long enough ago that no "within the first business
#: day" exemption (regla 2.7.1.35, fracción IX) applies when they are cancelled, now or at
#: CANCEL_AT.
STAMPED_AT = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
#: When the service tests cancel them (a week later, three days before now).
CANCEL_AT = STAMPED_AT + timedelta(days=7)


def issuing_company() -> Company:
    """SAT's test taxpayer EKU9003173C9 as a company with its CSD in the vault."""
    company = company_of(make_account(), EKU)
    upload_sample(company, EKU)
    return company


def _concept(valor_unitario: str) -> Concept:
    return Concept(
        clave_prod_serv="84111506",
        cantidad=D("1"),
        clave_unidad="E48",
        descripcion="Servicio de contabilidad",
        valor_unitario=D(valor_unitario),
        objeto_imp="02",
        taxes=(IVA16,),
    )


def issue(company: Company, document: Document, *, at: datetime = STAMPED_AT) -> Cfdi:
    """Seal ``document`` with the company's CSD, stamp it in the sandbox at ``at``, store it."""
    owner = owner_of(company.account)
    certificate = signing_certificate(company=company, kind=SealKind.CSD)

    def sign(data: bytes) -> bytes:
        return seal_sign(
            company=company,
            kind=SealKind.CSD,
            data=data,
            actor=owner,
            purpose="CFDI de prueba",
            certificate=certificate,
        )

    xml = issue_xml(
        document=document, certificate_der=bytes(certificate.certificate_der), sign=sign
    )
    stamped = SandboxPac(clock=lambda: at).stamp(xml)
    outcome = cfdi_ingest(company=company, data=stamped.xml)
    assert outcome.status == "accepted", outcome
    return Cfdi.objects.get(company=company, uuid=stamped.uuid)


def _header(tipo: str, folio: str, at: datetime, **changes: object) -> Header:
    values: dict[str, object] = {
        "tipo": tipo,
        "fecha": local_time(at - timedelta(minutes=10)),
        "serie": "A",
        "folio": folio,
        "forma_pago": "03",
        "metodo_pago": "PUE",
    }
    values.update(changes)
    return Header(**values)  # type: ignore[arg-type]


def invoice(
    company: Company,
    *,
    unit_price: str = "5000.00",
    folio: str = "1",
    ppd: bool = False,
    relations: tuple[Relation, ...] = (),
    at: datetime = STAMPED_AT,
) -> Cfdi:
    """An issued invoice (I) of one concept plus IVA; PPD when ``ppd``."""
    header = _header(
        "I",
        folio,
        at,
        relations=relations,
        **({"forma_pago": "99", "metodo_pago": "PPD"} if ppd else {}),
    )
    document = Document(
        header=header, issuer=issuer(), receiver=receiver(), concepts=(_concept(unit_price),)
    )
    return issue(company, document, at=at)


def payment(company: Company, paid: Cfdi, *, amount: str, at: datetime = STAMPED_AT) -> Cfdi:
    """A payment complement (P, Pagos 2.0) paying ``amount`` of ``paid`` (no taxes per payment)."""
    header = _header("P", f"P{paid.folio}", at, forma_pago="", metodo_pago="", moneda="XXX")
    document = Document(
        header=header,
        issuer=issuer(),
        receiver=receiver(uso_cfdi="CP01"),
        payments=(
            Payment(
                fecha_pago=local_time(at - timedelta(minutes=20)),
                forma_pago="03",
                moneda="MXN",
                documents=(
                    PaidDocument(
                        id_documento=str(paid.uuid),
                        moneda="MXN",
                        num_parcialidad=1,
                        imp_saldo_ant=paid.total,
                        imp_pagado=D(amount),
                        objeto_imp="01",
                        serie=paid.serie,
                        folio=paid.folio,
                    ),
                ),
            ),
        ),
    )
    return issue(company, document, at=at)
