"""Contact list, contact page and overview: what each shows, to whom, and at what query cost."""
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from contacts.models import (
    Company,
    Contact,
    ContactStatus,
    ContactTouchSummary,
    Contract,
    ContractStatus,
    LostReason,
    Tag,
    TouchEvent,
    TouchKind,
)
from contacts.services import event_fingerprint
from contacts.views import contacts as contact_views

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
# 00:30 on 15 June in Tokyo is still 14 June in UTC: calendar days must be Tokyo's.
NOW = datetime(2025, 6, 15, 0, 30, tzinfo=TOKYO)
LIST = reverse("contacts:list")


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English source strings, whatever the Japanese catalogue says.
    settings.LANGUAGE_CODE = "en"


def tokyo(day, hour=10, minute=0, month=6):
    return datetime(2025, month, day, hour, minute, tzinfo=TOKYO)


def names(response):
    return [contact.full_name for contact in response.context["page"].object_list]


@pytest.fixture
def people(rep, other_rep):
    fuji = Company.objects.create(name="株式会社富士精機", industry="製造業", employee_count=320,
                                  domain="fuji.example.jp")
    aoba = Company.objects.create(name="青葉システムズ株式会社", industry="IT・ソフトウェア", domain="aoba.example.jp")

    def make(email, last, first, last_kana, first_kana, company, owner, status, touched=None, **extra):
        return Contact.objects.create(
            email=email, last_name=last, first_name=first, last_name_kana=last_kana, first_name_kana=first_kana,
            company=company, owner=owner, status=status, last_touch_at=touched, **extra,
        )

    return {
        "sato": make("taro.sato@fuji.example.jp", "佐藤", "太郎", "サトウ", "タロウ", fuji, rep, ContactStatus.CUSTOMER,
                     tokyo(14, 23, 30), last_touch_kind=TouchKind.CALL, acquired_at=date(2023, 4, 1)),
        "suzuki": make("hanako.suzuki@aoba.example.jp", "鈴木", "花子", "スズキ", "ハナコ", aoba, other_rep,
                       ContactStatus.OPPORTUNITY, tokyo(1), last_touch_kind=TouchKind.PAGE_VIEW,
                       acquired_at=date(2024, 11, 5)),
        "takahashi": make("ken.takahashi@fuji.example.jp", "高橋", "健", "タカハシ", "ケン", fuji, rep,
                          ContactStatus.LOST, tokyo(1, month=1), last_touch_kind=TouchKind.MEETING,
                          lost_reason=LostReason.COMPETITOR, acquired_at=date(2022, 8, 20)),
        "ito": make("makoto.ito@aoba.example.jp", "伊藤", "誠", "イトウ", "マコト", aoba, None,
                    ContactStatus.FORMER_CUSTOMER, tokyo(20, month=5), last_touch_kind=TouchKind.EMAIL_OPEN,
                    lost_reason=LostReason.PENDING),
        "tanaka": make("misaki.tanaka@gmail.example.com", "田中", "美咲", "たなか", "みさき", None, other_rep,
                       ContactStatus.LEAD, None, acquired_at=date(2024, 12, 1)),
    }


# -- list ---------------------------------------------------------------------

def test_marketer_sees_every_contact_latest_touch_first_and_untouched_last(persona_client, marketer, people):
    response = persona_client(marketer).get(LIST)

    assert response.status_code == 200
    assert response.context["nav"] == "contacts"
    assert response.context["scope"] == "all"
    assert names(response) == ["佐藤 太郎", "鈴木 花子", "伊藤 誠", "高橋 健", "田中 美咲"]
    assertContains(response, "Showing 1–5 of 5 contacts")


def test_days_since_last_touch_count_tokyo_calendar_days(persona_client, marketer, people):
    response = persona_client(marketer).get(LIST)

    days = {c.full_name: c.days_since_touch for c in response.context["page"].object_list}
    # 23:30 on the 14th, seen at 00:30 on the 15th: one calendar day in Tokyo.
    assert days == {"佐藤 太郎": 1, "伊藤 誠": 26, "鈴木 花子": 14, "高橋 健": 165, "田中 美咲": None}


