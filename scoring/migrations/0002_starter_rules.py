"""Starter scoring rules, so the call list is ordered sensibly on day one.

Buying signals from the seed article weigh most (pricing and case-study
pages, replies, meetings); admins edit or switch them off under Scoring.
"""
from django.db import migrations

STARTER_RULES = [
    # (name, kind, touch_kind, url_contains, attribute, points)
    ("Viewed the pricing page", "touch", "page_view", "/pricing", "", 20),
    ("Viewed a case study", "touch", "page_view", "/case-studies", "", 10),
    ("Visited the website", "touch", "page_view", "", "", 2),
    ("Clicked a link in an email", "touch", "email_click", "", "", 5),
    ("Downloaded a document", "touch", "download", "", "", 15),
    ("Submitted a form", "touch", "form_submit", "", "", 25),
    ("Attended a webinar", "touch", "webinar", "", "", 10),
    ("Replied", "touch", "reply", "", "", 30),
    ("Decision maker", "attribute", "", "", "is_decision_maker", 15),
]


def add_rules(apps, schema_editor):
    ScoringRule = apps.get_model("scoring", "ScoringRule")
    if ScoringRule.objects.exists():
        return
    ScoringRule.objects.bulk_create(
        ScoringRule(name=name, kind=kind, touch_kind=touch_kind, url_contains=url, attribute=attribute, points=points)
        for name, kind, touch_kind, url, attribute, points in STARTER_RULES
    )


def remove_rules(apps, schema_editor):
    names = [rule[0] for rule in STARTER_RULES]
    apps.get_model("scoring", "ScoringRule").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]
    operations = [migrations.RunPython(add_rules, remove_rules)]
