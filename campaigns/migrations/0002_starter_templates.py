"""Load the starter template library, version 1 (campaigns/starter/v1.py, frozen), in Japanese and English.

Idempotent by (starter_key, language): a starter already present is brought
back to the v1 text (starters are read-only in the app, so nothing a user
wrote is lost). Reversing removes the v1 starters.
"""
from django.db import migrations

from campaigns.starter import v1


def load_starters(apps, schema_editor):
    MessageTemplate = apps.get_model("campaigns", "MessageTemplate")
    for entry in v1.STARTERS:
        MessageTemplate.objects.update_or_create(
            is_starter=True, starter_key=entry["key"], language=entry["language"],
            defaults={"name": entry["name"], "style": entry["style"], "subject": entry["subject"],
                      "body_text": entry["body_text"], "body_html": entry["body_html"]},
        )


def remove_starters(apps, schema_editor):
    MessageTemplate = apps.get_model("campaigns", "MessageTemplate")
    MessageTemplate.objects.filter(is_starter=True, starter_key__in={entry["key"] for entry in v1.STARTERS}).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]
    operations = [migrations.RunPython(load_starters, remove_starters)]
