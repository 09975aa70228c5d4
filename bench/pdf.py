"""PDF rendering: our reportlab renderer against satcfdi's (HTML + weasyprint), same documents.

Renders each sample CFDI several rounds with both renderers in one run
and prints, per document and overall, the p50 and p99 in milliseconds and how
many times faster ours is. Only rendering is measured (the storage cache that
serves repeated requests is not involved).

    python bench/pdf.py [--rounds 20] [--satcfdi-rounds 3]

Targets (issue 5): ours at least 10 times faster than satcfdi, under 150 ms
per document.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "src" / "despacho" / "samples" / "cfdi"  # despacho.samples.CFDI_SAMPLES_DIR


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def timed(render, data: bytes, rounds: int) -> list[float]:
    render(data)  # warm up: imports, XSLT compilation, font metrics
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        render(data)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--satcfdi-rounds", type=int, default=3)
    args = parser.parse_args()
    if not SAMPLES.is_dir():
        sys.exit(f"samples not found at {SAMPLES}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    import logging

    for noisy in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    from satcfdi.cfdi import CFDI
    from satcfdi.render import pdf_bytes

    from despacho.cfdi.pdf import render_pdf

    def ours(data: bytes) -> bytes:
        return render_pdf(data)

    def theirs(data: bytes) -> bytes:
        return pdf_bytes(CFDI.from_string(data))

    all_ours: list[float] = []
    all_theirs: list[float] = []
    print(f"{'document':48} {'ours p50':>9} {'p99':>7} {'satcfdi p50':>12} {'p99':>7} {'ratio':>6}")
    for path in sorted(SAMPLES.glob("*.xml")):
        data = path.read_bytes()
        a = timed(ours, data, args.rounds)
        all_ours += a
        try:
            b = timed(theirs, data, args.satcfdi_rounds)
        except (
            Exception
        ) as exc:  # satcfdi refuses some documents (a Carta Porte without BienesTransp)
            print(
                f"{path.name[:48]:48} {percentile(a, 50):9.1f} {percentile(a, 99):7.1f} "
                f"{'satcfdi fails: ' + type(exc).__name__:>27}"
            )
            continue
        all_theirs += b
        ratio = statistics.median(b) / statistics.median(a)
        print(
            f"{path.name[:48]:48} {percentile(a, 50):9.1f} {percentile(a, 99):7.1f} "
            f"{percentile(b, 50):12.1f} {percentile(b, 99):7.1f} {ratio:5.1f}x"
        )
    ratio = statistics.median(all_theirs) / statistics.median(all_ours)
    print(
        f"{'ALL':48} {percentile(all_ours, 50):9.1f} {percentile(all_ours, 99):7.1f} "
        f"{percentile(all_theirs, 50):12.1f} {percentile(all_theirs, 99):7.1f} {ratio:5.1f}x"
    )
    print(
        f"target: ours p99 < 150 ms ({'met' if percentile(all_ours, 99) < 150 else 'NOT met'}), "
        f"≥ 10x faster ({'met' if ratio >= 10 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
