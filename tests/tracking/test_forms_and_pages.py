"""Forms and downloads from tracked sites, the mail click's contact token, the admin page, and escaping."""
import pytest
from django.urls import reverse

from contacts.models import Contact, TouchEvent
from tests.campaigns.sending.conftest import sender, sending_settings, sent, template  # noqa: F401 - fixtures
from tracking import tokens
from tracking.models import AnonymousPageView, TrackingSite

from .conftest import ORIGIN, beacon, form_post

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


# -- forms -------------------------------------------------------------------------------------------------


def test_a_form_with_consent_creates_an_opted_in_contact_with_evidence(client, site):
    response = form_post(client, site, email="Yuki@Example.com", consent="1", consent_text="I agree to receive news",
                         company="ACME", role="CTO")
    assert response.status_code == 204 and response["Access-Control-Allow-Origin"] == ORIGIN
    contact = Contact.objects.get(email="yuki@example.com")
    assert contact.consent == "opt_in" and contact.consent_at is not None
    assert contact.consent_source == "web form “Whitepaper” on Corporate site: I agree to receive news"
    event = TouchEvent.objects.get(contact=contact)
    assert (event.kind, event.detail, event.flagged_as_bot) == ("form_submit", "Whitepaper: company=ACME; role=CTO",
                                                                  False)
    assert contact.last_touch_kind == "form_submit"


def test_a_form_without_consent_creates_a_contact_without_consent(client, site):
    form_post(client, site, email="plain@example.com")
    contact = Contact.objects.get(email="plain@example.com")
    assert (contact.consent, contact.consent_source, contact.consent_at) == ("none", "", None)


def test_consent_only_moves_forward_for_existing_contacts(client, site):
    none = Contact.objects.create(email="none@example.com")
    out = Contact.objects.create(email="out@example.com", consent="opted_out", consent_source="unsubscribe page")
    form_post(client, site, email="none@example.com", consent="1")
    form_post(client, site, email="out@example.com", consent="1")
    assert Contact.objects.get(pk=none.pk).consent == "opt_in"
    assert (Contact.objects.get(pk=out.pk).consent, Contact.objects.get(pk=out.pk).consent_source) == (
        "opted_out", "unsubscribe page")
    assert TouchEvent.objects.filter(contact=out).count() == 1  # the touch counts; the opt-out stands


def test_a_download_form_records_a_download_and_redirects_within_the_site(client, site):
    response = form_post(client, site, kind="download", next=f"{ORIGIN}/thanks")
    assert (response.status_code, response["Location"]) == (303, f"{ORIGIN}/thanks")
    assert TouchEvent.objects.get().kind == "download"
    response = form_post(client, site, email="x@example.com", next="https://evil.example/")
    assert response.status_code == 204 and "Location" not in response


def test_a_form_from_another_origin_or_with_a_bad_email_writes_nothing(client, site):
    assert form_post(client, site, origin="https://evil.example").status_code == 403
    assert form_post(client, site, email="not-an-email").status_code == 400
    assert form_post(client, site, key="unknown-key").status_code == 403
    assert (Contact.objects.count(), TouchEvent.objects.count()) == (0, 0)


def test_a_bot_posting_a_form_creates_no_contact(client, site):
    assert form_post(client, site, agent="python-requests/2.31").status_code == 204
    assert Contact.objects.count() == 0
    known = Contact.objects.create(email="known@example.com")
    form_post(client, site, email="known@example.com", agent="python-requests/2.31")
    assert TouchEvent.objects.get(contact=known).flagged_as_bot is True
    assert Contact.objects.get(pk=known.pk).last_touch_at is None


def test_form_fields_are_length_limited(client, site):
    fields = {f"f{n}": "y" * 600 for n in range(40)}
    form_post(client, site, **fields)
    event = TouchEvent.objects.get()
    assert len(event.detail) <= 1000


