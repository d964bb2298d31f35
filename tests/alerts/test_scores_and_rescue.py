"""Score crossings and rescue choices become alerts through their signals, after commit."""
from datetime import date

import pytest

from alerts.models import Alert, TriggerKind
from campaigns.models import RescueChoice
from contacts.models import Contract, TouchKind
from scoring.models import ContactScore, RuleKind, ScoringRule, ScoringSettings
from scoring.services import scores_apply, scores_recompute

from .conftest import NOW, make_contact
from .conftest import touch as stored_touch

pytestmark = pytest.mark.django_db


def test_crossing_the_hot_threshold_fires_once_and_staying_hot_fires_nothing(django_capture_on_commit_callbacks):
    settings = ScoringSettings.load()
    settings.hot_threshold = 10
    settings.save()
    ScoringRule.objects.create(name="Pricing", kind=RuleKind.TOUCH, touch_kind=TouchKind.PAGE_VIEW, points=12)
    contact = make_contact(last_touch_days=1)
    stored_touch(contact, url="https://example.jp/docs")
    with django_capture_on_commit_callbacks(execute=True):
        scores_apply(contact_ids=[contact.pk], now=NOW)
    score = ContactScore.objects.get(contact=contact)
    assert score.is_hot
    [alert] = Alert.objects.filter(contact=contact, trigger__kind=TriggerKind.HOT_SCORE)
    assert alert.context["why"] == {"kind": "hot_score", "score": round(score.score, 1), "threshold": 10.0}
    assert score.score >= 12
    with django_capture_on_commit_callbacks(execute=True):
        scores_apply(contact_ids=[contact.pk], now=NOW)
    assert Alert.objects.filter(contact=contact, trigger__kind=TriggerKind.HOT_SCORE).count() == 1


def test_the_first_scoring_of_a_workspace_is_a_baseline_and_later_crossings_alert(django_capture_on_commit_callbacks):
    settings = ScoringSettings.load()
    settings.hot_threshold = 10
    settings.save()
    ScoringRule.objects.create(name="Pricing", kind=RuleKind.TOUCH, touch_kind=TouchKind.PAGE_VIEW, points=12)
    already = make_contact(last_touch_days=1)
    stored_touch(already, url="https://example.jp/docs")
    with django_capture_on_commit_callbacks(execute=True):
        scores_recompute(now=NOW)  # an import's or a demo's first scoring: hot before anyone watched
    assert ContactScore.objects.get(contact=already).is_hot
    assert not Alert.objects.filter(trigger__kind=TriggerKind.HOT_SCORE).exists()

    later = make_contact(last_touch_days=1)
    stored_touch(later, url="https://example.jp/docs")
    with django_capture_on_commit_callbacks(execute=True):
        scores_recompute(now=NOW)  # scores exist now: a crossing is news
    assert list(Alert.objects.filter(trigger__kind=TriggerKind.HOT_SCORE).values_list("contact", flat=True)) == [
        later.pk]


def test_a_rescue_choice_fires_an_alert_with_the_option_and_contract(django_capture_on_commit_callbacks):
    from campaigns.models import SenderProfile
    from tests.campaigns.flows.conftest import playbook

    sender = SenderProfile.objects.create(name="Main", from_name="R", from_email="s@example.jp",
                                          postal_address="東京都", inquiry_contact="03")
    from campaigns.models import MessageTemplate

    template = MessageTemplate.objects.create(name="T", subject="S", body_text="B")
    campaign = playbook(sender, template, start=None)
    contact = make_contact(last_touch_days=1)
    contract = Contract.objects.create(contact=contact, external_id="K-9", plan="Pro", expires_at=date(2026, 7, 1))
    with django_capture_on_commit_callbacks(execute=True):
        RescueChoice.objects.create(campaign=campaign, contract=contract, contact=contact,
                                    option=campaign.rescue_options.order_by("position").first(), chosen_at=NOW)
    [alert] = Alert.objects.filter(contact=contact, trigger__kind=TriggerKind.RESCUE_CHOICE)
    assert alert.context["why"]["option"] == "Renew"
    assert alert.context["why"]["contract"] == "K-9"
    assert alert.context["contracts"] == [{"id": "K-9", "plan": "Pro", "expires_at": "2026-07-01", "status": "active"}]
