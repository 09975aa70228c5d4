"""Forms of the issuing pages: they parse what the editor posts into ``specs.DraftData``;
every rule lives in the services (``services.drafts.draft_checked``).

``DraftEditor`` holds the header form and the tipo's formsets (concepts, relations,
payments and their documents, Carta Porte's stops and goods) and turns them into one
``DraftData``; a service's ValidationError goes back next to its field or section.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from despacho.customers.models import Customer
from despacho.forms import catalog_choices, form_errors_from
from despacho.invoicing.models import Draft, Series
from despacho.invoicing.services.drafts import draft_data_of, tax_json
from despacho.invoicing.specs import (
    CartaPorteSpec,
    ConceptSpec,
    DraftData,
    GoodsSpec,
    PaymentDocumentSpec,
    PaymentSpec,
    RelationSpec,
    StopSpec,
)
from despacho.products.models import Product, TaxScheme
from despacho.products.services import LineSpec
from despacho.satcatalogs import Catalog
from despacho.tenancy.models import Company
from despacho.tenancy.uso_cfdi import uso_choices

# Credit notes relate to invoices as SAT's Guía says: 01 nota de crédito, 03 devolución,
# 07 aplicación de anticipo.
CREDIT_NOTE_RELATIONS = [
    ("01", _("01 — Nota de crédito de los documentos relacionados")),
    ("03", _("03 — Devolución de mercancía sobre facturas o traslados previos")),
    ("07", _("07 — CFDI por aplicación de anticipo")),
]
GLOBAL_FIELDS = ("global_periodicidad", "global_meses", "global_anio")
SECTIONS = ("concepts", "relations", "payments", "carta_porte")


def _decimal(label: Any) -> forms.DecimalField:
    """An optional amount of up to six decimals (as the drafts' columns)."""
    return forms.DecimalField(label=label, required=False, max_digits=24, decimal_places=6)


def _company_items(model: Any, company: Company) -> Any:
    return model.objects.filter(company=company, archived_at__isnull=True).order_by("name", "id")


class SeriesForm(forms.Form):
    code = forms.CharField(label=_("Serie"), max_length=25, required=False)
    tipo = forms.ChoiceField(
        label=_("Tipo de comprobante"),
        required=False,
        choices=[
            ("", _("Cualquiera")),
            ("I", _("Ingreso")),
            ("E", _("Egreso")),
            ("P", _("Pago")),
            ("T", _("Traslado")),
        ],
    )
    next_folio = forms.IntegerField(label=_("Siguiente folio"), min_value=1, initial=1)
    is_default = forms.BooleanField(label=_("Serie por omisión de su tipo"), required=False)


def _customer_label(customer: Customer) -> str:
    """RFC, name and the defaults the header takes from the customer (régimen, uso CFDI)."""
    return _("%(rfc)s · %(name)s (régimen %(regimen)s, uso %(uso)s)") % {
        "rfc": customer.rfc,
        "name": customer.razon_social,
        "regimen": customer.regimen_fiscal,
        "uso": customer.uso_cfdi or "—",
    }


class HeaderForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Cliente"), queryset=Customer.objects.none(), required=False
    )
    series = forms.ModelChoiceField(
        label=_("Serie"), queryset=Series.objects.none(), required=False
    )
    fecha = forms.DateTimeField(
        label=_("Fecha"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Vacía: el momento de timbrar."),
    )
    forma_pago = forms.ChoiceField(label=_("Forma de pago"), required=False)
    metodo_pago = forms.ChoiceField(label=_("Método de pago"), required=False)
    uso_cfdi = forms.ChoiceField(label=_("Uso CFDI"), required=False)
    exportacion = forms.ChoiceField(label=_("Exportación"), required=False)
    moneda = forms.ChoiceField(label=_("Moneda"), required=False)
    tipo_cambio = _decimal(_("Tipo de cambio"))
    publico_general = forms.BooleanField(
        label=_("Factura global a público en general"), required=False
    )
    global_periodicidad = forms.ChoiceField(label=_("Periodicidad"), required=False)
    global_meses = forms.CharField(label=_("Meses"), max_length=2, required=False)
    global_anio = forms.IntegerField(label=_("Año"), required=False)

    def __init__(self, *args: Any, company: Company, tipo: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["customer"].queryset = Customer.objects.filter(
            company=company, is_active=True
        ).order_by("razon_social", "id")
        fields["customer"].label_from_instance = _customer_label
        fields["series"].queryset = Series.objects.filter(
            company=company, is_active=True, tipo__in=[tipo, ""]
        ).order_by("code")
        fields["forma_pago"].choices = catalog_choices(Catalog.FORMA_PAGO)
        fields["metodo_pago"].choices = catalog_choices(Catalog.METODO_PAGO)
        fields["uso_cfdi"].choices = [("", "—"), *uso_choices()]
        fields["exportacion"].choices = catalog_choices(Catalog.EXPORTACION)[1:]
        fields["moneda"].choices = catalog_choices(Catalog.MONEDA)[1:]
        fields["global_periodicidad"].choices = catalog_choices(Catalog.PERIODICIDAD)
        if tipo in ("P", "T"):  # a Pago states its forms per payment; a traslado none;
            # neither is a factura global (InformacionGlobal)
            for name in ("forma_pago", "metodo_pago", "publico_general", *GLOBAL_FIELDS):
                del fields[name]


class ConceptForm(forms.Form):
    product = forms.IntegerField(required=False, widget=forms.HiddenInput)
    taxes = forms.CharField(required=False, widget=forms.HiddenInput)
    clave_prod_serv = forms.CharField(
        label=_("Clave producto o servicio"), max_length=8, required=False
    )
    clave_unidad = forms.CharField(label=_("Clave de unidad"), max_length=3, required=False)
    unidad = forms.CharField(label=_("Unidad"), max_length=20, required=False)
    no_identificacion = forms.CharField(label=_("No. de identificación"), required=False)
    descripcion = forms.CharField(label=_("Descripción"), max_length=1000, required=False)
    cantidad = _decimal(_("Cantidad"))
    valor_unitario = _decimal(_("Valor unitario"))
    descuento = _decimal(_("Descuento"))
    objeto_imp = forms.ChoiceField(label=_("Objeto de impuesto"), required=False, initial="02")
    scheme = forms.ModelChoiceField(
        label=_("Impuestos"), queryset=TaxScheme.objects.none(), required=False
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["objeto_imp"].choices = catalog_choices(Catalog.OBJETO_IMP)[1:]
        fields["scheme"].queryset = TaxScheme.objects.filter(company=company).order_by("name")
        fields["scheme"].empty_label = _("Los del producto o los guardados")
        fields["clave_prod_serv"].widget.attrs.update(
            {
                "list": "sat-product-keys",
                "hx-get": reverse("invoicing:product_keys"),
                "hx-target": "#sat-product-keys",
                "hx-trigger": "input changed delay:300ms",
            }
        )
        self.company = company

    def spec(self) -> ConceptSpec:
        data = self.cleaned_data
        product = None
        if data.get("product"):
            product = Product.objects.filter(pk=data["product"], company=self.company).first()
        taxes: tuple[LineSpec, ...] | None = None
        if data.get("scheme") is not None:
            scheme: TaxScheme = data["scheme"]
            taxes = tuple(
                LineSpec(line.kind, line.impuesto, line.tipo_factor, line.rate)
                for line in scheme.lines.all()
            )
        elif data.get("taxes"):
            taxes = taxes_from_json(data["taxes"])
        elif product is None:
            taxes = ()
        return ConceptSpec(
            clave_prod_serv=data.get("clave_prod_serv") or "",
            clave_unidad=(data.get("clave_unidad") or "").upper(),
            descripcion=data.get("descripcion") or "",
            cantidad=_amount(data.get("cantidad")),
            valor_unitario=_amount(data.get("valor_unitario")),
            objeto_imp=data.get("objeto_imp") or "02",
            descuento=_amount(data.get("descuento")),
            product=product,
            no_identificacion=data.get("no_identificacion") or "",
            unidad=data.get("unidad") or "",
            taxes=taxes,
        )


def taxes_from_json(text: str) -> tuple[LineSpec, ...]:
    """The tax lines a concept row carries (a draft's snapshot), as the services take them."""
    try:
        lines = json.loads(text)
        return tuple(
            LineSpec(
                line["kind"],
                line["impuesto"],
                line["tipo_factor"],
                None if line["rate"] is None else Decimal(str(line["rate"])),
            )
            for line in lines
        )
    except (ValueError, KeyError, TypeError):
        raise ValidationError(
            _("Impuestos del concepto ilegibles: vuelve a elegir el esquema."), code="invalid"
        ) from None


def taxes_to_json(taxes: tuple[LineSpec, ...] | None) -> str:
    """A concept row's hidden tax lines ("" for "the product's scheme")."""
    return "" if taxes is None else json.dumps(tax_json(list(taxes)))


def _amount(value: Decimal | None) -> Decimal:
    return value if value is not None else Decimal(0)


class RelationForm(forms.Form):
    tipo_relacion = forms.ChoiceField(
        label=_("Tipo de relación"), choices=CREDIT_NOTE_RELATIONS, required=False
    )
    uuid = forms.CharField(label=_("UUID del CFDI relacionado"), max_length=36, required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class PaymentForm(forms.Form):
    fecha_pago = forms.DateTimeField(
        label=_("Fecha del pago"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    forma_pago = forms.ChoiceField(label=_("Forma de pago"), required=False)
    moneda = forms.ChoiceField(label=_("Moneda"), required=False, initial="MXN")
    tipo_cambio = _decimal(_("Tipo de cambio"))
    monto = _decimal(_("Monto"))
    num_operacion = forms.CharField(label=_("Número de operación"), max_length=100, required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["forma_pago"].choices = catalog_choices(Catalog.FORMA_PAGO)
        fields["moneda"].choices = catalog_choices(Catalog.MONEDA)[1:]


class PaymentDocumentForm(forms.Form):
    payment = forms.IntegerField(label=_("Pago número"), min_value=1, initial=1, required=False)
    related_uuid = forms.CharField(label=_("Factura (UUID)"), max_length=36, required=False)
    num_parcialidad = forms.IntegerField(label=_("Parcialidad"), min_value=1, required=False)
    imp_saldo_ant = _decimal(_("Saldo anterior"))
    imp_pagado = _decimal(_("Importe pagado"))
    objeto_imp_dr = forms.ChoiceField(label=_("Objeto de impuesto"), required=False, initial="")

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        from_invoice = ("", _("Según la factura pagada (02 si trae impuestos)"))
        fields["objeto_imp_dr"].choices = [from_invoice, *catalog_choices(Catalog.OBJETO_IMP)[1:]]


class CartaPorteForm(forms.Form):
    vehicle = forms.ModelChoiceField(
        label=_("Vehículo"), queryset=Vehicle.objects.none(), required=False
    )
    trailer = forms.ModelChoiceField(
        label=_("Remolque"), queryset=Trailer.objects.none(), required=False
    )
    figures = forms.ModelMultipleChoiceField(
        label=_("Figuras de transporte"), queryset=Figure.objects.none(), required=False
    )
    transp_internac = forms.BooleanField(label=_("Transporte internacional"), required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["vehicle"].queryset = _company_items(Vehicle, company)
        fields["trailer"].queryset = _company_items(Trailer, company)
        fields["figures"].queryset = _company_items(Figure, company)


class StopForm(forms.Form):
    location = forms.ModelChoiceField(
        label=_("Ubicación"), queryset=Location.objects.none(), required=False
    )
    fecha_hora = forms.DateTimeField(
        label=_("Fecha y hora"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    distancia_recorrida = forms.DecimalField(
        label=_("Distancia recorrida (km)"), required=False, max_digits=10, decimal_places=2
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["location"].queryset = _company_items(Location, company)


class GoodsForm(forms.Form):
    bienes_transp = forms.CharField(label=_("Clave de bienes transportados"), required=False)
    descripcion = forms.CharField(label=_("Descripción"), max_length=1000, required=False)
    cantidad = _decimal(_("Cantidad"))
    clave_unidad = forms.CharField(label=_("Clave de unidad"), max_length=3, required=False)
    peso_kg = _decimal(_("Peso en kg"))
    material_peligroso = forms.BooleanField(label=_("Material peligroso"), required=False)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


# The formsets each tipo shows, by prefix.
FORMSETS: dict[str, Any] = {
    "concepts": ConceptForm,
    "relations": RelationForm,
    "payments": PaymentForm,
    "documents": PaymentDocumentForm,
    "stops": StopForm,
    "goods": GoodsForm,
}
TIPO_FORMSETS = {
    "I": ("concepts", "relations"),
    "E": ("concepts", "relations"),
    "P": ("payments", "documents"),
    "T": ("concepts", "stops", "goods"),
}


def row_form(prefix: str, index: int, *, company: Company, initial: Mapping[str, Any]) -> Any:
    """One new row of a formset (what the editor's "Agregar" asks for by htmx)."""
    return FORMSETS[prefix](prefix=f"{prefix}-{index}", company=company, initial=dict(initial))


# Empty rows a draft without any shows, ready to fill (an untouched row is left out).
EMPTY_ROWS = {"concepts": 1, "stops": 2, "goods": 1, "payments": 1, "documents": 1}


def _formset(prefix: str, data: Any, company: Company, initial: list[dict[str, Any]]) -> Any:
    extra = EMPTY_ROWS.get(prefix, 0) if data is None and not initial else 0
    formset_class = forms.formset_factory(FORMSETS[prefix], extra=extra, can_delete=True)
    return formset_class(data, prefix=prefix, initial=initial, form_kwargs={"company": company})


def draft_initial(draft: Draft) -> dict[str, Any]:
    """The editor's initial values for a saved draft, per form and formset."""
    data = draft_data_of(draft)
    header = {
        name: getattr(draft, name)
        for name in (
            "customer",
            "series",
            "fecha",
            "forma_pago",
            "metodo_pago",
            "uso_cfdi",
            "exportacion",
            "moneda",
            "tipo_cambio",
            "global_periodicidad",
            "global_meses",
            "global_anio",
        )
    }
    header["publico_general"] = bool(draft.global_periodicidad)
    payments = []
    documents = []
    for number, payment in enumerate(data.payments, 1):
        payments.append(
            {
                "fecha_pago": payment.fecha_pago,
                "forma_pago": payment.forma_pago,
                "moneda": payment.moneda,
                "tipo_cambio": payment.tipo_cambio,
                "monto": payment.monto,
                "num_operacion": payment.num_operacion,
            }
        )
        documents += [{"payment": number, **vars(document)} for document in payment.documents]
    cp = data.carta_porte
    return {
        "header": header,
        "concepts": [
            {
                **{k: v for k, v in vars(c).items() if k not in ("product", "taxes")},
                "product": c.product.pk if c.product is not None else None,
                "taxes": taxes_to_json(c.taxes),
            }
            for c in data.concepts
        ],
        "relations": [vars(r) for r in data.relations],
        "payments": payments,
        "documents": documents,
        "carta_porte": (
            {
                "vehicle": cp.vehicle,
                "trailer": cp.trailer,
                "figures": list(cp.figures),
                "transp_internac": cp.transp_internac,
            }
            if cp is not None
            else {}
        ),
        "stops": [vars(s) for s in cp.stops] if cp is not None else [],
        "goods": [vars(g) for g in cp.goods] if cp is not None else [],
    }


class DraftEditor:
    """The editor of one draft: its header form and its tipo's formsets."""

    def __init__(self, data: Any, *, draft: Draft) -> None:
        company = draft.company
        self.draft = draft
        self.tipo = draft.tipo
        initial = draft_initial(draft) if data is None else {}
        self.header = HeaderForm(
            data, company=company, tipo=draft.tipo, initial=initial.get("header")
        )
        self.formsets = {
            prefix: _formset(prefix, data, company, initial.get(prefix, []))
            for prefix in TIPO_FORMSETS[draft.tipo]
        }
        self.carta_porte = (
            CartaPorteForm(data, company=company, initial=initial.get("carta_porte"))
            if draft.tipo == "T"
            else None
        )
        self.section_errors: dict[str, list[str]] = {}

    def forms(self) -> list[Any]:
        return [self.header, *self.formsets.values(), self.carta_porte]

    def is_valid(self) -> bool:
        return all(form.is_valid() for form in self.forms() if form is not None)

    def _rows(self, prefix: str) -> list[dict[str, Any]]:
        formset = self.formsets.get(prefix)
        if formset is None:
            return []
        return [
            form.cleaned_data
            for form in formset.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        ]

    def _concepts(self) -> tuple[ConceptSpec, ...]:
        formset = self.formsets.get("concepts")
        if formset is None:
            return ()
        return tuple(
            form.spec()
            for form in formset.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        )

    def _payments(self) -> tuple[PaymentSpec, ...]:
        documents = self._rows("documents")
        payments = []
        for number, row in enumerate(self._rows("payments"), 1):
            payments.append(
                PaymentSpec(
                    fecha_pago=row.get("fecha_pago") or timezone.now(),
                    forma_pago=row.get("forma_pago") or "",
                    monto=_amount(row.get("monto")),
                    moneda=row.get("moneda") or "MXN",
                    tipo_cambio=row.get("tipo_cambio"),
                    num_operacion=row.get("num_operacion") or "",
                    documents=tuple(
                        PaymentDocumentSpec(
                            related_uuid=doc.get("related_uuid") or "",
                            num_parcialidad=doc.get("num_parcialidad") or 1,
                            imp_saldo_ant=_amount(doc.get("imp_saldo_ant")),
                            imp_pagado=_amount(doc.get("imp_pagado")),
                            objeto_imp_dr=doc.get("objeto_imp_dr") or "",
                        )
                        for doc in documents
                        if (doc.get("payment") or 1) == number
                    ),
                )
            )
        return tuple(payments)

    def _carta_porte(self) -> CartaPorteSpec | None:
        if self.carta_porte is None:
            return None
        header = self.carta_porte.cleaned_data
        stops = tuple(
            StopSpec(
                location=row["location"],
                fecha_hora=row.get("fecha_hora") or timezone.now(),
                distancia_recorrida=row.get("distancia_recorrida"),
            )
            for row in self._rows("stops")
            if row.get("location") is not None
        )
        goods = tuple(
            GoodsSpec(
                bienes_transp=row.get("bienes_transp") or "",
                descripcion=row.get("descripcion") or "",
                cantidad=_amount(row.get("cantidad")),
                clave_unidad=(row.get("clave_unidad") or "").upper(),
                peso_kg=_amount(row.get("peso_kg")),
                material_peligroso=bool(row.get("material_peligroso")),
            )
            for row in self._rows("goods")
        )
        if header.get("vehicle") is None and not stops and not goods:
            return None
        return CartaPorteSpec(
            vehicle=header.get("vehicle"),  # type: ignore[arg-type]  # the service refuses None
            trailer=header.get("trailer"),
            figures=tuple(header.get("figures") or ()),
            transp_internac=bool(header.get("transp_internac")),
            stops=stops,
            goods=goods,
        )

    def draft_data(self) -> DraftData:
        """What the posted editor says, as the services take it (after ``is_valid``)."""
        head = self.header.cleaned_data
        data = DraftData(
            tipo=self.tipo,
            customer=head.get("customer"),
            series=head.get("series"),
            fecha=head.get("fecha"),
            forma_pago=head.get("forma_pago") or "",
            metodo_pago=head.get("metodo_pago") or "",
            uso_cfdi=head.get("uso_cfdi") or "",
            exportacion=head.get("exportacion") or "01",
            moneda=head.get("moneda") or "MXN",
            tipo_cambio=head.get("tipo_cambio"),
            concepts=self._concepts(),
            relations=tuple(
                RelationSpec(row.get("tipo_relacion") or "", row.get("uuid") or "")
                for row in self._rows("relations")
            ),
            payments=self._payments(),
            carta_porte=self._carta_porte(),
        )
        if head.get("publico_general"):  # only I and E have it
            data = replace(
                data,
                global_periodicidad=head.get("global_periodicidad") or "",
                global_meses=head.get("global_meses") or "",
                global_anio=head.get("global_anio"),
            )
        return data

    def add_error(self, exc: ValidationError) -> None:
        """A service's refusal next to its field, or above its section (concepts …)."""
        if hasattr(exc, "error_dict"):
            for name in SECTIONS:
                if name in exc.error_dict:
                    self.section_errors[name] = [
                        str(m) for e in exc.error_dict.pop(name) for m in e.messages
                    ]
            if not exc.error_dict:
                return
        form_errors_from(self.header, exc, rename={"global_anio": "global_anio"})
