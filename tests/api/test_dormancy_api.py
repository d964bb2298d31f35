"""Dormancy rules over the API: roles as in the HTML pages, writes through the services with a version row."""
import pytest
from django.urls import reverse

from contacts.models import Company, Contact, ContactStatus, TouchKind
from dormancy.models import DormancyRule, DormancyRuleVersion
from dormancy.selectors import rule_member_count
from dormancy.services import dormancy_rule_create

from .conftest import TODAY, at, messages

pytestmark = pytest.mark.django_db
LIST = reverse("api:dormancy_rule_list")
NEW = {
    "name": "Slow line", "slug": "slow-line", "inactivity_days": 365, "touch_kinds": ["meeting", "call"],
    "conditions": {"match": "any", "items": [{"type": "lost"}]},
    "scope": [{"field": "industry", "op": "in", "value": ["IT"]}],
}


def detail(rule):
    return reverse("api:dormancy_rule_detail", args=[rule.pk])


def _state():
    """Everything a refused write must leave alone."""
    return (list(DormancyRule.objects.order_by("pk").values()),
            list(DormancyRuleVersion.objects.order_by("pk").values_list("pk", "rule_id", "number")))


@pytest.fixture
def people(db):
    """Known for three years; the last touch (any kind, no per-kind summary) long ago or today.

    Default rule (all kinds, 180 days, lost or stage stalled): 0, 2 and 3. Slow line (meetings and calls,
    none recorded, 365 days, lost, industry IT): 0 and 1.
    """
    it = Company.objects.create(name="IT社", industry="IT", employee_count=50)
    long_ago, today = at(TODAY.replace(year=TODAY.year - 2)), at(TODAY)
    for i, (touched, status, company) in enumerate([(long_ago, ContactStatus.LOST, it), (today, ContactStatus.LOST, it),
                                                    (long_ago, ContactStatus.LOST, None),
                                                    (long_ago, ContactStatus.CUSTOMER, it)]):
        Contact.objects.create(email=f"d{i}@example.jp", status=status, company=company, last_touch_at=touched)
    Contact.objects.update(created_at=at(TODAY.replace(year=TODAY.year - 3)))


def test_marketer_lists_rules_with_member_counts(key_client, marketer, people):
    rule = dormancy_rule_create(user=None, **NEW, is_active=False)
    response = key_client(marketer).get(LIST)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2 and data["next"] is None
    by_slug = {row["slug"]: row for row in data["results"]}
    assert [row["slug"] for row in data["results"]] == ["default", "slow-line"]  # active first
    default = DormancyRule.objects.get(slug="default")
    assert by_slug["default"]["member_count"] == rule_member_count(default, today=TODAY) == 3
    assert by_slug["slow-line"]["member_count"] == rule_member_count(rule, today=TODAY) == 2
    assert set(by_slug["slow-line"]) == {"id", "name", "slug", "inactivity_days", "touch_kinds", "conditions",
                                         "scope", "is_active", "member_count", "created_at", "updated_at"}
    assert by_slug["slow-line"]["touch_kinds"] == ["call", "meeting"]


def test_rule_list_query_count_does_not_grow_with_rules(key_client, marketer, people, django_assert_num_queries):
    client = key_client(marketer)
    client.get(LIST)  # the key's last-used stamp is written on first use
    with django_assert_num_queries(5):  # key+user, roles, page count, rules, all member counts
        client.get(LIST)
    for number in range(4):
        dormancy_rule_create(user=None, **{**NEW, "slug": f"r{number}", "name": f"R{number}"})
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert response.json()["count"] == 5


def test_detail_has_versions_and_member_count(key_client, marketer, admin_user, people):
    rule = dormancy_rule_create(user=admin_user, **NEW, note="first")
    response = key_client(marketer).get(detail(rule))
    assert response.status_code == 200
    data = response.json()
    assert data["member_count"] == rule_member_count(rule, today=TODAY) == 2
    assert data["versions"] == [{
        "number": 1, "created_by": admin_user.username, "created_at": data["versions"][0]["created_at"],
        "note": "first", "definition": rule.definition(),
    }]


def test_admin_creates_a_rule_through_the_service_with_version_1_by_the_keys_user(key_client, admin_user):
    response = key_client(admin_user).post(LIST, {**NEW, "note": "for the ERP line"}, format="json")
    assert response.status_code == 201
    rule = DormancyRule.objects.get(slug="slow-line")
    assert response["Location"] == detail(rule)
    assert (rule.inactivity_days, rule.touch_kinds, rule.is_active) == (365, ["call", "meeting"], True)
    version = rule.versions.get()
    assert (version.number, version.created_by, version.note) == (1, admin_user, "for the ERP line")
    assert response.json()["versions"][0]["created_by"] == admin_user.username


def test_version_note_says_which_key_made_the_change(key_client, admin_user):
    client = key_client(admin_user)
    client.post(LIST, NEW, format="json")
    rule = DormancyRule.objects.get(slug="slow-line")
    prefix = rule.versions.get().note.removeprefix("Created through the API (key rk_")[:8]
    assert rule.versions.get().note == f"Created through the API (key rk_{prefix}…)"
    client.patch(detail(rule), {"inactivity_days": 400}, format="json")
    assert rule.versions.get(number=2).note == f"Changed through the API (key rk_{prefix}…)"


