"""Sending benchmark: a 100,000-recipient broadcast from the segment snapshot to handed-off messages.

    createdb -h 127.0.0.1 -U postgres rk_sendbench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/rk_sendbench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --contacts 100000
    .venv/bin/python bench/sending_bench.py [--recipients 100000] [--smtp-recipients 20000] [--workers 2]
        [--rate-check 1200 --rate-minutes 5]

The bench makes every contact of the database a lawful recipient (opt-in),
turns off quiet hours and the frequency cap, and builds a segment of the
first --recipients contacts with its snapshot. Then, each in the same run:

1. bare: render + MIME build of the same message in this process (and in
   --workers processes at once), no database writes — the ceiling;
2. locmem: campaign_start (one INSERT … SELECT), then beat's dispatch hands
   out batches of SENDING_BATCH_SIZE ids (keyset), and a real Celery worker
   with --workers processes claims, renders, builds and records each one,
   handing the messages to Django's in-memory backend; messages/s from the
   first doorbell to the last row recorded;
3. smtp: the same to a real aiosmtpd server in another process (a sink
   that counts), --smtp-recipients of them;
4. with --rate-check N: a send at N a minute for --rate-minutes, counting
   sent rows per minute (the limit is held if each is within ±5%).

Prints figures and asserts nothing. The database is changed (campaigns and
deliveries are added): use a throwaway one.
"""
import argparse
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUEUE = f"bench-{uuid.uuid4().hex[:6]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["SENDING_QUEUE"] = QUEUE

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns import tasks  # noqa: E402
from campaigns.merge import MERGE_RELATED, last_meetings, merge_context  # noqa: E402
from campaigns.models import (  # noqa: E402
    Campaign,
    CampaignKind,
    CampaignStep,
    Delivery,
    DeliveryStatus,
    MessageTemplate,
    SenderProfile,
    SendingSettings,
    StepKind,
)
from campaigns.sending.dispatch import deliveries_dispatch, due_queued  # noqa: E402
from campaigns.sending.materialize import campaign_start  # noqa: E402
from campaigns.sending.message import build_message, unsubscribe_page_url  # noqa: E402
from config.embedded_redis import free_port  # noqa: E402
from contacts.models import Contact  # noqa: E402
from segments.models import Segment, SegmentMembership  # noqa: E402

HTML = textwrap.dedent("""\
    <html><body>
    <p>{{ contact.last_name }} {{ contact.first_name }} 様</p>
    <p>{{ contact.company }} の皆さまへ、今月のお知らせです。担当: {{ owner.name }}</p>
    <p><a href="https://example.co.jp/webinar/2026-07">ウェビナーのお申し込み</a></p>
    <p><a href="https://example.co.jp/case-studies/manufacturing">製造業の導入事例</a></p>
    <p><a href="https://example.co.jp/pricing">料金プラン</a></p>
    </body></html>
""")
TEXT = "{{ contact.last_name }} {{ contact.first_name }} 様\n\n今月のお知らせです。\nhttps://example.co.jp/webinar/2026-07\n"


def prepare(recipients):
    """A lawful audience, sending policy without quiet hours or cap, a sender, a template, a segment snapshot."""
    Contact.objects.exclude(consent="opt_in").update(consent="opt_in", consent_source="bench")
    policy = SendingSettings.load()
    policy.quiet_weekends = policy.quiet_holidays = False
    policy.quiet_end = policy.quiet_start
    policy.frequency_cap_count, policy.rate_per_minute = 0, 0
    policy.save()
    sender, _ = SenderProfile.objects.get_or_create(name="Bench", defaults=dict(
        from_name="リキンドル配信", from_email="news@rekindle.example.co.jp", organisation="株式会社リキンドル",
        postal_address="〒100-0001 東京都千代田区千代田1-1", inquiry_contact="03-1234-5678"))
    template, _ = MessageTemplate.objects.get_or_create(name="Bench newsletter", defaults=dict(
        language="ja", subject="{{ contact.company }} 様へ 今月のお知らせ", body_text=TEXT, body_html=HTML))
    ids = list(Contact.objects.order_by("id").values_list("id", flat=True)[:recipients])
    segment = Segment.objects.create(name=f"Bench {uuid.uuid4().hex[:6]}", definition={"op": "and", "items": []},
                                     refreshed_at=timezone.now())
    SegmentMembership.objects.bulk_create([SegmentMembership(segment=segment, contact_id=i, entered_at=timezone.now())
                                           for i in ids], batch_size=10_000)
    return sender, template, segment


