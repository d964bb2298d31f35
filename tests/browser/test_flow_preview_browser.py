"""The reach preview on a draft sequence's and a draft playbook's page, in headless chromium (English pages)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.flows import services
from campaigns.models import MessageTemplate, RescueOptionKind, SenderProfile, StepKind, Suppression
from contacts.models import Contact, Contract
from segments.models import Segment, SegmentMembership

from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def english_page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900},
                                  extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    yield page
    context.close()


def _login(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "marketer1")
    page.fill("input[name=password]", "pw-marketer1-1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/")  # a marketer lands on the dashboard


def _audience(count, prefix):
    """`count` contacts: most opted in, a few without consent, opted out, bounced."""
    contacts = Contact.objects.bulk_create([
        Contact(email=f"{prefix}{i}@example.jp", last_name=f"山田{i}",
                consent="none" if i % 9 == 0 else "opted_out" if i % 13 == 0 else "opt_in")
        for i in range(1, count + 1)])
    Suppression.objects.bulk_create([Suppression(email=c.email, reason="bounced") for c in contacts[5:7]])
    return contacts


def test_draft_flows_show_whom_they_would_reach(live_server, english_page, marketer):
    page = english_page

    def screenshot(name):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    sender = SenderProfile.objects.create(name="Sales", from_name="Rekindle Sales", from_email="sales@example.co.jp",
                                          postal_address="1-1 Chiyoda, Tokyo", inquiry_contact="03-0000-0000")
    template = MessageTemplate.objects.create(name="Check-in", subject="How are things?", body_text="…")
    segment = Segment.objects.create(name="Lost deals, 6 months", definition={"op": "and", "items": []},
                                     refreshed_at=timezone.now())
    members = _audience(120, "lost")
    SegmentMembership.objects.bulk_create([SegmentMembership(segment=segment, contact=c, entered_at=timezone.now())
                                           for c in members])
    sequence = services.sequence_save(
        name="Lost-deal follow-up", sender=sender, segment=segment, trigger={"type": "segment_enter"},
        exit_on=["reply", "meeting"], allow_reentry=False, holdout_percent=10, variant_b_percent=50,
        steps=[{"kind": StepKind.EMAIL, "template": template},
               {"kind": StepKind.CALL_TASK, "wait_days": 3, "purpose": "Ask whether the material helped"}])

    today = timezone.localdate()
    owners = _audience(60, "customer")
    Contract.objects.bulk_create([Contract(contact=c, external_id=f"K{i}", plan="Standard",
                                           expires_at=today + timedelta(days=(i * 3) % 100 - 5))
                                  for i, c in enumerate(owners)])
    rescue = services.playbook_save(
        name="Annual renewal rescue", sender=sender, segment=None, all_active_contracts=True,
        lapse_text="Three years of reports", deadline_rule="before_lapse", deadline_days=1, holdout_percent=10,
        phases=[{"kind": StepKind.EMAIL, "phase": "pre_notice", "offset_days": -60, "template": template},
                {"kind": StepKind.EMAIL, "phase": "notice", "offset_days": -30, "template": template},
                {"kind": StepKind.CALL_TASK, "phase": "final", "offset_days": -7, "purpose": "Call before lapse"},
                {"kind": StepKind.EMAIL, "phase": "after_lapse", "offset_days": 7, "template": template}],
        options=[{"kind": RescueOptionKind.RENEW, "label": "Renew", "description": ""},
                 {"kind": RescueOptionKind.REDUCED, "label": "Smaller plan", "description": ""}])

    _login(page, live_server)
    page.goto(f"{live_server.url}/campaigns/flows/{sequence.pk}/")
    assert "Nobody enters when you start it" in page.locator("#preview-baseline").inner_text()
    assert page.locator("#preview-excluded tbody tr").count() >= 3
    screenshot("flow_preview_sequence")

    page.goto(f"{live_server.url}/campaigns/flows/{rescue.pk}/")
    assert page.locator("#preview-phases tbody tr").count() == 4
    screenshot("flow_preview_playbook")
