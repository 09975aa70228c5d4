"""Trigram indexes for the SAT catalogs' search, on PostgreSQL only (as cfdi's 0004).

The search filters the folded column with ``contains`` (``folded LIKE '%word%'``); a GIN
index with ``gin_trgm_ops`` answers it without reading the 52,000 rows of c_ClaveProdServ.
SQLite has no such index and scans them (short rows: milliseconds, see bench/). The
catalogs' rows themselves are loaded after migrating (``products.catalogs``).
"""

from django.db import migrations

INDEXES = {
    "products_productkey_folded_trgm": "products_productkey",
    "products_unitkey_folded_trgm": "products_unitkey",
    "products_product_desc_trgm": "products_product",
}
COLUMNS = {
    "products_productkey": "folded",
    "products_unitkey": "folded",
    "products_product": "description_folded",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ({COLUMNS[table]} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
