"""Ship the default dormancy rule (as version 1) and give the admin role the dormancy permissions.

The definition is spelled out here rather than imported, so this migration
means the same thing whatever the app code later becomes.
"""
from django.db import migrations

DEFAULT_RULE = {
    "name": "Silent 180 days, lost or stalled",
    "inactivity_days": 180,
    "touch_kinds": [
        "email_open", "email_click", "page_view", "form_submit", "download",
        "call", "meeting", "card_exchange", "webinar", "reply",
    ],
    "conditions": {
        "match": "any",
        "items": [{"type": "lost"}, {"type": "deal_stage_unchanged_days", "days": 90}],
    },
    "scope": [],
    "is_active": True,
}


def create_default_rule(apps, schema_editor):
    DormancyRule = apps.get_model("dormancy", "DormancyRule")
    DormancyRuleVersion = apps.get_model("dormancy", "DormancyRuleVersion")
    if DormancyRule.objects.filter(slug="default").exists():
        return
    rule = DormancyRule.objects.create(slug="default", **DEFAULT_RULE)
    DormancyRuleVersion.objects.create(rule=rule, number=1, snapshot=DEFAULT_RULE, note="Shipped with Rekindle")


def remove_default_rule(apps, schema_editor):
    apps.get_model("dormancy", "DormancyRule").objects.filter(slug="default").delete()


def grant_admin_permissions(apps, schema_editor):
    # accounts.0001 gave the admin role every dormancy permission that existed
    # then, which was none: this app had no models yet.
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("dormancy")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin = Group.objects.filter(name="admin").first()
    if admin is not None:
        admin.permissions.add(*Permission.objects.filter(content_type__app_label="dormancy"))


class Migration(migrations.Migration):
    dependencies = [
        ("dormancy", "0001_initial"),
        ("accounts", "0001_groups"),
    ]
    operations = [
        migrations.RunPython(create_default_rule, remove_default_rule),
        migrations.RunPython(grant_admin_permissions, migrations.RunPython.noop),
    ]
