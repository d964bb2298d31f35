# Backfill the campaign report's stored answers (campaigns 0011) from the facts, set-based: on PostgreSQL one
# joined UPDATE per table, elsewhere one UPDATE per table with correlated subqueries (reports.campaign_answers).

from django.db import migrations


def backfill(apps, schema_editor):
    from reports.campaign_answers import campaign_answers_recompute

    campaign_answers_recompute(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0001_initial'),
        ('campaigns', '0011_report_answers'),
        ('contacts', '0004_event_kind_time_index'),
        ('alerts', '0002_default_triggers'),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
