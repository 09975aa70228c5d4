from django.urls import include, path

from despacho.api.errors import json_method_not_allowed
from despacho.api.v1 import api as api_v1
from despacho.tenancy import views as tenancy_views

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("salud/sesion/", tenancy_views.session_check, name="session_check"),
    path("cuenta/", include("despacho.people.urls")),
    path("cuenta/seguridad/", include("despacho.security.urls")),
    path("", include("despacho.tenancy.urls")),
    path("", include("despacho.access.urls")),
    path("bitacora/", include("despacho.audit.urls")),
    path("cfdi/", include("despacho.cfdi.urls")),
    path("usuarios/", include("despacho.tenancy.user_urls")),
    path("portal-accesos/", include("despacho.portal.manage_urls")),
    path("portal/", include("despacho.portal.urls")),
    path("empresas/", include("despacho.tenancy.firm_urls")),
    path("empresas/", include("despacho.onboarding.urls")),
    path("claves-api/", include("despacho.api.urls")),
    path("api/v1/", json_method_not_allowed(api_v1.urls)),
]
