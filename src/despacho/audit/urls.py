from django.urls import path

from despacho.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("exportar.csv", views.audit_export, name="export"),
]
