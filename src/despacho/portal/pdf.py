"""The PDF a receiver downloads from the portal.

One function, so the portal follows whichever renderer the CFDI app offers: the
CFDI app's own (reportlab, cached in storage per document and status).
"""

from __future__ import annotations

from despacho.cfdi.models import Cfdi
from despacho.cfdi.pdf import cfdi_pdf


def portal_pdf_bytes(cfdi: Cfdi) -> bytes:
    """The CFDI's printed representation as PDF bytes (the same PDF staff download)."""
    return cfdi_pdf(cfdi)
