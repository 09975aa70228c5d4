"""What a Pago paid (its Pagos' Monto and MonedaP), filled for stored Pagos from their XML.

The originals are only read. A Pago whose file cannot be read keeps no paid amount (and
is logged), so its row shows its Total as before until `despacho cfdi_reindex` runs.
"""

from django.db import migrations, models


def fill(apps, schema_editor):
    from despacho.cfdi.reindex import fill_report_amounts

    model = apps.get_model("cfdi", "Cfdi")
    fill_report_amounts(model, queryset=model.objects.filter(tipo="P"))


class Migration(migrations.Migration):
    dependencies = [("cfdi", "0005_free_text_fields")]

    operations = [
        migrations.AddField(
            model_name="cfdi",
            name="pagos_moneda",
            field=models.CharField(blank=True, max_length=3, verbose_name="moneda del pago"),
        ),
        migrations.AddField(
            model_name="cfdi",
            name="pagos_monto",
            field=models.DecimalField(
                blank=True, decimal_places=6, max_digits=24, null=True, verbose_name="monto pagado"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
