"""seed_demo's activity: campaigns, deliveries, touches, rescue choices and alerts that make the reports speak."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Exists, F, OuterRef, Q

from alerts.models import Alert, AlertStatus, Reactivation
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Enrollment,
    RescueChoice,
    SkipReason,
)
from contacts.consent import legal_basis_q
from contacts.models import ConsentState, Contact, ContactTouchSummary, Contract, ContractStatus, TouchEvent
from contacts.rules import workspace_today, workspace_tz
from reports import dashboard
from reports.campaign_answers import campaign_answers_recompute
from reports.demo import demo_activity_seed
from reports.forms_reports import DateRange
from reports.reports_campaign import campaign_funnel, campaign_holdout
from reports.reports_rescue import rescue_report

pytestmark = pytest.mark.django_db
SIZE = 300
MODELS = (Campaign, Delivery, Enrollment, TouchEvent, RescueChoice, Contract, Alert, Reactivation)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def seed(snapshot_days=0):
    """A small seed, as `make run` calls it (the activity comes with it); returns the command's output."""
    out = StringIO()
    call_command("seed_demo", contacts=SIZE, seed=3, snapshot_days=snapshot_days, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded():
    return seed()


def last_90_days():
    today = workspace_today()
    return DateRange(start=today - timedelta(days=89), end=today)


def campaign(kind):
    return Campaign.objects.get(kind=kind)


def test_seed_demo_adds_the_activity_and_a_second_run_changes_nothing(seeded):
    before = counts()

    assert demo_activity_seed(seed=3) is None
    again = StringIO()
    call_command("seed_demo_activity", seed=3, stdout=again)

    assert "demo activity created" in seeded
    assert "demo activity already present" in again.getvalue()
    assert counts() == before
    assert {c.kind: c.status for c in Campaign.objects.all()} == {
        CampaignKind.BROADCAST: CampaignStatus.FINISHED, CampaignKind.SEQUENCE: CampaignStatus.RUNNING,
        CampaignKind.PLAYBOOK: CampaignStatus.RUNNING}
    assert all(not c.sender.missing() for c in Campaign.objects.select_related("sender"))


def test_broadcast_funnel_narrows_and_mailing_beats_the_holdout(seeded):
    broadcast = campaign(CampaignKind.BROADCAST)
    funnel, suppressions = campaign_funnel(broadcast, last_90_days())
    comparison = campaign_holdout(broadcast, last_90_days())
    totals = funnel.sum(numeric_only=True)

    assert set(funnel.iloc[:, 1]) == {"A", "B"}
    values = totals.tolist()
    targeted, held, suppressed, sent, failed, waiting, opened, clicked = values[:8]
    assert targeted == held + suppressed + sent + failed + waiting
    assert sent > 0 and held > 0 and suppressed > 0
    assert sent >= opened >= clicked > 0
    assert suppressions.iloc[:, 3].sum() == suppressed
    assert comparison.mailed > comparison.holdout > 0
    assert comparison.mailed_rate > comparison.holdout_rate
    assert comparison.mailed_reactivated > 0


def test_rescue_report_has_choices_renewals_and_lapses(seeded):
    report = rescue_report(campaign(CampaignKind.PLAYBOOK), last_90_days(), today=workspace_today())
    totals = list(report["totals"].values())

    contracts, chosen, renewed, lapsed = totals[0], totals[1], totals[2], totals[3]
    assert contracts > 0 and renewed > 0 and lapsed > 0
    assert contracts >= renewed + lapsed
    assert RescueChoice.objects.values("option").distinct().count() >= 2
    assert chosen == RescueChoice.objects.filter(
        Exists(Enrollment.objects.filter(contract=OuterRef("contract"), timeline__lapse_date__gte=last_90_days().start,
                                         timeline__lapse_date__lte=last_90_days().end))).count()
    # Renewed as an import records it: status renewed with its next term, or a lapse date moved later.
    assert Contract.objects.filter(status=ContractStatus.RENEWED, timelines__isnull=False).exists()


def test_choices_stop_their_timeline_and_happen_before_the_deadline(seeded):
    choices = RescueChoice.objects.select_related("contract")

    assert choices.exists()
    for choice in choices:
        enrollment = Enrollment.objects.get(campaign=choice.campaign, contract=choice.contract)
        assert enrollment.status == "exited" and enrollment.exit_reason == "option_chosen"
        assert choice.chosen_at.astimezone(workspace_tz()).date() <= enrollment.timeline.lapse_date - timedelta(days=3)


def test_dashboard_has_funnels_and_alert_response_per_rep():
    seed(snapshot_days=90)  # the snapshot backfill runs after the activity, so the funnels include it
    today = workspace_today()

    funnels = dashboard.campaign_funnels(today=today)
    responses = dashboard.alert_response_by_rep(today=today)

    assert {row["name"] for row in funnels} >= {campaign(CampaignKind.BROADCAST).name}
    assert all(row["sent"] >= row["opened"] >= row["clicked"] for row in funnels)
    assert responses and all(row["claimed"] > 0 and row["avg_minutes"] is not None for row in responses)
    assert dashboard.rescue_rate(today=today)["total"] >= 0


def test_alerts_are_open_claimed_and_done_with_outcomes(seeded):
    statuses = dict(Alert.objects.values_list("status").annotate(n=Count("id")))
    done = Alert.objects.filter(status=AlertStatus.DONE)

    assert statuses.get(AlertStatus.OPEN, 0) > 0 and statuses.get(AlertStatus.DONE, 0) > 0
    assert not done.filter(Q(claimed_at__isnull=True) | Q(claimed_at__gt=F("done_at"))).exists()
    assert not Alert.objects.filter(claimed_at__lt=F("fired_at")).exists()
    assert done.values("outcome").distinct().count() >= 3
    assert Reactivation.objects.count() == done.filter(outcome="meeting_booked").count()
    assert not Alert.objects.filter(context={}).exists()


def test_no_bot_flagged_touch_counts_as_a_touch(seeded):
    bots = TouchEvent.objects.filter(flagged_as_bot=True, source="tracking")
    latest_counted = TouchEvent.objects.filter(contact=OuterRef("pk"), flagged_as_bot=False).order_by("-occurred_at")

    assert bots.exists()
    assert not Contact.objects.filter(Exists(bots.filter(contact=OuterRef("pk"), occurred_at=OuterRef(
        "last_touch_at"))) & ~Exists(latest_counted.filter(occurred_at=OuterRef("last_touch_at")))).exists()
    mismatched = Contact.objects.exclude(last_touch_at=None).exclude(
        Exists(latest_counted.filter(occurred_at=OuterRef("last_touch_at"))))
    assert mismatched.count() == 0
    assert not ContactTouchSummary.objects.filter(Exists(bots.filter(
        contact=OuterRef("contact"), kind=OuterRef("kind"), occurred_at=OuterRef("last_at")))).exclude(
        Exists(TouchEvent.objects.filter(contact=OuterRef("contact"), kind=OuterRef("kind"), flagged_as_bot=False,
                                         occurred_at=OuterRef("last_at")))).exists()


def test_every_mailed_contact_had_a_legal_basis(seeded):
    mailed = Delivery.objects.filter(status__in=[DeliveryStatus.SENT, DeliveryStatus.FAILED])
    # A contact may have unsubscribed after the mail (consent opted out later, with its time as evidence).
    lawful = legal_basis_q("contact__") | Q(contact__consent=ConsentState.OPTED_OUT,
                                            contact__consent_at__gt=F("sent_at"))
    lawful_failed = legal_basis_q("contact__")

    assert mailed.filter(status=DeliveryStatus.SENT).exists()
    assert not mailed.filter(status=DeliveryStatus.SENT).exclude(lawful).exists()
    assert not mailed.filter(status=DeliveryStatus.FAILED).exclude(lawful_failed).exists()
    assert Delivery.objects.filter(status=DeliveryStatus.SUPPRESSED, reason=SkipReason.NO_CONSENT).exists()
    assert not Delivery.objects.filter(status=DeliveryStatus.SUPPRESSED, reason="").exists()


def test_the_touch_that_entered_a_sequence_is_not_a_return():
    from datetime import date

    from . import report_data as data

    sequence = data.campaign("sequence", name="Pricing follow-up", holdout=0)
    data.step(sequence, name="First mail")
    entered, came_back = data.contact("entered@example.jp"), data.contact("back@example.jp")
    for person in (entered, came_back):
        Enrollment.objects.create(campaign=sequence, contact=person, entered_at=data.T)
        data.touch(person, "page_view", data.T)  # the pricing view that entered it
    data.touch(came_back, "page_view", data.T + timedelta(days=3))
    campaign_answers_recompute(campaign_id=sequence.pk)  # written past the receivers: the stored answers once

    comparison = campaign_holdout(sequence, DateRange(date(2026, 2, 1), date(2026, 3, 31)))

    assert (comparison.mailed, comparison.mailed_reactivated) == (2, 1)