@pytest.mark.parametrize(("query", "expected"), [
    ("さとう", ["佐藤 太郎"]),  # hiragana finds katakana
    ("タナカ", ["田中 美咲"]),  # katakana finds hiragana
    ("佐藤太郎", ["佐藤 太郎"]),  # family and given name without the space
    ("佐藤　太郎", ["佐藤 太郎"]),  # ideographic space splits terms
    ("ＨＡＮＡＫＯ", ["鈴木 花子"]),  # full-width letters in the email
    ("fuji.example", ["佐藤 太郎", "高橋 健"]),
    ("青葉システムズ", ["鈴木 花子", "伊藤 誠"]),  # company name
    ("富士 ケン", ["高橋 健"]),  # every term must match
    ("存在しない", []),
])
def test_search_matches_name_kana_email_and_company(persona_client, marketer, people, query, expected):
    response = persona_client(marketer).get(LIST, {"q": query})

    assert names(response) == expected


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "lost"}, ["高橋 健"]),
    ({"lost_reason": "pending"}, ["伊藤 誠"]),
    ({"industry": "製造業"}, ["佐藤 太郎", "高橋 健"]),
    ({"owner": "none"}, ["伊藤 誠"]),
    ({"silent": "180"}, ["田中 美咲"]),  # never touched, acquired more than 180 days ago
    ({"silent": "90"}, ["高橋 健", "田中 美咲"]),
    ({"status": "customer", "industry": "IT・ソフトウェア"}, []),
])
def test_filters_narrow_the_list(persona_client, marketer, people, params, expected):
    response = persona_client(marketer).get(LIST, params)

    assert names(response) == expected


def test_owner_filter_shows_that_reps_contacts(persona_client, marketer, people, other_rep):
    response = persona_client(marketer).get(LIST, {"owner": str(other_rep.pk)})

    assert names(response) == ["鈴木 花子", "田中 美咲"]


def test_lapsing_filter_finds_contacts_with_an_active_contract_ending_in_the_window(persona_client, marketer, people):
    Contract.objects.create(contact=people["sato"], external_id="C-1", expires_at=date(2025, 7, 10))
    Contract.objects.create(contact=people["suzuki"], external_id="C-2", expires_at=date(2025, 8, 30))
    Contract.objects.create(contact=people["ito"], external_id="C-3", expires_at=date(2025, 6, 20),
                            status=ContractStatus.CANCELLED)

    thirty = persona_client(marketer).get(LIST, {"lapsing": "30"})
    ninety = persona_client(marketer).get(LIST, {"lapsing": "90"})

    assert names(thirty) == ["佐藤 太郎"]
    assert names(ninety) == ["佐藤 太郎", "鈴木 花子"]


@pytest.mark.parametrize(("sort", "expected"), [
    ("name", ["伊藤 誠", "佐藤 太郎", "田中 美咲", "鈴木 花子", "高橋 健"]),  # code point order
    ("-name", ["高橋 健", "鈴木 花子", "田中 美咲", "佐藤 太郎", "伊藤 誠"]),
    ("company", ["佐藤 太郎", "高橋 健", "鈴木 花子", "伊藤 誠", "田中 美咲"]),  # no company last
    ("-company", ["伊藤 誠", "鈴木 花子", "高橋 健", "佐藤 太郎", "田中 美咲"]),
    ("last_touch", ["田中 美咲", "高橋 健", "伊藤 誠", "鈴木 花子", "佐藤 太郎"]),  # never touched is oldest
    ("-acquired", ["田中 美咲", "鈴木 花子", "佐藤 太郎", "高橋 健", "伊藤 誠"]),
    ("status", ["佐藤 太郎", "伊藤 誠", "田中 美咲", "高橋 健", "鈴木 花子"]),
])
def test_sort_orders_by_the_chosen_column(persona_client, marketer, people, sort, expected):
    response = persona_client(marketer).get(LIST, {"sort": sort})

    assert names(response) == expected


