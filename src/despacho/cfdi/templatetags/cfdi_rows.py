"""The rows of the CFDI list, rendered in one pass.

The list is the page people open most, and its 50 rows were more than half of its
time when each cell went through the template engine (a variable lookup, an escape and
often a filter per cell). This tag builds the same HTML with ``format_html`` from the
same values: dates in the current time zone, amounts through ``floatformat:"2g"``,
the detail URL reversed once per page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from despacho.cfdi.models import Cfdi

register = template.Library()

_PLACEHOLDER = uuid.UUID(int=0)


@register.simple_tag
def cfdi_rows(cfdis: Iterable[Cfdi]) -> SafeString:
    """One <tr> per CFDI: fecha, tipo, serie-folio, counterpart, total, estado, UUID, links."""
    # The detail URL, reversed once: the downloads sit under it (<uuid>/xml, <uuid>/pdf).
    before, after = reverse("cfdi:detail", args=[_PLACEHOLDER]).split(str(_PLACEHOLDER))
    xml_label, pdf_label = gettext("XML"), gettext("PDF")
    bad_seal = format_html(' · <span class="error">{}</span>', gettext("sello no válido"))
    return format_html_join(
        "\n",
        '<tr><td>{}</td><td title="{}">{}</td><td>{}</td>'
        '<td>{}<br><small>{}</small></td><td class="amount">{} {}</td><td>{}{}</td>'
        '<td><a href="{}"><code>{}</code></a></td>'
        '<td><a href="{}xml">{}</a> · <a href="{}pdf">{}</a></td></tr>',
        (
            (
                timezone.localtime(cfdi.fecha).strftime("%Y-%m-%d %H:%M"),
                cfdi.tipo_label,
                cfdi.tipo,
                "-".join(part for part in (cfdi.serie, cfdi.folio) if part),
                cfdi.counterpart_nombre,
                cfdi.counterpart_rfc,
                floatformat(cfdi.amount, "2g"),
                cfdi.amount_moneda,
                cfdi.status_label,
                bad_seal if cfdi.seal_verified is False else "",
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
