"""Uploading import files in tests: CSV and XLSX made from rows, posted through the pages,
with the background tasks run as they would be after the request's commit."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from despacho.onboarding.models import ImportJob


def csv_upload(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    name: str = "importar.csv",
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), "text/csv")


def xlsx_upload(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, name: str = "importar.xlsx"
) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), "application/octet-stream")


def upload(client, namespace: str, file: SimpleUploadedFile, capture) -> ImportJob:
    """Post the file to ``<namespace>:import_start``; the validated job."""
    with capture(execute=True):
        response = client.post(reverse(f"{namespace}:import_start"), {"file": file})
    assert response.status_code == 302, response.content.decode()
    return ImportJob.objects.latest("pk")


def confirm(client, namespace: str, job: ImportJob, capture) -> ImportJob:
    """Confirm the job at ``<namespace>:import_confirm``; the job after creation."""
    with capture(execute=True):
        response = client.post(reverse(f"{namespace}:import_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job
