"""The account's audit trail: list with filters and CSV export. Read-only by design."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from despacho.access.guards import manager_account
from despacho.audit.describe import event_text
from despacho.audit.selectors import audit_events
from despacho.csvexport import csv_rows
from despacho.members.audit_forms import AuditFilterForm
from despacho.tenancy.models import Account
from despacho.workspace.request import AppRequest


def _managed_account(request: AppRequest) -> Account:
    return manager_account(
        request, refusal=_("Solo el propietario y los administradores ven la bitácora.")
    )


@login_required
@require_GET
def audit_list(request: AppRequest) -> HttpResponse:
    account = _managed_account(request)
    form = AuditFilterForm(request.GET or None)
    events = audit_events(account=account, filters=form.filters())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "members/audit/_events.html" if request.htmx else "members/audit/list.html"
    return render(
        request,
        template,
        {"form": form, "page": page, "query": query.urlencode(), "account": account},
    )


def _as_json(value: object) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)


@login_required
@require_GET
def audit_export(request: AppRequest) -> StreamingHttpResponse:
    account = _managed_account(request)
    form = AuditFilterForm(request.GET or None)
    events = audit_events(account=account, filters=form.filters())
    header = [
        _("Fecha"),
        _("Quién"),
        _("Acción"),
        _("Empresa"),
        _("Objeto"),
        _("Qué pasó"),
        _("Antes"),
        _("Después"),
        _("IP"),
    ]

    def rows() -> Iterator[list[object]]:
        for event in events.iterator(chunk_size=1000):
            yield [
                timezone.localtime(event.occurred_at).isoformat(timespec="seconds"),
                event.actor_label,
                event.action_label,
                event.company.rfc if event.company else "",
                event.target_label,
                event_text(event),
                _as_json(event.before),
                _as_json(event.after),
                event.ip or "",
            ]

    response = StreamingHttpResponse(
        csv_rows(header, rows()), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="bitacora-{stamp}.csv"'
    return response
