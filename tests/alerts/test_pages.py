"""The inbox, its live feed, the team view and the trigger pages: what they show, and never raw markup."""
import pytest
from django.urls import reverse

from alerts.models import Alert, Trigger, TriggerKind
from alerts.routing import rep_duty_set
from contacts.models import TouchKind

from .conftest import evaluate_batch, make_contact, touch

pytestmark = pytest.mark.django_db
EVIL = "<script>alert('x')</script>"


def _evil_alert(owner):
    contact = make_contact(last_touch_days=400, owner=owner, last_name=EVIL, phone=EVIL)
    evaluate_batch([touch(contact, url=f"https://example.jp/pricing?q={EVIL}", detail=EVIL),
                    touch(contact, kind=TouchKind.FORM_SUBMIT, url="", detail=EVIL)])
    return contact


def test_script_in_url_detail_and_name_is_never_rendered_raw(rep, admin_user, client):
    _evil_alert(rep)
    assert Alert.objects.count() == 3
    client.force_login(rep)
    page = client.get(reverse("alerts:inbox")).content.decode()
    feed = client.get(reverse("alerts:feed"))
    # The feed's titles are plain text for the Notification API (never HTML); its list is escaped HTML.
    assert feed["Content-Type"] == "application/json"
    for body in (page, feed.json()["html"]):
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert" in body
    Alert.objects.update(assignee=None)
    client.force_login(admin_user)
    body = client.get(reverse("alerts:team")).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body


def test_feed_answers_204_while_nothing_changed_and_the_new_list_when_an_alert_arrives(rep, client):
    client.force_login(rep)
    first = client.get(reverse("alerts:feed")).json()
    assert client.get(reverse("alerts:feed"), {"v": first["v"]}).status_code == 204
    contact = make_contact(last_touch_days=1, owner=rep, last_name="鈴木")
    evaluate_batch([touch(contact, url="https://example.jp/pricing")])
    changed = client.get(reverse("alerts:feed"), {"v": first["v"]})
    assert changed.status_code == 200
    data = changed.json()
    assert data["v"] != first["v"]
    assert [item["title"] for item in data["open"]] == ["鈴木"]
    assert "Viewed https://example.jp/pricing" in data["html"]


def test_an_alert_committed_while_the_feed_answers_is_not_lost_to_the_next_poll(rep, client, monkeypatch):
    """The feed reads its version, then its rows: an alert landing in between must make the next poll refetch."""
    from alerts import selectors

    client.force_login(rep)
    contact = make_contact(last_touch_days=1, owner=rep, last_name="間に合う")
    rows_of = selectors.inbox

    def rows_after_an_alert_lands(user, *, now):
        monkeypatch.setattr(selectors, "inbox", rows_of)
        rows = rows_of(user, now=now)  # the list as it was read …
        evaluate_batch([touch(contact, url="https://example.jp/pricing")])  # … then an alert commits
        return rows

    monkeypatch.setattr(selectors, "inbox", rows_after_an_alert_lands)
    first = client.get(reverse("alerts:feed")).json()
    assert first["open"] == []
    again = client.get(reverse("alerts:feed"), {"v": first["v"]})
    assert again.status_code == 200 and [item["title"] for item in again.json()["open"]] == ["間に合う"]


def test_a_rep_sees_own_and_unassigned_alerts_but_not_another_reps(rep, other_rep, client):
    mine = make_contact(last_touch_days=1, owner=rep, last_name="Mine")
    theirs = make_contact(last_touch_days=1, owner=other_rep, last_name="Theirs")
    nobodys = make_contact(last_touch_days=1, last_name="Nobody")
    evaluate_batch([touch(c, url="https://example.jp/pricing") for c in (mine, theirs, nobodys)])
    client.force_login(rep)
    body = client.get(reverse("alerts:inbox")).content.decode()
    assert "Mine" in body and "Nobody" in body
    assert "Theirs" not in body


