from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("geo", "0001_initial"),
        ("specialists", "0005_geocodedaddress_to_geo"),
    ]

    operations = [
        migrations.AlterModelTable(name="geocodedaddress", table=None),
    ]
