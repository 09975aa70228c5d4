"""The customers' pages: /clientes/…"""

from django.urls import path

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("nuevo/", views.customer_create_view, name="create"),
    path("<int:customer_id>/", views.customer_detail_view, name="detail"),
    path("<int:customer_id>/editar/", views.customer_edit_view, name="edit"),
    path("<int:customer_id>/estado/", views.customer_active_view, name="active"),
]
urlpatterns += views.IMPORT_PAGES.urlpatterns(require_perm(Perm.DATOS_MAESTROS))
