from django.contrib.auth import views as auth_views
from django.urls import path

from despacho.people import views

app_name = "people"
urlpatterns = [
    path("entrar/", views.LoginView.as_view(), name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
]
