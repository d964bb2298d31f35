"""The five triggers the product starts with (editable on the Triggers page)."""
from django.db import migrations

INBOUND = ["email_click", "page_view", "form_submit", "download", "webinar", "reply"]
DEFAULTS = [
    {"name": "Dormant contact came back", "kind": "dormant_return", "dedup_hours": 72, "touch_kinds": INBOUND},
    {"name": "Viewed pricing", "kind": "page_view", "url_patterns": "/pricing", "dedup_hours": 24,
     "touch_kinds": []},
    {"name": "Hot-lead score", "kind": "hot_score", "dedup_hours": 168, "touch_kinds": []},
    {"name": "Replied or submitted a form", "kind": "reply_or_form", "dedup_hours": 4, "touch_kinds": []},
    {"name": "Rescue option chosen", "kind": "rescue_choice", "dedup_hours": 1, "touch_kinds": []},
]


def seed(apps, schema_editor):
    Trigger = apps.get_model("alerts", "Trigger")
    for values in DEFAULTS:
        if not Trigger.objects.filter(kind=values["kind"], name=values["name"]).exists():
            Trigger.objects.create(**values)


def unseed(apps, schema_editor):
    Trigger = apps.get_model("alerts", "Trigger")
    for values in DEFAULTS:
        Trigger.objects.filter(kind=values["kind"], name=values["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
