"""Tracking benchmark: open pixel, click redirect and page-view beacon under gunicorn, with wrk in another process.

    createdb -h 127.0.0.1 -U postgres rk_track_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rk_track_bench REDIS_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python bench/tracking_bench.py [--seconds 10] [--sustained-seconds 60] [--spike-seconds 60] \\
            [--workers 3] [--threads 4]

The database must be a throwaway one: the bench migrates it and seeds a
handful of contacts, sent deliveries with links, and a tracked site. Redis
should be a database nobody else uses (the bench empties the tracking keys).

It starts gunicorn (the project's WSGI app as the Dockerfile runs it: 3 gthread
workers × 4 threads; --threads 1 runs sync workers) and a Celery
worker with embedded beat (the drain), then measures with wrk:

- the yardstick: a bare Django view (204, no database, no Redis; only with
  TRACKING_BENCH_ENDPOINTS=1) in the same run;
- max throughput of the pixel, the click and the beacon (closed loop,
  --connections, --seconds each), then the pixel and the click held at
  their maximum for --sustained-seconds: the rate, the buffer's backlog
  when wrk stops and how long the drain takes to empty it (a rate the
  drain cannot keep up with is not sustained);
- p99 latency at 1,000 requests/s (each wrk thread schedules its requests
  on a fixed clock, as wrk2 does: the k-th request is due at start + k ×
  interval, whichever connection is free takes it; the achieved rate is
  printed);
- lost events: every beacon carries a unique URL, so sent (wrk's 2xx count)
  must equal stored (touch events + anonymous page views) once the buffer is
  empty; also after a spike at 5× the sustained rate for --spike-seconds;
- visible-within: a probe sends a beacon every 100 ms during the runs and
  polls the database for it; p50/p99/max of request → row.

Then the same pixel, click and beacon runs with TRACKING_BUFFERED=0 (the
naive variant: each request writes its event in the request). Prints
figures; asserts nothing.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns.models import (  # noqa: E402
    Campaign,
    CampaignKind,
    CampaignStep,
    Delivery,
    DeliveryLink,
    DeliveryStatus,
    MessageTemplate,
    SenderProfile,
    StepKind,
)
from campaigns.sending import signed_links  # noqa: E402
from contacts.models import Contact, TouchEvent  # noqa: E402
from tracking import buffer  # noqa: E402
from tracking.models import AnonymousPageView, TrackingSite  # noqa: E402
from tracking.tokens import contact_token_make, contact_token_read  # noqa: E402

ORIGIN = "http://bench.example"
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
CONTACTS = 20
VISITOR_CONTACTS = 2000  # known contacts among the beacon's visitors (their rk tokens)
VISITORS = 5000  # visitor ids (t.js's first-party cookie)


def seed():
    call_command("migrate", verbosity=0)
    TrackingSite.objects.all().delete()
    Delivery.objects.filter(step__campaign__name="Tracking bench").delete()
    TouchEvent.objects.all().delete()
    # Earlier runs' alerts, intakes and notifications (their retries would run during this one's measurements).
    from alerts.models import Alert, AlertGate, AlertIntake, Notification

    for model in (Notification, Alert, AlertGate, AlertIntake):
        model.objects.all().delete()
    site = TrackingSite.objects.create(name="Bench", allowed_origins=[ORIGIN])
    sender = SenderProfile.objects.create(name=f"Bench {uuid.uuid4().hex[:6]}", from_name="Bench",
                                          from_email="bench@example.com")
    template = MessageTemplate.objects.create(name=f"Bench {uuid.uuid4().hex[:6]}", subject="Hi", body_text="Hi")
    campaign = Campaign.objects.create(name="Tracking bench", kind=CampaignKind.BROADCAST, sender=sender)
    step = CampaignStep.objects.create(campaign=campaign, position=1, kind=StepKind.EMAIL, template=template)
    long_ago = timezone.now() - timezone.timedelta(days=1)
    contacts = [Contact.objects.get_or_create(email=f"bench{n}@example.com")[0] for n in range(CONTACTS)]
    # The beacon's known visitors: a site's traffic spread over many people, not 20 contacts viewing 500 pages a
    # second each (whose growing histories made every rescore slower as a run went on).
    Contact.objects.bulk_create([Contact(email=f"bench-visitor{n}@example.com") for n in range(VISITOR_CONTACTS)],
                                ignore_conflicts=True)
    visitors = list(Contact.objects.filter(email__startswith="bench-visitor").order_by("id")
                    .values_list("id", flat=True)[:VISITOR_CONTACTS])
    # Owned by a rep of their own. Thousands of page views a minute push many of them over the hot-lead threshold;
    # unowned, those alerts went to the pool that every rep's inbox shows, and a batch of more than the inbox's 50
    # could push the alert probe's alert out of the feed between two of its polls (counted as missed).
    from django.contrib.auth.models import User

    owner, _created = User.objects.get_or_create(username="bench-visitors-owner",
                                                 defaults={"email": "owner@bench.example"})
    Contact.objects.filter(pk__in=visitors).update(owner=owner)
    deliveries = Delivery.objects.bulk_create([
        Delivery(step=step, contact=contact, status=DeliveryStatus.SENT, scheduled_at=long_ago, sent_at=long_ago,
                 token=uuid.uuid4().hex, to_email=contact.email) for contact in contacts])
    DeliveryLink.objects.bulk_create([DeliveryLink(delivery=d, position=1, url=f"{ORIGIN}/pricing?utm=mail")
                                      for d in deliveries])
    issued = long_ago.timestamp()
    paths = {"pixel": [signed_links.open_path(d.pk, d.contact_id, issued) for d in deliveries],
             "click": [signed_links.click_path(d.pk, d.contact_id, issued, f"{ORIGIN}/pricing?utm=mail")
                       for d in deliveries],
             "pixel (stored token)": [f"/m/o/{d.token}.gif" for d in deliveries],
             "click (stored token)": [f"/m/c/{d.token}/1" for d in deliveries]}
    return site, paths, [contact_token_make(pk) for pk in visitors]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(buffered, fast_path=True):
    return {**os.environ, "TRACKING_BENCH_ENDPOINTS": "1", "TRACKING_BUFFERED": "1" if buffered else "0",
            "TRACKING_FAST_PATH": "1" if fast_path else "0",
            # Limits on but out of reach: every request pays for its count, none is refused.
            "PUBLIC_TRACKING_RATE_PER_MINUTE": "1000000000", "PUBLIC_BEACON_RATE_PER_MINUTE": "1000000000",
            "PUBLIC_PAGE_RATE_PER_MINUTE": "0", "CELERY_TASK_ALWAYS_EAGER": "0", "DEBUG": "0",
            # Beat's first snapshot run would fill 89 days of this fresh database while wrk measures.
            "REPORTS_SNAPSHOT_FILL_SECONDS": "0",
            "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": settings.REDIS_URL,
            "CELERY_RESULT_BACKEND": settings.REDIS_URL, "TRACKING_DRAIN_INTERVAL": "2", "TRACKING_QUEUE": "tracking",
            "ALERTS_QUEUE": "alerts", "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}


class Server:
    def __init__(self, *, workers, threads, buffered, var_dir, fast_path=True):
        self.port, self.workers, self.threads, self.buffered, self.var_dir = (free_port(), workers, threads, buffered,
                                                                              var_dir)
        self.fast_path = fast_path

    def __enter__(self):
        env = server_env(self.buffered, self.fast_path)
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", str(self.workers),
             *(["--worker-class", "gthread", "--threads", str(self.threads)] if self.threads > 1 else []), "--bind",
             f"127.0.0.1:{self.port}", "--access-logfile", "-", "--log-level", "warning", "--backlog", "2048",
             "--access-logformat", ""],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        # The drain and the alert evaluation on queues and workers of their own (as production should run them);
        # the scoring tasks the drain fans out, and beat, on a third worker.
        tag = uuid.uuid4().hex[:6]
        self.hostnames = [f"bench-{name}-{tag}@{os.uname().nodename}" for name in ("drain", "alerts", "other")]
        self.workers_ = [subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", *extra, "--pool", "solo", "--loglevel",
             "WARNING", "--without-gossip", "--without-mingle", "--hostname", f"bench-{name}-{tag}@%h"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for name, extra in (("drain", ["-Q", "tracking"]), ("alerts", ["-Q", "alerts"]),
                                ("other", ["-Q", "celery", "-B", "--schedule",
                                           str(Path(self.var_dir) / f"beat-{time.monotonic_ns()}")]))]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/bench/bare", timeout=1)  # noqa: S310 - our own server
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn did not start")
        # Every worker up (their start-up would otherwise eat into the first measured run).
        from config.celery import app

        while time.monotonic() < deadline:
            answered = {name for reply in app.control.ping(destination=self.hostnames, timeout=1) for name in reply}
            if answered >= set(self.hostnames):
                time.sleep(1)
                return self
        raise RuntimeError("the workers did not start")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        for process in (self.web, *self.workers_):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.web, *self.workers_):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


LUA = """
local paths = {%(paths)s}
n, id = 0, 0  -- globals: done() reads each thread's n
local pace = %(pace)f  -- ms between two requests of this thread (0: as fast as responses come back)
local threads = {}
function setup(thread) id = id + 1; thread:set("tid", id); table.insert(threads, thread) end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("n") end
  io.write("GENERATED " .. total .. string.char(10))
