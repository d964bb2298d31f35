"""The Sending health page: deliveries by state, overdue leases, failed / interrupted / retrying rows, the queue
and beat's notes; admins and marketers read it, reps and strangers do not."""
import re
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from campaigns.models import Delivery, DeliveryStatus, SkipReason
from campaigns.sending import health
from campaigns.sending.materialize import campaign_start

from .conftest import make_broadcast, make_contacts, make_segment
from .faults import clear_beat_notes

pytestmark = pytest.mark.django_db
URL = "/campaigns/sending-health/"


@pytest.fixture
def notes():
    clear_beat_notes()
    yield
    clear_beat_notes()


@pytest.fixture
def rows(sender, template, sending_settings, notes):
    """Nine deliveries of one broadcast in every state the page tells apart."""
    now = timezone.now()
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(make_contacts(9)),
                              name="Spring <b>sale</b>")
    campaign_start(campaign, now=now)
    ids = list(Delivery.objects.order_by("id").values_list("id", flat=True))
    hour_ago, long_ago = now - timedelta(hours=1), now - timedelta(days=3)
    Delivery.objects.filter(id__in=ids[0:3]).update(status=DeliveryStatus.SENT, sent_at=hour_ago, updated_at=hour_ago)
    Delivery.objects.filter(id=ids[3]).update(status=DeliveryStatus.SENT, sent_at=long_ago, updated_at=long_ago)
    Delivery.objects.filter(id=ids[4]).update(
        status=DeliveryStatus.FAILED, reason=SkipReason.SMTP_REJECTED, attempts=1, updated_at=hour_ago,
        last_error='550 5.1.1 <script>alert("x")</script> no such user')
    Delivery.objects.filter(id=ids[5]).update(
        status=DeliveryStatus.UNKNOWN, attempts=1, updated_at=hour_ago, message_id="<5.abc@rekindle.example.co.jp>",
        last_error="The worker stopped before recording the outcome; the message may have been sent.")
    Delivery.objects.filter(id=ids[6]).update(status=DeliveryStatus.SENDING, attempts=1,
                                              lease_until=now - timedelta(minutes=2))
    Delivery.objects.filter(id=ids[7]).update(status=DeliveryStatus.QUEUED, attempts=2,
                                              scheduled_at=now + timedelta(minutes=2),
                                              last_error="ConnectionRefusedError: [Errno 111] Connection refused")
    Delivery.objects.filter(id=ids[8]).update(scheduled_at=now - timedelta(minutes=5))  # due, waiting
    health.beat_run_record("sweep", now=now - timedelta(seconds=30), unknown=1, finished=0)
    health.beat_run_record("dispatch", now=now - timedelta(seconds=5), handed=0)
    return campaign, ids


def card(page, name):
    found = re.search(rf'id="count-{name}">([\d,]+)<', page)
    return found and int(found.group(1).replace(",", ""))


def table(page, table_id):
    found = re.search(rf'<table[^>]*id="{table_id}">(.*?)</table>', page, re.S)
    return found.group(1) if found else ""


def test_the_page_counts_deliveries_by_state_and_lists_the_problems_with_links(client, admin_user, rows):
    campaign, ids = rows
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert {name: card(page, name) for name in ("queued", "retrying", "sending", "overdue", "sent", "failed",
                                                 "unknown", "suppressed")} == {
        "queued": 2, "retrying": 1, "sending": 1, "overdue": 1, "sent": 4, "failed": 1, "unknown": 1, "suppressed": 0}
    assert "3 in the last 24 hours" in page  # sent: one of the four went out three days ago
    assert 'id="overdue"' in page and "1 delivery has been sending for longer than its lease" in page
    unknown, failed, retrying = table(page, "unknown-rows"), table(page, "failed-rows"), table(page, "retrying-rows")
    contact_of = dict(Delivery.objects.filter(id__in=ids).values_list("id", "contact_id"))
    assert f'href="/contacts/{contact_of[ids[5]]}/"' in unknown and "&lt;5.abc@rekindle.example.co.jp&gt;" in unknown
    assert f'href="/campaigns/{campaign.pk}/"' in unknown and "Spring &lt;b&gt;sale&lt;/b&gt;" in unknown
    assert "may have been sent" in unknown
    assert f'href="/contacts/{contact_of[ids[4]]}/"' in failed and "Refused by the mail server" in failed
    assert f'href="/contacts/{contact_of[ids[7]]}/"' in retrying and "Connection refused" in retrying
    assert f"/contacts/{contact_of[ids[5]]}/" not in failed + retrying
    # What the marketer reads about interrupted mail.
    assert "may or may not have reached the contact" in page and "never resends it automatically" in page
    assert re.search(r'id="sweep-unknown">[^<]*: 1<', page) and 'id="sweep-late"' not in page
    assert re.search(r'id="dispatch-last">[^<]*: 0 handed out<', page)