def test_a_full_inbox_says_how_many_alerts_it_does_not_show(rep, client, monkeypatch):
    """A flood of alerts (a campaign bringing many back at once) must not hide the older ones without a word."""
    from alerts import selectors

    monkeypatch.setattr(selectors, "INBOX_LIMIT", 2)
    client.force_login(rep)
    for name in ("Oldest-contact", "Second-contact"):
        evaluate_batch([touch(make_contact(last_touch_days=1, owner=rep, last_name=name),
                              url="https://example.jp/pricing")])
    assert 'id="inbox-more"' not in client.get(reverse("alerts:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nobodys = make_contact(last_touch_days=1, last_name="Newest-contact")  # unassigned: every rep's inbox shows it
    evaluate_batch([touch(nobodys, url="https://example.jp/pricing")])
    body = client.get(reverse("alerts:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Showing the newest 2 of 3 alerts still open." in body
    assert "Newest-contact" in body and "Oldest-contact" not in body
    japanese = client.get(reverse("alerts:feed"), HTTP_ACCEPT_LANGUAGE="ja").json()["html"]
    assert "未対応のアラート 3 件のうち、新しい 2 件を表示しています。" in japanese
    Alert.objects.filter(contact__last_name="Newest-contact").update(status="done")
    assert "inbox-more" not in client.get(reverse("alerts:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_inbox_feed_costs_a_fixed_number_of_queries(rep, client, django_assert_max_num_queries):
    for i in range(5):
        contact = make_contact(last_touch_days=1, owner=rep)
        evaluate_batch([touch(contact, url=f"https://example.jp/pricing?{i}")])
    client.force_login(rep)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("alerts:feed")).status_code == 200


def test_duty_toggle(rep, client):
    client.force_login(rep)
    client.post(reverse("alerts:duty"), {"on_duty": "1"})
    assert "On duty" in client.get(reverse("alerts:inbox")).content.decode()
    client.post(reverse("alerts:duty"), {"on_duty": "0"})
    assert "Off duty" in client.get(reverse("alerts:inbox")).content.decode()


def test_marketer_edits_a_trigger_quiet_period_and_rep_may_not(marketer, rep, client):
    trigger = Trigger.objects.get(kind=TriggerKind.PAGE_VIEW)
    client.force_login(rep)
    assert client.post(reverse("alerts:trigger_edit", args=[trigger.pk]), {}).status_code == 403
    client.force_login(marketer)
    response = client.post(reverse("alerts:trigger_edit", args=[trigger.pk]), {
        "name": "Viewed pricing or cases", "kind": "page_view", "url_patterns": "/pricing\n/case-studies",
        "dedup_hours": "12", "routing": "round_robin", "is_active": "on"})
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert (trigger.dedup_hours, trigger.patterns(), trigger.routing) == (12, ["/pricing", "/case-studies"],
                                                                          "round_robin")


def test_page_trigger_without_a_pattern_is_refused(admin_user, client):
    client.force_login(admin_user)
    response = client.post(reverse("alerts:trigger_new"), {
        "name": "Empty", "kind": "page_view", "url_patterns": "", "dedup_hours": "12",
        "routing": "round_robin", "is_active": "on"})
    assert response.status_code == 200
    assert not Trigger.objects.filter(name="Empty").exists()


def test_webhook_form_refuses_non_http_urls(admin_user, client):
    client.force_login(admin_user)
    client.post(reverse("alerts:webhook_new"), {"name": "x", "url": "file:///etc/passwd", "is_active": "on"})
    from alerts.models import WebhookEndpoint

    assert WebhookEndpoint.objects.count() == 0


def test_rep_duty_set_is_idempotent(rep):
    rep_duty_set(user=rep, on_duty=True)
    rep_duty_set(user=rep, on_duty=True)
    from alerts.models import RepDuty

    assert list(RepDuty.objects.values_list("user_id", "on_duty")) == [(rep.pk, True)]
