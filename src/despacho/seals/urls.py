"""Sellos y e.firma: /sellos/…"""

from django.urls import path

from despacho.seals import views

app_name = "seals"
urlpatterns = [
    path("", views.seal_list, name="list"),
    path("nuevo/", views.seal_upload, name="upload"),
    path("<int:certificate_id>/eliminar/", views.seal_remove, name="remove"),
]
