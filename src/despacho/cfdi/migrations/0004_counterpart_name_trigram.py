"""Trigram indexes for the list's counterpart-name search, on PostgreSQL only.

The list filters names with ``icontains`` (``UPPER(name::text) LIKE UPPER('%…%')``);
a GIN index over the same expression with ``gin_trgm_ops`` lets PostgreSQL
answer it for a company with many documents without reading them all. SQLite
(the embedded default) has no such index and scans the company's rows, which
its index on (company, category, fecha) already bounds. Creating the pg_trgm
extension needs a role allowed to (the database owner since PostgreSQL 13,
as pg_trgm is a trusted extension).
"""

from django.db import migrations

INDEXES = {
    "cfdi_receptor_nombre_trgm": "receptor_nombre",
    "cfdi_emisor_nombre_trgm": "emisor_nombre",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON cfdi_cfdi "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cfdi", "0003_fill_report_amounts")]

    operations = [migrations.RunPython(create, drop)]
