"""The REST API, version 1: one NinjaAPI, each app's routers mounted under /api/v1/."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema

from despacho.api import errors
from despacho.api.auth import ApiKeyAuth
from despacho.cancellations.api import cancellations_router
from despacho.cartaporte.api import cartaporte_router
from despacho.cfdi.api import cfdis_router
from despacho.customers.api import customers_router
from despacho.firms.api import links_router
from despacho.invoicing.api import drafts_router, resend_router, series_router
from despacho.members.access_api import permissions_router, profiles_router
from despacho.members.api import companies_router, invitations_router, members_router, seats_router
from despacho.members.audit_api import audit_router
from despacho.onboarding.api import imports_router
from despacho.portal.api import portal_accesses_router
from despacho.products.api import products_router, sat_router, tax_schemes_router
from despacho.satsync.api import syncs_router
from despacho.seals.api import certificates_router
from despacho.treasury.api import (
    bank_accounts_router,
    bank_matches_router,
    bank_movements_router,
)

DESCRIPTION = """\
Despacho's REST API. Authenticate with `Authorization: Bearer <key>` (keys are created
by owners and admins under **Claves de API**, or with `despacho create_api_key`).
A key acts with its member's current permissions, optionally narrowed to some
companies and permissions. Ids are opaque strings; money is a string with two
decimals; lists paginate with `limit` and `cursor` (`next_cursor`). Errors are
`{"error": {"code", "message", "fields": [{"field", "code", "message"}]}}`.
See docs/api.md.
"""


class DespachoApi(NinjaAPI):
    """NinjaAPI whose OpenAPI document is built once per process and path prefix.

    The routers are fixed once the URLconf is loaded, and building the ~270 KB document
    takes seconds of pydantic schema generation. Rebuilding it for every /openapi.json
    (each visit to /api/v1/docs) wasted those seconds on every request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = self._schemas.get(path_prefix)
        if schema is None:
            schema = self._schemas[path_prefix] = super().get_openapi_schema(
                path_prefix=path_prefix
            )
        return schema


api = DespachoApi(
    title="Despacho API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api_v1",
    auth=ApiKeyAuth(),
    # Swagger UI from ninja's own static files (ninja in INSTALLED_APPS): no CDN, no inline
    # script (the settings travel in a JSON data block read by swagger-ui-init.js).
    docs=Swagger(settings={"persistAuthorization": True, "tryItOutEnabled": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

api.add_router("/companies", companies_router)
api.add_router("/members", members_router)
api.add_router("/profiles", profiles_router)
api.add_router("/permissions", permissions_router)
api.add_router("/seats", seats_router)
api.add_router("/invitations", invitations_router)
api.add_router("/links", links_router)
api.add_router("/imports", imports_router)
api.add_router("/cfdis", cfdis_router)
api.add_router("/cfdis", cancellations_router)
api.add_router("/portal-accesses", portal_accesses_router)
api.add_router("/customers", customers_router)
api.add_router("/certificates", certificates_router)
api.add_router("/audit-events", audit_router)
api.add_router("/products", products_router)
api.add_router("/tax-schemes", tax_schemes_router)
api.add_router("/sat", sat_router)
api.add_router("/sat", syncs_router)  # /sat/syncs: the SAT connection's, beside the catalogs
api.add_router("/cartaporte", cartaporte_router)
api.add_router("/bank-accounts", bank_accounts_router)
api.add_router("/bank-movements", bank_movements_router)
api.add_router("/bank-matches", bank_matches_router)
api.add_router("/drafts", drafts_router)
api.add_router("/series", series_router)
api.add_router("/cfdis", resend_router)  # /cfdis/{uuid}/resend: issuing's, above cfdi
