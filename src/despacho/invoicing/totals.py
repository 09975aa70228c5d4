"""The editor's live totals: what a draft's form says, computed by the engine.

Separate from ``selectors`` because it runs the services' checks (``draft_checked``)
first, and the services import the selectors.
"""

from __future__ import annotations

from despacho.invoicing.amounts import InvoiceAmounts, amounts_check, invoice_amounts
from despacho.invoicing.assemble import concept_of
from despacho.invoicing.selectors import invoicing_company
from despacho.invoicing.services.drafts import draft_checked, tax_json
from despacho.invoicing.specs import DraftData
from despacho.people.models import Viewer
from despacho.tenancy.models import Company


def draft_amounts(*, viewer: Viewer, company: Company | None, data: DraftData) -> InvoiceAmounts:
    """The amounts of what a draft's form says, computed by the engine (the editor's live
    totals); a ValidationError names the field the engine refuses."""
    company = invoicing_company(viewer=viewer, company=company)
    taxes = draft_checked(company, data)
    concepts = tuple(
        concept_of(spec, tax_json(lines)) for spec, lines in zip(data.concepts, taxes, strict=True)
    )
    amounts = invoice_amounts(concepts=concepts, moneda=data.moneda or "MXN")
    amounts_check(amounts)
    return amounts
