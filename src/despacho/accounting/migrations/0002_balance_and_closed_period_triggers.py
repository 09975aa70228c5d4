"""The database keeps pólizas balanced and closed months untouched (see models.py).

``accounting_polizabalance`` holds a row for every póliza whose movements balance; each
póliza's deferred foreign key needs that row at COMMIT, so a transaction that leaves a
póliza unbalanced fails there, whatever wrote it. The same triggers refuse any write to a
póliza or movement of a closed month, and a movement whose company or date differ from its
póliza's. PostgreSQL and SQLite each get their dialect of the same rules.
"""

# The SQL below is assembled from this module's own constants only (no input).
# ruff: noqa: S608

from django.db import migrations

CLOSED = "accounting: el periodo está cerrado"
MISMATCH = "accounting: el movimiento no coincide con su póliza"

POSTGRESQL = f"""
CREATE FUNCTION accounting_closed(company bigint, day date) RETURNS boolean AS $$
  SELECT EXISTS (SELECT 1 FROM accounting_closedperiod
                 WHERE company_id = company AND month = date_trunc('month', day)::date)
$$ LANGUAGE sql STABLE;

CREATE FUNCTION accounting_poliza_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND accounting_closed(OLD.company_id, OLD.fecha) THEN
    RAISE EXCEPTION '{CLOSED}' USING ERRCODE = '23000';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND accounting_closed(NEW.company_id, NEW.fecha) THEN
    RAISE EXCEPTION '{CLOSED}' USING ERRCODE = '23000';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER accounting_poliza_guard BEFORE INSERT OR UPDATE OR DELETE ON accounting_poliza
  FOR EACH ROW EXECUTE FUNCTION accounting_poliza_guard();

CREATE FUNCTION accounting_poliza_balance_row() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO accounting_polizabalance (key) VALUES (NEW.key) ON CONFLICT DO NOTHING;
  ELSE
    DELETE FROM accounting_polizabalance WHERE key = OLD.key;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER accounting_poliza_balance_row AFTER INSERT OR DELETE ON accounting_poliza
  FOR EACH ROW EXECUTE FUNCTION accounting_poliza_balance_row();

CREATE FUNCTION accounting_movement_guard() RETURNS trigger AS $$
DECLARE
  owner record;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND accounting_closed(OLD.company_id, OLD.fecha) THEN
    RAISE EXCEPTION '{CLOSED}' USING ERRCODE = '23000';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF accounting_closed(NEW.company_id, NEW.fecha) THEN
      RAISE EXCEPTION '{CLOSED}' USING ERRCODE = '23000';
    END IF;
    SELECT company_id, fecha INTO owner FROM accounting_poliza WHERE id = NEW.poliza_id;
    IF owner.company_id IS DISTINCT FROM NEW.company_id OR owner.fecha IS DISTINCT FROM NEW.fecha
    THEN
      RAISE EXCEPTION '{MISMATCH}' USING ERRCODE = '23000';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER accounting_movement_guard BEFORE INSERT OR UPDATE OR DELETE
  ON accounting_movement FOR EACH ROW EXECUTE FUNCTION accounting_movement_guard();

CREATE FUNCTION accounting_rebalance(poliza bigint) RETURNS void AS $$
DECLARE
  poliza_key uuid;
BEGIN
  SELECT key INTO poliza_key FROM accounting_poliza WHERE id = poliza;
  IF poliza_key IS NULL THEN RETURN; END IF;
  IF (SELECT COALESCE(SUM(debe), 0) = COALESCE(SUM(haber), 0)
      FROM accounting_movement WHERE poliza_id = poliza) THEN
    INSERT INTO accounting_polizabalance (key) VALUES (poliza_key) ON CONFLICT DO NOTHING;
  ELSE
    DELETE FROM accounting_polizabalance WHERE key = poliza_key;
  END IF;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION accounting_movement_rebalance() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM accounting_rebalance(OLD.poliza_id); END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.poliza_id <> OLD.poliza_id) THEN
    PERFORM accounting_rebalance(NEW.poliza_id);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER accounting_movement_rebalance AFTER INSERT OR UPDATE OR DELETE
  ON accounting_movement FOR EACH ROW EXECUTE FUNCTION accounting_movement_rebalance();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS accounting_movement_rebalance ON accounting_movement;
DROP TRIGGER IF EXISTS accounting_movement_guard ON accounting_movement;
DROP TRIGGER IF EXISTS accounting_poliza_balance_row ON accounting_poliza;
DROP TRIGGER IF EXISTS accounting_poliza_guard ON accounting_poliza;
DROP FUNCTION IF EXISTS accounting_movement_rebalance();
DROP FUNCTION IF EXISTS accounting_rebalance(bigint);
DROP FUNCTION IF EXISTS accounting_movement_guard();
DROP FUNCTION IF EXISTS accounting_poliza_balance_row();
DROP FUNCTION IF EXISTS accounting_poliza_guard();
DROP FUNCTION IF EXISTS accounting_closed(bigint, date);
"""


