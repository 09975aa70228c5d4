"""Date fields for filters: a day people can mean, so the selectors' day arithmetic is safe."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Beyond these, "the day after" (an exclusive upper bound) overflows Python's date range.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


class FilterDateField(forms.DateField):
    """A calendar date input between 1900-01-01 and 2999-12-31; names the field when refused."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(
                _("%(field)s: la fecha debe estar entre %(first)s y %(last)s.")
                % {
                    "field": self.label,
                    "first": EARLIEST_DATE.isoformat(),
                    "last": LATEST_DATE.isoformat(),
                },
                code="date_out_of_range",
            )