def test_error_text_from_mail_servers_is_escaped(client, admin_user, rows):
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert '<script>alert("x")</script>' not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>sale</b>" not in page


def test_the_queue_length_is_read_from_the_broker(client, admin_user, rows, settings):
    settings.SENDING_QUEUE = "rk-health-test-send"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(settings.SENDING_QUEUE, settings.SENDING_QUEUE + "\x06\x163")
    broker.rpush(settings.SENDING_QUEUE, b"{}", b"{}")
    broker.rpush(settings.SENDING_QUEUE + "\x06\x163", b"{}")
    try:
        client.force_login(admin_user)
        page = client.get(URL).content.decode()
    finally:
        broker.delete(settings.SENDING_QUEUE, settings.SENDING_QUEUE + "\x06\x163")
    assert "<code>rk-health-test-send</code>" in page and re.search(r'id="queue-waiting">3<', page)


def test_a_sweeper_that_stopped_running_is_called_out(client, admin_user, rows):
    health.beat_run_record("sweep", now=timezone.now() - timedelta(hours=2), unknown=0, finished=0)
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert 'id="sweep-late"' in page and "no mail is being sent" in page


def test_a_fresh_start_is_not_a_false_alarm_but_a_sweeper_that_never_comes_is_one(client, admin_user, notes):
    client.force_login(admin_user)
    assert 'id="sweep-late"' in client.get(URL).content.decode()  # beat has never run at all
    started = timezone.now() - timedelta(seconds=20)
    health.beat_run_record("dispatch", now=started, handed=0)  # beat started: dispatch runs, no sweep yet
    health.beat_run_record("dispatch", now=timezone.now(), handed=0)
    page = client.get(URL).content.decode()
    assert 'id="sweep-late"' not in page and re.search(r'id="sweep-last">[^<]*not recorded yet', page)
    clear_beat_notes()
    health.beat_run_record("dispatch", now=timezone.now() - timedelta(minutes=4), handed=0)  # first seen then
    health.beat_run_record("dispatch", now=timezone.now(), handed=0)
    assert 'id="sweep-late"' in client.get(URL).content.decode()  # dispatch runs, the sweeper never came


def test_outside_the_sending_hours_the_page_says_when_waiting_mail_goes_out(client, admin_user, rows):
    from campaigns.models import SendingSettings

    client.force_login(admin_user)
    policy = SendingSettings.load()
    policy.quiet_weekends = policy.quiet_holidays = False
    policy.quiet_end = policy.quiet_start
    policy.save()
    assert 'id="quiet"' not in client.get(URL).content.decode()  # no quiet hours at all
    now = timezone.localtime()
    policy.quiet_start, policy.quiet_end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=2)).time()
    policy.save()
    page = client.get(URL).content.decode()
    expected = (now + timedelta(hours=2)).strftime("%H:%M")
    assert re.search(r'id="quiet">[^<]*Outside the sending hours[^<]*from \d{4}-\d\d-\d\d \(\w+\) ' + expected, page)


def test_with_redis_down_the_page_still_shows_the_database_side(client, admin_user, rows, monkeypatch):
    monkeypatch.setattr(health, "_client", lambda url=None: redis.Redis(host="127.0.0.1", port=1,
                                                                        socket_connect_timeout=0.2))
    client.force_login(admin_user)
    response = client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200 and 'id="redis-down"' in page and card(page, "unknown") == 1
    assert 'id="sweep-late"' not in page  # unknown, not late: Redis cannot say


def test_marketers_read_it_reps_and_strangers_do_not(client, marketer, rep, notes):
    assert client.get(URL).status_code == 302
    client.force_login(rep)
    assert client.get(URL).status_code == 403
    client.force_login(marketer)
    page = client.get(URL).content.decode()
    assert 'id="sending-health-tab"' in page and "No interrupted deliveries." in page
    assert "<form" not in page.split('id="campaign-tabs"', 1)[1].split("</main>", 1)[0]  # read-only: nothing to post


def test_the_page_reads_everything_in_a_fixed_number_of_queries(client, admin_user, rows,
                                                                django_assert_max_num_queries):
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):  # session, user, roles; counts; unknown, failed, retrying lists
        assert client.get(URL).status_code == 200


def test_the_sending_settings_page_links_to_it(client, admin_user, notes):
    client.force_login(admin_user)
    assert f'href="{URL}"' in client.get("/campaigns/templates/sending-settings/").content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_an_admin_opens_it_from_the_campaign_tabs(live_server, page, screenshot, admin_user, rows):
    from tests.conftest import browser_login

    browser_login(page, live_server, "admin1", "pw-admin1-1234", language="en")
    page.goto(f"{live_server.url}/campaigns/templates/sending-settings/")
    page.click("#sending-health-tab")
    page.wait_for_load_state()
    assert page.url.endswith(URL) and page.inner_text("#count-unknown") == "1"
    assert page.inner_text("#count-overdue") == "1" and page.locator("#unknown-rows tbody tr").count() == 1
    screenshot("sending-health")
