"""SAT's c_ClaveProdServ and c_ClaveUnidad in this app's tables, and their search.

``catalogs_load`` copies satcfdi's catalogs (through ``despacho.satcatalogs``) into
``ProductKey`` and ``UnitKey``: it inserts what is missing and updates what SAT renamed, in
bulk, so running it again is cheap and changes nothing. It runs after every ``migrate``
(post_migrate), so a new database, a test database and an upgraded satcfdi all get it.

The search reads the database, never a Python list: a code prefix (``4321``, ``H8``) or
words, each of which must appear in the folded (lower-case, accent-blind) column, which
holds the code and the description. On PostgreSQL a trigram index serves those ``LIKE``
patterns (migration 0002); on SQLite they scan 52,000 short rows.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q, QuerySet

from despacho.products.models import ProductKey, UnitKey
from despacho.satcatalogs import Catalog, descriptions
from despacho.textsearch import fold

K = TypeVar("K", ProductKey, UnitKey)

SOURCES: tuple[tuple[type[ProductKey] | type[UnitKey], Catalog], ...] = (
    (ProductKey, Catalog.CLAVE_PROD_SERV),
    (UnitKey, Catalog.CLAVE_UNIDAD),
)
BATCH = 5000
MAX_QUERY_WORDS = 8


def folded(code: str, description: str) -> str:
    return fold(f"{code} {description}")


def _load(model: Any, catalog: Catalog, using: str) -> int:
    wanted = descriptions(catalog)
    have = dict(model.objects.using(using).values_list("code", "description"))
    new = [
        model(code=code, description=text, folded=folded(code, text), weight=len(text))
        for code, text in wanted.items()
        if code not in have
    ]
    renamed = list(
        model.objects.using(using).filter(
            code__in=[c for c, text in wanted.items() if c in have and have[c] != text]
        )
    )
    for key in renamed:
        key.description = wanted[key.code]
        key.folded = folded(key.code, key.description)
        key.weight = len(key.description)
    with transaction.atomic(using=using):
        model.objects.using(using).bulk_create(new, batch_size=BATCH)
        model.objects.using(using).bulk_update(
            renamed, ["description", "folded", "weight"], batch_size=BATCH
        )
    connection = connections[using]
    if (new or renamed) and connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses and scans instead of using the indexes.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return len(new) + len(renamed)


def catalogs_load(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Copy satcfdi's catalogs into the tables; how many rows were added or changed."""
    return sum(_load(model, catalog, using) for model, catalog in SOURCES)


def catalogs_load_after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver: load when this app's tables exist (not after migrating to zero)."""
    tables = connections[using].introspection.table_names()
    if all(model._meta.db_table in tables for model, _catalog in SOURCES):
        catalogs_load(using=using)


def search_ordering(query: str) -> tuple[str, ...]:
    """A code prefix lists by code; words list the shortest names first (``Café`` before
    ``Café y té``), then by code. Both end in ``id``, as cursor pages need."""
    return ("code", "id") if _is_code(fold(query or "").split()) else ("weight", "code", "id")


def _is_code(words: list[str]) -> bool:
    return len(words) == 1 and any(ch.isdigit() for ch in words[0])


def catalog_search(qs: QuerySet[K], query: str) -> QuerySet[K]:
    """Keys whose code starts with the query (one word with a digit: ``4321``, ``H8``), or
    whose folded text holds every word of it; in ``search_ordering``."""
    words = fold(query or "").split()[:MAX_QUERY_WORDS]
    ordering = search_ordering(query)
    if not words:
        return qs.order_by(*ordering)
    if _is_code(words):
        return qs.filter(code__startswith=words[0].upper()).order_by(*ordering)
    every_word = Q()
    for word in words:
        every_word &= Q(folded__contains=word)
    return qs.filter(every_word).order_by(*ordering)


def product_key_search(query: str) -> QuerySet[ProductKey]:
    return catalog_search(ProductKey.objects.all(), query)


def unit_key_search(query: str) -> QuerySet[UnitKey]:
    return catalog_search(UnitKey.objects.all(), query)
