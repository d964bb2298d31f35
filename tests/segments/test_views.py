"""Builder, preview, members page and exports through HTTP."""
import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from contacts.models import Company, Contact
from dormancy.selectors import workspace_today
from segments.exports import hash_email, neutralise
from segments.models import Segment

from .conftest import at

pytestmark = pytest.mark.django_db

LOST = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]}


@pytest.fixture
def lost_segment(marketer):
    return Segment.objects.create(name="Lost", definition=LOST, created_by=marketer)


def _contacts(n, **extra):
    company = Company.objects.create(name=f"社{n}-{Contact.objects.count()}")
    today = workspace_today()
    for i in range(n):
        Contact.objects.create(email=f"m{i}-{Contact.objects.count()}@example.jp", last_name=f"姓{i}", status="lost",
                               company=company if i % 2 else None,
                               last_touch_at=at(today - timedelta(days=i)) if i % 3 else None, **extra)


def _preview(client, body):
    return client.post(reverse("segments:preview"), data=json.dumps(body) if not isinstance(body, bytes) else body,
                       content_type="application/json")


def test_preview_returns_count_and_sample(persona_client, marketer):
    _contacts(12)
    Contact.objects.create(email="lead@example.jp", status="lead")
    response = _preview(persona_client(marketer), {"definition": LOST})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 12
    assert len(data["sample"]) == 10
    first = data["sample"][0]
    assert set(first) == {"name", "company", "email", "link"}
    assert first["link"] == reverse("contacts:detail", args=[Contact.objects.get(email=first["email"]).pk])


@pytest.mark.parametrize("body, message", [
    ({"definition": {"op": "and", "items": [{"type": "attribute", "field": "email; DROP TABLE x", "op": "equals",
                                             "value": "a"}]}},
     "items[0].field: 'email; DROP TABLE x' is not a field you can filter on."),
    ({"definition": {"op": "and", "items": [{"type": "attribute", "field": "email", "op": "1=1 OR",
                                             "value": "a"}]}},
     "items[0].op: '1=1 OR' is not an operator for a text field."),
    ({"nothing": 1}, 'Send an object with "definition".'),
    (b"{not json", "The request body is not valid JSON."),
])
def test_preview_refuses_bad_input_with_400_and_message(persona_client, marketer, body, message):
    response = _preview(persona_client(marketer), body)
    assert response.status_code == 400
    assert response.json() == {"errors": [message]}


def test_preview_needs_post_and_role(persona_client, marketer, rep, client):
    assert persona_client(marketer).get(reverse("segments:preview")).status_code == 405
    assert _preview(persona_client(rep), {"definition": LOST}).status_code == 403


def test_save_valid_segment(persona_client, marketer):
    response = persona_client(marketer).post(reverse("segments:new"), {
        "name": "Lost VIPs", "description": "", "is_active": "on", "definition": json.dumps(LOST)})
    segment = Segment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("segments:members", args=[segment.pk])
    assert segment.definition == LOST and segment.created_by == marketer


def test_save_with_bad_rules_shows_error_and_saves_nothing(persona_client, marketer):
    bad = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "drop table", "value": "x"}]}
    response = persona_client(marketer).post(reverse("segments:new"), {
        "name": "Bad", "description": "", "definition": json.dumps(bad)})
    assert response.status_code == 200
    assert "items[0].op: &#x27;drop table&#x27; is not an operator for a choice field." in response.content.decode()
    assert Segment.objects.count() == 0


def test_builder_page_has_no_inline_script(persona_client, marketer, lost_segment):
    html = persona_client(marketer).get(reverse("segments:edit", args=[lost_segment.pk])).content.decode()
    assert 'id="segment-catalog"' in html and "js/segment_builder.js" in html
    assert html.count("<script") == html.count("<script src=") + 1  # the json_script data block only


@pytest.mark.parametrize("sort", ["name", "-name", "email", "company", "-company", "status", "last_touch",
                                  "-last_touch"])
def test_members_page_query_count_is_constant(persona_client, marketer, lost_segment, django_assert_num_queries,
                                              sort):
    client = persona_client(marketer)
    url = reverse("segments:members", args=[lost_segment.pk]) + f"?sort={sort}"
    _contacts(3)
    client.get(url)  # warm the session and role caches
    with django_assert_num_queries(6):
        small = client.get(url)
    _contacts(60)
    with django_assert_num_queries(6):
        big = client.get(url + "&page=2")
    assert small.status_code == big.status_code == 200
    assert len(big.context["page"].object_list) == 13


@pytest.mark.parametrize("sort", ["id; DROP TABLE contacts_contact", "password", "-owner__password", "?"])
def test_members_sort_injection_is_400(persona_client, marketer, lost_segment, sort):
    response = persona_client(marketer).get(reverse("segments:members", args=[lost_segment.pk]), {"sort": sort})
    assert response.status_code == 400
    assert response.content.decode().startswith("Unknown sort key. Use one of: -last_touch, last_touch, name")


def test_csv_export_neutralises_formulas(persona_client, marketer, lost_segment):
    Contact.objects.create(email="=cmd@example.jp", last_name="=HYPERLINK(\"x\")", first_name="+1", title="@SUM(A1)",
                           status="lost", company=Company.objects.create(name="-2+3"))
    Contact.objects.create(email="plain@example.jp", last_name="\tTab", first_name="\rCR", title="普通", status="lost")
    response = persona_client(marketer).get(reverse("segments:members", args=[lost_segment.pk]), {"format": "csv"})
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["email", "last_name", "first_name", "company", "title", "status", "last_touch_at"]
    assert rows[1] == ["'=cmd@example.jp", "'=HYPERLINK(\"x\")", "'+1", "'-2+3", "'@SUM(A1)", "lost", ""]
    assert rows[2] == ["plain@example.jp", "'\tTab", "'\rCR", "", "普通", "lost", ""]


def test_neutralise():
    assert [neutralise(v) for v in ["=1", "+1", "-1", "@a", "\tx", "\rx", "a=1", None, 5]] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "a=1", "", "5"]


def test_audience_hashes_trimmed_lowercased_email():
    expected = hashlib.sha256(b"taro@example.co.jp").hexdigest()
    assert hash_email("  Taro@Example.CO.JP ") == expected
    assert expected == "6a187d7ed3f533984fb679301694279d7f3e712b863d10bd966264d746254715"


@pytest.mark.parametrize("audience, header", [("google", "Email"), ("meta", "email")])
def test_audience_export(persona_client, marketer, lost_segment, audience, header):
    Contact.objects.create(email="taro@example.co.jp", status="lost")
    Contact.objects.filter(email="taro@example.co.jp").update(email=" Taro@Example.co.jp ")  # legacy row
    response = persona_client(marketer).get(reverse("segments:export", args=[lost_segment.pk]), {"audience": audience})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines == [header, hashlib.sha256(b"taro@example.co.jp").hexdigest()]


def test_unknown_audience_is_400(persona_client, marketer, lost_segment):
    response = persona_client(marketer).get(reverse("segments:export", args=[lost_segment.pk]), {"audience": "x"})
    assert response.status_code == 400


def test_rep_cannot_export(persona_client, rep, lost_segment):
    assert persona_client(rep).get(reverse("segments:export", args=[lost_segment.pk])).status_code == 403
