"""The issuing pages: /facturar/…"""

from django.urls import path

from despacho.invoicing import views

app_name = "invoicing"
urlpatterns = [
    path("", views.invoicing_home_view, name="home"),
    path("series/", views.series_view, name="series"),
    path("nuevo/", views.draft_new_view, name="new"),
    path("sat/claves/", views.sat_product_keys_view, name="product_keys"),
    path("<int:draft_id>/", views.draft_edit_view, name="edit"),
    path("<int:draft_id>/totales/", views.draft_totals_view, name="totals"),
    path("<int:draft_id>/cliente/", views.draft_customer_view, name="customer"),
    path("<int:draft_id>/fila/", views.draft_row_view, name="row"),
    path("<int:draft_id>/fila/quitar/", views.draft_row_remove_view, name="row_remove"),
    path("<int:draft_id>/productos/", views.draft_products_view, name="products"),
    path(
        "<int:draft_id>/productos/<int:product_id>/",
        views.draft_product_row_view,
        name="product_row",
    ),
    path("<int:draft_id>/vista-previa/", views.draft_preview_view, name="preview"),
    path("<int:draft_id>/clonar/", views.draft_clone_view, name="clone"),
    path("<int:draft_id>/eliminar/", views.draft_delete_view, name="delete"),
    path("<int:draft_id>/timbrar/", views.draft_issue_view, name="issue"),
    path("cfdi/<uuid:uuid>/clonar/", views.cfdi_clone_view, name="cfdi_clone"),
]
