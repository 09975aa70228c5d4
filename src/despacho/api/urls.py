from django.urls import path

from despacho.api import views

app_name = "api_keys"
urlpatterns = [
    path("", views.key_list, name="list"),
    path("<int:key_id>/revocar/", views.key_revoke, name="revoke"),
]
