"""Daily snapshots: hand-computed figures on a small fixed dataset, bots excluded, day bounds in Tokyo, idempotent."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alerts.models import Alert, AlertStatus, Outcome, Trigger, TriggerKind
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStep,
    Delivery,
    DeliveryStatus,
    SenderProfile,
    Suppression,
    SuppressionReason,
)
from contacts.models import Contact, ContactStatus, Contract, ContractStatus, TouchKind
from contacts.rules import workspace_today
from contacts.services import touch_event_record
from dormancy.models import DormancyRule
from reports.models import AlertResponseDay, CampaignFunnelDay, DormancyDay
from reports.snapshots import (
    backfill_snapshots_compute,
    daily_snapshots_compute,
    day_snapshot_compute,
    missing_days,
)
from reports.tasks import daily_snapshots_compute as daily_snapshots_task

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = date(2026, 6, 15)
DAY = date(2026, 6, 10)  # the day under test; its day before is 2026-06-09


def at(day, hour=12, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO)


def contact(email, **fields):
    return Contact.objects.create(email=email, acquired_at=date(2025, 1, 1), status=ContactStatus.LEAD, **fields)


def touch(person, day, kind=TouchKind.MEETING, *, hour=12, bot=False):
    touch_event_record(contact=person, kind=kind, occurred_at=at(day, hour), flagged_as_bot=bot)


@pytest.fixture
def quiet_rule(db):
    """Silent 30 days, any touch, no conditions: the only active rule (the shipped default is switched off)."""
    DormancyRule.objects.filter(slug="default").update(is_active=False)
    return DormancyRule.objects.create(name="Quiet 30 days", slug="quiet-30", inactivity_days=30,
                                       touch_kinds=list(TouchKind.values), conditions={"match": "any", "items": []},
                                       scope=[])


@pytest.fixture
def silences(quiet_rule):
    # On DAY a contact is dormant when its last touch is on or before 2026-05-11; the day before, 2026-05-10.
    a = contact("a@example.jp")
    touch(a, date(2026, 5, 11))  # turns dormant on DAY
    b = contact("b@example.jp")
    touch(b, date(2026, 4, 1))  # dormant on both days
    c = contact("c@example.jp")
    touch(c, date(2026, 4, 1))
    touch(c, DAY, TouchKind.PAGE_VIEW)  # came back on DAY
    e = contact("e@example.jp")
    touch(e, date(2026, 4, 1))
    touch(e, DAY, TouchKind.PAGE_VIEW, bot=True)  # a bot's visit wakes nobody
    f = contact("f@example.jp")
    touch(f, date(2026, 6, 1))  # never dormant
    g = contact("g@example.jp")
    touch(g, date(2026, 4, 20))
    touch(g, date(2026, 6, 12))  # after DAY: replaying DAY must not see it
    return {"a": a, "b": b, "c": c, "e": e, "f": f, "g": g}


def test_dormancy_counts_members_newcomers_and_returns_of_a_past_day(silences, quiet_rule):
    written = day_snapshot_compute(day=DAY, today=TODAY)

    row = DormancyDay.objects.get(day=DAY, rule=quiet_rule)
    # dormant: a, b, e, g; newly: a; reactivated: c (e's bot visit does not count, g's later touch is unseen)
    assert (row.dormant, row.newly_dormant, row.reactivated) == (4, 1, 1)
    assert written["dormancy"] == 1
    assert not DormancyDay.objects.filter(rule__slug="default").exists()


def test_dormancy_of_today_reads_the_stored_touches(silences, quiet_rule):
    day_snapshot_compute(day=TODAY, today=TODAY)

    row = DormancyDay.objects.get(day=TODAY, rule=quiet_rule)
    # last touch on or before 2026-05-16: a, b, e (c and g touched since, f on 06-01); same three the day before
    assert (row.dormant, row.newly_dormant, row.reactivated) == (3, 0, 0)


def test_recomputing_a_day_replaces_its_rows(silences, quiet_rule):
    day_snapshot_compute(day=DAY, today=TODAY)
    day_snapshot_compute(day=DAY, today=TODAY)
    assert DormancyDay.objects.filter(day=DAY).count() == 1

    touch(silences["b"], DAY, TouchKind.REPLY)  # b answers on DAY: now a return, no longer dormant
    day_snapshot_compute(day=DAY, today=TODAY)

    row = DormancyDay.objects.get(day=DAY, rule=quiet_rule)
    assert (row.dormant, row.newly_dormant, row.reactivated) == (3, 1, 2)
    assert DormancyDay.objects.filter(day=DAY).count() == 1


# -- funnel -------------------------------------------------------------------

@pytest.fixture
def campaigns(db):
    sender = SenderProfile.objects.create(name="Main", from_name="営業部", from_email="sales@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    made = {}
    for name, kind in (("Autumn win-back", CampaignKind.BROADCAST), ("Renewal rescue", CampaignKind.PLAYBOOK)):
        campaign = Campaign.objects.create(name=name, kind=kind, sender=sender)
        made[name] = CampaignStep.objects.create(campaign=campaign, position=1)
    return made


def deliver(step, person, sent_at, *, status=DeliveryStatus.SENT, contract=None, occurrence=0):
    return Delivery.objects.create(step=step, contact=person, contract=contract, status=status, scheduled_at=sent_at,
                                   occurrence=occurrence,
                                   sent_at=sent_at if status == DeliveryStatus.SENT else None,
                                   token=f"t{Delivery.objects.count()}-{person.pk}", to_email=person.email)


def test_funnel_counts_each_stage_per_campaign_from_human_touches_in_the_window(campaigns, rep):
    winback, rescue = campaigns["Autumn win-back"], campaigns["Renewal rescue"]
    a, b, c, e, f, g = (contact(f"{n}@example.jp") for n in "abcefg")
    for person in (a, b, c, e, f):
        deliver(winback, person, at(DAY, 10))
    Suppression.objects.create(email=a.email, reason=SuppressionReason.BOUNCED)  # bounced after the send
    touch(b, DAY, TouchKind.EMAIL_OPEN, hour=12)
    touch(c, DAY + timedelta(days=1), TouchKind.EMAIL_CLICK)  # a click proves the open too
    touch(c, DAY + timedelta(days=2), TouchKind.PAGE_VIEW)
    touch(c, DAY + timedelta(days=3), TouchKind.MEETING)
    touch(e, DAY, TouchKind.EMAIL_OPEN, hour=11, bot=True)
    touch(e, DAY, TouchKind.EMAIL_CLICK, hour=11, bot=True)
    touch(e, DAY, TouchKind.PAGE_VIEW, hour=11, bot=True)
    touch(f, DAY + timedelta(days=8), TouchKind.EMAIL_OPEN)  # outside the 7-day window
    trigger = Trigger.objects.create(name="Came back", kind=TriggerKind.DORMANT_RETURN)
    Alert.objects.create(trigger=trigger, contact=f, fired_at=at(DAY, 11), status=AlertStatus.DONE, assignee=rep,
                         outcome=Outcome.MEETING_BOOKED, done_at=at(DAY + timedelta(days=1)))
    touch(b, DAY, TouchKind.MEETING, hour=9)  # before the send: not the mail's doing
    deliver(winback, g, at(DAY + timedelta(days=1), 0, 30))  # 00:30 Tokyo on the next day: the next day's
    deliver(winback, g, at(DAY, 23, 30), status=DeliveryStatus.FAILED, occurrence=1)
    renewed = Contract.objects.create(contact=g, external_id="K-1", expires_at=DAY + timedelta(days=20),
                                      status=ContractStatus.RENEWED)
    deliver(rescue, g, at(DAY, 9), contract=renewed)
    deliver(rescue, b, at(DAY - timedelta(days=1), 9))  # the day before

    day_snapshot_compute(day=DAY, today=TODAY)

    rows = {row.campaign.name: (row.sent, row.delivered, row.opened, row.clicked, row.revisited, row.meetings,
                                row.renewals)
            for row in CampaignFunnelDay.objects.filter(day=DAY).select_related("campaign")}
    assert rows == {"Autumn win-back": (5, 4, 2, 1, 1, 2, 0), "Renewal rescue": (1, 1, 0, 0, 0, 0, 1)}
    assert list(CampaignFunnelDay.objects.filter(day=DAY + timedelta(days=1))) == []  # not computed yet


def test_daily_run_refreshes_the_funnel_of_days_still_in_their_window(campaigns):
    winback = campaigns["Autumn win-back"]
    person = contact("late@example.jp")
    sent_day = TODAY - timedelta(days=5)
    deliver(winback, person, at(sent_day, 10))
    daily_snapshots_compute(today=TODAY, fill_seconds=0)
    assert CampaignFunnelDay.objects.get(day=sent_day).opened == 0

    touch(person, TODAY, TouchKind.EMAIL_OPEN)
    daily_snapshots_compute(today=TODAY, fill_seconds=0)

    assert CampaignFunnelDay.objects.get(day=sent_day).opened == 1
    assert set(DormancyDay.objects.values_list("day", flat=True)) == {TODAY - timedelta(days=1), TODAY}


# -- alert response -----------------------------------------------------------

def test_alert_response_sums_waits_per_rep_by_claim_day(rep, other_rep):
    trigger = Trigger.objects.create(name="Pricing", kind=TriggerKind.PAGE_VIEW)
    person = contact("p@example.jp")

    def alert(fired, claimed, assignee):
        Alert.objects.create(trigger=trigger, contact=person, fired_at=fired, claimed_at=claimed, assignee=assignee,
                             status=AlertStatus.CLAIMED if claimed else AlertStatus.OPEN)

    alert(at(DAY, 9), at(DAY, 9, 30), rep)  # 30 min
    alert(at(DAY - timedelta(days=1), 20), at(DAY, 10), rep)  # 14 h, claimed on DAY
    alert(at(DAY, 11), at(DAY, 11, 45), other_rep)  # 45 min
    alert(at(DAY, 22), at(DAY + timedelta(days=1), 1), other_rep)  # claimed the next day
    alert(at(DAY, 13), None, other_rep)  # never claimed

    day_snapshot_compute(day=DAY, today=TODAY)

    rows = {row.rep_id: (row.claimed, round(row.total_seconds), row.within_hour)
            for row in AlertResponseDay.objects.filter(day=DAY)}
    assert rows == {rep.pk: (2, 1800 + 50400, 1), other_rep.pk: (1, 2700, 1)}


def test_backfill_command_writes_one_row_per_rule_and_day(silences, quiet_rule, capsys):
    backfill_snapshots_compute(days=3, today=TODAY)
    assert sorted(DormancyDay.objects.values_list("day", flat=True)) == [TODAY - timedelta(days=n) for n in (2, 1, 0)]

    call_command("reports_snapshot", "--day", DAY.isoformat())

    assert DormancyDay.objects.get(day=DAY, rule=quiet_rule).dormant == 4
    assert f"{DAY.isoformat()} dormancy=1 funnel=0 alerts=0" in capsys.readouterr().out


def test_seed_demo_backfills_the_default_report_range_and_the_day_before(capsys):
    call_command("seed_demo", contacts=150, seed=2)

    rule = DormancyRule.objects.get(slug="default")
    days = sorted(DormancyDay.objects.filter(rule=rule).values_list("day", flat=True))
    assert len(days) == 91 and (days[-1] - days[0]).days == 90
    assert "dashboard snapshots backfilled for 91 days" in capsys.readouterr().out


def test_the_beat_task_recomputes_yesterday_and_today(quiet_rule, settings):
    settings.REPORTS_SNAPSHOT_FILL_SECONDS = 0
    result = daily_snapshots_task.apply().get()

    today = workspace_today()
    assert sorted(result) == [(today - timedelta(days=1)).isoformat(), today.isoformat()]
    assert DormancyDay.objects.filter(rule=quiet_rule).count() == 2


def test_the_beat_task_fills_the_days_missing_from_the_default_report_range(silences, quiet_rule, settings):
    settings.REPORTS_SNAPSHOT_FILL_SECONDS = 60
    kept = TODAY - timedelta(days=30)
    day_snapshot_compute(day=kept, today=TODAY)
    before = DormancyDay.objects.get(day=kept, rule=quiet_rule).computed_at
    stale = TODAY - timedelta(days=40)  # stored before per-owner snapshots: computed again
    day_snapshot_compute(day=stale, today=TODAY)
    DormancyDay.objects.filter(day=stale).update(details_stored=False)

    written = daily_snapshots_compute(today=TODAY, now=before + timedelta(hours=1))

    days = sorted(DormancyDay.objects.filter(rule=quiet_rule).values_list("day", flat=True))
    assert days == [TODAY - timedelta(days=n) for n in range(90, -1, -1)]  # the 90-day range and the day before
    assert kept not in written and stale in written
    assert DormancyDay.objects.get(day=kept, rule=quiet_rule).computed_at == before
    assert DormancyDay.objects.get(day=stale, rule=quiet_rule).details_stored
    assert missing_days(today=TODAY) == []
    # Newest first: a budget that runs out leaves the oldest days for the next run.
    DormancyDay.objects.filter(day__lt=TODAY - timedelta(days=1)).delete()
    assert missing_days(today=TODAY)[:2] == [TODAY - timedelta(days=2), TODAY - timedelta(days=3)]
    assert len(daily_snapshots_compute(today=TODAY, fill_seconds=0)) == 2


def test_a_new_rule_gets_its_missing_days_filled(silences, quiet_rule):
    backfill_snapshots_compute(days=91, today=TODAY)
    assert missing_days(today=TODAY) == []
    DormancyRule.objects.create(name="Quiet 30 days", slug="quiet30", inactivity_days=30,
                                touch_kinds=list(quiet_rule.touch_kinds), conditions={"match": "any", "items": []},
                                scope=[])
    assert len(missing_days(today=TODAY)) == 89


def test_command_refuses_a_day_in_the_future():
    with pytest.raises(CommandError, match="in the future"):
        call_command("reports_snapshot", "--day", "2999-01-01")
    assert not DormancyDay.objects.exists()
