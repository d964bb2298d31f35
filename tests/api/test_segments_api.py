"""Segments over the API: CRUD, live count, members (JSON pages, CSV), preview, and refusals."""
import csv
import io

import pytest
from django.urls import reverse

from contacts.models import Company, Contact
from segments.models import Segment
from segments.selectors import segment_members

from .conftest import TODAY, at, messages

pytestmark = pytest.mark.django_db
LIST = reverse("api:segment_list")
PREVIEW = reverse("api:segment_preview")
LOST = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]}
SORTS = "-last_touch, last_touch, name, -name, email, -email, company, -company, status, -status"


def url(name, segment):
    return reverse(f"api:{name}", args=[segment.pk])


def _state():
    return list(Segment.objects.order_by("pk").values())


@pytest.fixture
def lost_segment(marketer):
    return Segment.objects.create(name="Lost", definition=LOST, created_by=marketer)


@pytest.fixture
def lost_people(db):
    """12 lost contacts (every other one at a company, every third never touched) and one lead."""
    company = Company.objects.create(name="株式会社テスト")
    for i in range(12):
        Contact.objects.create(email=f"m{i:02d}@example.jp", last_name=f"姓{i}", first_name="名", status="lost",
                               title="部長", company=company if i % 2 else None,
                               last_touch_at=at(TODAY.replace(day=1 + i)) if i % 3 else None)
    Contact.objects.create(email="lead@example.jp", status="lead")


# -- CRUD -------------------------------------------------------------------

def test_marketer_creates_a_segment(key_client, marketer):
    body = {"name": "Lost", "description": "all lost", "definition": LOST}
    response = key_client(marketer).post(LIST, body, format="json")
    assert response.status_code == 201
    segment = Segment.objects.get()
    assert response["Location"] == url("segment_detail", segment)
    assert (segment.name, segment.description, segment.definition, segment.is_active, segment.created_by) == (
        "Lost", "all lost", LOST, True, marketer)
    assert response.json() == {
        "id": segment.pk, "name": "Lost", "description": "all lost", "definition": LOST, "is_active": True,
        "created_by": marketer.username, "member_count": None, "refreshed_at": None,
        "created_at": response.json()["created_at"], "updated_at": response.json()["updated_at"],
    }


def test_list_and_read(key_client, admin_user, lost_segment, django_assert_num_queries):
    client = key_client(admin_user)
    client.get(LIST)
    with django_assert_num_queries(4):  # key+user, roles, count, page with creators
        first = client.get(LIST)
    for number in range(5):
        Segment.objects.create(name=f"S{number}", definition=LOST, created_by=admin_user)
    with django_assert_num_queries(4):
        response = client.get(LIST, {"page_size": 2, "page": 2})
    assert first.json()["count"] == 1
    data = response.json()
    assert data["count"] == 6 and [row["name"] for row in data["results"]] == ["S1", "S2"]
    assert data["next"].endswith("page=3&page_size=2")
    read = client.get(url("segment_detail", lost_segment)).json()
    assert (read["name"], read["definition"], read["created_by"]) == ("Lost", LOST, "marketer1")


def test_patch_and_put(key_client, marketer, lost_segment):
    client = key_client(marketer)
    response = client.patch(url("segment_detail", lost_segment), {"is_active": False}, format="json")
    assert response.status_code == 200
    lost_segment.refresh_from_db()
    assert (lost_segment.name, lost_segment.definition, lost_segment.is_active) == ("Lost", LOST, False)
    tree = {"op": "or", "items": [{"type": "consent", "can_receive_marketing": True}]}
    response = client.put(url("segment_detail", lost_segment), {"name": "Reachable", "definition": tree},
                          format="json")
    assert response.status_code == 200
    lost_segment.refresh_from_db()
    assert (lost_segment.name, lost_segment.description, lost_segment.definition, lost_segment.is_active) == (
        "Reachable", "", tree, True)


INJECTIONS = [
    ({"type": "attribute", "field": "email; DROP TABLE contacts_contact", "op": "equals", "value": "a"},
     "items[0].field: 'email; DROP TABLE contacts_contact' is not a field you can filter on."),
    ({"type": "attribute", "field": "company__owner__password", "op": "equals", "value": "a"},
     "items[0].field: 'company__owner__password' is not a field you can filter on."),
    ({"type": "attribute", "field": "email", "op": "__gt", "value": "a"},
     "items[0].op: '__gt' is not an operator for a text field."),
    ({"type": "attribute", "field": "email", "op": "regex", "value": ".*"},
     "items[0].op: 'regex' is not an operator for a text field."),
    ({"type": "attribute", "field": "owner", "op": "equals", "value": "1 OR 1=1"},
     "items[0].value: '1 OR 1=1' is not a user id."),
]


