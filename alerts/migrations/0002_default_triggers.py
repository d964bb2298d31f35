"""The five triggers the product starts with (editable on the Triggers page), named in the workspace language."""
from django.conf import settings
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


# The names are data (editable), so they are written once in the workspace language (LANGUAGE_CODE).
NAMES_JA = {
    "dormant_return": "休眠コンタクトの再訪",
    "page_view": "料金ページの閲覧",
    "hot_score": "ホットリードのスコア到達",
    "reply_or_form": "返信・フォーム送信",
    "rescue_choice": "継続オプションの選択",
}


def _named(values):
    if settings.LANGUAGE_CODE.lower().startswith("ja"):
        return {**values, "name": NAMES_JA[values["kind"]]}
    return values


def seed(apps, schema_editor):
    Trigger = apps.get_model("alerts", "Trigger")
    for values in map(_named, DEFAULTS):
        if not Trigger.objects.filter(kind=values["kind"], name=values["name"]).exists():
            Trigger.objects.create(**values)


def unseed(apps, schema_editor):
    Trigger = apps.get_model("alerts", "Trigger")
    for values in DEFAULTS:
        Trigger.objects.filter(kind=values["kind"], name__in=[values["name"], NAMES_JA[values["kind"]]]).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
