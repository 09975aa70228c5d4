"""Cancelling a CFDI, mounted beside the CFDI pages: /cfdi/<uuid>/cancelar/ and its acuse."""

from django.urls import path

from despacho.cancellations import views

app_name = "cancellations"
urlpatterns = [
    path("<uuid:uuid>/cancelar/", views.cancel_confirm, name="confirm"),
    path("<uuid:uuid>/cancelacion/actualizar/", views.cancel_refresh, name="refresh"),
    path("<uuid:uuid>/cancelacion/acuse", views.acuse_download, name="acuse"),
]
