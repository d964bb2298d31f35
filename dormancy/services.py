"""State changes on dormancy rules. Every saved change writes a numbered version."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from .models import DormancyRule, DormancyRuleVersion
from .rules import validate_rule_definition


def dormancy_rule_create(*, name, slug, inactivity_days, touch_kinds, conditions=None, scope=None, is_active=True,
                         user, note=""):
    """Validate and store a new rule with its version 1."""
    data = {"name": name, "slug": slug, "inactivity_days": inactivity_days, "touch_kinds": touch_kinds,
            "is_active": is_active}
    if conditions is not None:
        data["conditions"] = conditions
    if scope is not None:
        data["scope"] = scope
    cleaned = validate_rule_definition(data)
    if DormancyRule.objects.filter(slug=cleaned["slug"]).exists():
        raise ValidationError({"slug": [_('A rule with the slug "%(slug)s" already exists.') % {"slug": slug}]})
    with transaction.atomic():
        rule = DormancyRule.objects.create(**cleaned)
        _version_write(rule=rule, user=user, note=note or _("Created"))
    return rule


def dormancy_rule_update(*, rule, changes, user, note=""):
    """Apply `changes` (a dict of editable fields) and write the next version.

    A change that leaves the definition as it was saves nothing and writes no
    version. `rule` is refreshed in place and returned.
    """
    unknown = set(changes) - set(DormancyRule.EDITABLE_FIELDS)
    if unknown:
        errors = {}
        for field in sorted(unknown):
            message = (_("The slug cannot change: commands and segments refer to the rule by it.")
                       if field == "slug" else _('Unknown field "%(field)s".') % {"field": field})
            errors[field] = [message]
        raise ValidationError(errors)
    return _rule_save(rule=rule, changes=changes, user=user, note=note, force_version=False)


def dormancy_rule_restore(*, rule, version_number, user):
    """Make an earlier version current again, as a new version (history is never rewritten)."""
    version = rule.versions.filter(number=version_number).first()
    if version is None:
        raise ValidationError(
            _("Rule %(slug)s has no version %(number)s.") % {"slug": rule.slug, "number": version_number}
        )
    note = _("Restored version %(number)d") % {"number": version.number}
    return _rule_save(rule=rule, changes=version.snapshot, user=user, note=note, force_version=True)


def _rule_save(*, rule, changes, user, note, force_version):
    with transaction.atomic():
        # The row lock serialises concurrent edits so version numbers never collide.
        locked = DormancyRule.objects.select_for_update().get(pk=rule.pk)
        current = locked.definition()
        cleaned = validate_rule_definition({**current, **changes})
        changed = [field for field in DormancyRule.EDITABLE_FIELDS if cleaned[field] != current[field]]
        if changed or force_version:
            for field in changed:
                setattr(locked, field, cleaned[field])
            if changed:
                locked.save(update_fields=[*changed, "updated_at"])
            _version_write(rule=locked, user=user, note=note)
    rule.refresh_from_db()
    return rule


def _version_write(*, rule, user, note):
    last = rule.versions.aggregate(last=Max("number"))["last"] or 0
    return DormancyRuleVersion.objects.create(
        rule=rule, number=last + 1, snapshot=rule.definition(), created_by=user, note=note[:300],
    )
