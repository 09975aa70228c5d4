"""Fill the report amounts of rows stored before 0002 by re-reading their original XML.

The originals are only read, never altered. A row whose file cannot be read or
parsed keeps zeros (and is logged): the reports then under-count it, which the
next `despacho cfdi_reindex` run (the same code) will fix once the file is back.
"""

from django.db import migrations


def fill(apps, schema_editor):
    from despacho.cfdi.reindex import fill_report_amounts

    fill_report_amounts(apps.get_model("cfdi", "Cfdi"))


class Migration(migrations.Migration):
    dependencies = [("cfdi", "0002_report_amounts")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
