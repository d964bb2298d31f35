"""A marketer copies the lapse-notice starter, meets a line-numbered error, fixes it and previews a real contact."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import RepProfile
from campaigns.models import MessageTemplate
from campaigns.services_templates import starter_templates_ensure
from contacts.models import Company, Contact, Contract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "marketer1")
    page.fill("input[name=password]", "pw-marketer1-1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/")  # a marketer lands on the dashboard


def test_copy_break_fix_and_preview_the_lapse_notice(live_server, page, screenshot, marketer, rep):
    starter_templates_ensure()  # transactional tests flush what the migration loaded
    RepProfile.objects.create(user=rep, signature="佐藤 太郎", scheduling_url="https://cal.example.com/sato")
    company = Company.objects.create(name="株式会社みなと物流")
    contact = Contact.objects.create(email="kimura@minato-logi.example", last_name="木村", first_name="健一",
                                     company=company, owner=rep)
    Contract.objects.create(contact=contact, external_id="M-1", plan="スタンダードプラン",
                            expires_at=timezone.localdate() + timedelta(days=30))
    _login(page, live_server)

    page.goto(f"{live_server.url}/campaigns/templates/")
    assert page.locator("#starter-templates tbody tr").count() == 14
    screenshot("templates-1-library")

    page.click("#starter-templates tr[data-starter=lapse-notice-options-ja] button[type=submit]")
    page.wait_for_selector("#template-form")
    copy = MessageTemplate.objects.get(is_starter=False)
    assert page.url == f"{live_server.url}/campaigns/templates/{copy.pk}/"

    original = page.input_value("textarea[name=body_text]")
    lines = original.split("\n")
    page.fill("textarea[name=body_text]", "\n".join([*lines[:2], "{{ contact.nickname }}様", *lines[2:]]))
    page.click("#template-form button[type=submit]")
    error = page.locator("#template-form .invalid-feedback", has_text="contact.nickname")
    error.wait_for()
    assert "3" in error.inner_text() and "contact.nickname" in error.inner_text()
    assert page.locator("#template-errors").is_visible()
    copy.refresh_from_db()
    assert "nickname" not in copy.body_text  # nothing saved
    screenshot("templates-2-line-numbered-error")

    page.fill("textarea[name=body_text]", original.replace("\r\n", "\n"))
    page.click("#template-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/campaigns/templates/{copy.pk}/preview/")
    assert page.locator("#sample-note").is_visible()

    page.fill("#contact-search", "木村")
    page.click("#contact-picker button[type=submit]")
    page.click("#contact-matches a", timeout=5000)
    page.wait_for_selector("#preview-contact")
    assert page.inner_text("#preview-contact") == "木村 健一"
    assert page.inner_text("#preview-subject") == "【ご確認ください】スタンダードプランのご継続方法をお選びください"
    frame = page.frame_locator("#preview-html")
    assert "木村様" in frame.locator("body").inner_text()
    assert frame.locator("a", has_text="同じプランで1年間更新する").count() == 1
    screenshot("templates-3-preview-real-contact")
