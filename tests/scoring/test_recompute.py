"""The set-based score: decay, URL rules, bots, attributes, hot leads, idempotence, incremental updates."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Company, ContactStatus, Tag, TouchKind
from contacts.services import touch_summaries_refresh
from dormancy.models import DormancyRule
from scoring.models import ContactScore, ScoringSettings
from scoring.services import score_apply_event, scores_recompute

from .conftest import NOW, attribute_rule, days_ago, make_contact, make_event, touch_rule

pytestmark = pytest.mark.django_db


def _score(contact):
    return ContactScore.objects.get(contact=contact)


def test_event_one_half_life_ago_scores_half_its_points():
    rule = touch_rule("Page view", 20)
    contact = make_contact()
    make_event(contact, occurred_at=days_ago(30))
    scores_recompute(now=NOW)
    score = _score(contact)
    assert score.score == pytest.approx(10.0, abs=1e-6)
    assert score.reasons == [{"rule": rule.pk, "name": "Page view", "points": 10.0}]
    assert score.computed_at == NOW


def test_decay_sums_events_of_different_ages():
    touch_rule("Meeting", 40, kind=TouchKind.MEETING)
    contact = make_contact()
    make_event(contact, TouchKind.MEETING, NOW)
    make_event(contact, TouchKind.MEETING, days_ago(60))
    make_event(contact, TouchKind.MEETING, days_ago(15))
    scores_recompute(now=NOW)
    assert _score(contact).score == pytest.approx(40 + 10 + 40 * 0.5 ** 0.5, abs=1e-6)


def test_half_life_setting_changes_the_decay():
    ScoringSettings.objects.update_or_create(pk=1, defaults={"half_life_days": 10})
    touch_rule("Page view", 16)
    contact = make_contact()
    make_event(contact, occurred_at=days_ago(20))
    scores_recompute(now=NOW)
    assert _score(contact).score == pytest.approx(4.0, abs=1e-6)


def test_events_outside_the_window_or_in_the_future_do_not_count():
    touch_rule("Page view", 100)
    old, future = make_contact(), make_contact()
    make_event(old, occurred_at=days_ago(121))  # beyond 4 half-lives of 30 days
    make_event(future, occurred_at=days_ago(-1))
    result = scores_recompute(now=NOW)
    assert result.scored == 0
    assert not ContactScore.objects.exists()


def test_url_contains_rule_matches_ignoring_case_and_adds_to_kind_rule():
    touch_rule("Any page", 1)
    pricing = touch_rule("Pricing page", 20, url_contains="/pricing")
    visitor, other = make_contact(), make_contact()
    make_event(visitor, occurred_at=NOW, url="https://ex.jp/PRICING/plans")
    make_event(other, occurred_at=NOW, url="https://ex.jp/case-studies")
    scores_recompute(now=NOW)
    assert _score(visitor).score == pytest.approx(21.0)
    assert _score(visitor).top_reasons[0] == {"rule": pricing.pk, "name": "Pricing page", "points": 20.0}
    assert _score(other).score == pytest.approx(1.0)


def test_url_fragment_with_like_wildcards_is_matched_literally():
    touch_rule("Percent", 5, url_contains="a%b")
    literal, wildcard = make_contact(), make_contact()
    make_event(literal, occurred_at=NOW, url="/x/a%b")
    make_event(wildcard, occurred_at=NOW, url="/x/aXXb")
    scores_recompute(now=NOW)
    assert _score(literal).score == pytest.approx(5.0)
    assert not ContactScore.objects.filter(contact=wildcard).exists()


def test_bot_events_and_inactive_rules_are_ignored():
    touch_rule("Click", 10, kind=TouchKind.EMAIL_CLICK)
    inactive = touch_rule("Open", 10, kind=TouchKind.EMAIL_OPEN)
    inactive.is_active = False
    inactive.save()
    contact = make_contact()
    make_event(contact, TouchKind.EMAIL_CLICK, NOW, bot=True)
    make_event(contact, TouchKind.EMAIL_CLICK, NOW)
    make_event(contact, TouchKind.EMAIL_OPEN, NOW)
    scores_recompute(now=NOW)
    assert _score(contact).score == pytest.approx(10.0)


def test_attribute_rules():
    attribute_rule("Decision maker", 15, "is_decision_maker")
    attribute_rule("Former customer", 7, "status", value=ContactStatus.FORMER_CUSTOMER)
    attribute_rule("Big company", 5, "employees_at_least", min_employees=300)
    attribute_rule("VIP", 3, "tag", value="vip")
    big = Company.objects.create(name="大手", employee_count=300)
    small = Company.objects.create(name="小規模", employee_count=299)
    everything = make_contact(is_decision_maker=True, status=ContactStatus.FORMER_CUSTOMER, company=big)
    everything.tags.add(Tag.objects.create(name="vip"))
    nothing = make_contact(status=ContactStatus.LEAD, company=small)
    scores_recompute(now=NOW)
    score = _score(everything)
    assert score.score == pytest.approx(30.0)
    assert [reason["points"] for reason in score.top_reasons] == [15.0, 7.0, 5.0]  # top three only
    assert not ContactScore.objects.filter(contact=nothing).exists()


def test_threshold_makes_hot_leads():
    ScoringSettings.objects.update_or_create(pk=1, defaults={"hot_threshold": 20})
    touch_rule("Meeting", 20, kind=TouchKind.MEETING)
    hot, warm = make_contact(), make_contact()
    make_event(hot, TouchKind.MEETING, NOW)
    make_event(warm, TouchKind.MEETING, days_ago(1))
    result = scores_recompute(now=NOW)
    assert (result.scored, result.hot) == (2, 1)
    assert _score(hot).is_hot is True
    assert _score(warm).is_hot is False


def test_hot_rule_tree_must_also_match():
    rule = DormancyRule.objects.create(
        name="No sales touch", slug="no-sales-touch", inactivity_days=180,
        touch_kinds=[TouchKind.MEETING, TouchKind.CALL], conditions={"match": "any", "items": []}, scope=[],
    )
    ScoringSettings.objects.update_or_create(pk=1, defaults={"hot_threshold": 10, "hot_rule": {
        "op": "and", "items": [
            {"type": "dormancy", "rule": rule.slug},
            {"type": "behaviour", "did": True, "kind": TouchKind.PAGE_VIEW, "url_contains": "/pricing",
             "min_count": 1, "within_days": 7},
        ]}})
    touch_rule("Pricing", 30, kind=TouchKind.PAGE_VIEW, url_contains="/pricing")
    touch_rule("Meeting", 30, kind=TouchKind.MEETING)
    # No meeting or call for 180 days, yet back on the pricing page.
    dormant = make_contact(acquired_at=days_ago(400).date())
    active = make_contact(acquired_at=days_ago(400).date())
    make_event(dormant, TouchKind.PAGE_VIEW, days_ago(2), url="/pricing")
    make_event(active, TouchKind.PAGE_VIEW, days_ago(2), url="/pricing")
    make_event(active, TouchKind.MEETING, days_ago(3))
    touch_summaries_refresh(contact_ids=[dormant.pk, active.pk])
    result = scores_recompute(now=NOW)
    assert result.hot == 1
    assert _score(dormant).is_hot is True
    assert _score(active).is_hot is False
    assert _score(active).score > _score(dormant).score


def test_recompute_is_idempotent_and_drops_contacts_that_no_longer_score():
    rule = touch_rule("Page view", 10)
    contact = make_contact()
    make_event(contact, occurred_at=NOW)
    scores_recompute(now=NOW)
    first = list(ContactScore.objects.values())
    scores_recompute(now=NOW)
    assert list(ContactScore.objects.values()) == first
    rule.delete()
    result = scores_recompute(now=NOW)
    assert result.scored == 0
    assert not ContactScore.objects.exists()


def _add_scored_contacts(number):
    for _ in range(number):
        make_event(make_contact(is_decision_maker=True), occurred_at=days_ago(1))


def _recompute_queries():
    with CaptureQueriesContext(connection) as captured:
        result = scores_recompute(now=NOW)
    return len(captured), result.scored


def test_recompute_runs_the_same_number_of_queries_for_5_and_50_contacts():
    touch_rule("Page view", 10)
    attribute_rule("Decision maker", 5, "is_decision_maker")
    ScoringSettings.load()
    _add_scored_contacts(5)
    few = _recompute_queries()
    _add_scored_contacts(45)
    many = _recompute_queries()
    assert few[1] == 5 and many[1] == 50
    assert few[0] == many[0] <= 9  # incl. the first-scoring (baseline) check


def test_incremental_update_equals_full_recompute():
    ScoringSettings.objects.update_or_create(pk=1, defaults={"hot_threshold": 15})
    touch_rule("Page view", 10)
    touch_rule("Pricing", 20, url_contains="pricing")
    attribute_rule("Decision maker", 5, "is_decision_maker")
    contact, bystander = make_contact(is_decision_maker=True), make_contact()
    make_event(contact, occurred_at=days_ago(12), url="/pricing")
    make_event(bystander, occurred_at=days_ago(1))
    scores_recompute(now=NOW)
    make_event(contact, occurred_at=days_ago(1))
    bystander_before = ContactScore.objects.filter(contact=bystander).values().get()

    incremental = score_apply_event(contact_id=contact.pk, now=NOW)
    assert ContactScore.objects.filter(contact=bystander).values().get() == bystander_before
    scores_recompute(now=NOW)
    full = _score(contact)
    assert (incremental.score, incremental.is_hot, incremental.top_reasons) == (
        pytest.approx(full.score, abs=1e-9), full.is_hot, full.top_reasons)
    assert full.is_hot is True


def test_incremental_update_removes_a_score_that_fell_to_nothing():
    rule = touch_rule("Page view", 10)
    contact = make_contact()
    make_event(contact, occurred_at=NOW)
    scores_recompute(now=NOW)
    rule.delete()
    assert score_apply_event(contact_id=contact.pk, now=NOW) is None
    assert not ContactScore.objects.exists()
