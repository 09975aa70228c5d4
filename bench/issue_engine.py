"""The issuing engine, phase by phase, for an invoice of 10 concepts.

Builds N invoices (default 500) of 10 concepts each with mixed taxes (IVA 16 %, IEPS,
retenciones of IVA and ISR, an exempt line), and times each phase of ``xmlbuild``:
amounts (``document_amounts``), XML build (satcfdi's Comprobante with our amounts),
cadena original (SAT's XSLT), signature (RSA-SHA256 with SAT's test CSD, in process) and
serialising the sealed XML; then the XSD check on its own. Prints p50 and p99 in
milliseconds per phase. No database: the engine is pure.

    python bench/issue_engine.py [--documents 500] [--concepts 10]

Budget it serves (issue #16, item 9): draft → stamped → stored → PDF under 150 ms p99.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import django

django.setup()

from tests.invoicing.samples import (  # noqa: E402
    IEPS_8,
    IVA16,
    IVA_EXENTO,
    RET_ISR_10,
    RET_IVA,
    certificate_der,
    header,
    issuer,
    receiver,
    sign,
)

from bench.pdf import percentile  # noqa: E402
from despacho.invoicing.amounts import document_amounts  # noqa: E402
from despacho.invoicing.documents import Concept, Document  # noqa: E402
from despacho.invoicing.xmlbuild import (  # noqa: E402
    build_comprobante,
    cadena_original,
    validate_against_xsd,
)

TAX_SETS = ((IVA16,), (IVA16, IEPS_8), (IVA16, RET_IVA, RET_ISR_10), (IVA_EXENTO,))


def document(n: int, concepts: int) -> Document:
    return Document(
        header=header("I", folio=str(n), fecha=datetime(2026, 11, 30, 12, 0)),
        issuer=issuer(),
        receiver=receiver(),
        concepts=tuple(
            Concept(
                clave_prod_serv="01010101",
                cantidad=Decimal(1 + (n + i) % 7) + Decimal("0.125"),
                clave_unidad="H87",
                descripcion=f"Artículo {i} del documento {n}",
                valor_unitario=Decimal(100 + (n * 7 + i * 13) % 900) + Decimal("0.3333"),
                taxes=TAX_SETS[i % len(TAX_SETS)],
                descuento=Decimal("1.50") if i % 3 == 0 else Decimal(0),
            )
            for i in range(concepts)
        ),
    )


def clock(timings: dict[str, list[float]], phase: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    timings.setdefault(phase, []).append((time.perf_counter() - start) * 1000)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--concepts", type=int, default=10)
    args = parser.parse_args()
    der = certificate_der()
    docs = [document(n, args.concepts) for n in range(args.documents + 1)]
    timings: dict[str, list[float]] = {}
    for n, doc in enumerate(docs):
        t: dict[str, list[float]] = {} if n == 0 else timings  # the first warms caches
        amounts = clock(t, "amounts", lambda doc=doc: document_amounts(doc))
        comprobante = clock(
            t,
            "xml build",
            lambda doc=doc, amounts=amounts: build_comprobante(
                document=doc, amounts=amounts, certificate_der=der
            ),
        )
        cadena = clock(t, "cadena original", lambda c=comprobante: cadena_original(c))
        signature = clock(t, "signature", lambda cadena=cadena: sign(cadena.encode()))
        comprobante["Sello"] = base64.b64encode(signature).decode("ascii")
        xml = clock(t, "serialise", lambda c=comprobante: bytes(c.xml_bytes()))
        clock(t, "xsd check", lambda xml=xml: validate_against_xsd(xml))
    total = [sum(values) for values in zip(*timings.values(), strict=True)]
    print(f"{args.documents} invoices of {args.concepts} concepts (ms)")
    print(f"{'phase':<18}{'p50':>8}{'p99':>8}")
    for phase, values in [*timings.items(), ("total", total)]:
        print(f"{phase:<18}{percentile(values, 50):>8.2f}{percentile(values, 99):>8.2f}")


if __name__ == "__main__":
    main()
