"""Shared fixtures: personas for each role, and headless chromium for the browser tests of every directory.

The chromium fixtures live here, once: the sync Playwright API runs an event loop in the test thread, so a
second session-scoped copy (a module importing them) would start a second loop and break every later test.
"""
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from accounts.roles import Role

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _make_user(username, role, **extra):
    password = "pw-" + username + "-1234"
    user = User.objects.create_user(username=username, password=password, email=f"{username}@example.com", **extra)
    # get_or_create: transactional tests flush the groups the migration made.
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def admin_user(db):
    return _make_user("admin1", Role.ADMIN, is_staff=True)


@pytest.fixture
def marketer(db):
    return _make_user("marketer1", Role.MARKETER)


@pytest.fixture
def rep(db):
    return _make_user("rep1", Role.INSIDE_SALES, first_name="Taro", last_name="Sato")


@pytest.fixture
def other_rep(db):
    return _make_user("rep2", Role.INSIDE_SALES, first_name="Hanako", last_name="Suzuki")


@pytest.fixture
def persona_client(client):
    """Log `client` in as the given user: persona_client(marketer)."""

    def login(user):
        client.force_login(user)
        return client

    return login


def browser_login(page, live_server, username, password, *, language=None):
    """Log in through the login page, as a person does; `language` ("en", "ja") sets the language cookie first."""
    if language:
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():  # the POST, its redirect and the page it lands on: a goto after it is safe
        page.click("main button[type=submit]")


@pytest.fixture(scope="session")
def browser():
    # The sync Playwright API runs an event loop in this thread; Django's ORM
    # in the same thread (fixtures, live server setup) must be allowed.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