def start_campaign(sender, template, segment, name):
    campaign = Campaign.objects.create(name=name, kind=CampaignKind.BROADCAST, sender=sender, segment=segment)
    CampaignStep.objects.create(campaign=campaign, position=1, kind=StepKind.EMAIL, template=template)
    started = time.perf_counter()
    created = campaign_start(campaign, now=timezone.now())
    return campaign, created, time.perf_counter() - started


# -- bare render + MIME ---------------------------------------------------------------


def _bare(ids):
    django.db.connections.close_all()
    rows = list(Delivery.objects.filter(id__in=ids).select_related(
        *[f"contact__{n}" for n in MERGE_RELATED], "step__template", "step__campaign__sender"))
    meetings = last_meetings({row.contact_id for row in rows})
    started = time.perf_counter()
    for row in rows:
        url = unsubscribe_page_url(row.token)
        context = merge_context(contact=row.contact, links={"unsubscribe_url": url, "preferences_url": url},
                                language="ja", last_meeting_at=meetings.get(row.contact_id))
        build_message(row, context).message.message()
    return len(rows), time.perf_counter() - started


def bare_rates(campaign, sample, processes):
    ids = list(Delivery.objects.filter(step__campaign=campaign).order_by("id").values_list("id", flat=True)[:sample])
    count, seconds = _bare(ids)
    single = count / seconds
    chunks = [ids[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_bare, chunks))
    return single, sum(n / s for n, s in results)


# -- a real worker --------------------------------------------------------------------------


def start_worker(processes, backend, extra_env=None):
    env = {**os.environ, "SENDING_QUEUE": QUEUE, "EMAIL_BACKEND": backend, "CELERY_TASK_ALWAYS_EAGER": "0",
           **(extra_env or {})}
    log = open(ROOT / "var" / f"sending-bench-worker-{QUEUE}.log", "ab")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency",
         str(processes), "--queues", QUEUE, "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
         "--hostname", f"{QUEUE}-{uuid.uuid4().hex[:4]}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    time.sleep(4)  # let the pool start before the clock does
    return worker


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def run_campaign(campaign):
    """Dispatch (as beat would, until nothing is due) and wait for every row to be recorded; returns seconds."""
    started = time.perf_counter()
    rows = Delivery.objects.filter(step__campaign=campaign)
    while True:
        batches = deliveries_dispatch(now=timezone.now())
        for batch in batches:
            tasks.deliveries_send.apply_async(args=[batch], queue=QUEUE)
        if not batches:
            break
    while rows.filter(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]).exists():
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    sent = rows.filter(status=DeliveryStatus.SENT).count()
    return elapsed, sent


def keyset_pages(campaign, page=1000):
    """Time of the dispatch query's first page and of its last page (keyset: both should be about the same)."""
    now = timezone.now()
    query = due_queued(now=now).filter(step__campaign=campaign).order_by("scheduled_at", "id")
    started = time.perf_counter()
    first = list(query.values_list("scheduled_at", "id")[:page])
    first_ms = (time.perf_counter() - started) * 1000
    last_at, last_id = list(query.values_list("scheduled_at", "id"))[-page]
    started = time.perf_counter()
    list(query.filter(Q(scheduled_at__gt=last_at) | Q(scheduled_at=last_at, id__gt=last_id))
         .values_list("scheduled_at", "id")[:page])
    return first_ms, (time.perf_counter() - started) * 1000, len(first)


SMTP_SINK = textwrap.dedent("""\
    import asyncio, re, sys
    from aiosmtpd.controller import Controller
    out = open(sys.argv[2], "a", buffering=1) if len(sys.argv) > 2 else None
    HEADER = re.compile(rb"^Message-ID:[ \\t]*(\\S+)", re.M | re.I)
    class Sink:
        async def handle_DATA(self, server, session, envelope):
            if out:  # the Message-ID of each message taken, one a line (bench/load_bench.py counts duplicates)
                found = HEADER.search(envelope.original_content.split(b"\\r\\n\\r\\n", 1)[0])
                out.write((found.group(1).decode() if found else "(none)") + "\\n")
            return "250 OK"
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    try:
        asyncio.new_event_loop().run_until_complete(asyncio.sleep(10**6))
    finally:
        controller.stop()
""")


