"""Signals of the CFDI repository that apps above may act on."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that stores new documents, right after their rows are
# written, with ``company`` and ``rows`` (the stored ``Cfdi`` rows, never empty). What the
# receivers write shares that transaction: if a receiver fails, the rows are not stored
# either (and the ingestion removes their files). The portal app gives the receivers of
# issued documents their access here.
cfdi_stored = Signal()
