"""State changes on dormancy rules and their stored members.

Every saved change writes a numbered version and asks for a refresh of the
rule's stored members once committed (dormancy.tasks).
"""
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from contacts.membership import MemberTable, compiled_members, difference_apply
from contacts.models import Contact
from contacts.rules import workspace_tz

from .models import DormancyMembership, DormancyRule, DormancyRuleVersion
from .rules import dormant_q, validate_rule_definition
from .selectors import members_are_current


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
        _members_refresh_enqueue(rule.pk)
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
                _members_refresh_enqueue(locked.pk)
            _version_write(rule=locked, user=user, note=note)
    rule.refresh_from_db()
    return rule


def _version_write(*, rule, user, note):
    last = rule.versions.aggregate(last=Max("number"))["last"] or 0
    return DormancyRuleVersion.objects.create(
        rule=rule, number=last + 1, snapshot=rule.definition(), created_by=user, note=note[:300],
    )


# -- stored members --------------------------------------------------------------

MEMBERS = MemberTable(model=DormancyMembership, owner_column="rule_id", since_column="since")


def rule_members_refresh(*, rule_id, run_at):
    """Recompute an active rule's stored members as of `run_at`, set-based; returns the member count.

    The rule row is locked, so overlapping runs queue; a rule switched off
    keeps no members. Idempotent: a second run with nothing changed writes
    nothing but the refresh time.
    """
    with transaction.atomic():
        rule = DormancyRule.objects.select_for_update().get(pk=rule_id)
        if not rule.is_active:
            DormancyMembership.objects.filter(rule=rule).delete()
            DormancyRule.objects.filter(pk=rule.pk).update(member_count=None, members_refreshed_at=None)
            return None
        match_sql, match_params = compiled_members(_matching(rule, run_at))
        difference_apply(MEMBERS, owner_id=rule.pk, match_sql=match_sql, match_params=match_params, run_at=run_at)
        count = DormancyMembership.objects.filter(rule=rule).count()
        DormancyRule.objects.filter(pk=rule.pk).update(member_count=count, members_refreshed_at=run_at)
    return count


def rule_members_apply(*, contact_ids, run_at):
    """Move only `contact_ids` in or out of every active rule's stored members (after their facts changed).

    Rules whose stored members are from an earlier day are left to their
    next full refresh: the passing of days alone makes contacts dormant, so
    only a full run can bring them to today.
    """
    ids = sorted(set(contact_ids))
    tz = workspace_tz()
    today = run_at.astimezone(tz).date()
    for rule_id in DormancyRule.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            rule = DormancyRule.objects.select_for_update().filter(pk=rule_id, is_active=True).first()
            if rule is None or not members_are_current(rule, today=today):
                continue
            match_sql, match_params = compiled_members(_matching(rule, run_at).filter(pk__in=ids))
            entered, left = difference_apply(MEMBERS, owner_id=rule.pk, match_sql=match_sql,
                                             match_params=match_params, run_at=run_at, contact_ids=ids)
            if entered or left:
                DormancyRule.objects.filter(pk=rule.pk).update(member_count=F("member_count") + entered - left)


def _members_refresh_enqueue(rule_id):
    from .tasks import rule_members_refresh  # tasks import this module

    transaction.on_commit(partial(rule_members_refresh.delay, rule_id))


def rules_to_refresh():
    return list(DormancyRule.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))


def _matching(rule, run_at):
    tz = workspace_tz()
    return Contact.objects.filter(dormant_q(rule, today=run_at.astimezone(tz).date(), tz=tz))
