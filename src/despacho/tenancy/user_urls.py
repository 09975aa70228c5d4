from django.urls import path

from despacho.tenancy import user_views as views

app_name = "users"
urlpatterns = [
    path("", views.user_list, name="list"),
    path("agregar/", views.user_add, name="add"),
    path("licencias/", views.seats, name="seats"),
    path("<int:membership_id>/", views.user_edit, name="edit"),
    path("<int:membership_id>/desactivar/", views.user_deactivate, name="deactivate"),
    path("<int:membership_id>/reactivar/", views.user_reactivate, name="reactivate"),
    path("<int:membership_id>/eliminar/", views.user_delete, name="delete"),
    path("<int:membership_id>/transferir/", views.user_transfer, name="transfer"),
    path(
        "invitaciones/<int:invitation_id>/reenviar/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "invitaciones/<int:invitation_id>/revocar/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]