end
function init(args) tid = tid or 0 end
request = function()
  n = n + 1
  %(body)s
end
%(delay)s
"""

# 5,000 visitors, 2,000 of them known: one view in three of a known visitor carries its contact's token (it came
# from a tracked mail link), the others only the visitor id, attributed once a token named the visitor (before
# that, kept anonymous and merged then).
BEACON_BODY = """
  local visitor = (n * 7 + tid * 613) %% %(visitors)d
  local rk = ''
  if visitor < #paths and (n + visitor) %% 3 == 0 then rk = ',"rk":"' .. paths[visitor + 1] .. '"' end
  local body = '{"k":"%(key)s","u":"%(origin)s/p/' .. tid .. '/' .. n ..
    '","t":"Bench page","r":"","v":"bench-visitor-' .. visitor .. '"' .. rk .. '}'
  local headers = {["Content-Type"]="text/plain", ["Origin"]="%(origin)s", ["User-Agent"]="%(agent)s"}
  return wrk.format("POST", "/t/e", headers, body)
"""
# A fixed clock per thread (wrk2's model, in wrk's Lua: LuaJIT's ffi reads the wall clock): the k-th request
# of the thread is due at start + k × pace; delay() says how long the free connection waits for its slot, so
# the offered rate holds whatever the latency, as long as a connection is free when a slot comes.
PACED = """
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long sec; long usec; } rk_timeval; int gettimeofday(rk_timeval *tv, void *tz); ]]
local clock, start, slot = ffi.new("rk_timeval"), nil, 0
local function now_ms()
  ffi.C.gettimeofday(clock, nil)
  return tonumber(clock.sec) * 1000 + tonumber(clock.usec) / 1000
