from django.db import migrations


def create_presets(apps, schema_editor):
    # The catalog's bit positions are append-only, so importing it here is stable.
    from despacho.access.catalog import to_mask
    from despacho.access.presets import SYSTEM_PROFILES

    Profile = apps.get_model("access", "Profile")
    for code, (name, perms) in SYSTEM_PROFILES.items():
        Profile.objects.update_or_create(
            account=None, code=code, defaults={"name": name, "permissions": to_mask(perms)}
        )


def remove_presets(apps, schema_editor):
    apps.get_model("access", "Profile").objects.filter(account=None).delete()


class Migration(migrations.Migration):
    dependencies = [("access", "0002_initial")]
    operations = [migrations.RunPython(create_presets, remove_presets)]
