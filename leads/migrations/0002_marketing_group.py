"""The "Marketing" group, holding leads.export_lead, so an admin only adds people to it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Marketing"


def create_marketing_group(apps, schema_editor):
    # Permissions are normally created after the whole migrate run; create this app's now
    # so the group can hold the export permission on a fresh database.
    app_config = apps.get_app_config("leads")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    export = Permission.objects.get(content_type__app_label="leads", codename="export_lead")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(export)


def remove_marketing_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("leads", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_marketing_group, remove_marketing_group)]
