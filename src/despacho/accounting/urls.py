"""Accounting's pages, under /contabilidad/."""

from django.urls import path

from despacho.accounting import views

app_name = "accounting"
urlpatterns = [
    path("", views.home, name="home"),
    path("catalogo/crear/", views.chart_create, name="chart_create"),
    path("cuentas/", views.accounts, name="accounts"),
    path("cuentas/<int:ledger_account_id>/", views.account_edit, name="account_edit"),
    path("reglas/", views.rules, name="rules"),
    path("polizas/", views.polizas, name="polizas"),
    path("polizas/nueva/", views.poliza_new, name="poliza_new"),
    path("polizas/<int:poliza_id>/", views.poliza_detail, name="poliza"),
    path("polizas/<int:poliza_id>/editar/", views.poliza_edit, name="poliza_edit"),
    path("polizas/<int:poliza_id>/eliminar/", views.poliza_remove, name="poliza_delete"),
    path("periodos/", views.periods, name="periods"),
    path("informes/balanza/", views.balanza_view, name="balanza"),
    path("informes/auxiliar/", views.auxiliar_view, name="auxiliar"),
    path("informes/diario/", views.diario_view, name="diario"),
    path("informes/resultados/", views.resultados_view, name="resultados"),
    path("informes/balance/", views.balance_view, name="balance"),
]
