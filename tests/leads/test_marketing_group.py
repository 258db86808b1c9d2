"""The Marketing group comes from a post_migrate handler, not a data migration."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_migrate_creates_a_missing_marketing_group_with_the_export_permission():
    Group.objects.filter(name="Marketing").delete()

    call_command("migrate", verbosity=0)

    group = Group.objects.get(name="Marketing")
    assert list(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("leads", "export_lead")
    ]


def test_migrate_leaves_the_permissions_an_admin_gave_the_group():
    group = Group.objects.get(name="Marketing")
    group.permissions.clear()

    call_command("migrate", verbosity=0)

    assert not group.permissions.exists()