def rate_check(sender, template, segment, per_minute, minutes, processes):
    policy = SendingSettings.load()
    policy.rate_per_minute = per_minute
    policy.save()
    campaign, _created, _s = start_campaign(sender, template, segment, "Bench rate")
    worker = start_worker(processes, "django.core.mail.backends.locmem.EmailBackend")
    try:
        started = timezone.now()
        deadline = time.monotonic() + minutes * 60
        while time.monotonic() < deadline:
            for batch in deliveries_dispatch(now=timezone.now()):
                tasks.deliveries_send.apply_async(args=[batch], queue=QUEUE)
            time.sleep(15)
    finally:
        stop(worker)
        policy.rate_per_minute = 0
        policy.save()
        Campaign.objects.filter(pk=campaign.pk).update(status="cancelled")
    counts = []
    for minute in range(minutes):
        window = Delivery.objects.filter(step__campaign=campaign, status=DeliveryStatus.SENT,
                                         sent_at__gte=started + timedelta(minutes=minute),
                                         sent_at__lt=started + timedelta(minutes=minute + 1))
        counts.append(window.count())
    return counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--smtp-recipients", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bare-sample", type=int, default=10_000)
    parser.add_argument("--rate-check", type=int, default=0, help="messages a minute (0: skip)")
    parser.add_argument("--rate-minutes", type=int, default=5)
    args = parser.parse_args()
    print(f"database {connection.vendor} {settings.DATABASES['default']['NAME']}, batch size "
          f"{settings.SENDING_BATCH_SIZE}, {args.workers} worker processes, queue {QUEUE}")

    sender, template, segment = prepare(args.recipients)
    campaign, created, seconds = start_campaign(sender, template, segment, "Bench locmem")
    print(f"campaign_start: {created:,} delivery rows in {seconds:.2f} s (one INSERT … SELECT)")
    first_ms, last_ms, page = keyset_pages(campaign)
    print(f"dispatch keyset page of {page}: first {first_ms:.1f} ms, last {last_ms:.1f} ms")

    single, parallel_sum = bare_rates(campaign, args.bare_sample, args.workers)
    print(f"bare render + MIME build: {single:,.0f} msgs/s in one process; {parallel_sum:,.0f} msgs/s summed over "
          f"{args.workers} processes running at once")

    worker = start_worker(args.workers, "django.core.mail.backends.locmem.EmailBackend")
    try:
        elapsed, sent = run_campaign(campaign)
    finally:
        stop(worker)
    rate = sent / elapsed
    print(f"locmem, {args.workers} worker processes: {sent:,} sent in {elapsed:.1f} s = {rate:,.0f} msgs/s "
          f"({rate / single:.2f}× one process's bare rate, {rate / parallel_sum:.2f}× {args.workers} processes')")

    smtp_segment = Segment.objects.create(name=f"Bench smtp {QUEUE}", definition={"op": "and", "items": []},
                                          refreshed_at=timezone.now())
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment=smtp_segment, contact_id=m.contact_id, entered_at=timezone.now())
         for m in SegmentMembership.objects.filter(segment=segment).order_by("contact_id")[:args.smtp_recipients]],
        batch_size=10_000)
    smtp_campaign, _created, _s = start_campaign(sender, template, smtp_segment, "Bench smtp")
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SMTP_SINK, str(port)], cwd=ROOT)
    time.sleep(1.5)
    worker = start_worker(args.workers, "django.core.mail.backends.smtp.EmailBackend",
                          {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_USE_TLS": "0"})
    try:
        elapsed, sent = run_campaign(smtp_campaign)
    finally:
        stop(worker)
        stop(sink)
    print(f"smtp (aiosmtpd in another process), {args.workers} worker processes: {sent:,} sent in {elapsed:.1f} s "
          f"= {sent / elapsed:,.0f} msgs/s")

    if args.rate_check:
        counts = rate_check(sender, template, segment, args.rate_check, args.rate_minutes, args.workers)
        worst = max(abs(c - args.rate_check) / args.rate_check for c in counts)
        print(f"rate limit {args.rate_check}/min over {args.rate_minutes} min: per minute {counts}, "
              f"total {sum(counts)} vs {args.rate_check * args.rate_minutes} (worst minute off by {worst:.1%})")


if __name__ == "__main__":
    main()
