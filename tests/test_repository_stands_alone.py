"""A lone clone is enough: tests, benchmarks and the demo read no folder beside the repository."""

from __future__ import annotations

import re
from pathlib import Path

from despacho.samples import CFDI_SAMPLES_DIR, CSD_SAMPLES_DIR, SAMPLES_DIR

REPO = Path(__file__).resolve().parents[1]
SIBLING_FOLDER = re.compile(r"""\.\./shared|["']shared["']\s*/\s*["']fixtures["']""")


def test_no_code_reads_a_folder_beside_the_checkout():
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("src", "tests", "bench")
        for path in (REPO / folder).rglob("*.py")
        if path != Path(__file__).resolve()
        and SIBLING_FOLDER.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_sample_names_its_public_source_and_every_named_sample_is_there():
    sources = (SAMPLES_DIR / "SOURCES.md").read_text(encoding="utf-8")
    cfdis = sorted(p.name for p in CFDI_SAMPLES_DIR.glob("*.xml"))
    assert len(cfdis) >= 7
    for name in cfdis:
        assert f"| {name} |" in sources, name
    for stem in {p.name.split(".")[0] for p in CSD_SAMPLES_DIR.iterdir()}:
        assert stem in sources, stem
    named = set(re.findall(r"^\| ([\w.-]+\.xml) \|", sources, re.MULTILINE))
    assert named <= set(cfdis)


def test_the_readme_starts_with_the_two_commands_and_promises_no_assistant_yet():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    about = readme.split("## ")[0]
    assert "a WhatsApp assistant." not in about
    assert "open nothing yet" in about
