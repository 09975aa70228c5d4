"""The demo's own documents: ESCUELA KEMPER URGATE issues a month through the sandbox PAC
(among them professional services with IVA and ISR retenidos).

Everything goes through the apps' services: its CSD (SAT's public test set) through
``seals.services.certificate_upload``, customers, products and series through their
services, each document through ``draft_create`` and ``draft_issue`` with a sandbox PAC
whose clock is just after the document's Fecha, the cancellation through
``cancellation_request``. Copies for customers that are Despacho companies are ingested
into their repositories as received. Idempotent: once EKU has a series, nothing is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from despacho.cancellations.services import cancellation_request
from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import cfdi_xml
from despacho.cfdi.services import cfdi_ingest
from despacho.customers.models import Customer
from despacho.customers.services import customer_create
from despacho.invoicing.models import Series
from despacho.invoicing.services.drafts import draft_create
from despacho.invoicing.services.issue import draft_issue
from despacho.invoicing.services.series import series_create
from despacho.invoicing.specs import (
    ConceptSpec,
    DraftData,
    PaymentDocumentSpec,
    PaymentSpec,
    RelationSpec,
)
from despacho.pac.sandbox import SandboxPac
from despacho.people.models import User
from despacho.products.models import Product, TaxScheme
from despacho.products.services import ProductData, product_create, tax_scheme_presets_ensure
from despacho.samples import CSD_SAMPLES_DIR
from despacho.seals.models import SealKind
from despacho.seals.services import certificate_upload
from despacho.tenancy.models import Company

ISSUER_RFC = "EKU9003173C9"
PUBLICO = "XAXX010101000"

#: A customer row: rfc, razón social, régimen, CP, uso CFDI, emails.
CustomerRow = tuple[str, str, str, str, str, list[str]]

# ESCUELA KEMPER URGATE's customers (no emails: the demo sends no mail).
CUSTOMERS: list[CustomerRow] = [
    ("KIJ0906199R1", "KIJ", "601", "59820", "G03", []),
    ("H&E951128469", "HERRERIA & ELECTRICOS", "601", "59820", "G03", []),
    ("ISD950921HE5", "PASE, SERVICIOS ELECTRONICOS", "601", "03100", "G03", []),
    (PUBLICO, "PUBLICO EN GENERAL", "616", "26015", "S01", []),
]


def customers_create(
    *, company: Company, actor: User, rows: list[CustomerRow]
) -> dict[str, Customer]:
    """Register the company's demo customers through ``customer_create``; RFC → customer."""
    return {
        rfc: customer_create(
            company=company,
            actor=actor,
            rfc=rfc,
            razon_social=name,
            regimen_fiscal=regimen,
            codigo_postal=cp,
            uso_cfdi=uso,
            emails=emails,
        )
        for rfc, name, regimen, cp, uso, emails in rows
    }


# Products: clave prod/serv, clave unidad, description, unit, price, tax scheme preset.
PRODUCTS = [
    ("86101700", "E48", "Curso de capacitación en seguridad industrial", "Servicio", "8500.00",
     "iva16"),
    ("86101700", "E48", "Taller de primeros auxilios", "Servicio", "3200.00", "iva16"),
    ("86111600", "E48", "Diplomado en administración (módulo)", "Servicio", "12000.00", "iva16"),
    # Professional services billed to a persona moral, which withholds two thirds of the IVA
    # (10.6667 %) and 10 % of ISR: the "honorarios" preset, the demo's retenciones.
    ("80101500", "E48", "Asesoría profesional en gestión escolar", "Servicio", "15000.00",
     "honorarios"),
]  # fmt: skip
#: The index in PRODUCTS of the product with retenciones.
HONORARIOS = 3

SERIES = [("F", "I"), ("NC", "E"), ("P", "P")]

# Invoices (I, PUE): days ago, customer RFC, product index, cantidad.
INVOICES = [
    (29, "KIJ0906199R1", 0, "2"),
    (27, "H&E951128469", 1, "1"),
    (25, "ISD950921HE5", 2, "1"),
    (22, "KIJ0906199R1", 1, "3"),
    (20, "H&E951128469", 0, "1"),
    (17, "ISD950921HE5", 1, "2"),
    (14, "KIJ0906199R1", 2, "1"),
    (11, "H&E951128469", 2, "2"),
    (8, "ISD950921HE5", 0, "1"),
    (5, "KIJ0906199R1", 1, "1"),
]


