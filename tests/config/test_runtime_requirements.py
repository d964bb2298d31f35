"""`make run` installs requirements.txt only: everything the app imports at run time must come from it.

The suite runs in the dev environment, where test tools bring extra packages
(pytest brings `packaging`); a module the web, the worker or beat imports
from one of those works here and fails on a fresh `make run`. kombu 5.7's
Redis transport imports `packaging` without declaring it, which is how a
fresh clone's worker and beat died at start. This imports what the three
processes import, in a clean interpreter, and checks that each third-party
module belongs to a distribution requirements.txt installs: one it names, or
one those declare (their Requires-Dist, with the extras asked for).
"""
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORTS = """
import json, os, sys, sysconfig
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.apps import apps
import importlib, pkgutil
for app in apps.get_app_configs():
    for name in ("models", "views", "tasks", "admin", "urls", "api", "receivers", "signals"):
        try:
            importlib.import_module(f"{app.name}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{app.name}.{name}":
                raise
import config.wsgi, config.urls, config.celery
import kombu.transport.redis, celery.backends.redis, celery.apps.worker, celery.apps.beat
import gunicorn.app.wsgiapp, gunicorn.workers.sync, gunicorn.workers.gthread
from config.celery import app
app.loader.import_default_modules()
site = sysconfig.get_paths()["purelib"]
print(json.dumps(sorted({name.split(".")[0] for name, module in list(sys.modules.items())
                         if (getattr(module, "__file__", None) or "").startswith(site)})))
"""


# Imported at run time only when present (try/except ImportError in the importer), so their absence under
# `make run` changes nothing; the dev environment has them through the test tools.
OPTIONAL = {
    "_distutils_hack": "the venv's own setuptools .pth hook",
    "_cyutility": "Cython's shared helper module inside a compiled wheel (no distribution claims it)",
    "greenlet": "celery.utils probes for it",
    "msgpack": "kombu registers the serializer when present",
    "requests": "rest_framework's optional test client", "urllib3": "requests", "idna": "requests",
    "certifi": "requests", "charset_normalizer": "requests",
    "markdown": "rest_framework's browsable API", "pygments": "rest_framework's browsable API",
    "defusedxml": "openpyxl reads XML through it when present",
}


def _name(requirement):
    return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _closure():
    """Distributions pip installs for requirements.txt: the named ones and what they require, with extras."""
    wanted = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            extras = re.search(r"\[([^\]]+)\]", line)
            wanted.append((_name(line), {e.strip() for e in extras.group(1).split(",")} if extras else set()))
    seen = set()
    while wanted:
        name, extras = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in metadata.requires(name) or []:
            marker = requirement.split(";", 1)[1] if ";" in requirement else ""
            asked = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
            if asked and asked.group(1) not in extras:
                continue
            if not asked and marker and not _applies(marker):
                continue
            inner = re.search(r"\[([^\]]+)\]", requirement.split(";")[0])
            wanted.append((_name(requirement), {e.strip() for e in inner.group(1).split(",")} if inner else set()))
    return seen


def _applies(marker):
    from packaging.markers import Marker  # test-time only: pytest brings it

    return Marker(marker).evaluate()


def test_every_module_the_processes_import_comes_from_the_runtime_requirements():
    out = subprocess.run([sys.executable, "-c", IMPORTS], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:////tmp/rk-requirements.sqlite3",
                              "REKINDLE_VAR_DIR": "/tmp/rk-requirements-var"}).stdout
    modules = json.loads(out.strip().splitlines()[-1])
    owners = metadata.packages_distributions()
    installed = _closure()
    outside = {module: owners.get(module) for module in modules if module not in OPTIONAL
               and not any(_name(dist) in installed for dist in owners.get(module, []))}
    assert modules and not outside, f"imported at run time but not installed by requirements.txt: {outside}"
