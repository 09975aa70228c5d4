"""Tesorería's pages, under /tesoreria/."""

from django.urls import path

from despacho.treasury import views

app_name = "treasury"
urlpatterns = [
    path("", views.home, name="home"),
    path("cuentas/nueva/", views.account_create, name="account_create"),
    path("formatos/", views.mapping_save, name="mapping_save"),
    path("cuentas/<int:account_id>/", views.account_page, name="account"),
    path("cuentas/<int:account_id>/importar/", views.statement_upload, name="statement_upload"),
    path("conciliacion/", views.reconcile_page, name="reconcile"),
    path("conciliacion/sugerir/", views.suggest, name="suggest"),
    path("conciliacion/<int:match_id>/confirmar/", views.confirm, name="confirm"),
    path("conciliacion/<int:match_id>/rechazar/", views.reject, name="reject"),
    path("conciliacion/<int:match_id>/deshacer/", views.undo, name="undo"),
    path("movimientos/<int:movement_id>/conciliar/", views.manual, name="manual"),
]
