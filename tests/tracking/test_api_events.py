"""POST /api/v1/events/: one event or a batch, API-key auth, idempotent by the client's event id."""
import pytest
from django.urls import reverse

from accounts.services import api_key_create
from contacts.models import Contact, TouchEvent

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


@pytest.fixture
def api(client, marketer):
    _key, token = api_key_create(name="CRM", user=marketer)

    def post(body):
        return client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {token}")

    return post


def event(**extra):
    return {"email": "taro@example.co.jp", "kind": "call", "occurred_at": "2026-06-01T10:00:00+09:00", **extra}


def test_one_event_of_a_known_contact_is_stored_and_moves_the_last_touch(api, contact):
    response = api(event(detail="Called about renewal", client_event_id="crm-1"))
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": 0,
                               "results": [{"index": 0, "status": "accepted", "errors": []}]}
    stored = TouchEvent.objects.get()
    assert (stored.contact_id, stored.kind, stored.source, stored.detail) == (contact.pk, "call", "api",
                                                                             "Called about renewal")
    assert Contact.objects.get(pk=contact.pk).last_touch_kind == "call"


def test_a_retried_batch_is_reported_as_duplicates_and_stored_once(api, contact):
    batch = {"events": [event(client_event_id="crm-1"), event(kind="meeting", client_event_id="crm-2"),
                        event(kind="reply", client_event_id="crm-2")]}
    first = api(batch).json()
    assert [r["status"] for r in first["results"]] == ["accepted", "accepted", "duplicate"]
    # The retry may even differ in its details: the client's id is the event.
    second = api({"events": [event(client_event_id="crm-1", detail="changed"),
                              event(kind="meeting", client_event_id="crm-2")]}).json()
    assert (second["accepted"], second["duplicates"]) == (0, 2)
    assert TouchEvent.objects.count() == 2


def test_events_without_a_client_id_dedupe_on_the_fact(api, contact):
    api(event())
    assert api(event()).json()["duplicates"] == 1
    assert TouchEvent.objects.count() == 1


def test_unknown_contacts_are_rejected_unless_create_contact(api, contact):
    body = {"events": [event(email="new@example.com"), event(email="New2@Example.com", create_contact=True),
                       event(contact_id=contact.pk, email=None)]}
    body["events"][2].pop("email")
    result = api(body).json()
    assert [r["status"] for r in result["results"]] == ["rejected", "accepted", "accepted"]
    assert result["results"][0]["errors"][0]["field"] == "email"
    created = Contact.objects.get(email="new2@example.com")
    assert created.consent == "none"
    assert not Contact.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(("bad", "field"), [
    ({"kind": "telepathy"}, "kind"), ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"), ({"email": "nope"}, "email"),
    ({"email": None}, "email"), ({"url": "x" * 2001}, "url"), ({"colour": "red"}, "colour"),
    ({"contact_id": "abc"}, "contact_id"),
])
def test_each_event_is_validated_whole_and_named_by_index(api, contact, bad, field):
    item = {**event(), **bad}
    if item.get("email") is None:
        item.pop("email")
    result = api({"events": [event(client_event_id="ok"), item]}).json()
    assert [r["status"] for r in result["results"]] == ["accepted", "rejected"]
    assert result["results"][1]["errors"] and result["results"][1]["errors"][0]["field"] == field
    assert TouchEvent.objects.count() == 1


@pytest.mark.parametrize("body", ["[]", '"text"', "{\"events\": 3}", "{\"events\": []}", "not json", "[1]", "null"])
def test_malformed_requests_get_400_in_the_error_format_never_500(client, marketer, body):
    _key, token = api_key_create(name="CRM", user=marketer)
    response = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {token}")
    assert response.status_code in (200, 400)
    data = response.json()
    assert "errors" in data or data["rejected"] == len(data["results"])
    assert TouchEvent.objects.count() == 0


def test_a_batch_of_more_than_1000_is_refused_whole(api, contact):
    response = api({"events": [event(client_event_id=str(n)) for n in range(1001)]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "events"
    assert TouchEvent.objects.count() == 0


def test_a_batch_of_1000_is_stored(api, contact):
    result = api({"events": [event(client_event_id=str(n)) for n in range(1000)]}).json()
    assert result["accepted"] == 1000 and TouchEvent.objects.count() == 1000


def test_credentials_and_roles(client, rep, contact):
    assert client.post(URL, event(), content_type="application/json").status_code == 401
    _key, token = api_key_create(name="Rep", user=rep)
    response = client.post(URL, event(), content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {token}")
    assert response.status_code == 403 and TouchEvent.objects.count() == 0


def test_the_schema_describes_the_endpoint(client, admin_user):
    client.force_login(admin_user)
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/v1/events/" in schema["paths"]
    assert "EventIngestRequest" in schema["components"]["schemas"]
