"""What the journey test runs against: a real Celery worker with beat, a real SMTP server, a customer's web site.

Everything the product would talk to in production is a real process or
socket here; only the clock is not: a test cannot wait an hour for beat's
hourly jobs, so it sends those tasks to the same worker itself.
"""
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from config.celery import app as celery_app
from config.embedded_redis import free_port
from tests.campaigns.sending.smtp import SmtpServer
from tests.worker import _test_database_url
from tracking import selectors as tracking_selectors

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [  # (migration module, function): the data migrations put there and a transactional flush removes
    ("alerts.migrations.0002_default_triggers", "seed"),
    ("campaigns.migrations.0007_mail_topics", "seed_topics"),
    ("dormancy.migrations.0002_default_rule", "create_default_rule"),
    ("scoring.migrations.0002_starter_rules", "add_rules"),
]


def wait_until(predicate, what, timeout=30.0, interval=0.1):
    """Poll `predicate` until it returns something truthy (returned); fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def shipped_data(db):
    """The triggers, mail topics, default dormancy rule and starter scoring rules a fresh `migrate` leaves."""
    for module, function in SHIPPED:
        getattr(importlib.import_module(module), function)(django_apps, None)


class JourneyWorker:
    """`celery worker -B` on a private queue, bound to the test database, sending through `smtp_port`."""

    def __init__(self, *, smtp_port, public_base_url, var_dir):
        self.queue = f"e2e-{uuid.uuid4().hex[:8]}"
        self.var_dir = Path(var_dir)
        self.env = {
            **os.environ, "DATABASE_URL": _test_database_url(), "CELERY_TASK_ALWAYS_EAGER": "0",
            "E2E_QUEUE": self.queue, "SENDING_QUEUE": "", "TRACKING_QUEUE": "", "ALERTS_QUEUE": "",
            "PUBLIC_BASE_URL": public_base_url, "REKINDLE_VAR_DIR": os.environ["REKINDLE_VAR_DIR"],
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "EMAIL_TIMEOUT": "5",
            "EMAIL_USE_TLS": "0", "EMAIL_USE_SSL": "0", "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": "",
            # Beat's sending entries every second instead of every 15 s / minute: the test waits on them.
            "SENDING_DISPATCH_INTERVAL": "1", "SENDING_SWEEP_INTERVAL": "5",
        }
        self.process = None

    def start(self):
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.var_dir / "worker.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.e2e.celery_app", "worker", "-B", "--pool", "prefork",
             "--concurrency", "2", "--queues", self.queue, "--loglevel", "INFO", "--without-gossip",
             "--without-mingle", "--hostname", f"{self.queue}@%h", "--schedule", str(self.var_dir / "beat")],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        destination = [f"{self.queue}@{os.uname().nodename}"]
        wait_until(lambda: self.process.poll() is not None or celery_app.control.ping(destination, timeout=0.5),
                   "the worker to answer a ping", timeout=60, interval=0)
        assert self.process.poll() is None, self.output()
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def output(self):
        self.log.flush()
        return (self.var_dir / "worker.log").read_text(errors="replace")

    def run(self, task, timeout=60):
        """Send one of beat's tasks to this worker now and wait for its result (what beat would do later)."""
        return task.apply_async(queue=self.queue).get(timeout=timeout)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def journey_worker(live_server, smtp, settings, tmp_path):
    """The worker, and this process (the live server's requests) enqueuing onto its queue and mailing via SMTP."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SENDING_QUEUE = settings.TRACKING_QUEUE = settings.ALERTS_QUEUE = None
    worker = JourneyWorker(smtp_port=smtp.port, public_base_url=live_server.url, var_dir=tmp_path / "worker")
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = worker.queue  # every doorbell rung here reaches this worker
    try:
        yield worker.start()
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        worker.stop()


@pytest.fixture
def browser_context(browser):
    """browser_context(language=, url=, **options): a new chromium context (one person); all closed afterwards, so
    no page (the inbox polls every 2 s) outlives the test."""
    opened = []

    def new(*, language, url, **options):
        context = browser.new_context(locale="ja-JP" if language == "ja" else "en-US",
                                      viewport={"width": 1366, "height": 900}, **options)
        context.add_cookies([{"name": "django_language", "value": language, "url": url}])
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


class _SitePage(BaseHTTPRequestHandler):

    def do_GET(self):  # noqa: N802 - the http.server API
        body = self.server.pages.get(self.path.split("?", 1)[0])
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write((body or "not found").encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def customer_site():
    """The customer's own web site on another origin (http://127.0.0.1:<port>); the test sets its pages."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _SitePage)
    server.pages = {}  # path -> HTML, set by the test
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    tracking_selectors.cache_clear()  # this process cached the flushed site for a few seconds
