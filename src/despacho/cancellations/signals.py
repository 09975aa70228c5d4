"""Signals of cancellations that apps above may act on."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that mirrors a cancellation's state onto the issuer's CFDI,
# with ``cfdi`` (the issuer's copy, its ``status`` already the new one) and ``at``. The SAT
# connection (satstatus) tells the receivers' copies held by other companies.
cfdi_status_mirrored = Signal()
