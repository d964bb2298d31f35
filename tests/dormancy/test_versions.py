"""Every saved change to a rule is a numbered version with who and when; restore adds a version."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dormancy.models import DormancyRule, DormancyRuleVersion
from dormancy.services import dormancy_rule_create, dormancy_rule_restore, dormancy_rule_update

FIRST = {
    "name": "Slow line", "slug": "slow-line", "inactivity_days": 365, "touch_kinds": ["meeting", "call"],
    "conditions": {"match": "any", "items": [{"type": "lost"}]},
    "scope": [{"field": "attribute:product_line", "op": "eq", "value": "ERP"}],
}


@pytest.fixture
def rule(admin_user):
    return dormancy_rule_create(user=admin_user, **FIRST)


def test_creating_a_rule_writes_version_1(rule, admin_user):
    version = rule.versions.get()
    assert (version.number, version.created_by, version.note) == (1, admin_user, "Created")
    assert version.snapshot == {
        "name": "Slow line", "inactivity_days": 365, "touch_kinds": ["call", "meeting"],
        "conditions": {"match": "any", "items": [{"type": "lost"}]},
        "scope": [{"field": "attribute:product_line", "op": "eq", "value": "ERP"}], "is_active": True,
    }


def test_update_writes_version_2_with_who_and_when(rule, admin_user, marketer):
    before = timezone.now()
    dormancy_rule_update(rule=rule, changes={"inactivity_days": 400, "is_active": False}, user=marketer,
                         note="longer cycle")

    stored = DormancyRule.objects.get(pk=rule.pk)
    assert (stored.inactivity_days, stored.is_active) == (400, False)
    assert (rule.inactivity_days, rule.is_active) == (400, False)
    v1, v2 = rule.versions.order_by("number")
    assert v1.snapshot["inactivity_days"] == 365
    assert (v2.number, v2.created_by, v2.note) == (2, marketer, "longer cycle")
    assert v2.snapshot == {**v1.snapshot, "inactivity_days": 400, "is_active": False}
    assert before <= v2.created_at <= timezone.now() + timedelta(seconds=1)


def test_update_that_changes_nothing_writes_no_version(rule, admin_user):
    dormancy_rule_update(rule=rule, changes={"inactivity_days": 365, "touch_kinds": ["meeting", "call", "call"]},
                         user=admin_user)
    assert list(rule.versions.values_list("number", flat=True)) == [1]


def test_restore_writes_version_3_equal_to_version_1(rule, admin_user, marketer):
    dormancy_rule_update(rule=rule, changes={"inactivity_days": 90, "scope": []}, user=marketer)

    dormancy_rule_restore(rule=rule, version_number=1, user=admin_user)

    versions = {v.number: v for v in rule.versions.all()}
    assert sorted(versions) == [1, 2, 3]
    assert versions[3].snapshot == versions[1].snapshot
    assert (versions[3].created_by, versions[3].note) == (admin_user, "Restored version 1")
    assert DormancyRule.objects.get(pk=rule.pk).definition() == versions[1].snapshot
    assert versions[2].snapshot["inactivity_days"] == 90  # history is kept, not rewritten


def test_restoring_a_missing_version_changes_nothing(rule, admin_user):
    with pytest.raises(ValidationError, match="Rule slow-line has no version 7"):
        dormancy_rule_restore(rule=rule, version_number=7, user=admin_user)
    assert rule.versions.count() == 1


def test_invalid_update_is_refused_and_leaves_rule_and_history_alone(rule, admin_user):
    with pytest.raises(ValidationError) as raised:
        dormancy_rule_update(rule=rule, changes={"inactivity_days": 0}, user=admin_user)
    assert "inactivity_days" in raised.value.message_dict
    assert DormancyRule.objects.get(pk=rule.pk).inactivity_days == 365
    assert rule.versions.count() == 1


def test_slug_cannot_change(rule, admin_user):
    with pytest.raises(ValidationError) as raised:
        dormancy_rule_update(rule=rule, changes={"slug": "renamed"}, user=admin_user)
    assert raised.value.message_dict == {
        "slug": ["The slug cannot change: commands and segments refer to the rule by it."],
    }
    assert DormancyRule.objects.filter(slug="slow-line").exists()


def test_duplicate_slug_is_refused(rule, admin_user):
    with pytest.raises(ValidationError) as raised:
        dormancy_rule_create(user=admin_user, **{**FIRST, "name": "Another"})
    assert raised.value.message_dict == {"slug": ['A rule with the slug "slow-line" already exists.']}
    assert DormancyRule.objects.filter(slug="slow-line").count() == 1
    assert DormancyRuleVersion.objects.filter(rule__slug="slow-line").count() == 1


def test_deleting_the_editor_keeps_the_version(rule, admin_user, marketer):
    dormancy_rule_update(rule=rule, changes={"name": "Slow line v2"}, user=marketer)
    marketer.delete()
    assert list(rule.versions.order_by("number").values_list("number", "created_by")) == [
        (1, admin_user.pk), (2, None),
    ]
