"""Alert latency bench: from a stored touch to the alert stored, and to the alert visible in the inbox poll.

    createdb -h 127.0.0.1 -U postgres rk_alerts_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/rk_alerts_bench REDIS_URL=redis://127.0.0.1:6379/9
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/alerts_bench.py [--samples 200] [--race 50] [--workers 2]

A real Celery worker (--workers processes, a private queue that every task of
this process is routed to, so the scoring/dormancy/segment chain runs there
too) evaluates the triggers. Each sample records one page view of a dormant
contact through contacts.services.touch_event_record — what the tracking and
ingestion endpoints call — and then, from the moment that call starts:

- stored: the alert row is committed (polled every 5 ms);
- visible: the rep's inbox poll (/alerts/feed/, the endpoint the browser
  polls) answers with the new alert (polled every 20 ms; the browser itself
  polls every 2 s, so add up to 2 s for the page).

Then a race: --race contacts, each viewing pricing from 8 threads at once
(8 different events, 8 batches, 8 tasks), and every intake message sent a
second time → expects exactly one "Viewed pricing" and one "came back" alert
per contact. Prints figures only; the database gets contacts and alerts: use a
throwaway one.
"""
import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUEUE = f"alerts-bench-{uuid.uuid4().hex[:6]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.roles import Role  # noqa: E402
from alerts.models import Alert, AlertIntake, TriggerKind  # noqa: E402
from alerts.tasks import intake_process  # noqa: E402
from bench.measure import percentile  # noqa: E402
from config.celery import app as celery_app  # noqa: E402
from contacts.models import Contact, ContactStatus, TouchKind  # noqa: E402
from contacts.services import touch_event_record  # noqa: E402

celery_app.conf.task_default_queue = QUEUE
celery_app.conf.task_always_eager = False


def start_worker(workers):
    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", str(workers),
         "--queues", QUEUE, "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
         "--hostname", f"{QUEUE}@%h"], cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if celery_app.control.ping(destination=[f"{QUEUE}@{os.uname().nodename}"], timeout=0.5):
            return process
    process.terminate()
    raise SystemExit("the worker did not answer within 60 s")


def dormant_contacts(n, owner, tag):
    old = timezone.now() - timedelta(days=400)
    contacts = Contact.objects.bulk_create([
        Contact(email=f"{tag}-{i}@bench.example.jp", last_name=f"Bench {i}", status=ContactStatus.LOST, owner=owner,
                acquired_at=old.date(), last_touch_at=old, last_touch_kind=TouchKind.MEETING)
        for i in range(n)])
    return contacts


def wait_for(check, interval, timeout=15.0):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if check():
            return time.perf_counter()
        time.sleep(interval)
    return None


def latency(samples, owner, client):
    contacts = dormant_contacts(samples, owner, f"lat-{uuid.uuid4().hex[:6]}")
    stored, visible, missed = [], [], 0
    version = client.get("/alerts/feed/").json()["v"]
    for contact in contacts:
        started = time.perf_counter()
        touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=timezone.now(),
                           url="https://bench.example.jp/blog/comeback", source="tracking")
        at = wait_for(lambda c=contact: Alert.objects.filter(contact=c).exists(), 0.005)
        if at is None:
            missed += 1
            continue
        stored.append(at - started)

        def seen(c=contact):
            nonlocal version
            response = client.get("/alerts/feed/", {"v": version})
            if response.status_code != 200:
                return False
            data = response.json()
            version = data["v"]
            return any(item["title"] == c.last_name for item in data["open"])

        at = wait_for(seen, 0.02)
        if at is None:
            missed += 1
            continue
        visible.append(at - started)
        connection.close()  # like a request: no long transaction snapshot between samples
    return stored, visible, missed


def race(n, owner):
    contacts = dormant_contacts(n, owner, f"race-{uuid.uuid4().hex[:6]}")
    before = set(AlertIntake.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(8)

    def view(contact, k):
        barrier.wait()
        try:
            touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=timezone.now(),
                               url=f"https://bench.example.jp/pricing?k={k}", source="tracking")
        finally:
            connection.close()

    for contact in contacts:
        threads = [threading.Thread(target=view, args=(contact, k)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for pk in set(AlertIntake.objects.values_list("pk", flat=True)) - before:
        intake_process.delay(pk)  # every doorbell rung twice
    ids = [c.pk for c in contacts]
    wait_for(lambda: not AlertIntake.objects.filter(done_at__isnull=True).exists(), 0.1, timeout=120)
    counts = (Alert.objects.filter(contact_id__in=ids).values("contact_id", "trigger__kind")
              .annotate(n=Count("id")))
    per = {(row["contact_id"], row["trigger__kind"]): row["n"] for row in counts}
    expected = {(cid, kind) for cid in ids for kind in (TriggerKind.PAGE_VIEW, TriggerKind.DORMANT_RETURN)}
    duplicates = sum(n - 1 for n in per.values() if n > 1)
    missing = len(expected - set(per))
    return duplicates, missing, len(ids) * 8


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--race", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    owner, _created = User.objects.get_or_create(username="bench-rep", defaults={"email": "rep@bench.example.jp"})
    owner.groups.add(Group.objects.get_or_create(name=Role.INSIDE_SALES)[0])
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    worker = start_worker(args.workers)
    try:
        stored, visible, missed = latency(args.samples, owner, client)
        duplicates, missing, events = race(args.race, owner)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    def ms(values, fraction):
        return f"{percentile(values, fraction) * 1000:7.0f} ms" if values else "   n/a"

    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print(f"latency, {len(stored)} samples, worker concurrency {args.workers}:")
    print(f"  touch -> alert stored        p50 {ms(stored, 0.5)}  p99 {ms(stored, 0.99)}  max {ms(stored, 1.0)}")
    print(f"  touch -> visible in the poll p50 {ms(visible, 0.5)}  p99 {ms(visible, 0.99)}  max {ms(visible, 1.0)}")
    print(f"  missed (no alert within 15 s): {missed}")
    print(f"race: {args.race} contacts x 8 concurrent page views ({events} events, every intake message sent twice):")
    print(f"  duplicate alerts: {duplicates}   missing alerts: {missing}")


if __name__ == "__main__":
    main()
