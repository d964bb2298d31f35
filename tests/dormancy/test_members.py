"""Stored members of a rule: refreshed set-based, kept current as facts change, trusted only when current."""
from datetime import timedelta

import pytest

from contacts.models import Contact, ContactStatus
from dormancy.models import DormancyMembership, DormancyRule
from dormancy.selectors import dormant_queryset, members_are_current, rule_member_count, workspace_today
from dormancy.services import dormancy_rule_update, rule_members_apply, rule_members_refresh
from scoring.services import contact_facts_apply

from .conftest import TODAY, days_ago, tokyo

RUN = tokyo(TODAY, 9)


def stored(rule):
    return set(DormancyMembership.objects.filter(rule=rule).values_list("contact__email", flat=True))


def settled(rule):
    """The rule as if last edited well before RUN (rules made in a test are edited "now")."""
    DormancyRule.objects.filter(pk=rule.pk).update(updated_at=RUN - timedelta(days=30))
    rule.refresh_from_db()
    return rule


@pytest.fixture
def rule(make_rule):
    return settled(make_rule(slug="silent"))


@pytest.fixture
def people(make_contact, touch):
    quiet = make_contact(email="quiet@example.com", created_on=days_ago(400))
    touch(quiet, tokyo(days_ago(200)))
    busy = make_contact(email="busy@example.com", created_on=days_ago(400))
    touch(busy, tokyo(days_ago(3)))
    never = make_contact(email="never@example.com", created_on=days_ago(300))
    return quiet, busy, never


def test_refresh_stores_the_members_the_query_finds(rule, people):
    assert rule_members_refresh(rule_id=rule.pk, run_at=RUN) == 2
    assert stored(rule) == {"quiet@example.com", "never@example.com"} == set(
        dormant_queryset(rule, today=TODAY).values_list("email", flat=True))
    rule.refresh_from_db()
    assert (rule.member_count, rule.members_refreshed_at) == (2, RUN)
    assert members_are_current(rule, today=TODAY)
    assert rule_member_count(rule, today=TODAY) == 2
    # A second run finds nothing to change.
    assert rule_members_refresh(rule_id=rule.pk, run_at=RUN + timedelta(minutes=10)) == 2


def test_the_count_is_read_from_the_stored_members_while_they_are_current(rule, people):
    rule_members_refresh(rule_id=rule.pk, run_at=RUN)
    rule.refresh_from_db()
    # A change behind the engine's back (no facts-changed notice) is not seen until the next refresh...
    Contact.objects.filter(email="busy@example.com").update(last_touch_at=tokyo(days_ago(500)))
    assert rule_member_count(rule, today=TODAY) == 2
    # ...but a stored count from yesterday, or from before the rule last changed, is never used.
    assert not members_are_current(rule, today=TODAY + timedelta(days=1))
    assert rule_member_count(rule, today=TODAY + timedelta(days=1)) == len(
        dormant_queryset(rule, today=TODAY + timedelta(days=1)))
    DormancyRule.objects.filter(pk=rule.pk).update(updated_at=RUN + timedelta(seconds=1))
    rule.refresh_from_db()
    assert not members_are_current(rule, today=TODAY)


def test_applying_changed_contacts_moves_only_them(rule, people, touch):
    quiet, busy, never = people
    rule_members_refresh(rule_id=rule.pk, run_at=RUN)
    touch(quiet, RUN)  # the quiet one is back
    Contact.objects.filter(pk=never.pk).update(last_touch_at=RUN)  # changed, but not in the batch

    rule_members_apply(contact_ids=[quiet.pk, busy.pk], run_at=RUN + timedelta(minutes=1))

    assert stored(rule) == {"never@example.com"}
    rule.refresh_from_db()
    assert rule.member_count == 1 and rule.members_refreshed_at == RUN
    assert rule_member_count(rule, today=TODAY) == 1


def test_rules_with_stale_members_wait_for_their_next_refresh(rule, people, touch):
    quiet, _busy, _never = people
    rule_members_refresh(rule_id=rule.pk, run_at=RUN - timedelta(days=1))
    touch(quiet, RUN)
    rule_members_apply(contact_ids=[quiet.pk], run_at=RUN)
    assert "quiet@example.com" in stored(rule)  # untouched: yesterday's members are not patched


def test_a_contact_import_or_touch_reaches_the_stored_members(rule, people, touch):
    quiet, _busy, _never = people
    rule_members_refresh(rule_id=rule.pk, run_at=RUN)
    Contact.objects.filter(pk=quiet.pk).update(last_touch_at=RUN)
    contact_facts_apply(contact_ids=[quiet.pk], now=RUN + timedelta(minutes=1))
    assert stored(rule) == {"never@example.com"}


def test_a_switched_off_rule_keeps_no_members(rule, people):
    rule_members_refresh(rule_id=rule.pk, run_at=RUN)
    dormancy_rule_update(rule=rule, changes={"is_active": False}, user=None)
    assert rule_members_refresh(rule_id=rule.pk, run_at=RUN + timedelta(minutes=1)) is None
    assert stored(rule) == set()


def test_saving_a_rule_refreshes_its_members_once_committed(rule, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        dormancy_rule_update(rule=rule, changes={"inactivity_days": 250}, user=None)
    assert len(callbacks) == 1
    rule.refresh_from_db()
    assert rule.members_refreshed_at is not None and rule.members_refreshed_at >= rule.updated_at
    today = workspace_today()
    assert stored(rule) == set(dormant_queryset(rule, today=today).values_list("email", flat=True))
    assert members_are_current(rule, today=today) and rule.member_count == len(stored(rule)) == 3


def test_lost_status_from_an_import_makes_a_stalled_contact_a_member(make_rule, make_contact, touch):
    lost_rule = settled(make_rule(slug="lost-only", conditions={"match": "any", "items": [{"type": "lost"}]}))
    contact = make_contact(email="deal@example.com", created_on=days_ago(400))
    touch(contact, tokyo(days_ago(200)))
    rule_members_refresh(rule_id=lost_rule.pk, run_at=RUN)
    assert stored(lost_rule) == set()
    Contact.objects.filter(pk=contact.pk).update(status=ContactStatus.LOST)
    rule_members_apply(contact_ids=[contact.pk], run_at=RUN + timedelta(minutes=1))
    assert stored(lost_rule) == {"deal@example.com"}
