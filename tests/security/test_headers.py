"""Security headers on every page, and no inline script, inline handler or javascript: URL in any of them.

The Content-Security-Policy (config/csp.py) only protects if the pages need
nothing it forbids: so every HTML page an admin can open is fetched, its
headers checked and its markup searched. Production settings (HTTPS=1) add
HSTS and secure cookies, checked in a subprocess as `check --deploy` is.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from config.csp import HEADER
from tests.config.test_settings import PRODUCTION_ENV

from .page_audit import INLINE_STYLE_PAGES, PageAudit, html_pages, url_args  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "data:", "*")


def directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _policy_problems(header, name):
    found = directives(header)
    problems = []
    if found.get("script-src") != ["'self'"]:
        problems.append(f"script-src {found.get('script-src')}")
    expected = {"object-src": ["'none'"], "base-uri": ["'self'"], "frame-ancestors": ["'none'"],
                "form-action": ["'self'"], "default-src": ["'self'"]}
    problems += [f"{key} {found.get(key)}" for key, value in expected.items() if found.get(key) != value]
    style = found.get("style-src", [])
    if name not in INLINE_STYLE_PAGES and style != ["'self'"]:
        problems.append(f"style-src {style}")
    if any(source in UNSAFE for source in style if source != "'unsafe-inline'"):
        problems.append(f"style-src {style}")
    return problems


@pytest.mark.django_db
def test_every_admin_page_has_the_security_headers_and_no_inline_script(client, admin_user, html_pages):  # noqa: F811
    client.force_login(admin_user)
    failures, audited = [], 0
    for url, name in html_pages:
        response = client.get(url)
        expected = 404 if url == "/no-such-page/" else 200
        if response.status_code != expected:
            failures.append(f"{url}: status {response.status_code}")
            continue
        if response.get("X-Content-Type-Options") != "nosniff":
            failures.append(f"{url}: X-Content-Type-Options {response.get('X-Content-Type-Options')}")
        if response.get("Referrer-Policy") != "same-origin":
            failures.append(f"{url}: Referrer-Policy {response.get('Referrer-Policy')}")
        if not response.get("Content-Type", "").startswith("text/html"):
            continue  # JSON, CSV, the API schema, t.js: not documents
        audited += 1
        if response.get("X-Frame-Options") != "DENY":
            failures.append(f"{url}: X-Frame-Options {response.get('X-Frame-Options')}")
        if HEADER not in response:
            failures.append(f"{url}: no {HEADER}")
        else:
            failures += [f"{url}: {problem}" for problem in _policy_problems(response[HEADER], name)]
        body = PageAudit(response.content.decode())
        failures += [f"{url}: inline script {item}" for item in body.inline_scripts]
        failures += [f"{url}: handler {item}" for item in body.handlers]
        failures += [f"{url}: {item}" for item in body.js_urls]
        if name not in INLINE_STYLE_PAGES and not url.startswith("/admin/"):
            failures += [f"{url}: inline style {item}" for item in body.styles]
    assert failures == [], "\n".join(failures)
    assert audited >= 100  # the walk really reached the app's pages, the admin's and the public ones


def test_tracking_snippet_is_served_cross_origin_without_a_page_policy(client):
    response = client.get(reverse("track:script"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"  # customers' pages load it
    assert response["X-Content-Type-Options"] == "nosniff"
    assert HEADER not in response  # a policy belongs to documents; the customer's page has its own


def test_the_policy_is_never_widened_for_scripts():
    from config.csp import csp_update

    with pytest.raises(ValueError, match="script-src"):
        csp_update(script_src=("'unsafe-inline'",))


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="rekindle.example.co.jp")
plain = client.get("/login/")
page = client.get("/login/", secure=True)
language = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"}, secure=True)
cookies = {name: bool(morsel["secure"]) for response in (page, language) for name, morsel in response.cookies.items()}
print(json.dumps({
    "redirect": [plain.status_code, plain.get("Location")],
    "status": page.status_code,
    "hsts": page.get("Strict-Transport-Security"),
    "csp": page.get("Content-Security-Policy"),
    "cookies": cookies,
    "settings": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY],
}))
"""


def test_production_settings_send_hsts_and_secure_cookies(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(PRODUCTION_ENV, REKINDLE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["redirect"] == [301, "https://rekindle.example.co.jp/login/"]
    assert found["status"] == 200
    assert found["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self';" in found["csp"]
    assert found["cookies"] == {"csrftoken": True, "django_language": True}
    assert found["settings"] == [True, True, True]
