"""The customers' pages: /clientes/…"""

from django.urls import path

from despacho.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("nuevo/", views.customer_create_view, name="create"),
    path("<int:customer_id>/", views.customer_detail_view, name="detail"),
    path("<int:customer_id>/editar/", views.customer_edit_view, name="edit"),
    path("<int:customer_id>/estado/", views.customer_active_view, name="active"),
    path("importar/", views.import_start_view, name="import_start"),
    path("importar/plantilla.csv", views.import_template_view, name="import_template"),
    path("importar/plantilla.xlsx", views.import_template_xlsx_view, name="import_template_xlsx"),
    path("importar/<int:job_id>/", views.import_job_view, name="import_job"),
    path("importar/<int:job_id>/confirmar/", views.import_confirm_view, name="import_confirm"),
    path("importar/<int:job_id>/resultado.csv", views.import_report_view, name="import_report"),
]
