"""Every insert into the outbox notifies ``leads_outbox`` (PostgreSQL): the relay
(``manage.py outbox_dispatch --every``) listens and hands the new rows to the broker the
moment their transaction commits. PostgreSQL delivers a notification only on commit, and
one per transaction however many rows it inserted. Other databases have no notifications;
the relay polls them."""

from django.db import migrations, models

NOTIFY = """
CREATE FUNCTION leads_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leads_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER leads_outbox_owed AFTER INSERT ON leads_outboundmessage
    FOR EACH STATEMENT EXECUTE FUNCTION leads_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS leads_outbox_owed ON leads_outboundmessage;
DROP FUNCTION IF EXISTS leads_outbox_notify();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0013_chosen_specialists_kept"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundmessage",
            name="enqueued_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Last handed to the broker; empty until the relay hands it over.",
                null=True,
            ),
        ),
        migrations.RunPython(_on_postgresql(NOTIFY), _on_postgresql(DROP)),
    ]
