from django.contrib.auth import views as auth_views
from django.urls import path

from despacho.security import views

app_name = "security"
urlpatterns = [
    path("seguridad/", views.setup, name="setup"),
    path("seguridad/verificar/", views.verify, name="verify"),
    path("seguridad/codigos/", views.recovery_codes, name="recovery_codes"),
    path("seguridad/desactivar/", views.disable, name="disable"),
    path("seguridad/politica/", views.policy, name="policy"),
    # The password pages live beside the login under /cuenta/.
    path("contrasena/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "contrasena/lista/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="security/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("recuperar/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "recuperar/enviado/",
        auth_views.PasswordResetDoneView.as_view(template_name="security/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "recuperar/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "recuperar/listo/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="security/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
