"""Sending a CFDI to its receiver, mounted beside the CFDI pages: /cfdi/<uuid>/enviar/."""

from django.urls import path

from despacho.portal import delivery_views as views

app_name = "portal_delivery"
urlpatterns = [
    path("<uuid:uuid>/enviar/", views.cfdi_send, name="send"),
]
