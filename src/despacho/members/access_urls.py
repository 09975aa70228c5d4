from django.urls import path

from despacho.members import access_views as views

app_name = "access"
urlpatterns = [
    path("permisos/", views.overview, name="overview"),
    path("permisos/por-que/", views.why, name="why"),
    path("empresas/<int:company_id>/permisos/", views.company_people, name="company_people"),
    path(
        "usuarios/<int:membership_id>/empresas/<int:company_id>/permisos/",
        views.grant_window,
        name="grant",
    ),
    path(
        "usuarios/<int:membership_id>/empresas/<int:company_id>/permisos/validar/",
        views.grant_validate,
        name="grant_validate",
    ),
    path(
        "usuarios/<int:membership_id>/empresas/<int:company_id>/permisos/quitar/",
        views.grant_remove,
        name="grant_remove",
    ),
    path("perfiles/", views.profile_list, name="profiles"),
    path("perfiles/nuevo/", views.profile_create, name="profile_create"),
    path("perfiles/nuevo/validar/", views.profile_preview, name="profile_create_preview"),
    path("perfiles/<int:profile_id>/", views.profile_edit, name="profile_edit"),
    path("perfiles/<int:profile_id>/validar/", views.profile_preview, name="profile_preview"),
    path("perfiles/<int:profile_id>/eliminar/", views.profile_delete, name="profile_delete"),
]