def _closed(company: str, day: str) -> str:
    return (
        f"SELECT RAISE(ABORT, '{CLOSED}') WHERE EXISTS (SELECT 1 FROM accounting_closedperiod "
        f"WHERE company_id = {company} AND month = date({day}, 'start of month'));"
    )


def _rebalance(poliza: str) -> str:
    return (
        "DELETE FROM accounting_polizabalance WHERE key = "
        f"(SELECT key FROM accounting_poliza WHERE id = {poliza}); "
        "INSERT INTO accounting_polizabalance (key) SELECT p.key FROM accounting_poliza p "
        f"WHERE p.id = {poliza} AND (SELECT ROUND(COALESCE(SUM(m.debe), 0) - "
        "COALESCE(SUM(m.haber), 0), 2) FROM accounting_movement m "
        f"WHERE m.poliza_id = {poliza}) = 0;"
    )


_MATCHES = (
    f"SELECT RAISE(ABORT, '{MISMATCH}') WHERE NOT EXISTS (SELECT 1 FROM accounting_poliza p "
    "WHERE p.id = NEW.poliza_id AND p.company_id = NEW.company_id AND p.fecha = NEW.fecha);"
)

SQLITE = [
    "CREATE TRIGGER accounting_poliza_bi BEFORE INSERT ON accounting_poliza BEGIN "
    f"{_closed('NEW.company_id', 'NEW.fecha')} END;",
    "CREATE TRIGGER accounting_poliza_bu BEFORE UPDATE ON accounting_poliza BEGIN "
    f"{_closed('OLD.company_id', 'OLD.fecha')} {_closed('NEW.company_id', 'NEW.fecha')} END;",
    "CREATE TRIGGER accounting_poliza_bd BEFORE DELETE ON accounting_poliza BEGIN "
    f"{_closed('OLD.company_id', 'OLD.fecha')} END;",
    "CREATE TRIGGER accounting_poliza_ai AFTER INSERT ON accounting_poliza BEGIN "
    "INSERT OR IGNORE INTO accounting_polizabalance (key) VALUES (NEW.key); END;",
    "CREATE TRIGGER accounting_poliza_ad AFTER DELETE ON accounting_poliza BEGIN "
    "DELETE FROM accounting_polizabalance WHERE key = OLD.key; END;",
    "CREATE TRIGGER accounting_movement_bi BEFORE INSERT ON accounting_movement BEGIN "
    f"{_closed('NEW.company_id', 'NEW.fecha')} {_MATCHES} END;",
    "CREATE TRIGGER accounting_movement_bu BEFORE UPDATE ON accounting_movement BEGIN "
    f"{_closed('OLD.company_id', 'OLD.fecha')} {_closed('NEW.company_id', 'NEW.fecha')} "
    f"{_MATCHES} END;",
    "CREATE TRIGGER accounting_movement_bd BEFORE DELETE ON accounting_movement BEGIN "
    f"{_closed('OLD.company_id', 'OLD.fecha')} END;",
    "CREATE TRIGGER accounting_movement_ai AFTER INSERT ON accounting_movement BEGIN "
    f"{_rebalance('NEW.poliza_id')} END;",
    "CREATE TRIGGER accounting_movement_au AFTER UPDATE ON accounting_movement BEGIN "
    f"{_rebalance('OLD.poliza_id')} {_rebalance('NEW.poliza_id')} END;",
    "CREATE TRIGGER accounting_movement_ad AFTER DELETE ON accounting_movement BEGIN "
    f"{_rebalance('OLD.poliza_id')} END;",
]
SQLITE_NAMES = [statement.split()[2] for statement in SQLITE]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:  # pragma: no cover - the project runs on these two
        raise RuntimeError(f"accounting has no balance triggers for {vendor}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
    else:
        for name in SQLITE_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")


class Migration(migrations.Migration):
    dependencies = [("accounting", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
