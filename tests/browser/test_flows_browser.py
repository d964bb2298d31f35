"""Builds a sequence and a playbook in headless chromium, starts both, and opens a rescue-options page."""
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import rescue
from campaigns.flows.run import flows_run
from campaigns.models import Campaign, CampaignStatus, MessageTemplate, PlaybookTimeline, SenderProfile
from contacts.models import Contact, Contract
from segments.models import Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "marketer1")
    page.fill("input[name=password]", "pw-marketer1-1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/")  # a marketer lands on the dashboard


@pytest.fixture
def parts(marketer):
    sender = SenderProfile.objects.create(name="営業部", from_name="Rekindle 営業部", from_email="sales@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    segment = Segment.objects.create(name="失注から半年", definition={
        "op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]})
    customers = Segment.objects.create(name="顧客", definition={
        "op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "customer"}]})
    check_in = MessageTemplate.objects.create(name="近況うかがい", subject="ご無沙汰しております", body_text="…")
    notice = MessageTemplate.objects.create(name="満了のお知らせ", subject="契約満了のご案内", body_text="…")
    return sender, segment, customers, check_in, notice


def test_marketer_builds_a_sequence_and_a_playbook_and_starts_them(live_server, page, screenshot, parts, rep):
    sender, segment, customers, check_in, notice = parts
    _login(page, live_server)

    page.goto(f"{live_server.url}/campaigns/flows/sequence/new/")
    page.fill("input[name=name]", "失注半年フォロー")
    page.select_option("select[name=sender]", str(sender.pk))
    page.select_option("select[name=segment]", str(segment.pk))
    page.select_option("select[name=steps-0-template]", str(check_in.pk))
    page.fill("input[name=steps-1-purpose]", "資料を見たか確認する")
    page.fill("input[name=steps-1-wait_days]", "3")
    page.select_option("select[name=steps-2-kind]", "wait_until")
    assert page.locator("select[name=steps-2-template]").is_hidden()
    page.select_option("select[name=steps-2-condition_segment]", str(customers.pk))
    page.fill("input[name=steps-2-wait_days]", "14")
    page.click("#add-step")
    page.select_option("select[name=steps-4-kind]", "email")
    page.select_option("select[name=steps-4-template]", str(notice.pk))
    screenshot("flows_sequence_builder")
    page.click("#save")
    page.wait_for_url(f"{live_server.url}/campaigns/flows/*/")
    assert page.locator("#timeline li").count() == 4
    page.click("#start")
    page.wait_for_selector(".alert-success")
    sequence = Campaign.objects.get(name="失注半年フォロー")
    assert sequence.status == CampaignStatus.RUNNING
    assert list(sequence.steps.values_list("kind", flat=True)) == ["email", "call_task", "wait_until", "email"]
    screenshot("flows_sequence_started")

    page.goto(f"{live_server.url}/campaigns/flows/playbook/new/")
    page.fill("input[name=name]", "年間契約の更新")
    page.select_option("select[name=sender]", str(sender.pk))
    page.check("input[name=all_active_contracts]")
    for i in (0, 1, 3):
        page.select_option(f"select[name=phases-{i}-template]", str(notice.pk))
    page.fill("textarea[name=lapse_text]", "過去3年分の配信履歴と分析レポート")
    screenshot("flows_playbook_builder")
    page.click("#save")
    page.wait_for_url(f"{live_server.url}/campaigns/flows/*/")
    page.click("#start")
    page.wait_for_selector(".alert-success")
    playbook = Campaign.objects.get(name="年間契約の更新")
    assert playbook.status == CampaignStatus.RUNNING
    assert list(playbook.steps.values_list("offset_days", flat=True)) == [-60, -30, -7, 7]
    assert playbook.rescue_options.count() == 3

    contact = Contact.objects.create(email="buyer@example.jp", last_name="鈴木", owner=rep, consent="opt_in")
    Contract.objects.create(contact=contact, external_id="A-1", plan="スタンダード",
                            expires_at=timezone.localdate() + timedelta(days=20))
    flows_run(now=timezone.now())
    page.reload()
    screenshot("flows_playbook_started")
    timeline = PlaybookTimeline.objects.get(campaign=playbook)
    page.goto(f"{live_server.url}/r/{rescue.rescue_token(timeline)}/")
    assert page.locator("#options button").count() == 3
    screenshot("flows_rescue_options")
    page.locator("#options button").nth(2).click()
    page.wait_for_selector("#confirmation")
    screenshot("flows_rescue_chosen")
