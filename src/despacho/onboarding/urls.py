from django.urls import path

from despacho.onboarding import views

app_name = "onboarding"
urlpatterns = [
    path("clientes/nuevo/", views.client_create, name="client_create"),
    path("importar/", views.import_start_view, name="import_start"),
    path("importar/plantilla.csv", views.import_template, name="import_template"),
    path("importar/<int:job_id>/", views.import_job_view, name="import_job"),
    path("importar/<int:job_id>/confirmar/", views.import_confirm_view, name="import_confirm"),
    path("importar/<int:job_id>/resultado.csv", views.import_report_csv, name="import_report"),
]