@pytest.mark.parametrize("sort", ["email", "-password", "id; DROP TABLE contacts_contact", "owner__password"])
def test_unknown_sort_key_falls_back_to_latest_touch_quietly(persona_client, marketer, people, sort):
    response = persona_client(marketer).get(LIST, {"sort": sort, "status": "junk", "silent": "7"})

    assert response.status_code == 200
    assert response.context["sort"] == "-last_touch"
    assert names(response) == ["佐藤 太郎", "鈴木 花子", "伊藤 誠", "高橋 健", "田中 美咲"]


def test_rep_starts_on_their_own_contacts_and_can_switch_to_all(persona_client, rep, people):
    client = persona_client(rep)

    own = client.get(LIST)
    everyone = client.get(LIST, {"scope": "all"})

    assert own.context["scope"] == "mine"
    assert names(own) == ["佐藤 太郎", "高橋 健"]
    assertContains(own, "My contacts")
    assert names(everyone) == ["佐藤 太郎", "鈴木 花子", "伊藤 誠", "高橋 健", "田中 美咲"]


def test_rep_in_own_scope_ignores_an_owner_filter(persona_client, rep, other_rep, people):
    response = persona_client(rep).get(LIST, {"owner": str(other_rep.pk)})

    assert names(response) == ["佐藤 太郎", "高橋 健"]


def _bulk_contacts(count, company, owner):
    Contact.objects.bulk_create([
        Contact(email=f"bulk{i:03d}@example.jp", last_name="山田", first_name=f"{i:03d}", company=company,
                owner=owner, last_touch_at=NOW - timedelta(hours=i))
        for i in range(count)
    ])


def test_pages_hold_fifty_contacts_in_a_stable_order(persona_client, marketer, rep):
    _bulk_contacts(120, Company.objects.create(name="株式会社山田"), rep)
    client = persona_client(marketer)

    second = client.get(LIST, {"page": "2"})
    third = client.get(LIST, {"page": "3"})
    beyond = client.get(LIST, {"page": "99"})

    assert names(second) == [f"山田 {i:03d}" for i in range(50, 100)]
    assert names(third) == [f"山田 {i:03d}" for i in range(100, 120)]
    assert names(beyond) == names(third)
    assertContains(second, "Showing 51–100 of 120 contacts")


def test_count_stops_at_the_cap_and_says_more(persona_client, marketer, rep, monkeypatch):
    monkeypatch.setattr(contact_views, "LIST_COUNT_CAP", 100)
    _bulk_contacts(120, None, rep)

    response = persona_client(marketer).get(LIST, {"page": "2"})

    assert response.context["paginator"].capped is True
    assert response.context["paginator"].num_pages == 2
    assertContains(response, "Showing 51–100 of more than 100 contacts")


def test_a_search_stops_counting_sooner(persona_client, marketer, rep, monkeypatch):
    monkeypatch.setattr(contact_views, "SEARCH_COUNT_CAP", 10)
    _bulk_contacts(60, None, rep)

    searched = persona_client(marketer).get(LIST, {"q": "山田"})
    browsed = persona_client(marketer).get(LIST)

    assert (searched.context["paginator"].count, searched.context["paginator"].capped) == (10, True)
    assert (browsed.context["paginator"].count, browsed.context["paginator"].capped) == (60, False)
    assertContains(searched, "Showing 1–10 of more than 10 contacts")


@pytest.mark.parametrize("params", [{}, {"q": "佐藤"}, {"status": "lost", "silent": "90"}, {"sort": "name"}])
def test_list_query_count_does_not_grow_with_the_contacts(persona_client, marketer, rep, people,
                                                          django_assert_num_queries, params):
    client = persona_client(marketer)
    # session, user, roles, owners for the filter, industries, capped count, page
    with django_assert_num_queries(7):
        client.get(LIST, params)
    _bulk_contacts(60, Company.objects.create(name="株式会社山田", industry="小売"), rep)
    with django_assert_num_queries(7):
        client.get(LIST, params)


