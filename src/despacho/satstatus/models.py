"""What SAT's public services said: each CFDI's status, the lists 69-B/69, SAT's certificates.

The flags lists and reports filter on live on the CFDI rows (``Cfdi.sat_cancelled_at``,
``Cfdi.emisor_listed``, written by ``services``); the whole answers live here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from despacho.cfdi.models import Cfdi
from despacho.tenancy.models import Company


class Estado(models.TextChoices):
    VIGENTE = "vigente", _("Vigente")
    CANCELADO = "cancelado", _("Cancelado")
    NO_ENCONTRADO = "no_encontrado", _("No encontrado")


class SatStatus(models.Model):
    """The last answer of SAT's ConsultaCFDIService about one stored CFDI."""

    cfdi = models.OneToOneField(
        Cfdi, on_delete=models.CASCADE, related_name="sat_status", verbose_name=_("CFDI")
    )
    # The CFDI's company, so a company's statuses are read without a join.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("empresa")
    )
    estado = models.CharField(_("estado en el SAT"), max_length=16, choices=Estado.choices)
    codigo_estatus = models.CharField(_("código de estatus"), max_length=200, blank=True)
    es_cancelable = models.CharField(_("es cancelable"), max_length=100, blank=True)
    estatus_cancelacion = models.CharField(_("estatus de cancelación"), max_length=100, blank=True)
    validacion_efos = models.CharField(_("validación EFOS"), max_length=10, blank=True)
    checked_at = models.DateTimeField(_("consultado"), default=timezone.now)
    cancelled_seen_at = models.DateTimeField(_("visto cancelado"), null=True, blank=True)

    class Meta:
        verbose_name = _("estado en el SAT")
        verbose_name_plural = _("estados en el SAT")
        constraints = [
            models.CheckConstraint(
                condition=Q(estado__in=["vigente", "cancelado", "no_encontrado"]),
                name="satstatus_estado_valid",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_seen_at__isnull=True) | Q(estado="cancelado"),
                name="satstatus_cancelled_seen_only_cancelled",
            ),
        ]
        indexes = [models.Index(fields=["checked_at"], name="satstatus_checked_at")]

    def __str__(self) -> str:
        return f"{self.cfdi_id}: {self.estado}"

    @property
    def estado_label(self) -> str:
        return str(dict(Estado.choices).get(self.estado, self.estado))


class Lista(models.TextChoices):
    ART_69B = "69b", _("Artículo 69-B (EFOS)")
    ART_69 = "69", _("Artículo 69")


class Situacion(models.TextChoices):
    """69-B's situations as SAT writes them; article 69's lists are named by satcfdi."""

    PRESUNTO = "presunto", _("Presunto")
    DEFINITIVO = "definitivo", _("Definitivo")
    DESVIRTUADO = "desvirtuado", _("Desvirtuado")
    SENTENCIA_FAVORABLE = "sentencia_favorable", _("Sentencia favorable")
    FIRMES = "firmes", _("Créditos fiscales firmes")
    EXIGIBLES = "exigibles", _("Créditos fiscales exigibles")
    NO_LOCALIZADOS = "no_localizados", _("No localizados")
    SENTENCIAS = "sentencias", _("Sentencia condenatoria por delito fiscal")
    CANCELADOS = "cancelados", _("Créditos cancelados")
    CSD_SIN_EFECTOS = "csd_sin_efectos", _("CSD sin efectos")
    REDUCCION_ART74 = "reduccion_art74", _("Reducción de multas (art. 74 CFF)")
    ENTES_OMISOS = "entes_omisos", _("Entes públicos omisos")
    CONDONADOS_146B = "condonados_146b", _("Condonados (art. 146-B CFF)")
    REDUCCION_ART21 = "reduccion_art21", _("Condonados (art. 21 CFF)")
    CONDONADOS_DECRETO = "condonados_decreto", _("Condonados por decreto")
    CONDONADOS_07_15 = "condonados_07_15", _("Condonados 2007–2015")
    CANCELADOS_07_15 = "cancelados_07_15", _("Cancelados 2007–2015")
    RETORNO_INVERSIONES = "retorno_inversiones", _("Retorno de inversiones")


