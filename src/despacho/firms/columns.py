"""Columns the Empresas page shows, supplied by the apps above without firms knowing them.

An app registers, in its ``AppConfig.ready``, a header, a cell template and a function that
answers for one page of companies at once (``source(viewer, companies)`` → a context per
company id it has something to say about), so a column costs one query per page whatever
its size. The SAT connection registers each client's last synchronisation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from despacho.people.models import User
from despacho.tenancy.models import Company

ColumnSource = Callable[[User, list[Company]], Mapping[int, Mapping[str, Any]]]


@dataclass(frozen=True)
class WorkspaceColumn:
    key: str
    header: Any  # a lazy translation
    template: str
    source: ColumnSource


@dataclass(frozen=True)
class Cell:
    template: str
    context: Mapping[str, Any] | None


_COLUMNS: dict[str, WorkspaceColumn] = {}


def workspace_column_register(
    *, key: str, header: Any, template: str, source: ColumnSource
) -> None:
    """Show a column ``header`` whose cells are ``template`` with ``source``'s context."""
    _COLUMNS[key] = WorkspaceColumn(key, header, template, source)


def workspace_columns() -> list[WorkspaceColumn]:
    return list(_COLUMNS.values())


def workspace_cells(viewer: User, companies: list[Company]) -> dict[int, list[Cell]]:
    """Every registered column's cell for each company of the page, in registration order."""
    answers = [(column, column.source(viewer, companies)) for column in _COLUMNS.values()]
    return {
        company.pk: [Cell(column.template, answer.get(company.pk)) for column, answer in answers]
        for company in companies
    }
