from django.urls import path

from despacho.members import audit_views as views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("exportar.csv", views.audit_export, name="export"),
]
