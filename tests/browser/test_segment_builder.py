"""The segment builder in headless chromium: the live count follows the edits, no page reload."""
import pytest

from contacts.models import Company, Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "marketer1")
    page.fill("input[name=password]", "pw-marketer1-1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/")  # a marketer lands on the dashboard


def test_marketer_builds_two_condition_segment_with_live_count(live_server, page, screenshot, marketer):
    it = Company.objects.create(name="株式会社テック", industry="IT")
    maker = Company.objects.create(name="製造工業", industry="製造")
    for i in range(7):
        Contact.objects.create(email=f"lost{i}@example.jp", last_name=f"山田{i}", first_name="太郎", status="lost",
                               company=it if i < 3 else maker)
    Contact.objects.create(email="lead@example.jp", status="lead", company=it)
    _login(page, live_server)
    page.goto(f"{live_server.url}/segments/new/")
    page.evaluate("window.__noReload = true")
    count = page.locator("#preview-count")

    page.click("#segment-builder [data-action=add-condition]")
    page.wait_for_function("() => document.getElementById('preview-count').textContent === '7'")
    assert page.locator("#preview-sample tbody tr").count() == 7

    page.click("#segment-builder [data-action=add-condition] >> nth=0")
    second = page.locator("#segment-builder .segment-condition").nth(1)
    second.locator("select[aria-label=field]").select_option("company.industry")
    second.locator("input[type=text]").fill("IT")
    page.wait_for_function("() => document.getElementById('preview-count').textContent === '3'")
    assert count.inner_text() == "3"
    assert page.evaluate("window.__noReload") is True
    page.fill("input[name=name]", "IT の失注")
    screenshot("segment_builder")

    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{live_server.url}/segments/*/")
    assert page.locator("#result-summary").inner_text().count("3") >= 1
    screenshot("segment_members")


def test_bad_value_shows_error_in_preview(live_server, page, marketer):
    _login(page, live_server)
    page.goto(f"{live_server.url}/segments/new/")
    page.click("#segment-builder [data-action=add-condition]")
    row = page.locator("#segment-builder .segment-condition").first
    row.locator("select[aria-label=field]").select_option("company.employee_count")
    row.locator("select[aria-label=operator]").select_option("gt")
    row.locator("input[type=number]").fill("")
    page.wait_for_function("() => document.getElementById('preview-errors').textContent.includes('items[0].value')")
    assert page.locator("#preview-count").inner_text() == "—"
