"""Formerly wrote the built-in catalog (treatments, boards).

Kept, empty, because existing databases recorded it: the rows now come from the content
files under specialists/content/, written by the post_migrate loader
(specialists/management/__init__.py, specialists/catalog.py).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("specialists", "0001_initial")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
