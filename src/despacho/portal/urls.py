"""The receivers' portal: /portal/<company-slug>/…"""

from django.urls import path

from despacho.portal import views

app_name = "portal"
urlpatterns = [
    path("<slug:slug>/", views.home_view, name="home"),
    path("<slug:slug>/entrar/", views.login_view, name="login"),
    path("<slug:slug>/salir/", views.logout_view, name="logout"),
    path("<slug:slug>/enlace/", views.link_request_view, name="link_request"),
    path("<slug:slug>/enlace/<str:token>/", views.link_login_view, name="link_login"),
    path("<slug:slug>/contrasena/<str:token>/", views.password_view, name="password"),
    path("<slug:slug>/cfdi/<uuid:uuid>/xml", views.xml_view, name="xml"),
    path("<slug:slug>/cfdi/<uuid:uuid>/pdf", views.pdf_view, name="pdf"),
    path("<slug:slug>/zip", views.zip_view, name="zip"),
]
