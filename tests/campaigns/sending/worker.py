"""A real Celery worker with embedded beat, for the fault tests: the whole sending loop in other processes.

Beat (inside the worker process group) runs dispatch and the sweeper on a
short schedule; the worker sends through the given SMTP port. The tests only
watch the database and the SMTP server, and kill processes.
"""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.worker import _test_database_url

ROOT = Path(__file__).resolve().parents[3]


class SendingWorker:
    def __init__(self, *, smtp_port, var_dir, redis_url=None, concurrency=2, **sending):
        self.queue = f"send-{uuid.uuid4().hex[:8]}"
        self.env = {
            **os.environ, "DATABASE_URL": _test_database_url(), "CELERY_TASK_ALWAYS_EAGER": "0",
            "SENDING_QUEUE": self.queue, "REKINDLE_VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "EMAIL_TIMEOUT": "5",
            "SENDING_DISPATCH_INTERVAL": "1", "SENDING_SWEEP_INTERVAL": "2", "SENDING_LEASE_SECONDS": "6",
            "SENDING_REDISPATCH_SECONDS": "10", "SENDING_RETRY_BASE_SECONDS": "1",
            **{key: str(value) for key, value in sending.items()},
        }
        if redis_url:
            self.env.update(REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url)
        self.concurrency = concurrency
        self.var_dir = Path(var_dir)
        self.process = None

    def start(self):
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.var_dir / f"worker-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--pool", "prefork",
             "--concurrency", str(self.concurrency), "--queues", self.queue, "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--hostname", f"{self.queue}@%h",
             "--schedule", str(self.var_dir / f"beat-{time.monotonic_ns()}")],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def children(self):
        """Pids of the worker's pool processes (and its embedded beat)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def kill_child(self):
        """SIGKILL one pool process (the one with the most CPU time: the busy one)."""
        def cpu(pid):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])

        pid = max(self.children(), key=cpu)
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self):
        """SIGKILL the whole worker: main process, pool and beat."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self):
        if not self.log.closed:
            self.log.flush()
        return max(self.var_dir.glob("worker-*.log"), key=lambda p: p.stat().st_mtime).read_text(errors="replace")
