"""Who is acting, from where: set once per request, read by audit writes."""

from __future__ import annotations

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("despacho_current_ip", default=None)
