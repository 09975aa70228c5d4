"""The upload form: the two files, their password and the kind."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from despacho.seals.models import SealKind

_FILE_ERRORS = {
    "required": _("Elige el archivo."),
    "empty": _("El archivo está vacío."),
    "invalid": _("No llegó un archivo: vuelve a elegirlo."),
    "missing": _("No llegó un archivo: vuelve a elegirlo."),
}


class SealUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Tipo"),
        choices=SealKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Elige si es CSD o e.firma.")},
    )
    cer = forms.FileField(
        label=_("Certificado (.cer)"),
        error_messages=_FILE_ERRORS,
        widget=forms.ClearableFileInput(attrs={"accept": ".cer"}),
    )
    key = forms.FileField(
        label=_("Llave privada (.key)"),
        error_messages=_FILE_ERRORS,
        widget=forms.ClearableFileInput(attrs={"accept": ".key"}),
    )
    password = forms.CharField(
        label=_("Contraseña de la llave privada"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Escribe la contraseña de la llave privada.")},
    )

    def _small(self, name: str) -> bytes:
        upload: UploadedFile = self.cleaned_data[name]
        if upload.size is not None and upload.size > settings.SEALS_MAX_BYTES:
            raise forms.ValidationError(
                _("El archivo pesa más de %(kb)d KB: no es un archivo del SAT.")
                % {"kb": settings.SEALS_MAX_BYTES // 1024}
            )
        return upload.read(settings.SEALS_MAX_BYTES + 1)

    def clean_cer(self) -> bytes:
        return self._small("cer")

    def clean_key(self) -> bytes:
        return self._small("key")
