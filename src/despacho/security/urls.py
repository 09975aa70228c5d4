from django.urls import path

from despacho.security import views

app_name = "security"
urlpatterns = [
    path("", views.setup, name="setup"),
    path("verificar/", views.verify, name="verify"),
    path("codigos/", views.recovery_codes, name="recovery_codes"),
    path("desactivar/", views.disable, name="disable"),
    path("politica/", views.policy, name="policy"),
]
