from django.urls import path

from despacho.workspace import views

app_name = "tenancy"
urlpatterns = [
    path("empresas/cambiar/", views.switch_company_view, name="switch"),
    path("empresas/selector/", views.switcher_search, name="switcher_search"),
]
