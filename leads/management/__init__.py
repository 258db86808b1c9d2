"""``post_migrate`` handler: the "Marketing" group, holding ``leads.export_lead``, so an
admin only adds people to it."""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

MARKETING_GROUP = "Marketing"


def create_marketing_group(app_config, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    """Creates the group when it is missing and leaves an existing one as the admins keep it.

    Runs after ``django.contrib.auth`` created this app's permissions: auth comes before
    leads in INSTALLED_APPS, so its handler is connected first.
    """
    try:
        apps.get_model("leads", "Lead")
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:
        return
    group, created = group_model.objects.using(using).get_or_create(name=MARKETING_GROUP)
    if created:
        group.permissions.add(
            permission_model.objects.using(using).get(
                content_type__app_label="leads", codename="export_lead"
            )
        )
