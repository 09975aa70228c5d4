"""The pages of a company-scoped import (customers, products): upload, template (CSV and
XLSX), review with progress, confirmation and result file, the same for every kind.

An app mounts them by building one ``ImportPages`` (its kind, its URL namespace, how to
find the company the viewer may import into) and adding ``urlpatterns(guard)`` to its
routes with its own permission guard; see ``customers/urls.py``. The firm's client
import keeps its own pages (``onboarding/views.py``) on the same engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.functional import Promise
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.csvexport import csv_rows
from despacho.http import flash_and_redirect
from despacho.onboarding import engine
from despacho.onboarding.csvfile import UnreadableFile
from despacho.onboarding.forms import ImportUploadForm
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.tenancy.models import Company
from despacho.workspace.request import AppRequest

PREVIEW_LIMIT = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ImportPages:
    """The import pages of one kind, mounted under one URL namespace."""

    kind_name: str
    namespace: str
    company_of: Callable[[AppRequest], Company]  # the active company, or a refusal
    title: str | Promise
    back_url: str
    back_label: str | Promise
    help_template: str
    confirm_label: str | Promise

    @property
    def kind(self) -> engine.ImportKind:
        return engine.import_kind(self.kind_name)

    def url(self, name: str) -> str:
        return f"{self.namespace}:import_{name}"

    def _context(self, **extra: Any) -> dict[str, Any]:
        kind = self.kind
        return {
            "pages": self,
            "columns": kind.layout.template,
            "required": kind.layout.required,
            "report_labels": kind.report_labels,
            "urls": {
                name: self.url(name)
                for name in ("start", "template", "template_xlsx", "job", "confirm", "report")
            },
            **extra,
        }

    def _job(self, request: AppRequest, job_id: int, *, with_rows: bool = False) -> ImportJob:
        company = self.company_of(request)
        try:
            return engine.import_job_of(
                kind=self.kind,
                firm=company.account,
                company=company,
                job_id=job_id,
                with_rows=with_rows,
            )
        except engine.ImportNotFound:
            raise Http404 from None

    def start(self, request: AppRequest) -> HttpResponse:
        company = self.company_of(request)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                data = upload.read(settings.IMPORT_MAX_BYTES + 1)
                job = engine.import_start(
                    kind=self.kind,
                    firm=company.account,
                    company=company,
                    actor=request.user,
                    file_name=upload.name,
                    data=data,
                    size=upload.size,
                )
            except UnreadableFile as exc:
                form.add_error("file", exc.message)
            else:
                return redirect(self.url("job"), job_id=job.pk)
        jobs = engine.import_jobs_of(kind=self.kind, firm=company.account, company=company)
        context = self._context(
            form=form,
            jobs=jobs[:10],
            example=[self.kind.example.get(c, "") for c in self.kind.layout.template],
            max_rows=settings.IMPORT_MAX_ROWS,
            max_mb=settings.IMPORT_MAX_BYTES // (1024 * 1024),
        )
        status = 400 if form.is_bound and form.errors else 200
        return render(request, "onboarding/kind_start.html", context, status=status)

    def template_csv(self, request: AppRequest) -> HttpResponse:
        self.company_of(request)
        kind = self.kind
        response = HttpResponse(
            "".join(csv_rows(list(kind.layout.template), engine.template_rows(kind))),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{kind.template_name}.csv"'
        return response

    def template_xlsx(self, request: AppRequest) -> HttpResponse:
        self.company_of(request)
        response = HttpResponse(engine.template_xlsx(self.kind), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{self.kind.template_name}.xlsx"'
        return response

    def job(self, request: AppRequest, job_id: int) -> HttpResponse:
        """The review, the progress (polled by htmx every second) and the result."""
        job = self._job(request, job_id)
        fields = self.kind.report_fields
        context = self._context(job=job, preview_limit=PREVIEW_LIMIT)
        if not job.is_running:
            job = self._job(request, job_id, with_rows=True)
            context["job"] = job
            if job.status == ImportStatus.READY:
                ordered = [r for r in job.rows if r["errors"]] + [
                    r for r in job.rows if not r["errors"]
                ]
                context["preview"] = [
                    {
                        "line": r["line"],
                        "cells": [r["values"].get(f, "") for f in fields],
                        "errors": r["errors"],
                    }
                    for r in ordered[:PREVIEW_LIMIT]
                ]
            else:
                context["report"] = [
                    {**item, "cells": [item.get(f, "") for f in fields]}
                    for item in job.report[:PREVIEW_LIMIT]
                ]
        template = "onboarding/_kind_job.html" if request.htmx else "onboarding/kind_job.html"
        return render(request, template, context)

    def confirm(self, request: AppRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        return flash_and_redirect(
            request,
            partial(engine.import_confirm, job=job, actor=request.user),
            done=None,
            to=reverse(self.url("job"), kwargs={"job_id": job.pk}),
        )

    def report(self, request: AppRequest, job_id: int) -> HttpResponse:
        """The review or the result as CSV (a whole answer: guards wrap plain responses)."""
        job = self._job(request, job_id, with_rows=True)
        lines = engine.import_report_lines(self.kind, job)
        response = HttpResponse(
            "".join(csv_rows(engine.import_report_header(self.kind), lines)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="importacion-{job.pk}.csv"'
        return response

    def urlpatterns(self, guard: Callable[[Callable[..., HttpResponse]], Any]) -> list[URLPattern]:
        """The six routes under ``importar/``, each view wrapped by the app's ``guard``."""
        return [
            path(
                "importar/",
                guard(require_http_methods(["GET", "POST"])(never_cache(self.start))),
                name="import_start",
            ),
            path(
                "importar/plantilla.csv",
                guard(require_GET(self.template_csv)),
                name="import_template",
            ),
            path(
                "importar/plantilla.xlsx",
                guard(require_GET(self.template_xlsx)),
                name="import_template_xlsx",
            ),
            path("importar/<int:job_id>/", guard(require_GET(self.job)), name="import_job"),
            path(
                "importar/<int:job_id>/confirmar/",
                guard(require_POST(self.confirm)),
                name="import_confirm",
            ),
            path(
                "importar/<int:job_id>/resultado.csv",
                guard(require_GET(self.report)),
                name="import_report",
            ),
        ]
