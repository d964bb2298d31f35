"""The main pages under the Content-Security-Policy in headless chromium: no violation, and what their scripts do
still works (charts, live previews, the behaviour that used to be inline: language switch, confirm, toggles)."""
import uuid

import pytest
from django.utils import timezone

from alerts.models import Alert, Trigger
from campaigns import services
from campaigns.models import MessageTemplate, SenderProfile
from contacts.models import Contact, ContactStatus, ImportJob, ImportKind, ImportStatus
from dormancy.models import DormancyRule
from dormancy.services import dormancy_rule_create
from segments.models import Segment
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DEFAULT_RULE = {
    "name": "Silent 180 days", "slug": "default", "inactivity_days": 180, "touch_kinds": ["email_click"],
    "conditions": {"match": "any", "items": [{"type": "lost"}]},
}


def _data(admin_user, tmp_path):
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    rule = (DormancyRule.objects.filter(slug="default").first()
            or dormancy_rule_create(**DEFAULT_RULE, user=None, note="Shipped"))
    for i in range(3):
        Contact.objects.create(email=f"lost{i}@example.jp", last_name=f"山田{i}", status=ContactStatus.LOST)
    contact = Contact.objects.first()
    segment = Segment.objects.create(name="Lost", definition={
        "op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]})
    sender = SenderProfile.objects.create(name="Main", from_name="Rekindle", from_email="sales@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    template = MessageTemplate.objects.create(
        name="Styled", subject="Hi", body_text="Hello", style="newsletter",
        body_html='<html><head><style>p{color:#c00}</style></head><body><p style="font-size:20px">Hello</p>'
                  '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt=""></body></html>')
    campaign = services.broadcast_save(name="Win-back", segment=segment, sender=sender, scheduled_at=None,
                                       holdout_percent=0, variant_b_percent=50, template=template, template_b=None)
    trigger = Trigger.objects.first() or Trigger.objects.create(name="Reply", kind="reply_or_form")
    Alert.objects.create(trigger=trigger, contact=contact, fired_at=timezone.now(), assignee=admin_user)
    job = ImportJob.objects.create(id=uuid.uuid4(), kind=ImportKind.CONTACTS, original_name="x.csv",
                                   stored_path=str(tmp_path / "x.csv"), status=ImportStatus.VALIDATED,
                                   total_rows=3, bad_rows=1, created_by=admin_user)
    return {"rule": rule, "segment": segment, "template": template, "campaign": campaign, "contact": contact,
            "job": job}


def test_main_pages_run_under_the_policy_without_a_violation(live_server, page, screenshot, admin_user, tmp_path):
    data = _data(admin_user, tmp_path)
    problems = []
    # CSP violations and script errors; not a 4xx answer (the favicon, an invalid rule's preview: expected).
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            or (message.type == "error" and not message.text.startswith("Failed to load resource")) else None)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    browser_login(page, live_server, "admin1", "pw-admin1-1234", language="en")
    url = live_server.url
    goto = page.goto

    def checked_goto(address):
        assert problems == []  # what the previous page did
        return goto(address)

    page.goto = checked_goto

    page.goto(f"{url}/reports/")  # the dashboard: every chart is drawn by the static script
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-dormancy'))")
    assert page.evaluate("() => Chart.getChart(document.getElementById('chart-pipeline')) !== undefined")
    screenshot("csp-1-dashboard")

    page.goto(f"{url}/contacts/")
    assert page.locator("table").count() >= 1
    page.goto(f"{url}/contacts/{data['contact'].pk}/")

    page.goto(f"{url}/segments/new/")  # the builder's live preview
    page.click("#segment-builder [data-action=add-condition]")
    page.wait_for_function("() => /^[0-9]+$/.test(document.getElementById('preview-count').textContent)")
    screenshot("csp-2-segment-builder")

    page.goto(f"{url}/dormancy/{data['rule'].pk}/edit/")  # the editor's live impact preview
    page.wait_for_function("() => /^[0-9]+$/.test(document.getElementById('preview-total').textContent)")
    page.fill("input[name=inactivity_days]", "0")
    page.wait_for_selector("#preview-errors:not(.d-none)")
    screenshot("csp-3-dormancy-editor")

    page.goto(f"{url}/campaigns/flows/sequence/new/")  # the flow builder adds step rows from a <template>
    rows = page.locator(".step-row").count()
    page.click("#add-step")
    assert page.locator(".step-row").count() == rows + 1
    screenshot("csp-4-sequence-builder")

    page.goto(f"{url}/alerts/")
    assert page.locator("article.alert-card").count() == 1
    page.wait_for_timeout(2500)  # one live poll of the feed
    screenshot("csp-5-alert-inbox")

    page.goto(f"{url}/campaigns/")
    page.goto(f"{url}/campaigns/{data['campaign'].pk}/")
    screenshot("csp-6-campaign")

    template = data["template"].pk
    page.goto(f"{url}/campaigns/templates/{template}/")  # static/js/template_form.js (was inline)
    page.check("input[name=style][value=personal]")
    assert page.locator("#html-part").is_hidden() and page.locator("#personal-note").is_visible()
    page.check("input[name=style][value=newsletter]")
    assert page.locator("#html-part").is_visible()
    page.once("dialog", lambda dialog: dialog.dismiss())  # data-confirm (was onsubmit=): dismissing keeps it
    page.click("text=Delete template")
    page.wait_for_timeout(300)
    assert MessageTemplate.objects.filter(pk=template).exists()
    screenshot("csp-7-template-editor")

    page.goto(f"{url}/campaigns/templates/{template}/preview/")  # the mail's own styles in the sandboxed frame
    frame = page.frame_locator("#preview-html")
    assert frame.locator("p").evaluate("(p) => getComputedStyle(p).fontSize") == "20px"
    assert frame.locator("p").evaluate("(p) => getComputedStyle(p).color") == "rgb(204, 0, 0)"
    screenshot("csp-8-template-preview")

    page.goto(f"{url}/contacts/imports/{data['job'].pk}/")  # static/js/import_confirm.js (was inline)
    assert page.locator("#import-submit").is_disabled()
    page.check("#id_import_good_rows")
    assert page.locator("#import-submit").is_enabled()

    page.goto(f"{url}/reports/dormancy/?rule=default")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('report-chart'))")

    page.goto(f"{url}/api/v1/docs/")  # Swagger UI: its own script file (the split view)
    page.wait_for_selector("#swagger-ui .information-container", timeout=15000)
    screenshot("csp-9-api-docs")

    page.goto(f"{url}/admin/")
    page.goto(f"{url}/admin/auth/user/{admin_user.pk}/change/")  # the admin's widgets (filter_horizontal)
    page.wait_for_selector("#id_groups_filter", state="attached")
    screenshot("csp-10-django-admin")

    page.goto(f"{url}/contacts/")  # the language switch (was onchange=): choosing submits the form
    with page.expect_navigation():
        page.select_option("#language-form select[name=language]", "ja")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert problems == []

    # And the listener does hear a violation: an injected inline script is refused, and it does not run.
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                  " document.body.appendChild(s); }")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__ran") is None
    assert len(problems) == 1 and "Content Security Policy" in problems[0]
