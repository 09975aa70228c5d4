from django.urls import path

from despacho.members import views

app_name = "users"
urlpatterns = [
    path("usuarios/", views.user_list, name="list"),
    path("usuarios/agregar/", views.user_add, name="add"),
    path("usuarios/licencias/", views.seats, name="seats"),
    path("usuarios/<int:membership_id>/", views.user_edit, name="edit"),
    path("usuarios/<int:membership_id>/desactivar/", views.user_deactivate, name="deactivate"),
    path("usuarios/<int:membership_id>/reactivar/", views.user_reactivate, name="reactivate"),
    path("usuarios/<int:membership_id>/eliminar/", views.user_delete, name="delete"),
    path("usuarios/<int:membership_id>/transferir/", views.user_transfer, name="transfer"),
    path(
        "usuarios/invitaciones/<int:invitation_id>/reenviar/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "usuarios/invitaciones/<int:invitation_id>/revocar/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]
