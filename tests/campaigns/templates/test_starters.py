"""The starter library: loaded by its migration (idempotently), and every template renders, in both languages."""
import importlib

import pytest
from django.apps import apps as django_apps

from campaigns.merge import SAMPLE_CONTEXT, SAMPLE_CONTEXT_EN, merge_context
from campaigns.models import MessageTemplate, TemplateStyle
from campaigns.starter import CURRENT, KEYS
from campaigns.templating import render_message, template_problems

from .conftest import NOW

pytestmark = pytest.mark.django_db
EXPECTED_KEYS = ("lost-deal-checkin", "useful-content", "webinar-invitation", "lapse-pre-notice",
                 "lapse-notice-options", "lapse-last-call", "win-back")
LINKS = {"unsubscribe_url": "https://r.example/m/u/t", "preferences_url": "https://r.example/m/p/t",
         "rescue_options": [{"label": "Renew for a year", "url": "https://r.example/m/o/renew"},
                            {"label": "Extend one month", "url": "https://r.example/m/o/extend"}],
         "rescue_deadline": "2026-07-24"}


def _fields(entry):
    return {"subject": entry["subject"], "body_text": entry["body_text"], "body_html": entry["body_html"]}


def _starter_ids():
    return [f"{entry['key']}-{entry['language']}" for entry in CURRENT]


def test_library_has_each_mail_in_both_languages():
    assert KEYS == EXPECTED_KEYS
    assert sorted((entry["key"], entry["language"]) for entry in CURRENT) == sorted(
        (key, language) for key in EXPECTED_KEYS for language in ("ja", "en"))


def test_migration_loaded_the_library():
    stored = MessageTemplate.objects.filter(is_starter=True)
    assert sorted(stored.values_list("starter_key", "language")) == sorted(
        (entry["key"], entry["language"]) for entry in CURRENT)
    checkin = stored.get(starter_key="lost-deal-checkin", language="ja")
    assert (checkin.style, checkin.body_html) == (TemplateStyle.PERSONAL, "")


def test_migration_is_idempotent():
    migration = importlib.import_module("campaigns.migrations.0002_starter_templates")
    MessageTemplate.objects.filter(is_starter=True, starter_key="win-back", language="en").update(subject="changed")
    migration.load_starters(django_apps, None)
    migration.load_starters(django_apps, None)
    assert MessageTemplate.objects.filter(is_starter=True).count() == len(CURRENT)
    assert MessageTemplate.objects.get(starter_key="win-back", language="en").subject.startswith("Thank you")


@pytest.mark.parametrize("entry", CURRENT, ids=_starter_ids())
def test_starter_passes_the_save_time_check(entry):
    assert template_problems(_fields(entry), SAMPLE_CONTEXT) == []


@pytest.mark.parametrize("entry", CURRENT, ids=_starter_ids())
def test_starter_renders_for_a_real_contact(entry, rich_contact):
    contact, contract = rich_contact
    context = merge_context(contact=contact, contract=contract, links=LINKS, now=NOW, language=entry["language"])
    message = render_message(_fields(entry), context)
    everything = message.subject + message.text + message.html
    assert "{{" not in everything and "{%" not in everything and "{#" not in everything
    assert message.subject and "\n" not in message.subject
    if "contract." in entry["body_text"]:
        assert "プロプラン" in message.text
    if "rescue.options" in entry["body_text"]:
        assert "https://r.example/m/o/renew" in message.text and "Extend one month" in message.text
        assert (not message.html) or 'href="https://r.example/m/o/extend"' in message.html


@pytest.mark.parametrize("entry", CURRENT, ids=_starter_ids())
def test_starter_renders_for_a_contact_with_nothing(entry):
    from contacts.models import Contact

    bare = Contact.objects.create(email="bare@example.com")
    render_message(_fields(entry), merge_context(contact=bare, now=NOW))  # no TemplateError


@pytest.mark.parametrize("entry", CURRENT, ids=_starter_ids())
def test_starter_leaves_the_legal_footer_to_the_engine(entry):
    source = "".join(_fields(entry).values())
    assert "unsubscribe_url" not in source and "preferences_url" not in source
    assert "配信停止" not in source and "unsubscribe" not in source.lower()


def test_personal_check_in_is_signed_by_the_owner_with_a_booking_link(rich_contact):
    contact, _contract = rich_contact
    entry = next(e for e in CURRENT if e["key"] == "lost-deal-checkin" and e["language"] == "ja")
    text = render_message(_fields(entry), merge_context(contact=contact, now=NOW)).text
    assert text.startswith("株式会社テスト工業\n山本様\n\nご無沙汰しております。Sato Taroです。\n")
    assert "2025年12月25日にお打ち合わせ" in text
    assert "https://cal.example.com/sato" in text
    assert text.rstrip().endswith("佐藤 太郎\n営業部\nrep1@example.com")


def test_pre_notice_states_plan_lapse_date_and_days_left(rich_contact):
    contact, contract = rich_contact
    entry = next(e for e in CURRENT if e["key"] == "lapse-pre-notice" and e["language"] == "en")
    message = render_message(_fields(entry), merge_context(contact=contact, contract=contract, now=NOW))
    assert message.subject == "Your プロプラン contract ends on July 31, 2026"
    assert "July 31, 2026,\n30 days from now" in message.text


@pytest.mark.parametrize("entry", [e for e in CURRENT if e["language"] == "en"], ids=lambda e: e["key"])
def test_english_starter_renders_with_the_english_sample(entry):
    message = render_message(_fields(entry), SAMPLE_CONTEXT_EN)
    assert "Emily" in message.text and "太郎" not in message.text + message.subject
