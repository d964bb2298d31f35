"""Load run: the tracking endpoints at the highest rate this machine holds while a campaign sends through SMTP.

    createdb -h 127.0.0.1 -U postgres rk_load_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rk_load_bench REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/load_bench.py [--recipients 30000] [--seconds 60] [--connections 32]

The database must be a throwaway one (the bench migrates it, adds contacts,
a tracked site, sent mail for the tracking links and the campaign). It starts
what production runs: gunicorn (3 workers × 4 threads), the tracking drain and the
alert evaluation on workers of their own, a worker with beat (beat's
dispatch hands the campaign's due rows to the sending queue), a sending
worker (2 processes) and a real SMTP server in another process (aiosmtpd,
writing each message's Message-ID down).

1. The send alone: a broadcast to --recipients, from beat's first dispatch
   to the last row recorded.
2. The same broadcast to the same number of other contacts while wrk (in
   another process) drives the signed open pixel, the signed click and the
   page-view beacon at once, as fast as they are answered (closed loop,
   --connections in all), for --seconds; the send starts with the load.

It prints, for the tracking endpoints: requests/s, p50/p99 latency, 5xx and
other non-2xx/3xx answers, socket errors, and lost events (every beacon has
a unique URL: the beacons answered 2xx must all be stored once the buffer is
empty). For the send: messages/s alone and under load, every recipient in a
final state, and duplicates (the SMTP server's Message-IDs, each once, one per
sent row). It asserts nothing.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402

# Before the apps below: sending_bench names the sending queue, then sets Django up.
from bench import sending_bench, tracking_bench  # noqa: E402
from campaigns import tasks  # noqa: E402
from campaigns.models import TERMINAL_STATUSES, Delivery, DeliveryStatus  # noqa: E402
from contacts.models import Contact  # noqa: E402
from segments.models import Segment, SegmentMembership  # noqa: E402
from tracking import buffer  # noqa: E402

QUEUE = sending_bench.QUEUE


def audiences(recipients):
    """Two segments of `recipients` opt-in contacts each (made here, set-based), for the two sends."""
    have = Contact.objects.filter(email__startswith="load-").count()
    if have < 2 * recipients:
        Contact.objects.bulk_create([Contact(email=f"load-{n}@bench.example", last_name=f"負荷 {n}", consent="opt_in",
                                             consent_source="bench") for n in range(have, 2 * recipients)],
                                    batch_size=5000)
    sender, template, _segment = sending_bench.prepare(0)
    ids = list(Contact.objects.filter(email__startswith="load-").order_by("id").values_list("id", flat=True))
    segments = []
    for part in (ids[:recipients], ids[recipients:2 * recipients]):
        segment = Segment.objects.create(name=f"Load bench {len(segments) + 1} {QUEUE}",
                                         definition={"op": "and", "items": []}, refreshed_at=timezone.now())
        SegmentMembership.objects.bulk_create([SegmentMembership(segment=segment, contact_id=pk,
                                                                 entered_at=timezone.now()) for pk in part],
                                              batch_size=10_000)
        segments.append(segment)
    return sender, template, segments


def send_and_wait(sender, template, segment, name, timeout=1800):
    """Start the broadcast, ring the dispatch doorbell once (beat's dispatch, every 15 s, does the rest) and wait
    until every row is final; returns (campaign, rows created, seconds)."""
    campaign, created, _seconds = sending_bench.start_campaign(sender, template, segment, name)
    started = time.perf_counter()
    tasks.deliveries_dispatch.apply_async(queue=QUEUE)
    rows = Delivery.objects.filter(step__campaign=campaign)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and rows.exclude(status__in=TERMINAL_STATUSES).exists():
        time.sleep(0.5)
    return campaign, created, time.perf_counter() - started


def send_report(label, campaign, seconds, sink_file, before_ids):
    rows = Delivery.objects.filter(step__campaign=campaign)
    states = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    sent = states.get(DeliveryStatus.SENT, 0)
    span = rows.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    sending = (span["last"] - span["first"]).total_seconds() if sent > 1 else 0
    ids = Path(sink_file).read_text().splitlines()[before_ids:]
    print(f"send {label}: {sent:,} sent in {seconds:.1f} s from the start = {sent / seconds:,.0f} msgs/s "
          f"({sent / max(sending, 0.001):,.0f} msgs/s from the first send to the last); states {states}; "
          f"SMTP server received {len(ids):,} messages, {len(set(ids)):,} distinct Message-IDs "
          f"(duplicates {len(ids) - len(set(ids))}, received − sent {len(ids) - sent})", flush=True)
    return len(ids)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=30_000)
    parser.add_argument("--seconds", type=int, default=60, help="length of the tracking load")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections in all, split over three")
    parser.add_argument("--send-workers", type=int, default=2)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("point DATABASE_URL at a throwaway PostgreSQL database")
    redis.Redis.from_url(settings.REDIS_URL).delete(buffer.QUEUE, buffer.INFLIGHT, buffer.LOCK, buffer.BELL)
    site, tokens, rks = tracking_bench.seed()
    sender, template, segments = audiences(args.recipients)
    print(f"database {connection.settings_dict['NAME']}, Redis {settings.REDIS_URL}, {os.cpu_count()} cores, "
          f"sending queue {QUEUE}; load average before: {os.getloadavg()[0]:.2f}", flush=True)
    connection.close()
    port = tracking_bench.free_port()
    with tempfile.TemporaryDirectory(prefix="rk-load-bench-") as var_dir:
        sink_file = Path(var_dir) / "message-ids"
        sink_file.touch()
        sink = subprocess.Popen([sys.executable, "-c", sending_bench.SMTP_SINK, str(port), str(sink_file)], cwd=ROOT)
        sender_worker = sending_bench.start_worker(
            args.send_workers, "django.core.mail.backends.smtp.EmailBackend",
            {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_USE_TLS": "0",
             "CELERY_BROKER_URL": settings.REDIS_URL, "CELERY_RESULT_BACKEND": settings.REDIS_URL})
        try:
            with tracking_bench.Server(workers=3, threads=4, buffered=True, var_dir=var_dir) as server:
                campaign, created, seconds = send_and_wait(sender, template, segments[0], "Load bench alone")
                received = send_report(f"alone ({created:,} recipients, {args.send_workers} processes)", campaign,
                                       seconds, sink_file, 0)
                tracking_bench.wait_drained()
                before = tracking_bench.stored_count()
                per = max(args.connections // 3, 1)
                results, sending = {}, {}

                def drive(kind):
                    results[kind] = tracking_bench.wrk(
                        server.base, script=tracking_bench.script(kind, site=site, tokens=tokens, rks=rks),
                        seconds=args.seconds, connections=per)

                def send():
                    sending["result"] = send_and_wait(sender, template, segments[1], "Load bench under load")

                threads = [threading.Thread(target=drive, args=(kind,)) for kind in ("pixel", "click", "beacon")]
                threads.append(threading.Thread(target=send))
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                drained = tracking_bench.wait_drained()
                print(f"\ntracking under load for {args.seconds} s ({per} wrk connections each), during the send:",
                      flush=True)
                for kind, result in results.items():
                    print(tracking_bench.line(kind, result), flush=True)
                total = sum(result["rate"] for result in results.values())
                print(f"  all three: {total:,.0f} req/s", flush=True)
                beacon = results["beacon"]
                answered = beacon["requests"] - beacon["bad"]
                stored = tracking_bench.stored_count() - before
                print(f"lost events (beacons): answered 2xx {answered}, sent {beacon['generated']}, stored {stored}, "
                      f"lost {max(0, answered - stored)} (buffer drained: {drained})", flush=True)
                campaign, created, seconds = sending["result"]
                send_report(f"under load ({created:,} recipients)", campaign, seconds, sink_file, received)
        finally:
            sending_bench.stop(sender_worker)
            sending_bench.stop(sink)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