class ListedTaxpayer(models.Model):
    """One RFC in one of SAT's lists, as last loaded: its situation and when SAT published it."""

    lista = models.CharField(_("lista"), max_length=4, choices=Lista.choices)
    rfc = models.CharField(_("RFC"), max_length=13)
    nombre = models.CharField(_("nombre"), max_length=300, blank=True)
    situacion = models.CharField(_("situación"), max_length=24, choices=Situacion.choices)
    supuesto = models.CharField(_("supuesto"), max_length=300, blank=True)
    publicado = models.DateField(_("publicación"), null=True, blank=True)
    loaded_at = models.DateTimeField(_("cargado"), default=timezone.now)

    class Meta:
        verbose_name = _("contribuyente en listas del SAT")
        verbose_name_plural = _("contribuyentes en listas del SAT")
        constraints = [
            models.UniqueConstraint(
                fields=["lista", "situacion", "rfc"], name="listedtaxpayer_unique"
            ),
            models.CheckConstraint(
                condition=Q(lista__in=["69b", "69"]), name="listedtaxpayer_lista_valid"
            ),
        ]
        indexes = [models.Index(fields=["rfc"], name="listedtaxpayer_rfc")]

    def __str__(self) -> str:
        return f"{self.rfc} {self.lista} {self.situacion}"

    @property
    def lista_label(self) -> str:
        return str(dict(Lista.choices).get(self.lista, self.lista))

    @property
    def situacion_label(self) -> str:
        return str(dict(Situacion.choices).get(self.situacion, self.situacion))


class ListLoad(models.Model):
    """One attempt to load one of SAT's list files: when, from where, how many rows, or why not."""

    source = models.CharField(_("lista"), max_length=40)
    url = models.CharField(_("dirección"), max_length=500)
    loaded_at = models.DateTimeField(_("cargada"), default=timezone.now)
    rows = models.PositiveIntegerField(_("renglones"), default=0)
    ok = models.BooleanField(_("correcta"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("carga de lista del SAT")
        verbose_name_plural = _("cargas de listas del SAT")
        indexes = [models.Index(fields=["source", "-loaded_at"], name="listload_source_at")]

    def __str__(self) -> str:
        return f"{self.source} {self.loaded_at:%Y-%m-%d}"


class SatCertificate(models.Model):
    """A certificate of SAT's (the one a timbre's NoCertificadoSAT names), fetched once."""

    no_certificado = models.CharField(_("número de certificado"), max_length=20, unique=True)
    der = models.BinaryField(_("certificado"))
    fetched_at = models.DateTimeField(_("descargado"), default=timezone.now)

    class Meta:
        verbose_name = _("certificado del SAT")
        verbose_name_plural = _("certificados del SAT")

    def __str__(self) -> str:
        return self.no_certificado


class Verdict(models.TextChoices):
    VALID = "valid", _("SelloSAT válido")
    SANDBOX = "sandbox", _("Timbre del sandbox (sin validez fiscal)")
    INVALID = "invalid", _("SelloSAT no válido")
    UNAVAILABLE = "unavailable", _("Certificado del SAT no disponible")
    MISSING = "missing", _("Sin timbre que verificar")


class TimbreCheck(models.Model):
    """Whether the timbre's SelloSAT verifies with SAT's certificate for its NoCertificadoSAT."""

    cfdi = models.OneToOneField(
        Cfdi, on_delete=models.CASCADE, related_name="timbre_check", verbose_name=_("CFDI")
    )
    verdict = models.CharField(_("resultado"), max_length=12, choices=Verdict.choices)
    no_certificado_sat = models.CharField(_("NoCertificadoSAT"), max_length=20, blank=True)
    checked_at = models.DateTimeField(_("verificado"), default=timezone.now)

    class Meta:
        verbose_name = _("verificación del timbre")
        verbose_name_plural = _("verificaciones del timbre")
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=["valid", "sandbox", "invalid", "unavailable", "missing"]),
                name="timbrecheck_verdict_valid",
            ),
        ]
        indexes = [models.Index(fields=["verdict"], name="timbrecheck_verdict")]

    def __str__(self) -> str:
        return f"{self.cfdi_id}: {self.verdict}"

    @property
    def verdict_label(self) -> str:
        return str(dict(Verdict.choices).get(self.verdict, self.verdict))
