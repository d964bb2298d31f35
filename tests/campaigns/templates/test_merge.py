"""merge_context: plain data only, the right values in the workspace calendar, and two queries at most."""
from datetime import date, datetime

import pytest

from campaigns.merge import FIELD_HELP, MERGE_RELATED, SAMPLE_CONTEXT, SAMPLE_CONTEXT_EN, last_meetings, merge_context
from contacts.models import Contact

from .conftest import NOW

pytestmark = pytest.mark.django_db
PLAIN = (str, int, float, bool, type(None))
LINKS = {"unsubscribe_url": "https://r.example/m/u/t1", "preferences_url": "https://r.example/m/p/t1",
         "rescue_options": [{"label": "Renew", "url": "https://r.example/m/o/a", "extra": object()},
                            {"label": "Extend", "url": "https://r.example/m/o/b"}],
         "rescue_deadline": date(2026, 7, 24), "contract_loses": "レポート機能"}


def _walk(value, path="context"):
    """Every leaf is a plain value; containers are plain dicts and lists."""
    if isinstance(value, dict):
        assert type(value) is dict, path
        for key, item in value.items():
            assert type(key) is str, path
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        assert type(value) is list, path
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    else:
        yield path, value


def _shape(value):
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def test_merge_context_for_a_real_contact(rich_contact):
    contact, contract = rich_contact
    context = merge_context(contact=Contact.objects.get(pk=contact.pk), contract=contract, links=LINKS, now=NOW,
                            language="en")
    assert context == {
        "contact": {"first_name": "花子", "last_name": "山本", "full_name": "山本 花子",
                    "company": "株式会社テスト工業", "title": "総務部長", "email": "hanako@test-kogyo.example"},
        "owner": {"name": "Sato Taro", "email": "rep1@example.com", "signature": "佐藤 太郎\n営業部\nrep1@example.com",
                  "scheduling_url": "https://cal.example.com/sato"},
        # 2026-01-10 15:30 UTC is 00:30 on the 11th in Tokyo; the bot-flagged meeting does not count.
        "last_touch": {"date": "2026-01-11", "kind": "Email click"},
        "last_meeting": {"date": "2025-12-25"},
        "contract": {"plan": "プロプラン", "lapse_date": "2026-07-31", "days_left": 30, "loses": "レポート機能"},
        "rescue": {"options": [{"label": "Renew", "url": "https://r.example/m/o/a"},
                               {"label": "Extend", "url": "https://r.example/m/o/b"}],
                   "deadline": "2026-07-24"},
        "unsubscribe_url": "https://r.example/m/u/t1",
        "preferences_url": "https://r.example/m/p/t1",
    }


def test_merge_context_holds_only_plain_values(rich_contact):
    contact, contract = rich_contact
    context = merge_context(contact=contact, contract=contract, links=LINKS, now=NOW)
    leaves = list(_walk(context))
    assert leaves and all(isinstance(value, PLAIN) for _path, value in leaves), \
        [(path, type(value)) for path, value in leaves if not isinstance(value, PLAIN)]


def test_merge_context_has_the_shape_of_the_sample(rich_contact):
    """Templates are checked against SAMPLE_CONTEXT at save time: a real context must have the same fields."""
    contact, contract = rich_contact
    assert _shape(merge_context(contact=contact, contract=contract, links=LINKS, now=NOW)) == _shape(SAMPLE_CONTEXT)
    assert _shape(merge_context(contact=Contact.objects.create(email="bare@example.com"))) == {
        **_shape(SAMPLE_CONTEXT), "rescue": {"options": [], "deadline": None}}


def test_english_sample_has_the_same_fields():
    assert _shape(SAMPLE_CONTEXT_EN) == _shape(SAMPLE_CONTEXT)


def test_every_documented_field_is_in_the_sample():
    for dotted, _text in FIELD_HELP:
        value = SAMPLE_CONTEXT
        for part in dotted.split("."):
            value = value[part]
    assert {dotted.split(".")[0] for dotted, _text in FIELD_HELP} == set(SAMPLE_CONTEXT)


def test_a_contact_with_nothing_gets_empty_values():
    contact = Contact.objects.create(email="bare@example.com")
    context = merge_context(contact=contact, now=NOW)
    assert context["owner"] == {"name": "", "email": "", "signature": "", "scheduling_url": ""}
    assert context["contact"]["company"] == "" and context["contact"]["full_name"] == ""
    assert context["last_touch"] == {"date": "", "kind": ""} and context["last_meeting"] == {"date": ""}
    assert context["contract"] == {"plan": "", "lapse_date": "", "days_left": "", "loses": ""}
    assert context["rescue"] == {"options": [], "deadline": ""}
    assert context["unsubscribe_url"] == "" and context["preferences_url"] == ""


def test_owner_without_profile_signs_with_name_and_address(other_rep):
    contact = Contact.objects.create(email="c@example.com", owner=other_rep)
    assert merge_context(contact=contact)["owner"] == {
        "name": "Suzuki Hanako", "email": "rep2@example.com", "signature": "Suzuki Hanako\nrep2@example.com",
        "scheduling_url": ""}


def test_touch_kind_label_follows_the_language(rich_contact):
    contact, _contract = rich_contact
    assert merge_context(contact=contact, language="ja")["last_touch"]["kind"] == "メールクリック"


def test_days_left_is_negative_after_lapse(rich_contact):
    contact, contract = rich_contact
    after = datetime(2026, 8, 10, 3, 0, tzinfo=NOW.tzinfo)
    assert merge_context(contact=contact, contract=contract, now=after)["contract"]["days_left"] == -10


def test_two_queries_for_a_bare_contact(rich_contact, django_assert_num_queries):
    contact, contract = rich_contact
    bare = Contact.objects.get(pk=contact.pk)
    with django_assert_num_queries(2):  # the contact with its relations, the last meeting
        merge_context(contact=bare, contract=contract, links=LINKS, now=NOW)


def test_one_query_when_relations_are_loaded_and_none_with_batch_meetings(rich_contact, django_assert_num_queries):
    contact, contract = rich_contact
    loaded = Contact.objects.select_related(*MERGE_RELATED).get(pk=contact.pk)
    with django_assert_num_queries(1):
        merge_context(contact=loaded, contract=contract, now=NOW)
    meetings = last_meetings([contact.pk])
    with django_assert_num_queries(0):
        context = merge_context(contact=loaded, contract=contract, now=NOW, last_meeting_at=meetings.get(contact.pk))
    assert context["last_meeting"] == {"date": "2025-12-25"}
