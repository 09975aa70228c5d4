from django.urls import include, path

from despacho.api.errors import json_method_not_allowed
from despacho.api_urls import api as api_v1
from despacho.workspace import views as workspace_views

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("salud/sesion/", workspace_views.session_check, name="session_check"),
    path("cuenta/", include("despacho.people.urls")),
    path("cuenta/", include("despacho.security.urls")),
    path("", include("despacho.workspace.urls")),
    path("", include("despacho.members.access_urls")),
    path("bitacora/", include("despacho.members.audit_urls")),
    path("cfdi/", include("despacho.cfdi.urls")),
    path("cfdi/", include("despacho.portal.delivery_urls")),
    path("cfdi/", include("despacho.cancellations.urls")),
    path("cfdi/", include("despacho.satstatus.urls")),
    path("", include("despacho.members.urls")),
    path("", include("despacho.members.invitation_urls")),
    path("portal-accesos/", include("despacho.portal.manage_urls")),
    path("portal/", include("despacho.portal.urls")),
    path("clientes/", include("despacho.customers.urls")),
    path("productos/", include("despacho.products.urls")),
    path("empresas/", include("despacho.firms.urls")),
    path("empresas/", include("despacho.onboarding.urls")),
    path("carta-porte/", include("despacho.cartaporte.urls")),
    path("claves-api/", include("despacho.api.urls")),
    path("sellos/", include("despacho.seals.urls")),
    path("sat/sincronizacion/", include("despacho.satsync.urls")),
    path("contabilidad/", include("despacho.accounting.urls")),
    path("tesoreria/", include("despacho.treasury.urls")),
    path("facturar/", include("despacho.invoicing.urls")),
    path("api/v1/", json_method_not_allowed(api_v1.urls)),
]
