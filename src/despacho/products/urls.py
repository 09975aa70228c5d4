"""Products, tax schemes and the SAT catalogs' suggestions: /productos/…"""

from django.urls import path

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.products import views

app_name = "products"
urlpatterns = [
    path("", views.product_list_view, name="list"),
    path("nuevo/", views.product_create_view, name="create"),
    path("<int:product_id>/", views.product_edit_view, name="edit"),
    path("<int:product_id>/estado/", views.product_active_view, name="active"),
    path("impuestos/", views.scheme_list_view, name="schemes"),
    path("impuestos/nuevo/", views.scheme_create_view, name="scheme_create"),
    path("impuestos/<int:scheme_id>/", views.scheme_edit_view, name="scheme_edit"),
    path("sat/claves/", views.product_keys_view, name="product_keys"),
    path("sat/unidades/", views.unit_keys_view, name="unit_keys"),
]
urlpatterns += views.IMPORT_PAGES.urlpatterns(require_perm(Perm.DATOS_MAESTROS))
