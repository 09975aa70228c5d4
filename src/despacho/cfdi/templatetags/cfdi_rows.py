"""The rows of the CFDI list, rendered in one pass.

The list is the page people open most, and its 50 rows were more than half of its
time when each cell went through the template engine (a variable lookup, an escape and
often a filter per cell). This tag builds the same HTML with ``format_html`` from the
same values: dates in the current time zone («2 ene 2020, 22:40», the month names
looked up once per page), the tipo in words, amounts as «$17,852.75 MXN»
(``cfdi/presentation.py``), the detail URL reversed once per page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from despacho.cfdi.models import Cfdi
from despacho.cfdi.presentation import money_text, short_date_text, short_month_names

register = template.Library()

_PLACEHOLDER = uuid.UUID(int=0)


@register.simple_tag
def cfdi_rows(cfdis: Iterable[Cfdi]) -> SafeString:
    """One <tr> per CFDI: fecha, tipo, serie-folio, counterpart, total, estado (with SAT's
    flags: cancelled by its emisor, emisor in SAT's lists), UUID, links."""
    # The detail URL, reversed once: the downloads sit under it (<uuid>/xml, <uuid>/pdf).
    before, after = reverse("cfdi:detail", args=[_PLACEHOLDER]).split(str(_PLACEHOLDER))
    xml_label, pdf_label = gettext("XML"), gettext("PDF")
    months = short_month_names()
    bad_seal = format_html(' · <span class="error">{}</span>', gettext("sello no válido"))
    cancelled_by_emisor = gettext("cancelado por el emisor")
    return format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td>{}</td>"
        '<td>{}<br><small>{}</small></td><td class="amount">{}</td><td>{}{}{}{}</td>'
        '<td><a href="{}"><code>{}</code></a></td>'
        '<td><a href="{}xml">{}</a> · <a href="{}pdf">{}</a></td></tr>',
        (
            (
                short_date_text(cfdi.fecha, months),
                cfdi.tipo_label,
                "-".join(part for part in (cfdi.serie, cfdi.folio) if part),
                cfdi.counterpart_nombre,
                cfdi.counterpart_rfc,
                money_text(cfdi.amount, cfdi.amount_moneda),
                cfdi.status_label,
                bad_seal if cfdi.seal_verified is False else "",
                format_html(
                    ' · <span class="error">{} {}</span>',
                    cancelled_by_emisor,
                    short_date_text(cfdi.sat_cancelled_at, months),
                )
                if cfdi.sat_cancelled_at
                else "",
                format_html(' · <span class="warning">{}</span>', cfdi.emisor_listed_label)
                if cfdi.emisor_listed
                else "",
                detail := f"{before}{cfdi.uuid}{after}",
                cfdi.uuid_text,
                detail,
                xml_label,
                detail,
                pdf_label,
            )
            for cfdi in cfdis
        ),
    )
