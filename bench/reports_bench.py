"""Reports benchmark: p50/p95 of each report (campaign, rescue, dormancy) for a 90-day range.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle_bench \\
        .venv/bin/python bench/reports_bench.py [--runs 10] [--days 90] [--today YYYY-MM-DD] \\
        [--synthesize 200000] [--rule default]

Read-only: the reports run inside a transaction that is rolled back (READ
ONLY on PostgreSQL unless --synthesize). It reports on the campaign and the
playbook with the most rows in the database; seed_demo makes contacts,
events and contracts but no campaigns, so --synthesize N (PostgreSQL)
first writes, inside that same rolled-back transaction, a broadcast to N
contacts (10 % holdout, A/B) due 45 days ago and a playbook over up to N
contracts lapsing in the range (two mails each, a choice for one in ten),
with set-based INSERT … SELECT. Nothing is left behind. The campaign
report reads its stored answers (reports.campaign_answers): --synthesize
writes them with the recompute the nightly reconcile runs and times it,
and times the touch receiver on a drain-sized batch of new events.

It prints, per report, p50/p95 of the app's call (queries, pandas shaping),
the work a page or an export does. It asserts nothing.
"""
import argparse
import os
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.measure import timed  # noqa: E402
from campaigns.models import Campaign, CampaignKind, CampaignStep, Delivery, PlaybookTimeline  # noqa: E402
from contacts.models import Contact, TouchEvent  # noqa: E402
from contacts.rules import workspace_today  # noqa: E402
from contacts.signals import StoredTouch  # noqa: E402
from reports import campaign_answers, reports_campaign, reports_dormancy, reports_rescue  # noqa: E402
from reports.forms_reports import DateRange  # noqa: E402


class Rollback(Exception):
    pass


