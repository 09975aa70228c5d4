"""CFDI 3.2's free text kept whole: moneda as a c_Moneda code plus the original text.

Rows of CFDI 3.2 stored before this had "Pesos" cut to "Pes" (counted as a foreign
currency) and formaDePago cut at 20 characters; their originals are re-read (only
read, never altered), with their payroll totals (Nómina 1.1 was read as 0). A row
whose file cannot be read keeps its values and is logged; `despacho cfdi_reindex`
runs the same code for every row.
"""

from django.db import migrations, models


def refill_cfdi_32(apps, schema_editor):
    from despacho.cfdi.reindex import fill_free_text_fields, fill_report_amounts

    model = apps.get_model("cfdi", "Cfdi")
    rows = model.objects.filter(version="3.2")
    fill_free_text_fields(model, queryset=rows)
    fill_report_amounts(model, queryset=rows)


class Migration(migrations.Migration):
    dependencies = [
        ("cfdi", "0004_counterpart_name_trigram"),
    ]

    operations = [
        migrations.AddField(
            model_name="cfdi",
            name="moneda_original",
            field=models.CharField(
                blank=True, max_length=250, verbose_name="moneda (texto del XML)"
            ),
        ),
        migrations.AlterField(
            model_name="cfdi",
            name="forma_pago",
            field=models.CharField(blank=True, max_length=250, verbose_name="forma de pago"),
        ),
        migrations.AlterField(
            model_name="cfdi",
            name="metodo_pago",
            field=models.CharField(blank=True, max_length=250, verbose_name="método de pago"),
        ),
        migrations.RunPython(refill_cfdi_32, migrations.RunPython.noop, elidable=True),
    ]
