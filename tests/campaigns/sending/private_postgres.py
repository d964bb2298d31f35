"""A private PostgreSQL cluster for the fault test that stops the database mid-send.

The shared server on 127.0.0.1:5432 serves other work and is never restarted: this one lives in a temporary
directory, on a free port, with its socket in its own directory, and is stopped with `-m immediate` (every
backend killed at once, crash recovery at the next start, as after a database crash). PostgreSQL refuses to run
as root, so as root (CI) its commands run as the `postgres` OS user, which then owns the directory. fsync is off:
the server process is killed, never the machine, so nothing is lost that a real crash would keep.
"""
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.db import connections

from config.embedded_redis import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(__file__).resolve().parents[3]


def unavailable():
    """Why a private cluster cannot be started here, or None."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return f"no PostgreSQL server binaries in {PG_BIN} (set PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` OS user to run PostgreSQL as"
        if not shutil.which("runuser"):
            return "running as root without `runuser` to run PostgreSQL as the postgres user"
    return None


class PrivatePostgres:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="rk-private-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args, timeout=120):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *map(str, args)], capture_output=True, timeout=timeout, cwd=self.dir)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stdout.decode(errors='replace')}"
                               f"{done.stderr.decode(errors='replace')}\n{self.log()}")
        return done

    def log(self):
        path = self.dir / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def init(self):
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        return self

    def start(self):
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c synchronous_commit=off -c max_connections=50")
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-t", "60",
                  "-o", options, "start")
        return self

    def stop(self, mode="fast"):
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def running(self):
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name):
        self._run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", name)
        return self.url(name)

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self):
        if self.running():
            try:
                self.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def migrate(url):
    """Create the schema in the database at `url` (a subprocess: this process's settings stay as they are)."""
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT,
                          env={**os.environ, "DATABASE_URL": url}, capture_output=True, timeout=600)
    if done.returncode:
        raise RuntimeError("migrate failed: " + (done.stdout + done.stderr).decode(errors="replace")[-4000:])


@contextmanager
def default_database_at(*, port, name):
    """Point this process's default connection at another PostgreSQL database for the duration.

    The worker reads the same database through DATABASE_URL (tests.worker._test_database_url reads these
    settings). The original settings are back before pytest-django flushes the test database.
    """
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port), NAME=name, USER="postgres", PASSWORD="")
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
