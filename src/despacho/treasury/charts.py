"""Charts drawn on the server as inline SVG: no script, no CDN, readable at 390px (the
SVG scales to its box). Each returns the markup for a template to include as-is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT, PAD = 600, 220, 36


def balance_chart(points: Sequence[tuple[date, Decimal]]) -> SafeString:
    """A line of the balance at the end of each day, with its lowest and highest values."""
    if len(points) < 2:
        return mark_safe("")
    first, last = points[0][0].toordinal(), points[-1][0].toordinal()
    low = min(p[1] for p in points)
    high = max(p[1] for p in points)
    span_x = max(last - first, 1)
    span_y = (high - low) or Decimal("1")

    def xy(day: date, value: Decimal) -> str:
        x = PAD + (WIDTH - 2 * PAD) * (day.toordinal() - first) / span_x
        y = HEIGHT - PAD - float((value - low) / span_y) * (HEIGHT - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    path = " ".join(xy(day, value) for day, value in points)
    title = _("Saldo de la cuenta del %(first)s al %(last)s") % {
        "first": points[0][0].strftime("%d/%m/%Y"),
        "last": points[-1][0].strftime("%d/%m/%Y"),
    }
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}" '
        'preserveAspectRatio="xMidYMid meet" style="width:100%;height:auto">'
        "<title>{title}</title>"
        '<polyline fill="none" stroke="currentColor" stroke-width="2" points="{path}"/>'
        '<text x="{pad}" y="16" font-size="12">{high}</text>'
        '<text x="{pad}" y="{bottom}" font-size="12">{low}</text>'
        '<text x="{pad}" y="{h}" font-size="11">{first}</text>'
        '<text x="{right}" y="{h}" font-size="11" text-anchor="end">{last}</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        title=title,
        path=path,
        pad=PAD,
        bottom=HEIGHT - PAD + 14,
        right=WIDTH - PAD,
        high=f"{high:,.2f}",
        low=f"{low:,.2f}",
        first=points[0][0].strftime("%d/%m/%Y"),
        last=points[-1][0].strftime("%d/%m/%Y"),
    )


def reconciled_chart(months: Sequence[tuple[date, int, int]]) -> SafeString:
    """A stacked bar per month: movements reconciled (solid) and pending (light)."""
    if not months:
        return mark_safe("")
    months = list(months)[-12:]
    top = max(done + pending for _m, done, pending in months) or 1
    slot = (WIDTH - 2 * PAD) / len(months)
    bars = []
    for i, (month, done, pending) in enumerate(months):
        x = PAD + i * slot + slot * 0.15
        width = slot * 0.7
        done_h = (HEIGHT - 2 * PAD) * done / top
        pending_h = (HEIGHT - 2 * PAD) * pending / top
        base = HEIGHT - PAD
        bars.append(
            (
                _("%(month)s: %(done)d conciliados, %(pending)d pendientes")
                % {"month": month.strftime("%m/%Y"), "done": done, "pending": pending},
                f"{x:.1f}",
                f"{base - done_h:.1f}",
                f"{width:.1f}",
                f"{done_h:.1f}",
                f"{base - done_h - pending_h:.1f}",
                f"{pending_h:.1f}",
                f"{x + width / 2:.1f}",
                HEIGHT - PAD + 14,
                month.strftime("%m/%y"),
            )
        )
    body = format_html_join(
        "",
        '<g><title>{0}</title><rect x="{1}" y="{2}" width="{3}" height="{4}" fill="currentColor"/>'
        '<rect x="{1}" y="{5}" width="{3}" height="{6}" fill="currentColor" '
        'fill-opacity="0.3"/><text x="{7}" y="{8}" font-size="11" text-anchor="middle">{9}</text>'
        "</g>",
        bars,
    )
    title = _("Movimientos conciliados y pendientes por mes")
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'style="width:100%;height:auto"><title>{}</title>{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        title,
        body,
    )
