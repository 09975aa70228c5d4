"""The project's routes plus one page guarded by ``require_perm``, for enforcement tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.urls import urlpatterns as project_urlpatterns


@require_perm(Perm.EGRESOS)
def expenses(request: HttpRequest) -> HttpResponse:
    return HttpResponse("egresos")


urlpatterns = [path("prueba/egresos/", expenses), *project_urlpatterns]