@dataclass(frozen=True)
class Issued:
    """What the demo issued: every CFDI, and the ones the tests name."""

    cfdis: list[Cfdi]
    ppd: Cfdi
    credit_note: Cfdi
    cancelled: Cfdi


def sandbox_at(moment: datetime) -> SandboxPac:
    """A sandbox PAC whose clock is five minutes after ``moment`` (a document's Fecha)."""
    stamped_at = moment + timedelta(minutes=5)
    clock: Callable[[], datetime] = lambda: stamped_at  # noqa: E731
    return SandboxPac(clock=clock)


def _ready(company: Company, owner: User) -> tuple[dict[str, Customer], list[Product]]:
    stem = CSD_SAMPLES_DIR / ISSUER_RFC.lower()
    certificate_upload(
        company=company,
        actor=owner,
        kind=SealKind.CSD,
        cer=stem.with_name(f"{stem.name}_csd.cer").read_bytes(),
        key=stem.with_name(f"{stem.name}_csd.key").read_bytes(),
        password=stem.with_name(f"{stem.name}_csd.txt").read_text().strip(),
    )
    for code, tipo in SERIES:
        series_create(
            company=company, actor=owner, code=code, tipo=tipo, next_folio=1, is_default=True
        )
    customers = customers_create(company=company, actor=owner, rows=CUSTOMERS)
    tax_scheme_presets_ensure(company=company)
    schemes = {scheme.preset: scheme for scheme in TaxScheme.objects.filter(company=company)}
    products = [
        product_create(
            company=company,
            actor=owner,
            data=ProductData(
                clave_prod_serv=clave,
                clave_unidad=unidad,
                description=description,
                unit=unit,
                unit_price=Decimal(price),
                objeto_imp="02",
                tax_scheme=schemes[preset],
            ),
        )
        for clave, unidad, description, unit, price, preset in PRODUCTS
    ]
    return customers, products


def _concept(product: Product, cantidad: str, price: str | None = None) -> ConceptSpec:
    return ConceptSpec(
        clave_prod_serv=product.clave_prod_serv_id,
        clave_unidad=product.clave_unidad_id,
        descripcion=product.description,
        cantidad=Decimal(cantidad),
        valor_unitario=Decimal(price) if price else product.unit_price,
        objeto_imp=product.objeto_imp,
        unidad=product.unit,
        product=product,
    )


def _issue(company: Company, owner: User, data: DraftData) -> Cfdi:
    assert data.fecha is not None
    draft = draft_create(company=company, actor=owner, data=data)
    return draft_issue(draft=draft, actor=owner, pac=sandbox_at(data.fecha))


def _invoice(
    customer: Customer, fecha: datetime, *concepts: ConceptSpec, **extra: object
) -> DraftData:
    values: dict[str, object] = {
        "tipo": "I",
        "customer": customer,
        "fecha": fecha,
        "forma_pago": "03",
        "metodo_pago": "PUE",
        "uso_cfdi": customer.uso_cfdi,
        "concepts": concepts,
    }
    values.update(extra)
    return DraftData(**values)  # type: ignore[arg-type]


def _payment(customer: Customer, fecha: datetime, invoice: Cfdi, number: int, saldo: Decimal,
             pagado: Decimal) -> DraftData:  # fmt: skip
    document = PaymentDocumentSpec(
        related_uuid=invoice.uuid_text,
        num_parcialidad=number,
        imp_saldo_ant=saldo,
        imp_pagado=pagado,
        serie=invoice.serie,
        folio=invoice.folio,
    )
    payment = PaymentSpec(fecha_pago=fecha, forma_pago="03", monto=pagado, documents=(document,))
    return DraftData(tipo="P", customer=customer, fecha=fecha, uso_cfdi="CP01", moneda="XXX",
                     payments=(payment,))  # fmt: skip


