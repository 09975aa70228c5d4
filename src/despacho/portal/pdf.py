"""The PDF a receiver downloads from the portal.

One function, so the portal follows whichever renderer the CFDI app offers:
today satcfdi's own HTML-to-PDF (WeasyPrint), drawn from the original XML.
"""

from __future__ import annotations

from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import cfdi_xml


def portal_pdf_bytes(cfdi: Cfdi) -> bytes:
    """The CFDI's printed representation as PDF bytes."""
    # Imported here: satcfdi.render parses WeasyPrint's stylesheet when imported, which
    # would slow every process start (and every management command) for a rare download.
    from satcfdi import render
    from satcfdi.cfdi import CFDI

    document = CFDI.from_string(cfdi_xml(cfdi))
    return render.pdf_bytes(document)
