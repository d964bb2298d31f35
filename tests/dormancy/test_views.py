"""Dormancy rule pages: list, detail, editor, live preview, restore and the contact page card."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactStatus, LostReason
from dormancy.models import DormancyMembership, DormancyRule, DormancyRuleVersion
from dormancy.selectors import rule_member_count
from dormancy.services import rule_members_refresh

from .conftest import ALL_KINDS, TODAY, days_ago, tokyo

NOW = tokyo(TODAY, 12)
LIST = reverse("dormancy:list")
CREATE = reverse("dormancy:create")
PREVIEW = reverse("dormancy:preview")


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def english_pages(settings):
    # LocaleMiddleware picks the page language per request: assert the English source text.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def default_rule(db):
    """Shipped by migration: silent 180 days AND (lost OR deal stage unchanged 90 days)."""
    return DormancyRule.objects.get(slug="default")


@pytest.fixture
def people(make_contact, touch):
    """Four contacts around the default rule; A and D are its members today."""
    made = {
        "a": make_contact(email="a@example.com", last_name="青木", first_name="明", status=ContactStatus.LOST,
                          lost_reason=LostReason.COMPETITOR),
        "b": make_contact(email="b@example.com", last_name="馬場", status=ContactStatus.LOST,
                          lost_reason=LostReason.PENDING),
        "c": make_contact(email="c@example.com", last_name="千葉", status=ContactStatus.CUSTOMER,
                          deal_stage_changed_at=days_ago(10)),
        "d": make_contact(email="d@example.com", status=ContactStatus.LOST),
    }
    for key, days in {"a": 200, "b": 100, "c": 300, "d": 400}.items():
        touch(made[key], tokyo(days_ago(days)))
    return made


def form_data(definition=None, **overrides):
    """The editor's POST data for the default rule's definition, with changes."""
    data = {
        "name": "Silent 180 days, lost or stalled", "inactivity_days": "180", "touch_kinds": ALL_KINDS,
        "condition_match": "any", "condition_lost": "on", "condition_stage_days": "90", "is_active": "on",
        "note": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def member_count_cell(html, slug):
    row = re.search(rf'<tr data-slug="{slug}".*?</tr>', html, re.S).group(0)
    return re.search(r'member-count">([^<]*)<', row).group(1)


# -- list ---------------------------------------------------------------------

def test_rule_list_shows_each_rule_with_its_current_member_count(persona_client, marketer, people, make_rule):
    make_rule(name="Long silence", slug="long", inactivity_days=350)
    response = persona_client(marketer).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert member_count_cell(html, "default") == "2"  # A (200 days) and D (400 days)
    assert member_count_cell(html, "long") == "1"  # D only
    assert "Long silence" in html and "350 days" in html
    assert CREATE not in html  # marketers read, admins edit


def test_rule_list_counts_every_rule_in_one_query(persona_client, marketer, people, make_rule):
    client = persona_client(marketer)
    client.get(LIST)  # warm the session and role caches alike for both runs
    with CaptureQueriesContext(connection) as one_rule:
        client.get(LIST)
    make_rule(slug="second")
    make_rule(slug="third")
    with CaptureQueriesContext(connection) as three_rules:
        response = client.get(LIST)
    assert len(three_rules) == len(one_rule) == 5  # session, user, roles, rules, one aggregate
    for rule in response.context["rules"]:
        assert rule.members_today == rule_member_count(rule, today=response.context["today"])


def test_rule_list_reads_stored_counts_when_current(persona_client, marketer, people, default_rule):
    DormancyRule.objects.filter(pk=default_rule.pk).update(updated_at=tokyo(days_ago(30)))
    rule_members_refresh(rule_id=default_rule.pk, run_at=tokyo(TODAY, 9))  # the pages' "today"
    client = persona_client(marketer)
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert len(queries) == 4  # session, user, roles, rules: no count at all
    [listed] = response.context["rules"]
    assert listed.members_today == DormancyMembership.objects.filter(rule=default_rule).count()


def test_rep_is_refused_the_rule_pages(persona_client, rep, default_rule):
    client = persona_client(rep)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("dormancy:detail", args=[default_rule.pk])).status_code == 403


def test_marketer_cannot_create_edit_preview_or_restore(persona_client, marketer, default_rule):
    client = persona_client(marketer)
    assert client.post(CREATE, form_data(name="Sneaky", slug="sneaky")).status_code == 403
    edit = reverse("dormancy:edit", args=[default_rule.pk])
    assert client.post(edit, form_data(inactivity_days="30")).status_code == 403
    assert client.post(PREVIEW, form_data()).status_code == 403
    assert client.post(reverse("dormancy:restore", args=[default_rule.pk, 1])).status_code == 403
    default_rule.refresh_from_db()
    assert default_rule.inactivity_days == 180
    assert DormancyRule.objects.count() == 1
    assert DormancyRuleVersion.objects.filter(rule=default_rule).count() == 1


# -- detail -------------------------------------------------------------------

def test_detail_shows_definition_members_reasons_and_history(persona_client, marketer, people, default_rule):
    response = persona_client(marketer).get(reverse("dormancy:detail", args=[default_rule.pk]))
    html = response.content.decode()
    assert 'id="member-count">2<' in html
    assert "No counted touch for 180 days or more." in html
    assert "the deal was lost (status Lost)" in html
    assert "the deal stage has not changed for 90 days or more" in html
    members = re.search(r'<table[^>]*id="members".*?</table>', html, re.S).group(0)
    member_links = re.findall(r'href="/contacts/(\d+)/"', members)
    # Longest silent first: D (400 days), then A (200 days).
    assert member_links == [str(people["d"].pk), str(people["a"].pk)]
    reasons = re.search(r'<table[^>]*id="reasons".*?</table>', html, re.S).group(0)
    assert re.findall(r'data-reason="(\w*)"', reasons) == ["", "competitor"]  # by count, then reason
    assert "/contacts/?scope=all&amp;lost_reason=competitor" in reasons
    assert re.search(r'lost_reason=competitor"[^>]*>Chose a competitor</a></td>\s*<td class="text-end">1</td>', reasons)
    assert "No reason recorded" in reasons
    assert 'id="version-1"' in html and "Shipped with Rekindle" in html
    assert "Restore v" not in html  # marketers cannot restore


# -- create, edit, restore ------------------------------------------------------

def test_admin_creates_a_rule_as_version_1(persona_client, admin_user, people):
    response = persona_client(admin_user).post(CREATE, form_data(
        name="Stalled customers", slug="stalled", inactivity_days="250", condition_lost=None,
        condition_stage_days=None, condition_statuses=["customer"], scope_size_min="",
        note="For the CS team",
    ))
    rule = DormancyRule.objects.get(slug="stalled")
    assert response.status_code == 302 and response["Location"] == reverse("dormancy:detail", args=[rule.pk])
    assert rule.inactivity_days == 250
    assert rule.conditions == {"match": "any", "items": [{"type": "status_in", "values": ["customer"]}]}
    assert rule.scope == []
    version = rule.versions.get()
    assert (version.number, version.created_by, version.note) == (1, admin_user, "For the CS team")
    assert version.snapshot == rule.definition()


def test_edit_saves_version_2_with_who_when_and_note(persona_client, admin_user, default_rule):
    client = persona_client(admin_user)
    response = client.post(reverse("dormancy:edit", args=[default_rule.pk]), form_data(
        inactivity_days="120", scope_lost_reasons=["competitor", "forgotten"], scope_size_min="50",
        note="Shorter silence for competitor losses",
    ))
    assert response.status_code == 302
    default_rule.refresh_from_db()
    assert default_rule.inactivity_days == 120
    assert default_rule.scope == [
        {"field": "lost_reason", "op": "in", "value": ["competitor", "forgotten"]},
        {"field": "company_size_min", "op": "eq", "value": 50},
    ]
    version = default_rule.versions.get(number=2)
    assert version.created_by == admin_user and version.created_at == NOW
    assert version.note == "Shorter silence for competitor losses"
    page = client.get(reverse("dormancy:detail", args=[default_rule.pk])).content.decode()
    history = re.search(r'<tr id="version-2">.*?</tr>', page, re.S).group(0)
    assert "2025-12-01 12:00" in history and "admin1" in history and "Shorter silence" in history
    assert "Restore v1" in page and "Restore v2" not in page


def test_restore_writes_version_3_equal_to_version_1(persona_client, admin_user, default_rule):
    client = persona_client(admin_user)
    client.post(reverse("dormancy:edit", args=[default_rule.pk]), form_data(inactivity_days="30", note="try 30"))
    response = client.post(reverse("dormancy:restore", args=[default_rule.pk, 1]))
    assert response.status_code == 302
    default_rule.refresh_from_db()
    versions = {v.number: v for v in default_rule.versions.all()}
    assert sorted(versions) == [1, 2, 3]
    assert versions[3].snapshot == versions[1].snapshot == default_rule.definition()
    assert versions[3].note == "Restored version 1" and versions[3].created_by == admin_user
    assert default_rule.inactivity_days == 180


def test_restoring_a_missing_version_is_404_and_writes_nothing(persona_client, admin_user, default_rule):
    response = persona_client(admin_user).post(reverse("dormancy:restore", args=[default_rule.pk, 9]))
    assert response.status_code == 404
    assert default_rule.versions.count() == 1


@pytest.mark.parametrize("overrides, message", [
    ({"inactivity_days": "0"}, "The inactivity threshold must be a whole number of days from 1 to 3650, not 0."),
    ({"touch_kinds": None}, "Pick at least one touch kind that counts as a touch."),
    ({"name": "  "}, "Give the rule a name."),
    ({"condition_stage_days": "5000"}, "Condition 2: the deal stage age must be a whole number of days from 1 to 3650"),
    ({"inactivity_days": "soon"}, "Enter a whole number."),
])
def test_invalid_edit_shows_the_message_and_saves_nothing(persona_client, admin_user, default_rule, overrides,
                                                          message):
    before = default_rule.definition()
    response = persona_client(admin_user).post(reverse("dormancy:edit", args=[default_rule.pk]),
                                               form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'class="invalid-feedback' in response.content.decode()  # beside the field, not only on top
    default_rule.refresh_from_db()
    assert default_rule.definition() == before
    assert default_rule.versions.count() == 1


def test_create_with_a_taken_slug_shows_the_message_and_saves_nothing(persona_client, admin_user, default_rule):
    response = persona_client(admin_user).post(CREATE, form_data(name="Copy", slug="default"))
    assert response.status_code == 200
    assert "A rule with the slug &quot;default&quot; already exists." in response.content.decode()
    assert DormancyRule.objects.count() == 1
    assert DormancyRuleVersion.objects.count() == 1


def test_edit_keeps_scope_items_the_form_has_no_field_for(persona_client, admin_user, make_rule):
    scope = [{"field": "attribute:plan", "op": "eq", "value": "gold"}]
    rule = make_rule(slug="gold", scope=scope)
    client = persona_client(admin_user)
    page = client.get(reverse("dormancy:edit", args=[rule.pk])).content.decode()
    assert "custom attribute “plan” is gold" in page
    client.post(reverse("dormancy:edit", args=[rule.pk]), form_data(
        name=rule.name, condition_lost=None, condition_stage_days=None, inactivity_days="200"))
    rule.refresh_from_db()
    assert rule.inactivity_days == 200 and rule.scope == scope


# -- live preview -------------------------------------------------------------

def _example(contact):
    return {"name": contact.full_name or contact.email, "email": contact.email,
            "url": reverse("contacts:detail", args=[contact.pk])}


def test_preview_of_a_lower_threshold_adds_the_newly_silent(persona_client, admin_user, people, default_rule):
    response = persona_client(admin_user).post(f"{PREVIEW}?rule={default_rule.pk}", form_data(inactivity_days="90"))
    assert response.status_code == 200
    assert response.json() == {
        "added": 1, "removed": 0, "total": 3,
        "added_examples": [_example(people["b"])], "removed_examples": [],
    }


def test_preview_counts_both_directions_and_saves_nothing(persona_client, admin_user, people, default_rule):
    response = persona_client(admin_user).post(f"{PREVIEW}?rule={default_rule.pk}", form_data(
        inactivity_days="250", condition_lost=None, condition_stage_days=None, condition_statuses=["customer"]))
    assert response.json() == {
        "added": 1, "removed": 2, "total": 1,
        "added_examples": [_example(people["c"])],
        "removed_examples": [_example(people["d"]), _example(people["a"])],  # longest silent first
    }
    default_rule.refresh_from_db()
    assert default_rule.inactivity_days == 180 and default_rule.versions.count() == 1


def test_preview_of_a_new_rule_compares_with_nobody(persona_client, admin_user, people):
    response = persona_client(admin_user).post(PREVIEW, form_data(inactivity_days="350", name=""))
    assert response.status_code == 400  # no name yet
    response = persona_client(admin_user).post(PREVIEW, form_data(inactivity_days="350", name="Draft"))
    assert response.json() == {"added": 1, "removed": 0, "total": 1,
                               "added_examples": [_example(people["d"])], "removed_examples": []}


def test_preview_of_invalid_input_is_400_with_errors(persona_client, admin_user, default_rule):
    response = persona_client(admin_user).post(f"{PREVIEW}?rule={default_rule.pk}", form_data(inactivity_days="0"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["message"] for e in errors["inactivity_days"]] == [
        "The inactivity threshold must be a whole number of days from 1 to 3650, not 0."]
    assert default_rule.versions.count() == 1


def test_preview_for_an_unknown_rule_is_400(persona_client, admin_user):
    response = persona_client(admin_user).post(f"{PREVIEW}?rule=99999", form_data())
    assert response.status_code == 400


# -- contact page ---------------------------------------------------------------

def test_contact_page_says_which_rules_match_and_why(persona_client, rep, people, default_rule):
    html = persona_client(rep).get(reverse("contacts:detail", args=[people["a"].pk])).content.decode()
    card = re.search(r'<div class="card" id="dormancy-matches">.*?</div></div>', html, re.S).group(0)
    assert "Silent 180 days, lost or stalled" in card
    assert f"last touch {days_ago(200).isoformat()} (Email click), 200 days ago ≥ 180" in card
    assert "status lost" in card
    assert reverse("dormancy:detail", args=[default_rule.pk]) not in card  # reps cannot open rules


def test_contact_page_shows_the_failing_clause_of_a_rule_not_matched(persona_client, marketer, people, default_rule):
    html = persona_client(marketer).get(reverse("contacts:detail", args=[people["b"].pk])).content.decode()
    card = re.search(r'<div class="card" id="dormancy-matches">.*?</div></div>', html, re.S).group(0)
    assert "Not dormant under any active rule." in card
    misses = re.search(r'<details class="small dormancy-misses">.*?</details>', card, re.S).group(0)
    assert "1 rule not matched" in misses
    assert f"last touch {days_ago(100).isoformat()} (Email click), 100 days ago &lt; 180" in misses
    assert "status lost" not in misses  # only the failing clause is listed
    assert reverse("dormancy:detail", args=[default_rule.pk]) in misses