def test_patch_changes_one_field_and_writes_a_version(key_client, admin_user):
    rule = dormancy_rule_create(user=None, **NEW)
    response = key_client(admin_user).patch(detail(rule), {"inactivity_days": 400, "note": "longer"}, format="json")
    assert response.status_code == 200
    rule.refresh_from_db()
    assert (rule.inactivity_days, rule.conditions, rule.scope) == (400, NEW["conditions"], NEW["scope"])
    v2 = rule.versions.get(number=2)
    assert (v2.created_by, v2.note, v2.snapshot["inactivity_days"]) == (admin_user, "longer", 400)
    assert [v["number"] for v in response.json()["versions"]] == [2, 1]


def test_patch_that_changes_nothing_writes_no_version(key_client, admin_user):
    rule = dormancy_rule_create(user=None, **NEW)
    response = key_client(admin_user).patch(detail(rule), {"inactivity_days": 365, "slug": "slow-line"},
                                            format="json")
    assert response.status_code == 200
    assert rule.versions.count() == 1


def test_put_states_the_whole_rule(key_client, admin_user):
    rule = dormancy_rule_create(user=None, **NEW)
    body = {"name": "Renamed", "inactivity_days": 200, "touch_kinds": ["email_click"]}
    response = key_client(admin_user).put(detail(rule), body, format="json")
    assert response.status_code == 200
    rule.refresh_from_db()
    assert rule.definition() == {"name": "Renamed", "inactivity_days": 200, "touch_kinds": ["email_click"],
                                 "conditions": {"match": "any", "items": []}, "scope": [], "is_active": True}
    assert rule.versions.count() == 2


def test_a_client_may_send_back_what_it_read(key_client, admin_user):
    rule = dormancy_rule_create(user=None, **NEW)
    client = key_client(admin_user)
    read = client.get(detail(rule)).json()
    response = client.put(detail(rule), {**read, "inactivity_days": 366}, format="json")
    assert response.status_code == 200, response.json()
    rule.refresh_from_db()
    assert rule.inactivity_days == 366 and rule.versions.count() == 2


@pytest.mark.parametrize("body, expected", [
    ({**NEW, "inactivity_days": 0}, [("inactivity_days", "The inactivity threshold must be a whole number of days "
                                                         "from 1 to 3650, not 0.")]),
    ({**NEW, "inactivity_days": "180"}, [("inactivity_days", "The inactivity threshold must be a whole number of "
                                                             "days from 1 to 3650, not '180'.")]),
    ({**NEW, "touch_kinds": ["fax"]}, [("touch_kinds", 'Unknown touch kind "fax". Known kinds: '
                                                       + ", ".join(TouchKind.values) + ".")]),
    ({**NEW, "scope": [{"field": "company__owner__password", "op": "eq", "value": "x"}]},
     [("scope", 'Scope 1: unknown field "company__owner__password". Known fields: industry, status, lost_reason, '
                "owner, title, company_size_min, company_size_max, attribute:<name>.")]),
    ({**NEW, "scope": [{"field": "status", "op": "__gt", "value": "lost"}]},
     [("scope", 'Scope 1: unknown operator "__gt"; use "eq" or "in".')]),
    ({**NEW, "slug": "bad slug; DROP TABLE"},
     [("slug", "The slug may hold only letters, digits, hyphens and underscores (1–50 characters).")]),
    ({**NEW, "slug": "default"}, [("slug", 'A rule with the slug "default" already exists.')]),
    ({**NEW, "inactivty_days": 10}, [("inactivty_days", 'Unknown field "inactivty_days".')]),
    ({"name": "x"}, [("slug", "This field is required."), ("inactivity_days", "This field is required."),
                     ("touch_kinds", "This field is required.")]),
])
def test_invalid_rule_is_400_with_messages_and_changes_nothing(key_client, admin_user, body, expected):
    before = _state()
    response = key_client(admin_user).post(LIST, body, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == expected
    assert _state() == before


def test_invalid_json_is_400(key_client, admin_user):
    response = key_client(admin_user).post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert messages(response)[0].startswith("JSON parse error")


@pytest.mark.parametrize("body, expected", [
    ({"slug": "renamed"}, [("slug", "The slug cannot change: commands and segments refer to the rule by it.")]),
    ({"conditions": {"match": "most", "items": []}}, [("conditions", 'Unknown match "most"; use "any" or "all".')]),
    ({"is_active": "yes"}, [("is_active", "Active must be true or false.")]),
    ({"name": None}, [("name", "This field may not be null.")]),
])
def test_invalid_update_is_400_and_changes_nothing(key_client, admin_user, body, expected):
    rule = dormancy_rule_create(user=None, **NEW)
    before = _state()
    response = key_client(admin_user).patch(detail(rule), body, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == expected
    assert _state() == before


def test_marketer_reads_but_cannot_write(key_client, marketer):
    rule = DormancyRule.objects.get(slug="default")
    client = key_client(marketer)
    before = _state()
    assert client.get(detail(rule)).status_code == 200
    for response in (client.post(LIST, NEW, format="json"),
                     client.patch(detail(rule), {"inactivity_days": 10}, format="json"),
                     client.put(detail(rule), NEW, format="json")):
        assert response.status_code == 403
        assert messages(response) == ["Your role does not allow this request. It needs one of the roles: admin."]
    assert _state() == before


def test_rep_cannot_read(key_client, rep):
    rule = DormancyRule.objects.get(slug="default")
    client = key_client(rep)
    assert client.get(LIST).status_code == 403
    response = client.get(detail(rule))
    assert response.status_code == 403
    assert messages(response) == ["Your role does not allow this request. It needs one of the roles: admin, "
                                  "marketer."]


def test_unknown_rule_is_404(key_client, marketer):
    response = key_client(marketer).get(reverse("api:dormancy_rule_detail", args=[999999]))
    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": None, "message": "No DormancyRule matches the given query."}]}
