"""An admin edits the default dormancy rule and sees the live impact preview before saving."""
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Contact, ContactStatus, LostReason, TouchKind
from contacts.services import touch_event_record
from dormancy.models import DormancyRule
from dormancy.services import dormancy_rule_create
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEFAULT = {
    "name": "Silent 180 days, lost or stalled", "slug": "default", "inactivity_days": 180,
    "touch_kinds": list(TouchKind.values),
    "conditions": {"match": "any", "items": [{"type": "lost"}, {"type": "deal_stage_unchanged_days", "days": 90}]},
}


def _contact(email, last_name, days_silent, **fields):
    contact = Contact.objects.create(email=email, last_name=last_name, status=ContactStatus.LOST, **fields)
    touch_event_record(contact=contact, kind=TouchKind.EMAIL_CLICK,
                       occurred_at=timezone.now() - timedelta(days=days_silent))
    return contact


def test_admin_changes_the_threshold_sees_the_preview_then_saves_version_2(live_server, page, screenshot,
                                                                          admin_user):
    # Transactional tests flush what the migrations created (after the first such test): ship it again.
    rule = (DormancyRule.objects.filter(slug="default").first()
            or dormancy_rule_create(**DEFAULT, user=None, note="Shipped with Rekindle"))
    _contact("aoki@example.co.jp", "青木", 200, lost_reason=LostReason.COMPETITOR)
    baba = _contact("baba@example.co.jp", "馬場", 100, lost_reason=LostReason.PENDING)
    _contact("chiba@example.co.jp", "千葉", 30)
    browser_login(page, live_server, "admin1", "pw-admin1-1234")

    page.goto(f"{live_server.url}/dormancy/")
    assert page.inner_text("#rules tr[data-slug=default] .member-count") == "1"
    screenshot("dormancy-1-rule-list")

    page.goto(f"{live_server.url}/dormancy/{rule.pk}/edit/")
    page.wait_for_function("() => document.getElementById('preview-total').textContent === '1'")
    assert page.inner_text("#preview-added") == "0"
    page.fill("input[name=inactivity_days]", "90")
    page.wait_for_function("() => document.getElementById('preview-total').textContent === '2'")
    assert page.inner_text("#preview-added") == "+1"
    assert page.inner_text("#preview-removed") == "0"
    assert page.inner_text("#preview-added-examples") == "馬場 baba@example.co.jp"
    assert page.get_attribute("#preview-added-examples a", "href") == f"/contacts/{baba.pk}/"
    page.fill("input[name=note]", "90日に短縮")
    screenshot("dormancy-2-editor-preview")

    page.fill("input[name=inactivity_days]", "0")
    page.wait_for_selector("#preview-errors:not(.d-none)")
    screenshot("dormancy-3-editor-invalid")
    page.fill("input[name=inactivity_days]", "90")
    page.wait_for_selector("#preview-errors.d-none", state="attached")

    page.click("#rule-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dormancy/{rule.pk}/")
    assert "v2" in page.inner_text("#version-2")
    assert "90日に短縮" in page.inner_text("#version-2")
    assert page.inner_text("#member-count") == "2"
    rule.refresh_from_db()
    assert rule.inactivity_days == 90 and rule.versions.count() == 2
    screenshot("dormancy-4-rule-detail")

    page.goto(f"{live_server.url}/contacts/{baba.pk}/")
    assert "100" in page.inner_text("#dormancy-matches")
    screenshot("dormancy-5-contact-page")
    assert DormancyRule.objects.count() == 1