def test_company_sort_reads_contacts_with_and_without_a_company_apart(persona_client, marketer, rep,
                                                                      django_assert_num_queries):
    _bulk_contacts(70, Company.objects.create(name="株式会社山田"), rep)
    Contact.objects.bulk_create([Contact(email=f"solo{i:03d}@example.jp", last_name="個人", first_name=f"{i:03d}")
                                 for i in range(50)])
    client = persona_client(marketer)

    # session, user, roles, owners, industries, count with and without company, page
    with django_assert_num_queries(8):
        first = client.get(LIST, {"sort": "company"})
    with django_assert_num_queries(9):  # the page where the two meet reads both
        second = client.get(LIST, {"sort": "company", "page": "2"})
    third = client.get(LIST, {"sort": "company", "page": "3"})

    assert names(first) == [f"山田 {i:03d}" for i in range(50)]
    assert names(second) == [f"山田 {i:03d}" for i in range(50, 70)] + [f"個人 {i:03d}" for i in range(30)]
    assert names(third) == [f"個人 {i:03d}" for i in range(30, 50)]
    assertContains(third, "Showing 101–120 of 120 contacts")


# -- contact page -------------------------------------------------------------

@pytest.fixture
def sato_history(people):
    sato = people["sato"]
    sato.title = "製造部 部長"
    sato.is_decision_maker = True
    sato.deal_stage = "受注"
    sato.deal_stage_changed_at = date(2023, 5, 10)
    sato.consent = "opt_in"
    sato.consent_source = "名刺交換 2023-04"
    sato.consent_at = tokyo(1, 15, 0, month=4).replace(year=2023)
    sato.attributes = {"region": "関東", "product_line": "勤怠管理"}
    sato.save()
    sato.tags.add(Tag.objects.create(name="展示会2023"), Tag.objects.create(name="重点顧客"))
    Contract.objects.create(contact=sato, external_id="CT-2024-001", plan="プロ", starts_at=date(2024, 7, 1),
                            expires_at=date(2025, 6, 30), amount=Decimal("1800000"), status=ContractStatus.ACTIVE)
    Contract.objects.create(contact=sato, external_id="CT-2023-001", plan="スタンダード", starts_at=date(2023, 7, 1),
                            expires_at=date(2024, 6, 30), amount=Decimal("600000"), status=ContractStatus.RENEWED)
    events = [
        (TouchKind.CALL, tokyo(14, 23, 30), "", "架電: 状況伺い", False),
        (TouchKind.EMAIL_CLICK, tokyo(10, 10, 0), "https://example.co.jp/pricing", "メルマガ 2025年6月号", True),
        (TouchKind.PAGE_VIEW, tokyo(2, 9, 15), "https://example.co.jp/case-studies", "", False),
    ]
    for kind, when, url, detail, bot in events:
        TouchEvent.objects.create(contact=sato, kind=kind, occurred_at=when, url=url, detail=detail,
                                  flagged_as_bot=bot, fingerprint=event_fingerprint(
                                      contact_id=sato.pk, kind=kind, occurred_at=when, url=url, detail=detail))
    ContactTouchSummary.objects.create(contact=sato, kind=TouchKind.CALL, last_at=tokyo(14, 23, 30))
    ContactTouchSummary.objects.create(contact=sato, kind=TouchKind.PAGE_VIEW, last_at=tokyo(2, 9, 15))
    return sato


def test_contact_page_shows_contracts_with_days_left_and_amounts(persona_client, rep, sato_history):
    response = persona_client(rep).get(reverse("contacts:detail", args=[sato_history.pk]))

    assert response.status_code == 200
    assert [(c.external_id, c.days_to_lapse) for c in response.context["contracts"]] == [
        ("CT-2024-001", 15), ("CT-2023-001", -350),
    ]
    assertContains(response, '<td class="text-end text-warning-emphasis fw-semibold">15</td>', html=True)
    assertContains(response, "¥1,800,000")
    assertContains(response, "¥600,000")
    assertContains(response, '<td class="text-end text-muted">—</td>', html=True)  # renewed: no countdown


