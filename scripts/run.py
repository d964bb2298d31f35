"""`make run`: the whole app in the foreground on the embedded default.

Starts a private Redis (unless REDIS_URL is set), migrates, loads demo data
once, prints the demo logins, then runs web (gunicorn), a Celery worker and
Celery beat. Ctrl-C stops every process it started.
"""
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import embedded_redis  # noqa: E402

BIN = Path(sys.executable).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
DEMO_CONTACTS = os.environ.get("DEMO_CONTACTS", "3000")


def manage(*args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def _wait_until_healthy(children, timeout=60):
    """Hold the banner until the web server answers, so it is the last thing printed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(child.poll() is None for child in children):
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=2):  # noqa: S310
                time.sleep(1.5)  # let the worker and beat finish their start-up banners
                return
        except OSError:
            time.sleep(0.5)


def _interrupt(*_args):
    raise KeyboardInterrupt


def main():
    # Ctrl-C must stop everything even when this was started from a shell that ignores SIGINT for background
    # jobs (nohup, `cmd &` in a script): Python then keeps SIGINT ignored instead of raising KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    env = os.environ
    # Demo mail goes to files in var/outbox (readable, never delivered) unless a real backend is configured.
    if not env.get("EMAIL_HOST"):
        env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    var_dir = Path(env.get("REKINDLE_VAR_DIR", ROOT / "var"))
    env.setdefault("PUBLIC_BASE_URL", f"http://{HOST}:{PORT}")
    redis_process = None
    if not env.get("REDIS_URL"):
        redis_process, env["REDIS_URL"] = embedded_redis.start(var_dir / "redis")
        print(f"Started private Redis at {env['REDIS_URL']} (AOF on, noeviction)", flush=True)

    children = []

    def stop_all(*_args):
        # A second Ctrl-C (or a SIGTERM after it) must not cut the clean-up short and orphan processes.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(children):
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        embedded_redis.stop(redis_process)

    try:
        manage("migrate", "--noinput", "-v", "0")
        manage("collectstatic", "--noinput", "-v", "0")
        manage("seed_demo", "--contacts", DEMO_CONTACTS)
        manage("recompute_scores")  # beat does it hourly; the call list should be ordered from the start
        commands = {
            "web": [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{PORT}",
                    "--workers", "2", "--threads", "4", "--access-logfile", "-", "--timeout", "120"],
            # WARNING: beat's safety nets (the tracking drain every 2 s, sweeps) would bury the logins in INFO lines.
            "worker": [str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "WARNING", "--concurrency", "2"],
            "beat": [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "WARNING",
                     "--schedule", str(var_dir / "celerybeat-schedule")],
        }
        for name, command in commands.items():
            children.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))
            print(f"started {name} (pid {children[-1].pid})", flush=True)
        _wait_until_healthy(children)
        print("\n" + "=" * 72, flush=True)
        manage("demo_users")
        if env.get("EMAIL_BACKEND", "").endswith("filebased.EmailBackend"):
            print(f"Mail is written to {var_dir / 'outbox'} instead of being sent (set EMAIL_HOST to send).",
                  flush=True)
        print(f"\nRekindle is running at http://{HOST}:{PORT}/  — press Ctrl-C to stop.", flush=True)
        print("=" * 72 + "\n", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A process exited; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
