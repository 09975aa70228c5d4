"""The Invitation model now lives in the members app (its table stays people_invitation)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_invitation_company_link"),
        ("members", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="Invitation")],
        ),
    ]
