"""What apps above add to each company's row of the Empresas page, without firms knowing them.

An app registers, in its ``AppConfig.ready``, a function that takes the viewer and the
page's companies and returns, per company id, the short notes to show (one query for the
whole page, never one per row). The SAT connection counts each client's received CFDIs
whose emisor is in SAT's lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from despacho.people.models import User
from despacho.tenancy.models import Company


@dataclass(frozen=True)
class CompanyIndicator:
    text: str
    css: str = ""  # a class of the site's badges: "", "warning", "error"
    url: str = ""


IndicatorSource = Callable[[User, Sequence[Company]], Mapping[int, list[CompanyIndicator]]]

_SOURCES: list[IndicatorSource] = []


def company_indicators_register(source: IndicatorSource) -> None:
    """Show ``source(viewer, companies)``'s notes on each company's row of the Empresas page."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def company_indicators(
    viewer: User, companies: Sequence[Company]
) -> dict[int, list[CompanyIndicator]]:
    """Every registered source's notes per company id, in registration order."""
    found: dict[int, list[CompanyIndicator]] = {}
    if not companies:
        return found
    for source in _SOURCES:
        for company_id, indicators in source(viewer, companies).items():
            found.setdefault(company_id, []).extend(indicators)
    return found
