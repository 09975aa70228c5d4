"""The issuer's management of portal accesses: /portal-accesos/…"""

from django.urls import path

from despacho.portal import manage_views as views

app_name = "portal_manage"
urlpatterns = [
    path("", views.access_list, name="list"),
    path("nuevo/", views.access_create, name="create"),
    path("enviar/", views.access_send_many, name="send_many"),
    path("envios/<uuid:batch>/", views.batch_view, name="batch"),
    path("<int:access_id>/", views.access_detail, name="detail"),
    path("<int:access_id>/contrasena/", views.access_password, name="password"),
    path("<int:access_id>/enviar/", views.access_send, name="send"),
    path("<int:access_id>/estado/", views.access_active, name="active"),
    path("<int:access_id>/personas/", views.person_add, name="person_add"),
    path("<int:access_id>/historial/", views.access_history, name="history"),
    path("personas/<int:person_id>/estado/", views.person_active, name="person_active"),
    path("personas/<int:person_id>/enviar/", views.person_send, name="person_send"),
]
