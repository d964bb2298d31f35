"""`make run`'s launcher: private Redis, all processes up, Ctrl-C stops them all."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from config import embedded_redis

ROOT = Path(__file__).resolve().parents[2]


def test_embedded_redis_keeps_an_append_only_file_and_never_evicts(tmp_path):
    process, url = embedded_redis.start(tmp_path)
    try:
        client = redis.Redis.from_url(url, decode_responses=True)
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert client.config_get("bind")["bind"].startswith("127.0.0.1")
    finally:
        embedded_redis.stop(process)
    assert process.poll() is not None


def _children_of(pid):
    out = subprocess.run(["ps", "-eo", "pid,ppid,pgid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines()[1:] if str(pid) in line.split()[1:3]]


@pytest.mark.slow
def test_make_run_launcher_serves_the_app_and_ctrl_c_stops_everything(tmp_path):
    port = embedded_redis.free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"REKINDLE_VAR_DIR": str(tmp_path), "PORT": str(port), "DEMO_CONTACTS": "60",
                "CELERY_TASK_ALWAYS_EAGER": "0"})
    launcher = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    reader = threading.Thread(target=lambda: output.extend(iter(launcher.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        health = None
        while time.monotonic() < deadline and launcher.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.loads(response.read())
                    break
            except OSError:
                time.sleep(1)
        assert health == {"database": "ok", "redis": "ok", "status": "ok"}
        assert (tmp_path / "rekindle.sqlite3").exists()
        assert (tmp_path / "redis" / "appendonlydir").exists()
        # The logins banner follows the first healthy answer (one more management command: seconds on a busy
        # machine, so wait for it rather than a fixed time).
        banner_deadline = time.monotonic() + 90
        while time.monotonic() < banner_deadline and "Rekindle is running at" not in "".join(output):
            time.sleep(0.5)
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # Say what it was doing, and leave no processes behind for the rest of the suite.
            launcher.kill()
            launcher.wait()
            subprocess.run(["pkill", "-9", "-f", str(tmp_path)], check=False)
            pytest.fail("make run did not stop within 60 s of Ctrl-C; its output ends:\n" + "".join(output)[-4000:])
        finally:
            reader.join(timeout=10)
    text = "".join(output)
    assert launcher.returncode == 0, text
    assert "rekindle-demo" in text and "marketer" in text
    time.sleep(1)
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    leftovers += subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True).stdout.split()
    assert leftovers == []