def test_a_json_form_post_works_like_a_form_encoded_one(client, site):
    import json

    body = {"site": site.key, "email": "json@example.com", "form": "Contact us", "fields": {"message": "Hello"}}
    response = client.post("/t/f", json.dumps(body), content_type="application/json", HTTP_ORIGIN=ORIGIN,
                           HTTP_USER_AGENT="Mozilla/5.0 Firefox/140.0")
    assert response.status_code == 204
    assert TouchEvent.objects.get().detail == "Contact us: message=Hello"


# -- the mail click hands the contact token to tracked sites only --------------------------------------------------


def test_a_click_to_a_tracked_site_carries_the_contact_token_and_other_hosts_never_see_it(client, sent):  # noqa: F811
    from campaigns.models import DeliveryLink

    TrackingSite.objects.create(name="Main", allowed_origins=["https://example.co.jp"])
    browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
    location = client.get(f"/m/c/{sent[0].token}/1", HTTP_USER_AGENT=browser)["Location"]
    assert location.startswith("https://example.co.jp/pricing?a=1&b=2&rk=")
    token = location.split("rk=")[1]
    assert tokens.contact_token_read(token) == sent[0].contact_id
    assert "rk=" not in client.get(f"/m/c/{sent[0].token}/2", HTTP_USER_AGENT=browser)["Location"]  # docs.example.com
    # A scanner's fetch is flagged and gets no token.
    assert "rk=" not in client.get(f"/m/c/{sent[1].token}/1", HTTP_USER_AGENT="Proofpoint URL Defense")["Location"]
    assert DeliveryLink.objects.filter(url__contains="rk=").count() == 0
    assert set(TouchEvent.objects.values_list("kind", "detail")) == {("email_click", sent[0].step.campaign.name)}


# -- admin page -------------------------------------------------------------------------------------------------


def test_admins_create_a_site_and_get_its_snippet(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("tracking:site_new"), {"name": "Shop", "origins": "https://shop.example.com/\n"
                                                          "http://localhost:8080", "is_active": "on"})
    site = TrackingSite.objects.get()
    assert response.status_code == 302
    assert site.allowed_origins == ["http://localhost:8080", "https://shop.example.com"]
    assert len(site.key) >= 20
    page = client.get(reverse("tracking:site_edit", args=[site.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'/t.js" data-site="{site.key}"&gt;&lt;/script&gt;' in page


@pytest.mark.parametrize("origins", ["https://shop.example.com/path", "ftp://x.example", "javascript:alert(1)",
                                     "shop.example.com", "", XSS])
def test_origins_must_be_scheme_and_host(client, admin_user, origins):
    client.force_login(admin_user)
    response = client.post(reverse("tracking:site_new"), {"name": "Shop", "origins": origins, "is_active": "on"})
    assert response.status_code == 200 and TrackingSite.objects.count() == 0
    assert XSS not in response.content.decode()


def test_marketers_and_reps_cannot_manage_sites(client, marketer, rep):
    for user in (marketer, rep):
        client.force_login(user)
        assert client.post(reverse("tracking:site_new"), {"name": "X", "origins": ORIGIN}).status_code == 403
    assert TrackingSite.objects.count() == 0


# -- escaping: what the public sends is never rendered raw ---------------------------------------------------


def test_script_in_user_agent_referrer_url_and_title_is_escaped_on_every_page(client, site, contact, admin_user):
    token = tokens.contact_token_make(contact.pk)
    payload = {"u": f"{ORIGIN}/{XSS}?q={XSS}", "t": XSS, "r": f"https://ref.example/{XSS}"}
    assert beacon(client, site, agent=f"Mozilla/5.0 {XSS}", rk=token, **payload).status_code == 204
    assert beacon(client, site, agent=f"Mozilla/5.0 {XSS}", **payload, v="anonymous-visitor").status_code == 204
    form_post(client, site, email=contact.email, form=XSS, message=XSS)
    assert TouchEvent.objects.filter(contact=contact).count() == 2 and AnonymousPageView.objects.count() == 1
    client.force_login(admin_user)
    pages = [reverse("contacts:detail", args=[contact.pk]), reverse("tracking:site_edit", args=[site.pk]),
             reverse("tracking:site_list")]
    for url in pages:
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page, url
    timeline = client.get(pages[0]).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in timeline
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(pages[1]).content.decode()
