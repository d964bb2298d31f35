"""The public options page: before and after the deadline, choosing once, tampered links."""
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from campaigns import rescue
from campaigns.models import Delivery, DeliveryStatus, Enrollment, PlaybookTimeline, RescueChoice
from contacts.models import TouchEvent

from .conftest import T0, contract, make_contacts, playbook, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def timeline(sender, templates, rep):
    (contact,) = make_contacts(1, owner=rep)
    contract(contact, date(2026, 4, 1))
    playbook(sender, templates[0])
    run(now=T0)
    return PlaybookTimeline.objects.select_related("contract", "campaign").get()


def url(timeline):
    return reverse("rescue:options", args=[rescue.rescue_token(timeline)])


def at(monkeypatch, moment):
    monkeypatch.setattr("campaigns.views_rescue.timezone.now", lambda: moment)


def test_page_shows_contract_options_and_deadline_without_login(client, timeline, monkeypatch):
    at(monkeypatch, T0)
    page = client.get(url(timeline)).content.decode()
    assert "2026-04-01" in page and "2026-03-31" in page and "配信履歴と分析レポート" in page
    assert page.count('name="option"') == 3


def test_choosing_records_once_stops_the_timeline_and_emails_the_owner(
        client, timeline, monkeypatch, mailoutbox, rep, django_capture_on_commit_callbacks):
    at(monkeypatch, T0)
    notice = Delivery.objects.get(contract=timeline.contract)  # the notice (−30) fell due at T0: still queued
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(timeline), {"option": 2})
    assert response.status_code == 302
    choice = RescueChoice.objects.get()
    assert (choice.option.label, choice.contract) == ("Smaller plan", timeline.contract)
    enrollment = Enrollment.objects.get(pk=timeline.pk)
    assert (enrollment.status, enrollment.exit_reason) == ("exited", "option_chosen")
    notice.refresh_from_db()
    assert (notice.status, notice.reason) == (DeliveryStatus.SUPPRESSED, "exited")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [rep.email] and "Smaller plan" in mailoutbox[0].subject
    assert TouchEvent.objects.filter(kind="form_submit", contact=timeline.contract.contact).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(timeline), {"option": 1})
    assert RescueChoice.objects.get().option.label == "Smaller plan"
    assert len(mailoutbox) == 1
    page = client.get(url(timeline)).content.decode()
    assert 'id="confirmation"' in page and "Smaller plan" in page and 'name="option"' not in page


def test_after_the_deadline_the_page_offers_the_rep_and_refuses_a_choice(client, timeline, monkeypatch, rep):
    at(monkeypatch, datetime(2026, 4, 1, 1, 0, tzinfo=UTC))  # lapse day; the deadline was the day before
    page = client.get(url(timeline)).content.decode()
    assert 'id="closed"' in page and rep.email in page and 'name="option"' not in page
    response = client.post(url(timeline), {"option": 1})
    assert response.status_code == 400
    assert RescueChoice.objects.count() == 0


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
    lambda token: token.split(":")[0],
    lambda token: "x" + token,
    lambda token: "forged:" + token.split(":")[1],
])
def test_tampered_link_is_404_and_writes_nothing(client, timeline, mangle):
    bad = reverse("rescue:options", args=[mangle(rescue.rescue_token(timeline))])
    assert client.get(bad).status_code == 404
    assert client.post(bad, {"option": 1}).status_code == 404
    assert RescueChoice.objects.count() == 0
    assert Enrollment.objects.get(pk=timeline.pk).status == "active"


def test_a_link_signed_for_something_else_is_404(client, timeline):
    from django.core import signing

    foreign = signing.Signer(salt="campaigns.other").sign(timeline.token)
    assert client.get(reverse("rescue:options", args=[foreign])).status_code == 404


def test_unknown_option_is_refused(client, timeline, monkeypatch):
    at(monkeypatch, T0)
    assert client.post(url(timeline), {"option": 9}).status_code == 400
    assert RescueChoice.objects.count() == 0


def test_page_is_in_japanese_for_a_japanese_browser(client, timeline, monkeypatch):
    at(monkeypatch, T0)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    response = client.get(url(timeline))
    assert response.status_code == 200 and 'lang="ja"' in response.content.decode()