def _synthesize(count, date_range):
    from campaigns.models import FlowSettings, RescueOption, SenderProfile

    sender = SenderProfile.objects.create(name="bench", from_name="Bench", from_email="bench@example.jp",
                                          postal_address="-", inquiry_contact="-")
    broadcast = Campaign.objects.create(name="bench broadcast", kind=CampaignKind.BROADCAST, status="finished",
                                        sender=sender, holdout_percent=10)
    step = CampaignStep.objects.create(campaign=broadcast, position=1)
    playbook = Campaign.objects.create(name="bench playbook", kind=CampaignKind.PLAYBOOK, status="running",
                                       sender=sender)
    FlowSettings.objects.create(campaign=playbook)
    steps = [CampaignStep.objects.create(campaign=playbook, position=i, phase=phase, offset_days=offset)
             for i, (phase, offset) in enumerate([("pre_notice", -60), ("notice", -30), ("final", -7),
                                                  ("after_lapse", 7)], start=1)]
    options = [RescueOption.objects.create(campaign=playbook, position=i, kind=kind, label=kind)
               for i, kind in enumerate(["renew", "reduced", "extension"], start=1)]
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO campaigns_delivery (step_id, contact_id, contract_id, occurrence, status, reason, variant,
                scheduled_at, lease_until, attempts, last_error, token, message_id, to_email, sent_at, created_at,
                updated_at)
            SELECT %s, id, NULL, 0, CASE WHEN id %% 10 = 0 THEN 'suppressed' ELSE 'sent' END,
                   CASE WHEN id %% 10 = 0 THEN 'holdout' ELSE '' END, CASE WHEN id %% 2 = 0 THEN 'A' ELSE 'B' END,
                   now() - interval '45 days', NULL, 0, '', md5('b' || id), '', email,
                   CASE WHEN id %% 10 = 0 THEN NULL ELSE now() - interval '45 days' END, now(), now()
            FROM contacts_contact ORDER BY id LIMIT %s""", [step.pk, count])
        cursor.execute("""
            INSERT INTO campaigns_enrollment (campaign_id, contact_id, contract_id, cycle, status, exit_reason,
                next_position, next_at, entered_at, updated_at)
            SELECT %s, contact_id, id, 0, 'completed', '', 5, NULL, now() - interval '100 days', now()
            FROM contacts_contract WHERE expires_at BETWEEN %s AND %s ORDER BY id LIMIT %s""",
                       [playbook.pk, date_range.start, date_range.end, count])
        cursor.execute("""
            INSERT INTO campaigns_playbooktimeline (enrollment_id, campaign_id, contract_id, lapse_date, token)
            SELECT e.id, e.campaign_id, e.contract_id, k.expires_at, md5('t' || e.id)
            FROM campaigns_enrollment e JOIN contacts_contract k ON k.id = e.contract_id WHERE e.campaign_id = %s""",
                       [playbook.pk])
        for position in (0, 1):
            cursor.execute("""
                INSERT INTO campaigns_delivery (step_id, contact_id, contract_id, occurrence, status, reason, variant,
                    scheduled_at, lease_until, attempts, last_error, token, message_id, to_email, sent_at, created_at,
                    updated_at)
                SELECT %s, e.contact_id, e.contract_id, 0, 'sent', '', 'A', now() - interval '60 days', NULL, 0, '',
                       md5('p' || %s || e.id), '', '', now() - interval '60 days', now(), now()
                FROM campaigns_enrollment e WHERE e.campaign_id = %s""", [steps[position].pk, position, playbook.pk])
        cursor.execute("""
            INSERT INTO campaigns_rescuechoice (campaign_id, contract_id, contact_id, option_id, chosen_at)
            SELECT %s, e.contract_id, e.contact_id, %s, now() - interval '50 days'
            FROM campaigns_enrollment e WHERE e.campaign_id = %s AND e.id %% 10 = 0""",
                       [playbook.pk, options[0].pk, playbook.pk])
        cursor.execute("ANALYZE campaigns_delivery; ANALYZE campaigns_enrollment; ANALYZE campaigns_playbooktimeline")
    # The campaign report reads stored answers: written here by the recompute the nightly reconcile (and the
    # migration's backfill) runs, then the table analysed again (the UPDATE left a dead version of each row).
    started = time.perf_counter()
    written, _enrollments = campaign_answers.campaign_answers_recompute(campaign_id=broadcast.pk)
    print(f"recompute of a {count:,}-recipient broadcast's stored answers: {time.perf_counter() - started:.2f} s "
          f"({written:,} deliveries written)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE campaigns_delivery")


def _largest(kinds):
    return (Campaign.objects.filter(kind__in=kinds).annotate(n=Count("steps__deliveries")).order_by("-n").first())


def _report(label, call, runs):
    started = time.perf_counter()
    call()
    first = (time.perf_counter() - started) * 1000
    p50, p95 = timed(call, runs)
    print(f"{label:<44} first {first:8.0f} ms  p50 {p50:8.0f} ms  p95 {p95:8.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--synthesize", type=int, default=0)
    parser.add_argument("--rule", default="")
    args = parser.parse_args()
    today = args.today or workspace_today()
    date_range = DateRange(today - timedelta(days=args.days - 1), today)
    postgres = connection.vendor == "postgresql"
    print(f"{connection.vendor} {connection.settings_dict['NAME']}: {Contact.objects.count():,} contacts, "
          f"~{_estimated_events():,} events; range {date_range.start} .. {date_range.end}")
    try:
        with transaction.atomic():
            if postgres and not args.synthesize:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
            if args.synthesize:
                if not postgres:
                    sys.exit("--synthesize needs PostgreSQL")
                started = time.perf_counter()
                _synthesize(args.synthesize, date_range)
                print(f"synthesized campaign data in {time.perf_counter() - started:.1f} s (rolled back at the end)")
            _run(args, date_range, today)
            raise Rollback
    except Rollback:
        pass


def _estimated_events():
    if connection.vendor != "postgresql":
        return TouchEvent.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'contacts_touchevent'")
        return max(0, cursor.fetchone()[0])


def _run(args, date_range, today):
    campaign = _largest([CampaignKind.BROADCAST, CampaignKind.RECURRING, CampaignKind.SEQUENCE])
    if campaign is None:
        print("campaign report: no campaign in this database (use --synthesize N)")
    else:
        rows = Delivery.objects.filter(step__campaign=campaign).count()
        _report(f"campaign funnel ({rows:,} deliveries)",
                lambda: reports_campaign.campaign_funnel(campaign, date_range), args.runs)
        _report("campaign holdout comparison", lambda: reports_campaign.campaign_holdout(campaign, date_range),
                args.runs)
        _report("campaign report (the page: both)", lambda: (reports_campaign.campaign_funnel(campaign, date_range),
                                                             reports_campaign.campaign_holdout(campaign, date_range)),
                args.runs)
        if connection.vendor == "postgresql":
            _report("same, asked live (joined; the reference)",
                    lambda: (reports_campaign.campaign_funnel(campaign, date_range, form=reports_campaign.JOINED),
                             reports_campaign.campaign_holdout(campaign, date_range, form=reports_campaign.JOINED)),
                    1)
        if args.synthesize:
            _answers_maintenance(campaign)
    playbook = Campaign.objects.filter(kind=CampaignKind.PLAYBOOK).annotate(n=Count("timelines")).order_by("-n").first()
    if playbook is None:
        print("rescue report: no playbook in this database (use --synthesize N)")
    else:
        timelines = PlaybookTimeline.objects.filter(campaign=playbook, lapse_date__gte=date_range.start,
                                                    lapse_date__lte=date_range.end).count()
        _report(f"rescue report ({timelines:,} timelines in range)",
                lambda: reports_rescue.rescue_report(playbook, date_range, today=today), args.runs)
    _run_dormancy(args, date_range, today)


def _answers_maintenance(campaign, size=2000):
    """What the touch receiver costs for one drain-sized batch: `size` new events on as many of the campaign's
    recipients, two days after their send (each reaches a delivery), then as many at the current time on other
    recipients (the usual drain batch: here no window of this campaign is open). Rolled back with the rest."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT d.contact_id, d.sent_at FROM campaigns_delivery d JOIN campaigns_campaignstep s ON s.id = d.step_id
            WHERE s.campaign_id = %s AND d.sent_at IS NOT NULL ORDER BY md5(d.contact_id::text) LIMIT %s""",
                       [campaign.pk, 2 * size])
        recipients = cursor.fetchall()
    kinds = ["email_open", "email_click", "page_view", "reply"]
    now = timezone.now()
    for label, rows, moment in (("in their windows", recipients[:size], lambda sent: sent + timedelta(days=2)),
                                ("current (no open window)", recipients[size:], lambda sent: now)):
        events = TouchEvent.objects.bulk_create([
            TouchEvent(contact_id=contact_id, kind=kinds[i % len(kinds)], occurred_at=moment(sent),
                       source="tracking", fingerprint=uuid.uuid4().hex) for i, (contact_id, sent) in enumerate(rows)])
        touches = [StoredTouch(event_id=event.pk, contact_id=event.contact_id, kind=event.kind,
                               occurred_at=event.occurred_at) for event in events]
        started = time.perf_counter()
        deliveries, enrollments = campaign_answers.stored_touches_answers_add(touches)
        print(f"answers upkeep, one drain batch of {len(touches):,} events on {len(touches):,} contacts, {label}: "
              f"{(time.perf_counter() - started) * 1000:.0f} ms ({deliveries:,} deliveries, {enrollments:,} "
              "enrollments changed)")


def _run_dormancy(args, date_range, today):
    """The dormancy report: the workspace's flow and breakdown from the daily snapshots (bench/dashboard_bench.py
    --backfill 90 writes them) and counted now (month ends; a live GROUP BY), and one rep's view."""
    from unittest import mock

    from reports.models import DormancyDay

    rule = reports_dormancy.rule_for(args.rule)
    if rule is None:
        print("dormancy report: no active rule")
        return
    needed = (min(date_range.end, today) - date_range.start).days + 2
    stored = DormancyDay.objects.filter(rule=rule, day__gte=date_range.start - timedelta(days=1),
                                        day__lte=min(date_range.end, today)).count()
    found = reports_dormancy.dormancy_flow(rule, date_range, today=today)
    print(f"dormancy rule {rule.slug}: {stored} of {needed} snapshot days stored; months counted from "
          f"{found.attrs['sources']}")

    def breakdown(owner=None):
        return reports_dormancy.dormant_breakdown(rule, date_range, today=today, owner=owner)

    def flow(owner=None):
        return reports_dormancy.dormancy_flow(rule, date_range, today=today, owner=owner)

    _report("dormancy breakdown (as found)", breakdown, args.runs)
    _report("dormancy monthly flow (as found)", flow, args.runs)
    _report("dormancy report (the page: both, as found)", lambda: (breakdown(), flow()), args.runs)
    with mock.patch("reports.reports_dormancy._stored_breakdown", return_value=(None, None)):
        _report("dormancy breakdown counted now (the day without a snapshot)", breakdown, args.runs)
    with mock.patch("reports.reports_dormancy._flow_from_snapshots", side_effect=lambda *a, **k: {}):
        _report("dormancy monthly flow at month ends (no snapshots)", flow, args.runs)
    rep = get_user_model().objects.filter(owned_contacts__isnull=False).first()
    if rep is not None:
        owned = Contact.objects.filter(owner=rep).count()
        _report(f"dormancy breakdown, one rep's ({rep.username}, {owned:,} contacts; as found)",
                lambda: breakdown(rep), args.runs)
        _report("dormancy monthly flow, one rep's (as found)", lambda: flow(rep), args.runs)
        _report("dormancy report, one rep's (the page: both, as found)", lambda: (breakdown(rep), flow(rep)),
                args.runs)
        with mock.patch("reports.reports_dormancy._stored_breakdown", return_value=(None, None)), \
                mock.patch("reports.reports_dormancy._flow_from_snapshots", side_effect=lambda *a, **k: {}):
            _report("dormancy report, one rep's, counted now (no snapshots)", lambda: (breakdown(rep), flow(rep)),
                    args.runs)


if __name__ == "__main__":
    main()
