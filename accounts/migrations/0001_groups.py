"""Create the three role groups with their model permissions."""
from django.db import migrations

ROLE_PERMISSIONS = {
    "admin": "__all__",
    "marketer": [
        "view_company", "add_company", "change_company",
        "view_contact", "add_contact", "change_contact",
        "view_contract", "add_contract", "change_contract",
        "view_touchevent", "add_touchevent",
        "view_importjob", "add_importjob",
    ],
    "inside_sales": [
        "view_company", "view_contact", "change_contact",
        "view_contract", "view_touchevent", "add_touchevent",
    ],
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        if codenames == "__all__":
            perms = Permission.objects.filter(content_type__app_label__in=["contacts", "dormancy", "campaigns", "tracking"])
        else:
            perms = Permission.objects.filter(content_type__app_label="contacts", codename__in=codenames)
        group.permissions.set(perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contacts", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
