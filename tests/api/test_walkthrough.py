"""docs/api.md, executed as written: its console command, then its sh blocks with real curl."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.cfdi.cfdi_samples import INGRESO_HE, SAMPLE_UUIDS, sample

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed (the doc uses it)")
@pytest.mark.django_db(transaction=True)
def test_the_api_guide_walkthrough_runs_as_written(live_server, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr("despacho.demo.management.commands.demo.demo_allowed", lambda: True)
    call_command("demo", stdout=io.StringIO())

    (command,) = blocks("console")
    argv = shlex.split(command)
    assert argv[:2] == ["despacho", "create_api_key"]
    out = io.StringIO()
    call_command(*argv[1:], stdout=out)
    key = out.getvalue().strip()

    script = "\n".join(blocks("sh"))
    # The doc's placeholders become this server and this key; nothing else changes.
    script = script.replace("http://127.0.0.1:8000/api/v1", f"{live_server.url}/api/v1")
    script = script.replace("dsp_xxxxxxxx_yyyyyyyy", key)
    workdir = tmp_path / "client"
    workdir.mkdir()
    (workdir / "factura.xml").write_bytes(sample(INGRESO_HE))
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    uuid = SAMPLE_UUIDS[INGRESO_HE]
    assert '"status": "invited"' in result.stdout
    assert '"facturar"' in result.stdout
    assert f"{uuid} KIJ0906199R1" in result.stdout
    downloaded = list(workdir.glob("*.xml"))
    assert len(downloaded) == 2  # factura.xml and the downloaded original
    (pdf,) = workdir.glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert '"email": "compras@iia.example.mx"' in result.stdout
    assert "IIA040805DZ4 api no_password" in result.stdout
