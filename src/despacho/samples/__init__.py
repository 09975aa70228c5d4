"""Real public sample data the project carries: CFDIs and SAT's test certificates.

Each file's public source is named in ``SOURCES.md`` beside this module. The demo loads
the CFDIs; the tests and benchmarks read both from here, so a lone clone needs nothing else.
"""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent
CFDI_SAMPLES_DIR = SAMPLES_DIR / "cfdi"
CSD_SAMPLES_DIR = SAMPLES_DIR / "csd"
