"""The Invitation model moves here from the people app: state only, the table stays."""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("people", "0003_invitation_company_link"),
        ("tenancy", "0005_link_requested_company_hidden"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Invitation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("member", "Usuario de la cuenta"),
                                    ("company_link", "Vínculo de empresa con despacho"),
                                    ("client_activation", "Activación de cuenta de cliente"),
                                    ("portal", "Acceso al portal de descargas"),
                                ],
                                max_length=20,
                                verbose_name="tipo",
                            ),
                        ),
                        (
                            "email",
                            models.EmailField(max_length=254, verbose_name="correo electrónico"),
                        ),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="creada"
                            ),
                        ),
                        (
                            "sent_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="enviada"),
                        ),
                        (
                            "send_count",
                            models.PositiveIntegerField(default=0, verbose_name="envíos"),
                        ),
                        ("expires_at", models.DateTimeField(verbose_name="vence")),
                        (
                            "accepted_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="aceptada"),
                        ),
                        (
                            "revoked_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="revocada"),
                        ),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="invitations",
                                to="tenancy.account",
                            ),
                        ),
                        (
                            "membership",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="invitations",
                                to="tenancy.membership",
                            ),
                        ),
                        (
                            "company_link",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="invitations",
                                to="tenancy.companylink",
                            ),
                        ),
                        (
                            "invited_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "revoked_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "invitación",
                        "verbose_name_plural": "invitaciones",
                        "db_table": "people_invitation",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["account", "kind", "-created_at"],
                                name="people_invi_account_938867_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(
                                    ("accepted_at__isnull", True), ("revoked_at__isnull", True)
                                ),
                                fields=("membership",),
                                name="people_invitation_one_live_per_membership",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("accepted_at__isnull", True),
                                    ("revoked_at__isnull", True),
                                    _connector="OR",
                                ),
                                name="people_invitation_not_accepted_and_revoked",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("email", django.db.models.functions.text.Lower("email"))
                                ),
                                name="people_invitation_email_lowercase",
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]
