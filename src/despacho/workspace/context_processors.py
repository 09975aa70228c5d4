from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The workspace (active company, switcher entries) for every template."""
    return {"workspace": getattr(request, "workspace", None)}
