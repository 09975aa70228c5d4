"""How a CFDI's values read to a person in Mexico: amounts, dates, rates.

Amounts: thousands separated, two decimals rounded half up, a peso sign
(«$17,852.75», with the currency «$17,852.75 MXN»). Dates: «2 de enero de 2020,
22:40». A CFDI's dates keep the local time they were issued in: a text of the XML
(``2020-01-02T22:40:38``, no offset) is shown as written, never converted; a stored
``fecha`` (aware, read as America/Mexico_City) is shown in that zone, which gives
back the same text. Text that is not what it should be is shown unchanged.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.translation import gettext

CENT = Decimal("0.01")


def decimal_or_none(raw: str | Decimal | None) -> Decimal | None:
    """The amount as a Decimal; None when it is not a finite number."""
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    try:
        value = Decimal((raw or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def amount_text(raw: str | Decimal | None) -> str:
    """«17,852.75»: thousands separated, two decimals rounded half up (as the PDF prints)."""
    value = decimal_or_none(raw)
    if value is None:
        return str(raw or "")
    return f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}"


def money_text(raw: str | Decimal | None, moneda: str = "") -> str:
    """«$17,852.75 MXN» (the currency only when given); "" for nothing."""
    value = decimal_or_none(raw)
    if value is None:
        return str(raw or "")
    sign = "-" if value < 0 else ""
    text = f"{sign}${amount_text(abs(value))}"
    return f"{text} {moneda}" if moneda else text


def rate_text(raw: str) -> str:
    """A TasaOCuota as a percentage: «0.160000» → «16 %», «0.080000» → «8 %»."""
    value = decimal_or_none(raw)
    if value is None:
        return raw or ""
    percent = (value * 100).normalize()
    return f"{percent:f} %"


def quantity_text(raw: str) -> str:
    """A Cantidad without its trailing zeros: «1.000000» → «1», «2.500» → «2.5»."""
    value = decimal_or_none(raw)
    if value is None:
        return raw or ""
    return f"{value.normalize():f}"


def _as_local(value: str | dt.datetime | dt.date | None) -> dt.datetime | dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, dt.date) or value is None:
        return value
    text = value.strip()
    try:
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    except ValueError:
        return None


def date_text(value: str | dt.datetime | dt.date | None) -> str:
    """«2 de enero de 2020, 22:40»; a date alone «2 de enero de 2020»."""
    when = _as_local(value)
    if when is None:
        return str(value or "")
    day = gettext("%(day)s de %(month)s de %(year)s") % {
        "day": when.day,
        "month": str(MONTHS[when.month]).lower(),  # Django capitalises; Spanish does not
        "year": when.year,
    }
    if isinstance(when, dt.datetime):
        return f"{day}, {when:%H:%M}"
    return day


def short_date_text(value: dt.datetime, months: dict[int, str] | None = None) -> str:
    """«2 ene 2020, 22:40» for lists; ``months`` (MONTHS_3 translated) saves a lookup per row."""
    when = timezone.localtime(value) if timezone.is_aware(value) else value
    month = (months or short_month_names())[when.month]
    return f"{when.day} {month} {when.year}, {when:%H:%M}"


def short_month_names() -> dict[int, str]:
    """The months' three-letter names in the active language («ene», «feb», …)."""
    return {number: str(name) for number, name in MONTHS_3.items()}
