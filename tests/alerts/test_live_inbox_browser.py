"""A rep's inbox in headless chromium: a touch stored elsewhere appears within seconds, without a reload."""
import pytest
from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, Outcome
from alerts.routing import rep_duty_set
from alerts.services import alert_claim, alert_outcome_log
from contacts.models import Contact, ContactStatus, Contract, LostReason, TouchKind
from contacts.services import touch_event_record
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EVIL = "<script>window.__pwned=1</script>"


def _dormant(email, last_name, owner, days=240, **fields):
    contact = Contact.objects.create(email=email, last_name=last_name, owner=owner, status=ContactStatus.LOST,
                                     lost_reason=LostReason.COMPETITOR, phone="03-1234-5678", **fields)
    touch_event_record(contact=contact, kind=TouchKind.MEETING,
                       occurred_at=timezone.now() - timezone.timedelta(days=days))
    return contact


def test_inbox_shows_a_new_alert_live_and_never_runs_script_from_the_url(live_server, page, screenshot, rep):  # noqa: F811
    rep_duty_set(user=rep, on_duty=True)
    contact = _dormant("kato@example.co.jp", "加藤 健", rep, title="情報システム部 部長")
    Contract.objects.create(contact=contact, external_id="C-1042", plan="Standard", expires_at="2026-03-31",
                            status="lapsed")
    browser_login(page, live_server, "rep1", "pw-rep1-1234", language="en")
    page.goto(f"{live_server.url}/alerts/")
    assert page.locator("#inbox-empty").is_visible()

    # The event arrives from outside the page (tracking would call the same service).
    now = timezone.now().replace(microsecond=0)
    touch_event_record(contact=contact, kind=TouchKind.EMAIL_CLICK, occurred_at=now - timezone.timedelta(seconds=40),
                       url="https://example.co.jp/case-studies/retail", detail="秋の休眠掘り起こし")
    touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=now,
                       url=f"https://example.co.jp/pricing?ref={EVIL}")
    card = page.locator("article.alert-card").first
    card.wait_for(timeout=5000)
    assert Alert.objects.filter(contact=contact).count() == 2  # came back + viewed pricing
    assert "加藤 健" in card.inner_text()
    assert page.evaluate("window.__pwned") is None
    assert EVIL in page.inner_text("#alert-inbox")  # shown as text, not run
    page.wait_for_timeout(300)
    screenshot("alerts-1-inbox-live")

    # Claim the first one and log a meeting: the list updates and the call reaches the timeline.
    with page.expect_navigation():
        page.locator("article.alert-card").first.locator("button", has_text="").first.click()
    first = page.locator("article.alert-card").first
    first.locator("select[name=outcome]").select_option("meeting_booked")
    first.locator("input[name=note]").fill("来週火曜 10:00 オンライン")
    with page.expect_navigation():
        first.locator("button.btn-success").click()
    assert page.locator("#alerts-done li").count() == 1
    assert contact.events.filter(kind=TouchKind.CALL).count() == 1
    screenshot("alerts-2-inbox-after-outcome")


def test_team_view_colours_open_alerts_by_age(live_server, page, screenshot, rep, other_rep, admin_user):  # noqa: F811
    from alerts import evaluate
    from alerts.models import Trigger

    rep_duty_set(user=rep, on_duty=True)
    rep_duty_set(user=other_rep, on_duty=False)
    now = timezone.now()
    triggers = {t.kind: t for t in Trigger.objects.all()}
    rows = [("佐藤 一郎", rep, 5, "page_view", "page_view"),
            ("高橋 花子", other_rep, 35, "dormant_return", "page_view"),
            ("田中 次郎", None, 95, "reply_or_form", "form_submit")]
    for name, owner, minutes, kind, touch_kind in rows:
        contact = _dormant(f"{minutes}@example.co.jp", name, owner)
        why = {"kind": kind, "url": "https://example.co.jp/pricing", "rules": ["Silent 180 days, lost or stalled"],
               "touch": touch_kind, "detail": "資料請求フォーム"}
        with transaction.atomic():
            evaluate.alerts_fire([(triggers[kind], contact.pk, why)], touches_by_contact={},
                                 now=now - timezone.timedelta(minutes=minutes))
        if owner is None:
            Alert.objects.filter(contact=contact).update(assignee=None)
    done = Alert.objects.get(contact__last_name="佐藤 一郎")
    alert_claim(alert=done, user=rep, now=now - timezone.timedelta(minutes=3))
    extra = _dormant("done@example.co.jp", "伊藤 三郎", rep)
    with transaction.atomic():
        [fired] = evaluate.alerts_fire([(triggers["page_view"], extra.pk, {"kind": "page_view", "url": "/pricing"})],
                                       touches_by_contact={}, now=now - timezone.timedelta(minutes=50))
    alert_claim(alert=fired, user=rep, now=now - timezone.timedelta(minutes=48))
    alert_outcome_log(alert=fired, user=rep, outcome=Outcome.REACHED, now=now - timezone.timedelta(minutes=40))
    browser_login(page, live_server, "admin1", "pw-admin1-1234", language="en")
    page.goto(f"{live_server.url}/alerts/team/")
    assert page.locator("#open-alerts tr.sla-late").count() == 1
    assert page.locator("#open-alerts tr.sla-warn").count() == 1
    assert page.locator("#open-alerts tr.sla-ok").count() == 1
    screenshot("alerts-3-team-view")
