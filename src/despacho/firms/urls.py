from django.urls import path

from despacho.firms import views

app_name = "firm"
urlpatterns = [
    path("", views.workspace_list, name="list"),
    path("vincular/", views.link_invite_view, name="link_invite"),
    path("vinculos/<int:link_id>/reenviar/", views.link_resend_view, name="link_resend"),
    path("vinculos/<int:link_id>/retirar/", views.link_withdraw_view, name="link_withdraw"),
    path("vinculos/<int:link_id>/responder/", views.link_respond_view, name="link_respond"),
    path("vinculos/<int:link_id>/revocar/", views.link_revoke_view, name="link_revoke"),
    path("vinculo/<str:token>/", views.link_token_view, name="link_token"),
    path("<int:company_id>/despachos/", views.company_links_view, name="company_links"),
]
