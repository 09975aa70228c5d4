"""The SAT connection's pages, under /sat/sincronizacion/."""

from django.urls import path

from despacho.satsync import views

app_name = "satsync"
urlpatterns = [
    path("", views.sync_page, name="page"),
    path("sincronizar/", views.sync_now, name="sync_now"),
    path("historico/", views.backfill_start, name="backfill"),
    path("programacion/", views.schedule_save, name="schedule"),
]
