"""Builds a recurring newsletter in headless chromium: presets, a bad cron expression, the page, Start."""
import pytest

from campaigns.models import Campaign, CampaignStatus, MessageTemplate, SenderProfile
from segments.models import Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "marketer1")
    page.fill("input[name=password]", "pw-marketer1-1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/")  # a marketer lands on the dashboard


def test_marketer_builds_and_starts_a_recurring_newsletter(live_server, page, screenshot, marketer):
    sender = SenderProfile.objects.create(name="広報", from_name="Rekindle", from_email="news@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    segment = Segment.objects.create(name="購読者", definition={
        "op": "and", "items": [{"type": "consent", "can_receive_marketing": True}]})
    template = MessageTemplate.objects.create(name="月刊ニュース", subject="今月のお知らせ", body_text="…")
    _login(page, live_server)

    page.goto(f"{live_server.url}/campaigns/")
    page.click("a[href='/campaigns/recurring/new/']")
    page.fill("input[name=name]", "週刊ニュース")
    page.select_option("select[name=segment]", str(segment.pk))
    page.select_option("select[name=sender]", str(sender.pk))
    page.select_option("select[name=template]", str(template.pk))
    cron = page.locator("input[name=schedule]")
    assert cron.input_value() == "0 10 * * 1" and cron.get_attribute("readonly") is not None
    page.check("input[name=preset][value='0 10 1 * *']")
    assert cron.input_value() == "0 10 1 * *"
    page.check("input[name=preset][value=custom]")
    assert cron.get_attribute("readonly") is None
    cron.fill("0 25 * * 1")
    page.click("#recurring-form button[type=submit]")
    page.wait_for_selector(".invalid-feedback, .text-danger, .errorlist")
    screenshot("recurring_form_error")
    assert "25" in page.content() and Campaign.objects.count() == 0
    page.locator("input[name=schedule]").fill("30 9 * * 2,4")
    page.click("#recurring-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/campaigns/*/recurring/")
    assert page.locator("#upcoming li").count() == 3
    assert page.locator("#preflight").is_visible()
    screenshot("recurring_draft_page")
    page.click("#start")
    page.wait_for_selector(".alert-success")
    screenshot("recurring_running_page")
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.schedule) == (CampaignStatus.RUNNING, "30 9 * * 2,4")
    assert campaign.next_run_at is not None
