"""Headless Debian chromium driven by Playwright against the live server (fixtures in tests/conftest.py)."""
from tests.conftest import ARTIFACTS, CHROMIUM  # noqa: F401  (used by the tests here)
