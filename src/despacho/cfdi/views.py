"""CFDI pages: upload, list per category, detail, original XML download. Thin by design."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from despacho.access.decisions import can, explain
from despacho.access.guards import denied
from despacho.cfdi.content import read_content
from despacho.cfdi.downloads import zip_stream
from despacho.cfdi.forms import CfdiFilterForm, ReportYearForm, UploadForm
from despacho.cfdi.models import CATEGORY_PERM, Category, Cfdi
from despacho.cfdi.panels import cfdi_detail_panels
from despacho.cfdi.parsing import CFDI_ZONE
from despacho.cfdi.pdf import cfdi_pdf
from despacho.cfdi.reports import (
    cfdi_report,
    default_year,
    report_csv,
    report_filename,
    report_xlsx,
)
from despacho.cfdi.selectors import (
    CfdiNotFound,
    categories_visible,
    cfdi_for,
    cfdi_home_elsewhere,
    cfdi_list,
    cfdi_page,
    cfdi_totals,
    cfdi_xml,
    cfdi_zip_selection,
)
from despacho.cfdi.services import cfdi_ingest_files
from despacho.workspace.active import switch_company
from despacho.workspace.request import AppRequest

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: AppRequest) -> HttpResponse:
    company = request.workspace.company
    categories = categories_visible(viewer=request.user, company=company)
    if company is None or not categories:
        raise PermissionDenied(_("Tu acceso a esta empresa no incluye CFDI."))
    report = None
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        files = form.cleaned_data["documents"]
        report = cfdi_ingest_files(
            company=company,
            files=[(f.name or "archivo", f) for f in files],
            ingested_by=request.user,
            accept_unverified=form.cleaned_data["accept_unverified"],
        )
        form = UploadForm()
    template = "cfdi/_results.html" if request.htmx and report else "cfdi/upload.html"
    return render(
        request,
        template,
        {"form": form, "report": report, "categories": categories, "company": company},
    )


@login_required
@require_GET
def cfdi_list_view(request: AppRequest, category: str) -> HttpResponse:
    company = request.workspace.company
    if company is None:
        raise PermissionDenied
    perm = CATEGORY_PERM[Category(category)]
    if not can(request.user, company, perm):
        # The 403 page names what is missing (the permission, the rule or the role).
        return denied(request, explain(request.user, company, perm))
    form = CfdiFilterForm(request.GET or None, category=category)
    filters = form.filters()
    cfdis = cfdi_list(viewer=request.user, company=company, category=category, filters=filters)
    totals = cfdi_totals(cfdis)
    page = cfdi_page(cfdis, totals=totals, number=request.GET.get("page"), per_page=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    categories = categories_visible(viewer=request.user, company=company)
    context = {
        "form": form,
        "page": page,
        "totals": totals,
        "query": query.urlencode(),
        "category": Category(category),
        "categories": categories,
        "filtered": filters.narrows,
        # The upload page's own rule: a grant that opens any category may upload.
        "may_upload": bool(categories),
        "counterpart_is_receptor": category != Category.EGRESOS,
    }
    template = "cfdi/_rows.html" if request.htmx else "cfdi/list.html"
    return render(request, template, context)


def _cfdi_or_404(request: AppRequest, uuid: UUID) -> Cfdi:
    try:
        return cfdi_for(viewer=request.user, company=request.workspace.company, uuid=uuid)
    except CfdiNotFound:
        raise Http404(_("No existe ese CFDI en esta empresa.")) from None


@login_required
@require_GET
def cfdi_detail(request: AppRequest, uuid: UUID) -> HttpResponse:
    try:
        cfdi = cfdi_for(viewer=request.user, company=request.workspace.company, uuid=uuid)
    except CfdiNotFound:
        # A link to a document of another of the viewer's companies switches there.
        home = cfdi_home_elsewhere(
            viewer=request.user, company=request.workspace.company, uuid=uuid
        )
        if home is None or switch_company(request, home.pk) is None:
            raise Http404(_("No existe ese CFDI en esta empresa.")) from None
        messages.info(
            request,
            _("Este CFDI es de %(company)s: ahora trabajas en esa empresa.")
            % {"company": home.razon_social},
        )
        return redirect("cfdi:detail", uuid)
    content = read_content(cfdi_xml(cfdi))
    context = {
        "cfdi": cfdi,
        "content": content,
        "detail_panels": cfdi_detail_panels(request, cfdi),
    }
    return render(request, "cfdi/detail.html", context)


@login_required
@require_GET
def cfdi_download_xml(request: AppRequest, uuid: UUID) -> HttpResponse:
    cfdi = _cfdi_or_404(request, uuid)
    response = HttpResponse(cfdi_xml(cfdi), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{cfdi.uuid_text}.xml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def cfdi_download_pdf(request: AppRequest, uuid: UUID) -> HttpResponse:
    cfdi = _cfdi_or_404(request, uuid)
    response = HttpResponse(cfdi_pdf(cfdi), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{cfdi.uuid_text}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def cfdi_download_zip(request: AppRequest, category: str) -> HttpResponseBase:
    company = request.workspace.company
    if company is None:
        raise PermissionDenied
    form = CfdiFilterForm(request.GET or None, category=category)
    try:
        cfdis = cfdi_zip_selection(
            viewer=request.user, company=company, category=category, filters=form.filters()
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(f"{reverse('cfdi:list', args=[category])}?{request.GET.urlencode()}")
    entries = (
        (f"{str(uuid).upper()}.xml", path, fecha.astimezone(CFDI_ZONE))
        for uuid, path, fecha in cfdis.values_list("uuid", "xml_path", "fecha").iterator(
            chunk_size=500
        )
    )
    response = StreamingHttpResponse(zip_stream(entries), content_type="application/zip")
    rfc = "".join(ch for ch in company.rfc if ch.isalnum())
    response["Content-Disposition"] = f'attachment; filename="cfdi-{category}-{rfc}.zip"'
    return response


@login_required
@require_GET
def reports_index(request: AppRequest) -> HttpResponse:
    company = request.workspace.company
    categories = categories_visible(viewer=request.user, company=company)
    if company is None or not categories:
        raise PermissionDenied(_("Tu acceso a esta empresa no incluye CFDI."))
    form = ReportYearForm(request.GET or None)
    year = form.year_or(default_year(company))
    return render(
        request, "cfdi/reports.html", {"categories": categories, "year": year, "form": form}
    )


@login_required
@require_GET
def report_view(request: AppRequest, category: str, export: str = "") -> HttpResponseBase:
    company = request.workspace.company
    if company is None:
        raise PermissionDenied
    form = ReportYearForm(request.GET or None)
    report = cfdi_report(
        viewer=request.user,
        company=company,
        category=category,
        year=form.year_or(default_year(company)),
    )
    if export == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            report_csv(report), content_type="text/csv; charset=utf-8"
        )
    elif export == "xlsx":
        response = HttpResponse(
            report_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        return render(
            request,
            "cfdi/report.html",
            {
                "report": report,
                "form": form,
                "categories": categories_visible(viewer=request.user, company=company),
            },
        )
    filename = report_filename(report, company, export)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
