"""Webhooks cannot be pointed at the server itself, cloud metadata or internal networks (SSRF).

Checked when the URL is saved and again at every send (DNS answers change); redirects are never followed.
DNS is the outside world here: socket.getaddrinfo answers from the `dns` table, and names not in it do not
exist. The real receivers listen on 127.0.0.1 and are allow-listed explicitly where a test must reach them.
"""
import ipaddress
import socket
from datetime import timedelta

import pytest
from django.urls import reverse

from alerts import notify, outbound
from alerts.forms import WebhookForm
from alerts.models import Channel, Notification, NotificationStatus, WebhookEndpoint

from .conftest import NOW, evaluate_batch, make_contact, touch
from .receiver import Receiver

pytestmark = pytest.mark.django_db
PUBLIC_IP = "93.184.216.34"
LOCAL_MESSAGE = ("This address (127.0.0.1) is on this server, link-local (such as the cloud metadata service), "
                 "multicast or reserved; webhooks may never go there.")
PRIVATE_MESSAGE = ("This address (10.0.0.5) is on a private or local network; webhooks may only go to public hosts. "
                   "An admin can allow private networks with WEBHOOK_ALLOW_PRIVATE_NETWORKS.")
LOCAL_URLS = [
    "http://127.0.0.1/hook", "http://localhost/hook", "http://api.localhost/hook", "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/hook", "http://0.0.0.0/hook",
    "http://loopback.example.com/hook",  # DNS answers 127.0.0.1
    "http://metadata.example.com/hook",  # DNS answers 169.254.169.254
    "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/",
    "http://127.0.0.1./hook", "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/",
    "http://[2002:7f00:1::1]/", "http://[64:ff9b::a9fe:a9fe]/",  # 6to4 and NAT64 wrappings
    "http://224.0.0.1/", "http://[ff02::1]/", "http://240.0.0.1/", "http://192.0.2.10/",
    "https://127.0.0.1:8443/hook",
]
PRIVATE_URLS = [
    "http://10.0.0.5/hook", "http://172.16.3.4/hook", "http://192.168.1.20:8065/hooks/x", "http://100.64.0.1/",
    "http://[fd00::1]/hook", "http://chat.lan.example/hook",  # DNS answers 10.0.0.5
    "http://mixed.example.com/hook",  # DNS answers a public address and a private one
]


@pytest.fixture
def dns(monkeypatch):
    """name → addresses; IP literals resolve as usual (sockets, Redis), unknown names do not exist."""
    answers = {
        "hooks.example.com": [PUBLIC_IP], "loopback.example.com": ["127.0.0.1"],
        "metadata.example.com": ["169.254.169.254"], "chat.lan.example": ["10.0.0.5"],
        "mixed.example.com": [PUBLIC_IP, "10.0.0.5"],
    }
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (address, port, 0, 0) if ":" in address else (address, port)) for address in answers[host]]
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def no_connections(monkeypatch):
    """Fails the test if anything tries to open a connection (a refused send must not knock at all)."""
    attempts = []

    def create_connection(address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"connection attempted to {address}")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


def _form(url):
    return WebhookForm(data={"name": "Hook", "url": url, "is_active": "on"})


def _webhook_row(rep):
    contact = make_contact(last_touch_days=1, owner=rep)
    [alert] = evaluate_batch([touch(contact, url="https://example.jp/pricing")])
    [row] = Notification.objects.filter(alert=alert, channel=Channel.WEBHOOK)
    return row


# -- save time -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", LOCAL_URLS)
def test_form_refuses_local_link_local_and_reserved_destinations(url, dns, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # no setting lets these through
    form = _form(url)
    assert not form.is_valid()
    [error] = form.errors["url"]
    assert "webhooks may never go there" in error


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_form_refuses_private_networks_by_default(url, dns):
    form = _form(url)
    assert not form.is_valid()
    [error] = form.errors["url"]
    assert error.endswith("webhooks may only go to public hosts. An admin can allow private networks with "
                          "WEBHOOK_ALLOW_PRIVATE_NETWORKS.")


def test_webhook_page_says_why_and_stores_nothing(admin_user, client, dns):
    client.force_login(admin_user)
    for url, message in (("http://127.0.0.1/hook", LOCAL_MESSAGE), ("http://2130706433/", LOCAL_MESSAGE),
                         ("http://10.0.0.5/hook", PRIVATE_MESSAGE)):
        response = client.post(reverse("alerts:webhook_new"), {"name": "x", "url": url, "is_active": "on"})
        assert response.status_code == 200
        assert message in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_private_networks_are_allowed_with_the_setting(dns, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for url in PRIVATE_URLS:
        assert _form(url).is_valid(), url
    assert not _form("http://127.0.0.1/hook").is_valid()
    assert not _form("http://169.254.169.254/latest/meta-data/").is_valid()


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://hooks.example.com/hook", "Enter an http or https URL."),
    ("file:///etc/passwd", "Enter an http or https URL."),
    ("gopher://hooks.example.com:70/_x", "Enter an http or https URL."),
    ("http://user@hooks.example.com/hook", "Remove the user name and password from the URL"),
    ("https://user:secret@hooks.example.com/hook", "Remove the user name and password from the URL"),
    ("http://hooks.example.com@127.0.0.1/hook", "Remove the user name and password from the URL"),
    ("http://hooks.example.com:22/hook", "Port 22 is not allowed for webhooks"),
    ("http://hooks.example.com:25/hook", "Port 25 is not allowed for webhooks"),
    ("http://hooks.example.com:6379/hook", "Port 6379 is not allowed for webhooks"),
    ("http://hooks.example.com:0/hook", "Port 0 is not allowed for webhooks"),
    ("http://1.2.3.4.5/", "Enter a valid host name or IP address."),
    ("http://256.1.1.1/", "Enter a valid host name or IP address."),
    ("http://09.1.1.1/", "Enter a valid host name or IP address."),
    ("https://nowhere.example.com/hook", "The host nowhere.example.com could not be found."),
])
def test_form_refuses_other_schemes_user_info_odd_ports_and_bad_hosts(url, message, dns):
    form = _form(url)
    assert not form.is_valid()
    [error] = form.errors["url"]
    assert error.startswith(message)


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/services/T0/B0/x", "http://hooks.example.com/hook?channel=sales",
    "https://hooks.example.com:8443/hook", "http://hooks.example.com:8065/hooks/abc", "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
])
def test_form_accepts_public_destinations(url, dns):
    assert _form(url).is_valid()