def _share_with_receivers(cfdis: list[Cfdi]) -> None:
    """Customers that are Despacho companies find the invoice in their repository too."""
    receivers = {c.rfc: c for c in Company.objects.filter(rfc__in=[c.receptor_rfc for c in cfdis])}
    for cfdi in cfdis:
        receiver = receivers.get(cfdi.receptor_rfc)
        if receiver is not None:
            cfdi_ingest(company=receiver, data=cfdi_xml(cfdi), name=f"{cfdi.uuid_text}.xml")


def demo_issue(*, company: Company, owner: User, now: datetime | None = None) -> Issued | None:
    """Issue the demo month for ``company`` (EKU9003173C9) as ``owner``; None if it was
    issued already (the company has series)."""
    if Series.objects.filter(company=company).exists():
        return None
    now = (now or timezone.now()).replace(microsecond=0)
    customers, products = _ready(company, owner)
    issued: list[Cfdi] = []
    for days, rfc, index, cantidad in INVOICES:
        fecha = now - timedelta(days=days, hours=3)
        data = _invoice(customers[rfc], fecha, _concept(products[index], cantidad))
        issued.append(_issue(company, owner, data))
    # Professional services to KIJ, a persona moral: IVA trasladado, IVA and ISR retenidos.
    fecha = now - timedelta(days=24, hours=2)
    data = _invoice(customers["KIJ0906199R1"], fecha, _concept(products[HONORARIOS], "1"))
    issued.append(_issue(company, owner, data))
    # A PPD invoice paid in two parts.
    fecha = now - timedelta(days=26)
    kij = customers["KIJ0906199R1"]
    data = _invoice(kij, fecha, _concept(products[2], "2"), forma_pago="99", metodo_pago="PPD")
    ppd = _issue(company, owner, data)
    first = (ppd.total * Decimal("0.4")).quantize(Decimal("0.01"))
    second = (ppd.total - first).quantize(Decimal("0.01"))
    issued.append(ppd)
    pay1 = _payment(customers["KIJ0906199R1"], now - timedelta(days=16), ppd, 1, ppd.total, first)
    issued.append(_issue(company, owner, pay1))
    pay2 = _payment(customers["KIJ0906199R1"], now - timedelta(days=4), ppd, 2, second, second)
    issued.append(_issue(company, owner, pay2))
    # A credit note (E, 01) on the first invoice: a discount.
    note = _issue(
        company,
        owner,
        DraftData(
            tipo="E",
            customer=customers["KIJ0906199R1"],
            fecha=now - timedelta(days=21),
            forma_pago="03",
            metodo_pago="PUE",
            uso_cfdi="G02",
            concepts=(
                ConceptSpec(
                    clave_prod_serv="84111506",
                    clave_unidad="ACT",
                    descripcion="Descuento por pronto pago",
                    cantidad=Decimal(1),
                    valor_unitario=Decimal("1000.00"),
                    objeto_imp="02",
                    product=products[0],  # its scheme: IVA 16 %
                ),
            ),
            relations=(RelationSpec("01", issued[0].uuid_text),),
        ),
    )
    issued.append(note)
    # The month's sales to the público en general, with InformacionGlobal.
    fecha = now - timedelta(days=2)
    local = timezone.localtime(fecha)
    data = _invoice(
        customers[PUBLICO],
        fecha,
        _concept(products[1], "1", "850.00"),
        forma_pago="01",
        global_periodicidad="04",
        global_meses=f"{local.month:02d}",
        global_anio=local.year,
    )
    issued.append(_issue(company, owner, data))
    # An invoice issued by mistake and cancelled (motive 02) an hour later.
    fecha = now - timedelta(days=9)
    data = _invoice(customers["ISD950921HE5"], fecha, _concept(products[1], "1", "500.00"))
    wrong = _issue(company, owner, data)
    issued.append(wrong)
    cancellation_request(
        cfdi=wrong,
        actor=owner,
        motivo="02",
        now=fecha + timedelta(hours=1),
        pac=sandbox_at(fecha + timedelta(hours=1)),
    )
    _share_with_receivers(issued)
    wrong.refresh_from_db()
    return Issued(cfdis=issued, ppd=ppd, credit_note=note, cancelled=wrong)
