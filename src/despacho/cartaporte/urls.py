"""The Carta Porte section: /carta-porte/…"""

from django.urls import path

from despacho.cartaporte import views

app_name = "cartaporte"

# Spanish URL part of each section.
_PARTS = {
    "location": "ubicaciones",
    "vehicle": "vehiculos",
    "trailer": "remolques",
    "figure": "figuras",
}

urlpatterns = [
    path("", views.overview, name="overview"),
    path("domicilio/codigos/", views.address_codes, name="address_codes"),
]
for _section in views.SECTIONS:
    _views = views.views_of(_section)
    _part = _PARTS[_section.slug]
    _id = f"<int:{_section.slug}_id>"
    urlpatterns += [
        path(f"{_part}/", _views["list"], name=f"{_section.slug}_list"),
        path(f"{_part}/nueva/", _views["create"], name=f"{_section.slug}_create"),
        path(f"{_part}/{_id}/", _views["edit"], name=f"{_section.slug}_edit"),
        path(f"{_part}/{_id}/archivar/", _views["archive"], name=f"{_section.slug}_archive"),
    ]
