"""How a before/after value reads in the audit page."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def change_value(value: Any) -> str:
    """Lists as "a, b", empty as "—", anything nested as compact JSON."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
