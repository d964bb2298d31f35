"""The dashboard in headless chromium with demo data and 90 days of snapshots: every chart draws, a screenshot kept."""
import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from accounts.roles import Role
from alerts.models import Alert, AlertStatus, Outcome, Trigger, TriggerKind
from campaigns.models import Campaign, CampaignKind, CampaignStep, Delivery, DeliveryStatus, SenderProfile
from contacts.demo import demo_data_seed
from contacts.models import Contact, TouchEvent, TouchKind, TouchSource
from contacts.rules import workspace_today
from contacts.services import touch_summaries_rebuild_all
from dormancy.models import DormancyRule
from reports.snapshots import backfill_snapshots_compute
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHARTS = ("chart-dormancy", "chart-moves", "chart-funnel", "chart-pipeline", "chart-response")


def _workspace():
    """Demo contacts, two dormancy rules, three campaigns with opens and clicks (some by bots), claimed alerts."""
    for role in Role.values:  # a transactional test flushed what the migrations made
        Group.objects.get_or_create(name=role)
    demo_data_seed(contacts=400, seed=3)
    kinds = list(TouchKind.values)
    DormancyRule.objects.update_or_create(slug="default", defaults={
        "name": "Silent 180 days, lost or stalled", "inactivity_days": 180, "touch_kinds": kinds, "scope": [],
        "is_active": True,
        "conditions": {"match": "any", "items": [{"type": "lost"}, {"type": "deal_stage_unchanged_days", "days": 90}]}})
    DormancyRule.objects.create(name="Fast cycle: silent 90 days", slug="fast-90", inactivity_days=90,
                                touch_kinds=kinds, conditions={"match": "any", "items": []}, scope=[])
    rng = random.Random(7)
    now = timezone.now()
    contacts = list(Contact.objects.order_by("id"))
    sender = SenderProfile.objects.create(name="Main", from_name="Rekindle 営業部", from_email="sales@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    deliveries, events = [], []
    for name, kind, size, opens in [("Autumn win-back 2026", CampaignKind.BROADCAST, 220, .45),
                                    ("Renewal rescue Q4", CampaignKind.PLAYBOOK, 90, .6),
                                    ("Webinar invitation: DX for SMEs", CampaignKind.SEQUENCE, 160, .3)]:
        campaign = Campaign.objects.create(name=name, kind=kind, sender=sender)
        step = CampaignStep.objects.create(campaign=campaign, position=1)
        for person in rng.sample(contacts, size):
            sent = now - timedelta(days=rng.randint(2, 80), hours=rng.randint(0, 8))
            deliveries.append(Delivery(step=step, contact=person, status=DeliveryStatus.SENT, scheduled_at=sent,
                                       sent_at=sent, token=f"{step.pk}-{person.pk}", to_email=person.email))
            funnel = [(TouchKind.EMAIL_OPEN, opens), (TouchKind.EMAIL_CLICK, .4), (TouchKind.PAGE_VIEW, .6),
                      (TouchKind.MEETING, .3)]
            for depth, (touch, chance) in enumerate(funnel):
                if rng.random() > chance:
                    break
                at = sent + timedelta(hours=2 + 20 * depth)
                events.append(TouchEvent(contact=person, kind=touch, occurred_at=at, source=TouchSource.DEMO,
                                         fingerprint=f"demo-{step.pk}-{person.pk}-{touch}"))
            if rng.random() < .2:  # a scanner opening and clicking everything right away
                events.append(TouchEvent(contact=person, kind=TouchKind.EMAIL_CLICK, flagged_as_bot=True,
                                         occurred_at=sent + timedelta(seconds=5), source=TouchSource.DEMO,
                                         fingerprint=f"bot-{step.pk}-{person.pk}"))
    Delivery.objects.bulk_create(deliveries)
    TouchEvent.objects.bulk_create(events)
    touch_summaries_rebuild_all()  # the events above bypassed the service that keeps last touches current
    trigger = Trigger.objects.create(name="Dormant contact came back", kind=TriggerKind.DORMANT_RETURN)
    reps = list(User.objects.filter(groups__name=Role.INSIDE_SALES).order_by("id"))
    for n, person in enumerate(rng.sample(contacts, 60)):
        rep = reps[n % len(reps)]
        fired = now - timedelta(days=rng.randint(0, 25), minutes=rng.randint(0, 600))
        wait = timedelta(minutes=rng.randint(3, 40) * (1 + 3 * (n % len(reps))))
        done = n % 3 == 0
        Alert.objects.create(trigger=trigger, contact=person, fired_at=fired, assignee=rep,
                             claimed_at=fired + wait, status=AlertStatus.DONE if done else AlertStatus.CLAIMED,
                             outcome=Outcome.MEETING_BOOKED if done else "", done_at=fired + wait * 2 if done else None)
    for person in rng.sample(contacts, 5):
        Alert.objects.create(trigger=trigger, contact=person, fired_at=now - timedelta(minutes=rng.randint(5, 90)))
    backfill_snapshots_compute(days=90, today=workspace_today())


def test_dashboard_draws_every_chart_with_demo_data(live_server, page, screenshot):
    _workspace()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def failed(response):
        if response.status >= 400:
            errors.append(f"{response.status} {response.url}")

    page.on("response", failed)

    # The demo marketer: home is the dashboard.
    browser_login(page, live_server, "marketer", "rekindle-demo", language="en")

    assert page.url == f"{live_server.url}/reports/"
    for chart in CHARTS:
        assert page.evaluate(f"Chart.getChart(document.getElementById('{chart}')) !== undefined"), chart
    drawn = page.evaluate("Chart.getChart(document.getElementById('chart-funnel')).data.datasets.length")
    assert drawn == 3
    assert page.locator("#headline-tiles a.card").count() == 9
    assert errors == []
    page.wait_for_timeout(200)
    path = screenshot("reports-1-dashboard")
    assert path.stat().st_size > 50_000