end
function delay()
  local now = now_ms()
  start = start or now
  slot = slot + 1
  local wait = start + slot * pace - now
  if wait < 0 then
    if wait < -1000 then start, slot = now, 0 end  -- more than a second behind: do not burst to catch up
    return 0
  end
  return math.floor(wait)
end
"""
GET_BODY = """
  return wrk.format("GET", paths[(n %% #paths) + 1], {["User-Agent"]="%(agent)s"})
"""


def cpu_snapshot(server):
    """CPU seconds used so far, by part: gunicorn, the drain worker, the alerts worker, the other worker, Redis,
    PostgreSQL, and this process (the probes' threads). wrk is not counted: it exits before the run's second
    snapshot, and the bench does not wait for it."""
    groups = {server.web.pid: "web", server.workers_[0].pid: "drain", server.workers_[1].pid: "alerts",
              server.workers_[2].pid: "other"}
    ticks = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(("web", "drain", "alerts", "other", "redis", "postgres", "probes"), 0.0)
    mine = os.times()
    used["probes"] = mine.user + mine.system  # this process: the probes' threads (wrk runs in its own)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name, fields = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        # Its own time and its reaped children's: a PostgreSQL backend that exits (a connection closed) leaves its
        # time in the postmaster's, so nothing goes missing between two snapshots.
        pgid, seconds = int(fields[2]), sum(map(int, fields[11:15])) / ticks
        part = groups.get(pgid) or ("redis" if name.startswith("redis-server") else
                                    "postgres" if name.startswith("postgres") else None)
        if part:
            used[part] += seconds
    return used


def cpu_line(before, after, requests):
    """CPU milliseconds per request of each part over a run (process exits inside the run are not counted)."""
    parts = [f"{part} {(after[part] - before[part]) * 1000 / max(requests, 1):.2f}" for part in before]
    return "    CPU ms per request: " + ", ".join(parts)


def wrk(base, *, script, seconds, connections, threads=2):
    """Run wrk; returns (requests, non-2xx/3xx, requests/s, p50 ms, p99 ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "-s", handle.name, base], capture_output=True, text=True, check=False).stdout
    os.unlink(handle.name)
    if "GENERATED" not in out:
        raise RuntimeError(f"wrk did not run the script: {out[-500:]}")
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    generated = re.search(r"GENERATED (\d+)", out)
    return {"requests": total, "generated": int(generated.group(1)), "bad": int(bad.group(1)) if bad else 0,
            "rate": rate,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0,
            "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
            "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))}


def _ms(text):
    value, unit = float(re.match(r"[\d.]+", text).group()), re.search(r"[a-z]+$", text).group()
    return value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def script(kind, *, site, tokens, rks, rate=0, threads=2):
    """`tokens` is seed()'s {kind: paths}: the signed pixel and click of every mail sent now, and the stored-token
    forms of older mail. `rate` > 0 offers that many requests/s in all (PACED), else as fast as answered."""
    pace_ms = threads * 1000 / rate if rate else 0
    if kind == "beacon":
        paths = ", ".join(json.dumps(rk) for rk in rks)
        body = BEACON_BODY % {"key": site.key, "origin": ORIGIN, "agent": AGENT, "visitors": VISITORS}
    else:
        paths = ", ".join(json.dumps(path) for path in (["/bench/bare"] if kind == "bare" else tokens[kind]))
        body = GET_BODY % {"agent": AGENT}
    return LUA % {"paths": paths, "pace": pace_ms, "body": body, "delay": PACED if pace_ms else ""}


def stored_count():
    """Page views stored from wrk and the visibility probe (the alert probe's /pricing/ views are its own)."""
    return (TouchEvent.objects.filter(kind="page_view").exclude(url__startswith=f"{ORIGIN}/pricing/").count()
            + AnonymousPageView.objects.count())


def buffer_backlog():
    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.llen(buffer.QUEUE) + client.llen(buffer.INFLIGHT)


def sustained(server, args, kind, lua):
    """One path at its maximum rate for --sustained-seconds; the drain must keep up, not only the web workers."""
    before = cpu_snapshot(server)
    result = wrk(server.base, script=lua, seconds=args.sustained_seconds, connections=args.connections)
    stopped, backlog = time.monotonic(), buffer_backlog()
    while buffer_backlog() and time.monotonic() - stopped < 120:
        time.sleep(0.05)
    emptied = time.monotonic() - stopped
    after = cpu_snapshot(server)
    wait_drained()
    print(line(f"{kind} sustained {args.sustained_seconds} s", result)
          + f"   backlog at the end {backlog} records, buffer empty {emptied:.1f} s after", flush=True)
    print(cpu_line(before, after, result["requests"]), flush=True)


def wait_drained(timeout=120):
    """The buffer empty and the work it fanned out done (the alert intake and scoring queues empty too), so that
    one run's backlog does not eat into the next run's measurement."""
    from config.celery import queue_lists

    client = redis.Redis.from_url(settings.REDIS_URL)
    # The alert notifications wait at a lower priority, in a sibling list of the alerts queue.
    keys = (buffer.QUEUE, buffer.INFLIGHT, *(key for queue in ("tracking", "alerts", "celery")
                                              for key in queue_lists(queue)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(client.llen(key) for key in keys):
            time.sleep(0.5)
            if not any(client.llen(key) for key in keys):
                vacuum()
                return True
        time.sleep(0.2)
    return False


def vacuum():
    """VACUUM (ANALYZE) the bench database between runs. This machine's PostgreSQL runs with autovacuum off (its CI
    configuration); without it the dead versions of the rows every batch updates (contacts' last touch, touch
    summaries, scores) and statistics that never catch up made each run's database work per page view grow, from
    0.27 ms to 1.21 ms CPU over a bench. In production autovacuum does this."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


class Probe(threading.Thread):
    """A beacon every 100 ms with a unique URL; the time until its row is in the database."""

    def __init__(self, base, site, rk):
        super().__init__(daemon=True)
        self.base, self.site, self.rk, self.delays, self.stop, self.missing = base, site, rk, [], False, 0
        self.contact_id = contact_token_read(rk)

    def run(self):
        from django.db import connections

        n = 0
        while not self.stop:
            n += 1
            url = f"{ORIGIN}/probe/{uuid.uuid4().hex}"
            body = json.dumps({"k": self.site.key, "u": url, "t": "Probe", "r": "", "v": "probe-visitor-1",
                               "rk": self.rk}).encode()
            request = urllib.request.Request(f"{self.base}/t/e", data=body, method="POST",  # noqa: S310
                                             headers={"Content-Type": "text/plain", "Origin": ORIGIN,
                                                      "User-Agent": AGENT})
            started = time.monotonic()
            try:
                urllib.request.urlopen(request, timeout=5)  # noqa: S310 - our own server
            except OSError:
                continue
            since = timezone.now() - timezone.timedelta(seconds=5)
            while time.monotonic() - started < 10:
                # By the contact's (kind, time) index: a lookup by URL alone would scan every stored event, every
                # 20 ms, and slow down the very run it measures.
                if TouchEvent.objects.filter(contact_id=self.contact_id, kind="page_view", occurred_at__gte=since,
                                             url=url).exists():
                    self.delays.append((time.monotonic() - started) * 1000)
                    break
                time.sleep(0.02)
            else:
                self.missing += 1
            time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))
        connections.close_all()


class AlertProbe(threading.Thread):
    """Every second, one dormant contact (owned by a rep) views a pricing page through the beacon over HTTP. A second
    thread watches: the time from each request to its alert committed (one query for all outstanding contacts
    every 50 ms) and to the alert in the rep's inbox feed (the endpoint the page polls; in-process, every 200 ms:
    polled every 50 ms, with every 10 ms for the rows, the watcher itself took about half a core from the runs
    it watched; the inbox page polls every 2 s).
    Each sample is a new contact, so a duplicate alert would show."""

    def __init__(self, base, site, contacts, rep):
        super().__init__(daemon=True)
        self.base, self.site, self.contacts, self.rep = base, site, list(contacts), rep
        self.stored, self.seen, self.used, self.stop, self.done = [], [], [], False, False
        self.outstanding = {}  # contact id → (last name, request started, stored after)
        self.lock = threading.Lock()

    def run(self):
        watcher = threading.Thread(target=self.watch, daemon=True)
        watcher.start()
        while not self.stop and self.contacts:
            contact = self.contacts.pop()
            body = json.dumps({"k": self.site.key, "u": f"{ORIGIN}/pricing/{uuid.uuid4().hex[:8]}", "t": "Pricing",
                               "r": "", "v": f"alert-probe-{contact.pk}", "rk": contact_token_make(contact.pk)})
            request = urllib.request.Request(f"{self.base}/t/e", data=body.encode(), method="POST",  # noqa: S310
                                             headers={"Content-Type": "text/plain", "Origin": ORIGIN,
                                                      "User-Agent": AGENT})
            started = time.monotonic()
            try:
                urllib.request.urlopen(request, timeout=10)  # noqa: S310 - our own server
            except OSError:
                continue
            with self.lock:
                self.used.append(contact.pk)
                self.outstanding[contact.pk] = (contact.last_name, started, None)
            # One a second: two alerts (touched again, pricing viewed), each about 100 ms of CPU between the alert
            # worker and PostgreSQL (the context, the routing, two notifications). Every 500 ms, the probe itself
            # took about 0.4 s of CPU a second from the run it measures (342 against 750 beacons/s answered).
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        deadline = time.monotonic() + 20
        while self.outstanding and time.monotonic() < deadline:
            time.sleep(0.1)
        self.done = True
        watcher.join()

    def watch(self):
        from django.db import connections
        from django.test import Client

        from alerts.models import Alert

        feed = Client(HTTP_HOST="127.0.0.1")
        feed.force_login(self.rep)
        version, last_feed, first_seen = feed.get("/alerts/feed/").json()["v"], 0.0, {}
        while not self.done:
            with self.lock:
                waiting = {pk: entry for pk, entry in self.outstanding.items() if entry[2] is None}
            if waiting:
                now = time.monotonic()
                for pk in set(Alert.objects.filter(contact_id__in=waiting).values_list("contact_id", flat=True)):
                    with self.lock:
                        name, started, _stored = self.outstanding[pk]
                        self.outstanding[pk] = (name, started, now - started)
            if self.outstanding and time.monotonic() - last_feed >= 0.2:
                last_feed = time.monotonic()
                response = feed.get("/alerts/feed/", {"v": version})
                if response.status_code == 200:  # 204: the inbox has not changed
                    data = response.json()
                    version = data["v"]
                    for item in data["open"]:
                        first_seen.setdefault(item["title"], last_feed)
            with self.lock:  # an alert may reach the feed before the stored-check sees its row: count it then
                for pk, (name, started, stored) in list(self.outstanding.items()):
                    if stored is not None and name in first_seen:
                        self.stored.append(stored * 1000)
                        self.seen.append(max(first_seen[name] - started, stored) * 1000)
                        del self.outstanding[pk]
            time.sleep(0.05)
        connections.close_all()

    def report(self, label):
        from django.db.models import Count

        from alerts.models import Alert

        per = Alert.objects.filter(contact_id__in=self.used).values("contact_id", "trigger_id").annotate(n=Count("id"))
        duplicates = sum(row["n"] - 1 for row in per)
        missed = [(pk, stored is not None,
                   list(Alert.objects.filter(contact_id=pk).values_list("status", "assignee_id")))
                  for pk, (_name, _started, stored) in self.outstanding.items()]
        return (f"alert latency, {label}: request → alert stored {visible(self.stored)}; → in the inbox feed "
                f"{visible(self.seen)}; missed {len(self.outstanding)} {missed or ''}, duplicates {duplicates}")


def alert_setup():
    """A rep on duty and dormant contacts she owns (lost a year ago), for AlertProbe."""
    from django.contrib.auth.models import Group, User

    from accounts.roles import Role
    from contacts.models import ContactStatus, TouchKind

    rep, _created = User.objects.get_or_create(username="bench-rep", defaults={"email": "rep@bench.example"})
    rep.groups.add(Group.objects.get_or_create(name=Role.INSIDE_SALES)[0])
    old = timezone.now() - timezone.timedelta(days=400)
    tag = uuid.uuid4().hex[:6]
    contacts = Contact.objects.bulk_create([
        Contact(email=f"dormant-{tag}-{n}@bench.example", last_name=f"Dormant {tag} {n}", status=ContactStatus.LOST,
                owner=rep, acquired_at=old.date(), last_touch_at=old, last_touch_kind=TouchKind.MEETING)
        for n in range(400)])
    return rep, contacts


def visible(delays):
    if not delays:
        return "no samples"
    ordered = sorted(delays)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.0f} ms, p99 {p99:.0f} ms, max {ordered[-1]:.0f} ms (n={len(ordered)})"


def lost(label, result, probe, stored, drained):
    """Answered with 2xx must all be stored; requests still in flight when wrk stopped may be stored too."""
    acknowledged = result["requests"] - result["bad"] + len(probe.delays) + probe.missing
    sent = result["generated"] + len(probe.delays) + probe.missing
    return (f"lost events, {label}: answered 2xx {acknowledged}, sent {sent}, stored {stored}, "
            f"lost {max(0, acknowledged - stored)} (buffer drained: {drained})")


def line(label, result):
    return (f"{label:<34} {result['rate']:>9.0f} req/s   p50 {result['p50']:>7.2f} ms   p99 {result['p99']:>7.2f} ms"
            f"   non-2xx/3xx {result['bad']}   socket errors {result['socket_errors']}")


def run_variant(args, *, buffered, site, tokens, rks, var_dir, fast_path=True):
    """One server setup measured. fast_path=False: the pixel, click and beacon through Django's handler
    (TRACKING_FAST_PATH=0), maximum rates only, for the comparison."""
    label = "buffered" if buffered else "naive (insert per request)"
    kind = f"gthread workers × {args.threads} threads" if args.threads > 1 else "sync workers"
    path = "in front of Django's handler (tracking/wsgi.py)" if fast_path else "through Django's handler"
    print(f"\n== {label}: gunicorn {args.workers} {kind}; tracking paths {path} ==", flush=True)
    figures = {}
    with Server(workers=args.workers, threads=args.threads, buffered=buffered, var_dir=var_dir,
                fast_path=fast_path) as server:
        kinds = (["bare", "pixel", "click", "beacon"] if not fast_path else
                 ["bare", "pixel", "click", "beacon", "pixel (stored token)", "click (stored token)"] if buffered
                 else ["pixel", "click", "beacon"])
        for kind in kinds:  # warm-up, then the measured max-throughput run
            wrk(server.base, script=script(kind, site=site, tokens=tokens, rks=rks), seconds=2,
                connections=args.connections)
            before = cpu_snapshot(server)
            figures[kind] = wrk(server.base, script=script(kind, site=site, tokens=tokens, rks=rks),
                                seconds=args.seconds, connections=args.connections)
            wait_drained()
            print(line(f"{kind} max", figures[kind]), flush=True)
            print(cpu_line(before, cpu_snapshot(server), figures[kind]["requests"]), flush=True)
        if buffered:
            before = cpu_snapshot(server)
            again = wrk(server.base, script=script("bare", site=site, tokens=tokens, rks=rks), seconds=args.seconds,
                        connections=args.connections)
            print(line("bare max (again)", again), flush=True)
            print(cpu_line(before, cpu_snapshot(server), again["requests"]), flush=True)
            bare = max(figures["bare"]["rate"], again["rate"])  # the yardstick: the better of its two runs
            print(f"  yardstick: {bare:.0f} req/s", flush=True)
            for kind in ("pixel", "click", "beacon"):
                print(f"  {kind}: {figures[kind]['rate'] / bare:.2f}× the bare endpoint", flush=True)
            if fast_path and args.sustained_seconds:
                for kind in ("pixel", "click"):
                    sustained(server, args, kind, script(kind, site=site, tokens=tokens, rks=rks))
            if not fast_path:
                return figures
        wait_drained()
        for kind in ("pixel", "click", "beacon"):
            # 1,000 requests/s offered on a fixed clock, over 50 connections.
            paced = wrk(server.base, script=script(kind, site=site, tokens=tokens, rks=rks, rate=1000),
                        seconds=args.seconds, connections=50)
            print(line(f"{kind} paced (1,000/s offered)", paced), flush=True)
        if not buffered:
            return figures
        wait_drained()
        rep, dormant = alert_setup()
        idle = AlertProbe(server.base, site, dormant[:40], rep)
        idle.run()  # in this thread, nothing else running
        print(idle.report("idle"), flush=True)
        dormant = dormant[40:]
        before = stored_count()
        probe, alerts = Probe(server.base, site, rks[0]), AlertProbe(server.base, site, dormant[:150], rep)
        probe.start()
        alerts.start()
        # The sustained load: 1,000 requests/s offered on a fixed clock.
        cpu_before = cpu_snapshot(server)
        steady = wrk(server.base, script=script("beacon", site=site, tokens=tokens, rks=rks, rate=1000),
                     seconds=args.seconds, connections=50)
        probe.stop = alerts.stop = True
        probe.join()
        alerts.join()
        drained = wait_drained()
        print(line("steady beacon (1,000/s offered)", steady), flush=True)
        print(cpu_line(cpu_before, cpu_snapshot(server), steady["requests"]), flush=True)
        print(lost("steady beacon run", steady, probe, stored_count() - before, drained),
              flush=True)
        print(f"visible in the database after (steady): {visible(probe.delays)}; "
              f"not seen within 10 s: {probe.missing}", flush=True)
        print(alerts.report("steady load"), flush=True)
        # The spike: five times the sustained rate offered (5,000 requests/s), more than this machine answers.
        dormant = dormant[150:]
        before = stored_count()
        probe, alerts = Probe(server.base, site, rks[0]), AlertProbe(server.base, site, dormant, rep)
        probe.start()
        alerts.start()
        spike = wrk(server.base, script=script("beacon", site=site, tokens=tokens, rks=rks, rate=5000),
                    seconds=args.spike_seconds, connections=100)
        probe.stop = alerts.stop = True
        probe.join()
        alerts.join()
        drained_at = time.monotonic()
        drained = wait_drained()
        print(line(f"spike {args.spike_seconds} s (5,000/s offered)", spike), flush=True)
        print(lost("spike", spike, probe, stored_count() - before, drained)
              + f"; drained {time.monotonic() - drained_at:.1f} s after the spike", flush=True)
        print(f"visible in the database after (spike): {visible(probe.delays)}; not seen within 10 s: "
              f"{probe.missing}", flush=True)
        print(alerts.report("spike"), flush=True)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--sustained-seconds", type=int, default=60,
                        help="length of the pixel's and the click's run at their maximum rate (0: skip)")
    parser.add_argument("--spike-seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (the Dockerfile's 3 by default)")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per gthread worker (the Dockerfile's 4); 1 runs sync workers")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections for the max-rate runs")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-handler", action="store_true",
                        help="skip the comparison run with the tracking paths through Django's handler")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    if connection.vendor != "postgresql":
        sys.exit("point DATABASE_URL at a throwaway PostgreSQL database")
    redis.Redis.from_url(settings.REDIS_URL).delete(buffer.QUEUE, buffer.INFLIGHT, buffer.LOCK, buffer.BELL)
    site, tokens, rks = seed()
    print(f"database {connection.settings_dict['NAME']}, Redis {settings.REDIS_URL}, {os.cpu_count()} cores; "
          f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    connection.close()
    with tempfile.TemporaryDirectory(prefix="rk-track-bench-") as var_dir:
        run_variant(args, buffered=True, site=site, tokens=tokens, rks=rks, var_dir=var_dir)
        if not args.skip_handler:
            run_variant(args, buffered=True, fast_path=False, site=site, tokens=tokens, rks=rks, var_dir=var_dir)
        if not args.skip_naive:
            run_variant(args, buffered=False, site=site, tokens=tokens, rks=rks, var_dir=var_dir)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