@pytest.mark.parametrize("condition, message", INJECTIONS)
def test_injection_in_a_saved_tree_is_400_and_saves_nothing(key_client, marketer, lost_segment, condition, message):
    client = key_client(marketer)
    tree = {"op": "and", "items": [condition]}
    before = _state()
    for response in (client.post(LIST, {"name": "Bad", "definition": tree}, format="json"),
                     client.patch(url("segment_detail", lost_segment), {"definition": tree}, format="json")):
        assert response.status_code == 400
        assert response.json() == {"errors": [{"field": "definition", "message": message}]}
    assert _state() == before


@pytest.mark.parametrize("body, expected", [
    ({"definition": LOST}, [("name", "This field is required.")]),
    ({"name": "x" * 201, "definition": LOST}, [("name", "Ensure this field has no more than 200 characters.")]),
    ({"name": "A", "definition": LOST, "owner": 1}, [("owner", 'Unknown field "owner".')]),
    ({"name": "A", "definition": {"op": "xor", "items": []}},
     [("definition", "op: 'xor' is not a group operator; use \"and\" or \"or\"."),
      ("definition", "items: a group needs 1 to 20 conditions.")]),
    ({"name": "A", "definition": {"op": "and", "items": [{"type": "dormancy", "rule": "gone"}]}},
     [("definition", "items[0].rule: there is no dormancy rule 'gone'.")]),
    ({"name": "A", "definition": None}, [("definition", "This field may not be null.")]),
])
def test_bad_segment_is_400_with_messages_and_saves_nothing(key_client, marketer, body, expected):
    response = key_client(marketer).post(LIST, body, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == expected
    assert Segment.objects.count() == 0


def test_rep_is_refused_everywhere(key_client, rep, lost_segment):
    client = key_client(rep)
    before = _state()
    responses = [client.get(LIST), client.get(url("segment_detail", lost_segment)),
                 client.get(url("segment_count", lost_segment)), client.get(url("segment_members", lost_segment)),
                 client.get(url("segment_members", lost_segment), {"format": "csv"}),
                 client.post(PREVIEW, {"definition": LOST}, format="json"),
                 client.post(LIST, {"name": "x", "definition": LOST}, format="json"),
                 client.patch(url("segment_detail", lost_segment), {"name": "x"}, format="json")]
    for response in responses:
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert messages(response) == ["Your role does not allow this request. It needs one of the roles: admin, "
                                      "marketer."]
    assert _state() == before


# -- count, members, CSV ----------------------------------------------------

def test_count_is_live(key_client, marketer, lost_segment, lost_people):
    response = key_client(marketer).get(url("segment_count", lost_segment))
    assert response.status_code == 200
    assert response.json() == {"count": 12, "as_of": "2026-06-15"}


def test_members_are_paginated_with_the_member_shape(key_client, marketer, lost_segment, lost_people):
    client = key_client(marketer)
    first = client.get(url("segment_members", lost_segment), {"page_size": 5, "sort": "email"}).json()
    assert first["count"] == 12 and first["previous"] is None
    assert [row["email"] for row in first["results"]] == [f"m{i:02d}@example.jp" for i in range(5)]
    contact = Contact.objects.get(email="m01@example.jp")
    assert first["results"][1] == {
        "id": contact.pk, "email": "m01@example.jp", "first_name": "名", "last_name": "姓1", "title": "部長",
        "status": "lost", "last_touch_at": "2026-06-02T12:00:00+09:00",
        "company": {"id": contact.company_id, "name": "株式会社テスト"},
    }
    assert first["results"][0]["company"] is None and first["results"][0]["last_touch_at"] is None
    last = client.get(url("segment_members", lost_segment), {"page_size": 5, "page": 3, "sort": "email"}).json()
    assert [row["email"] for row in last["results"]] == ["m10@example.jp", "m11@example.jp"]
    default = client.get(url("segment_members", lost_segment)).json()["results"]
    assert default[0]["email"] == "m11@example.jp"  # most recently touched first
    missing = client.get(url("segment_members", lost_segment), {"page": 9})
    assert missing.status_code == 404
    assert messages(missing) == ["Page 9 does not exist: That page contains no results."]


def test_members_query_count_is_flat(key_client, marketer, lost_segment, lost_people, django_assert_num_queries):
    client = key_client(marketer)
    client.get(url("segment_members", lost_segment))
    with django_assert_num_queries(5):  # key+user, roles, segment, count, page with companies
        small = client.get(url("segment_members", lost_segment), {"page_size": 2})
    with django_assert_num_queries(5):
        big = client.get(url("segment_members", lost_segment), {"page_size": 500})
    assert len(small.json()["results"]) == 2 and len(big.json()["results"]) == 12


def test_page_size_is_capped_at_500(key_client, marketer, lost_segment, lost_people):
    response = key_client(marketer).get(url("segment_members", lost_segment), {"page_size": 100000})
    assert response.status_code == 200 and len(response.json()["results"]) == 12


@pytest.mark.parametrize("sort", ["password", "-id; select 1", "owner__password", "?", "company__name"])
def test_unknown_sort_key_is_400_naming_the_allowed_ones(key_client, marketer, lost_segment, sort):
    for params in ({"sort": sort}, {"sort": sort, "format": "csv"}):
        response = key_client(marketer).get(url("segment_members", lost_segment), params)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"errors": [{"field": "sort", "message":
                                               f'Unknown sort key "{sort}". Use one of: {SORTS}.'}]}


