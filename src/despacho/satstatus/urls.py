"""Asking SAT about a CFDI from its page, mounted beside the CFDI pages."""

from django.urls import path

from despacho.satstatus import views

app_name = "satstatus"
urlpatterns = [
    path("<uuid:uuid>/sat/consultar/", views.status_refresh, name="refresh"),
]