def test_django_admin_runs_the_same_check(django_user_model, client, dns):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    response = client.post(reverse("admin:alerts_webhookendpoint_add"), {
        "name": "x", "url": "http://169.254.169.254/latest/meta-data/", "is_active": "on"})
    assert response.status_code == 200
    assert "webhooks may never go there" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_allow_list_entry_with_a_port_allows_that_host_and_port_only(dns, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1:8065", "relay.internal"]
    assert _form("http://127.0.0.1:8065/hooks/x").is_valid()
    assert not _form("http://127.0.0.1:8066/hooks/x").is_valid()
    assert not _form("http://127.0.0.1/hooks/x").is_valid()
    # A host without a port: any allowed port, its addresses unchecked (it need not resolve from the web server).
    assert _form("http://relay.internal:8080/hook").is_valid()
    assert not _form("http://relay.internal:22/hook").is_valid()


def test_numeric_host_forms_are_read_as_resolvers_read_them():
    loopback = ipaddress.IPv4Address("127.0.0.1")
    for host in ("2130706433", "0x7f.1", "0x7f000001", "0177.0.0.1", "127.1", "017700000001", "127.0.0.1."):
        assert outbound.legacy_ipv4(host) == loopback, host
    assert outbound.legacy_ipv4("hooks.example.com") is None
    assert outbound.legacy_ipv4("8.8.8.8") == ipaddress.IPv4Address("8.8.8.8")


# -- send time -----------------------------------------------------------------------------------------------


def test_send_is_refused_when_dns_later_answers_loopback_and_no_request_is_made(rep, admin_user, client, dns):
    with Receiver() as receiver:
        url = f"http://hooks.example.com:{receiver.port}/hook"
        client.force_login(admin_user)
        response = client.post(reverse("alerts:webhook_new"), {"name": "Team", "url": url, "is_active": "on"})
        assert response.status_code == 302
        assert WebhookEndpoint.objects.get().url == url
        dns["hooks.example.com"] = ["127.0.0.1"]  # the name now points at the receiver on this machine
        row = _webhook_row(rep)
        assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.FAILED
    assert receiver.requests == []
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_at, row.sent_at) == (NotificationStatus.FAILED, 1, NOW, None)
    assert row.last_error == f"Refused, not retried: {LOCAL_MESSAGE}"
    assert row.pk not in notify.notifications_due(now=NOW + timedelta(days=1))
    page = client.get(reverse("alerts:team")).content.decode()
    assert "Refused, not retried: This address (127.0.0.1) is on this server" in page


def test_a_stored_url_the_form_never_saw_is_refused_at_send_time_without_connecting(rep, dns, no_connections):
    WebhookEndpoint.objects.create(name="Metadata", url="http://169.254.169.254/latest/meta-data/")
    row = _webhook_row(rep)
    assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.FAILED
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert row.last_error.startswith("Refused, not retried: This address (169.254.169.254) is on this server")
    assert no_connections == []


def test_private_address_at_send_time_follows_the_setting(rep, dns, settings, monkeypatch):
    WebhookEndpoint.objects.create(name="LAN", url="http://chat.lan.example:8065/hooks/x")
    row = _webhook_row(rep)
    assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.FAILED
    row.refresh_from_db()
    assert row.last_error == f"Refused, not retried: {PRIVATE_MESSAGE}"

    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    connects = []

    def create_connection(address, *args, **kwargs):
        connects.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    assert notify.notification_retry_now(notification=row, now=NOW) == 1
    assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.PENDING
    assert connects == [("10.0.0.5", 8065)]
    row.refresh_from_db()
    assert row.last_error == "webhook unreachable: [Errno 111] Connection refused"


def test_connection_goes_to_the_checked_address_not_to_a_second_dns_answer(rep, monkeypatch, settings):
    """DNS rebinding: the name answers a public address for the check, then loopback — never asked again."""
    WebhookEndpoint.objects.create(name="Team", url="https://rebind.example.com/hook")
    row = _webhook_row(rep)
    answers = iter([PUBLIC_IP, "127.0.0.1", "127.0.0.1"])
    lookups, connects = [], []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def create_connection(address, *args, **kwargs):
        connects.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.PENDING
    assert lookups == ["rebind.example.com"]
    assert connects == [(PUBLIC_IP, 443)]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_fails_at_once(status, rep, settings):
    with Receiver() as target, Receiver([(status, {"Location": target.url})]) as hook:
        # Both allow-listed: the only thing keeping the request from the target is that redirects are not followed.
        settings.WEBHOOK_ALLOWED_HOSTS = [hook.host_port, target.host_port]
        WebhookEndpoint.objects.create(name="Moved", url=hook.url)
        row = _webhook_row(rep)
        assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.FAILED
    assert [(method, path) for method, path, _headers, _body in hook.requests] == [("POST", "/hook")]
    assert target.requests == []
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert row.last_error == (f"Refused, not retried: HTTP {status} from the webhook: it redirects, and webhooks "
                              "do not follow redirects. Enter the final URL.")
