from django.urls import path

from despacho.members import views

app_name = "invitations"
urlpatterns = [
    path("cuenta/invitacion/<str:token>/", views.invitation_accept_view, name="accept"),
]
