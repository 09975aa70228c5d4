"""Onboarding pages: a client account by hand, and CSV imports with preview and progress."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from despacho.access.guards import MANAGERS_ONLY, manager_account
from despacho.csvexport import csv_rows
from despacho.firms.services import link_sent_message
from despacho.forms import form_errors_from
from despacho.http import flash_and_redirect
from despacho.onboarding.csvfile import TEMPLATE_COLUMNS, UnreadableFile
from despacho.onboarding.forms import ClientAccountForm, ImportUploadForm
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.onboarding.rows import DEFAULT_REGIMEN, EXAMPLE_ROW
from despacho.onboarding.selectors import (
    REPORT_HEADER,
    ImportNotFound,
    import_job_for,
    import_jobs,
    import_report_rows,
)
from despacho.onboarding.services import client_account_create, import_confirm, import_start
from despacho.tenancy.models import Account, CompanyLink
from despacho.workspace.request import AppRequest

PREVIEW_LIMIT = 200


@login_required
def client_create(request: AppRequest) -> HttpResponse:
    firm = manager_account(request, refusal=MANAGERS_ONLY)
    form = ClientAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            company = client_account_create(
                firm=firm,
                actor=request.user,
                email=data["email"],
                razon_social=data["razon_social"],
                rfc=data["rfc"],
                regimen_fiscal=data["regimen_fiscal"],
                codigo_postal=data["codigo_postal"],
                sector=data["sector"],
                plan=data["plan"],
                telefono=data.get("telefono") or "",
                password=data.get("password"),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            if isinstance(company, CompanyLink):  # the RFC or email is someone's: they decide
                messages.success(request, link_sent_message(company))
                return redirect("firm:list")
            if data.get("password"):
                text = _(
                    "Creamos la cuenta de %(company)s. Entrega la contraseña a %(email)s por un "
                    "medio seguro."
                )
            else:
                text = _(
                    "Creamos la cuenta de %(company)s y enviamos a %(email)s el enlace para "
                    "activarla. Mientras tanto, tu despacho la administra."
                )
            messages.success(
                request, text % {"company": company.razon_social, "email": data["email"]}
            )
            return redirect("firm:list")
    return render(request, "onboarding/client_create.html", {"form": form, "account": firm})


@login_required
@require_GET
def import_template(request: AppRequest) -> StreamingHttpResponse:
    manager_account(request, refusal=MANAGERS_ONLY)
    rows = [[EXAMPLE_ROW[column] for column in TEMPLATE_COLUMNS]]
    response = StreamingHttpResponse(
        csv_rows(list(TEMPLATE_COLUMNS), rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="plantilla-empresas.csv"'
    return response


def _start_context(firm: Account, form: ImportUploadForm) -> dict:
    return {
        "form": form,
        "account": firm,
        "jobs": import_jobs(firm=firm)[:10],
        "columns": TEMPLATE_COLUMNS,
        "example": EXAMPLE_ROW,
        "default_regimen": DEFAULT_REGIMEN,
        "max_rows": settings.IMPORT_MAX_ROWS,
        "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
    }


@login_required
def import_start_view(request: AppRequest) -> HttpResponse:
    firm = manager_account(request, refusal=MANAGERS_ONLY)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.IMPORT_MAX_BYTES:
                data = upload.read(settings.IMPORT_MAX_BYTES + 1)
            else:
                data = upload.read()
            job = import_start(
                firm=firm, actor=request.user, file_name=upload.name, data=data, size=upload.size
            )
        except UnreadableFile as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("onboarding:import_job", job_id=job.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "onboarding/import_start.html", _start_context(firm, form), status=status
    )


def _job(request: AppRequest, job_id: int, *, with_rows: bool = False) -> ImportJob:
    firm = manager_account(request, refusal=MANAGERS_ONLY)
    try:
        return import_job_for(firm=firm, job_id=job_id, with_rows=with_rows)
    except ImportNotFound:
        raise Http404 from None


@login_required
@require_GET
def import_job_view(request: AppRequest, job_id: int) -> HttpResponse:
    """The preview, the progress (polled by htmx every second) and the result of an import."""
    job = _job(request, job_id)
    context: dict = {"job": job}
    if not job.is_running:
        job = _job(request, job_id, with_rows=True)
        context["job"] = job
        if job.status == ImportStatus.READY:
            invalid = [r for r in job.rows if r["errors"]]
            valid = [r for r in job.rows if not r["errors"]]
            context["preview"] = (invalid + valid)[:PREVIEW_LIMIT]
        else:
            context["report"] = job.report[:PREVIEW_LIMIT]
        context["preview_limit"] = PREVIEW_LIMIT
    template = "onboarding/_job.html" if request.htmx else "onboarding/import_job.html"
    return render(request, template, context)


@login_required
@require_POST
def import_confirm_view(request: AppRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return flash_and_redirect(
        request,
        partial(import_confirm, job=job, actor=request.user),
        done=None,
        to=reverse("onboarding:import_job", kwargs={"job_id": job.pk}),
    )


@login_required
@require_GET
def import_report_csv(request: AppRequest, job_id: int) -> StreamingHttpResponse:
    job = _job(request, job_id, with_rows=True)
    response = StreamingHttpResponse(
        csv_rows([str(h) for h in REPORT_HEADER], import_report_rows(job)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="importacion-{job.pk}.csv"'
    return response