def test_contact_page_shows_attributes_consent_tags_and_custom_fields(persona_client, marketer, sato_history):
    response = persona_client(marketer).get(reverse("contacts:detail", args=[sato_history.pk]))

    assertContains(response, "株式会社富士精機")
    assertContains(response, "320 employees")
    assertContains(response, "製造部 部長")
    assertContains(response, "受注")
    assertContains(response, "since 2023-05-10")
    assertContains(response, "名刺交換 2023-04, 2023-04-01 15:00")
    assert [t.name for t in response.context["tags"]] == ["展示会2023", "重点顧客"]
    assert response.context["attributes"] == [("product_line", "勤怠管理"), ("region", "関東")]
    assertContains(response, "Owner:")
    assertContains(response, "Taro Sato")


def test_contact_page_shows_last_touch_per_kind_in_tokyo_calendar_days(persona_client, marketer, sato_history):
    response = persona_client(marketer).get(reverse("contacts:detail", args=[sato_history.pk]))

    assert response.context["days_since_touch"] == 1
    assert response.context["last_touch_label"] == "Call"
    assert [(s.label, s.days_ago) for s in response.context["summaries"]] == [("Call", 1), ("Page view", 13)]
    assertContains(response, "2025-06-14 23:30")


def test_timeline_is_newest_first_and_bot_events_are_greyed_and_not_counted(persona_client, marketer,
                                                                            sato_history):
    response = persona_client(marketer).get(reverse("contacts:detail", args=[sato_history.pk]))

    timeline = response.context["timeline"].object_list
    assert [(e.kind, e.flagged_as_bot) for e in timeline] == [
        (TouchKind.CALL, False), (TouchKind.EMAIL_CLICK, True), (TouchKind.PAGE_VIEW, False),
    ]
    assert response.context["touch_counts"] == {"counted": 2, "flagged": 1}
    assertContains(response, "2 touches counted")
    assertContains(response, "1 flagged as a bot and not counted")
    assertContains(response, '<li class="flagged text-muted">', count=1)
    assertContains(response, '>bot</span>', count=1)


def test_timeline_pages_through_long_histories(persona_client, marketer, people):
    contact = people["suzuki"]
    TouchEvent.objects.bulk_create([
        TouchEvent(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=tokyo(1) - timedelta(days=i),
                   fingerprint=f"fp-{i}")
        for i in range(35)
    ])

    response = persona_client(marketer).get(reverse("contacts:detail", args=[contact.pk]), {"page": "2"})

    assert [e.fingerprint for e in response.context["timeline"].object_list] == [f"fp-{i}" for i in range(30, 35)]


def test_text_from_outside_is_escaped_on_the_contact_page(persona_client, marketer, people):
    contact = people["ito"]
    TouchEvent.objects.create(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=tokyo(3),
                              url="https://example.co.jp/?q=<script>alert(1)</script>",
                              detail="<img src=x onerror=alert(2)>", fingerprint="xss")

    response = persona_client(marketer).get(reverse("contacts:detail", args=[contact.pk]))

    assertNotContains(response, "<script>alert(1)</script>")
    assertNotContains(response, "<img src=x")
    assertContains(response, "&lt;img src=x onerror=alert(2)&gt;")


def test_unknown_contact_is_404(persona_client, marketer):
    assert persona_client(marketer).get(reverse("contacts:detail", args=[987654])).status_code == 404


def test_contact_page_query_count_is_fixed(persona_client, marketer, sato_history, django_assert_num_queries):
    client = persona_client(marketer)
    # session, user, roles, contact+company+owner, tags, summaries, contracts, timeline count, page, touch counts,
    # and the dormancy card (dormancy_tags): the contact's touch summaries and the active rules
    with django_assert_num_queries(12):
        client.get(reverse("contacts:detail", args=[sato_history.pk]))


# -- overview -----------------------------------------------------------------
# The overview's tiles, lapsing windows and recent imports moved to the dashboard (tests/reports).

@pytest.mark.parametrize(("persona", "target"), [("marketer", "/reports/"), ("rep", "/reports/")])
def test_overview_address_redirects_to_the_dashboard(persona_client, persona, target, request):
    response = persona_client(request.getfixturevalue(persona)).get(reverse("contacts:overview"))

    assert (response.status_code, response["Location"]) == (302, target)
