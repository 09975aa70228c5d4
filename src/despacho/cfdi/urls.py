from django.urls import path, re_path

from despacho.cfdi import views

app_name = "cfdi"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("informes/", views.reports_index, name="reports"),
    re_path(r"^informes/(?P<category>ventas|egresos|nomina)/$", views.report_view, name="report"),
    re_path(
        r"^informes/(?P<category>ventas|egresos|nomina)/(?P<export>csv|xlsx)$",
        views.report_view,
        name="report_export",
    ),
    path("<uuid:uuid>/", views.cfdi_detail, name="detail"),
    path("<uuid:uuid>/xml", views.cfdi_download_xml, name="xml"),
    path("<uuid:uuid>/pdf", views.cfdi_download_pdf, name="pdf"),
    re_path(r"^(?P<category>ventas|egresos|nomina)/$", views.cfdi_list_view, name="list"),
    re_path(r"^(?P<category>ventas|egresos|nomina)/zip$", views.cfdi_download_zip, name="zip"),
]