def test_members_csv_streams_everyone_with_formulas_neutralised(key_client, marketer, lost_segment, lost_people):
    Contact.objects.create(email="=cmd@example.jp", last_name='=HYPERLINK("x")', first_name="+1", title="@SUM(A1)",
                           status="lost", company=Company.objects.create(name="-2+3"))
    response = key_client(marketer).get(url("segment_members", lost_segment), {"format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="segment-{lost_segment.pk}.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == ["email", "last_name", "first_name", "company", "title", "status", "last_touch_at"]
    assert len(rows) == 1 + 13
    assert rows[-1] == ["'=cmd@example.jp", "'=HYPERLINK(\"x\")", "'+1", "'-2+3", "'@SUM(A1)", "lost", ""]
    assert rows[2] == ["m01@example.jp", "姓1", "名", "株式会社テスト", "部長", "lost", "2026-06-02T12:00:00+09:00"]


def test_members_csv_by_accept_header(key_client, marketer, lost_segment, lost_people):
    response = key_client(marketer).get(url("segment_members", lost_segment), HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"


def test_stored_tree_that_no_longer_validates_is_409(key_client, marketer):
    segment = Segment.objects.create(name="Stale", definition={"op": "and", "items": [
        {"type": "dormancy", "rule": "deleted-rule"}]})
    for name in ("segment_count", "segment_members"):
        response = key_client(marketer).get(url(name, segment))
        assert response.status_code == 409
        assert messages(response) == ["The saved rules of this segment no longer validate; edit the segment. "
                                      "items[0].rule: there is no dormancy rule 'deleted-rule'."]


def test_unknown_segment_is_404(key_client, marketer):
    for name in ("segment_detail", "segment_count", "segment_members"):
        response = key_client(marketer).get(reverse(f"api:{name}", args=[999999]))
        assert response.status_code == 404
        assert response.json()["errors"][0]["field"] is None


# -- preview ----------------------------------------------------------------

def test_preview_count_matches_members_and_count(key_client, marketer, lost_segment, lost_people):
    client = key_client(marketer)
    before = _state()
    response = client.post(PREVIEW, {"definition": LOST}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 12 == segment_members(LOST, today=TODAY).count()
    assert data["count"] == client.get(url("segment_count", lost_segment)).json()["count"]
    assert data["count"] == client.get(url("segment_members", lost_segment)).json()["count"]
    assert data["as_of"] == "2026-06-15" and len(data["sample"]) == 10
    assert data["sample"][0]["email"] == "m11@example.jp"
    assert set(data["sample"][0]) == {"id", "email", "first_name", "last_name", "title", "status",
                                      "last_touch_at", "company"}
    assert _state() == before


@pytest.mark.parametrize("condition, message", INJECTIONS)
def test_preview_refuses_injection_with_400(key_client, marketer, condition, message):
    response = key_client(marketer).post(PREVIEW, {"definition": {"op": "and", "items": [condition]}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [{"field": "definition", "message": message}]}


@pytest.mark.parametrize("body, expected", [
    ({"nothing": 1}, [("nothing", 'Unknown field "nothing".'), ("definition", "This field is required.")]),
    ([LOST], [(None, "Invalid data. Expected a dictionary, but got list.")]),
    ({"definition": {"op": "and", "items": [{"type": "attribute", "field": "email", "op": "equals",
                                             "value": "x" * 70_000}]}}, [(None, "The rules are too large.")]),
])
def test_preview_refuses_bad_bodies(key_client, marketer, body, expected):
    response = key_client(marketer).post(PREVIEW, body, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == expected


def test_preview_is_post_only(key_client, marketer):
    response = key_client(marketer).get(PREVIEW)
    assert response.status_code == 405
    assert messages(response) == ['Method "GET" not allowed.']


def test_unknown_format_is_400_naming_the_formats(key_client, marketer, lost_segment):
    client = key_client(marketer)
    response = client.get(url("segment_members", lost_segment), {"format": "xml"})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"field": "format", "message": 'Unknown format "xml". Use one of: json, '
                                                                         'csv.'}]}
    assert messages(client.get(LIST, {"format": "csv"})) == ['Unknown format "csv". Use one of: json.']
