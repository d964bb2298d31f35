"""Mail topics: the admins' settings pages, the seeded defaults, and the topic on every kind of campaign form."""
import pytest
from django.urls import reverse

from campaigns import services
from campaigns.models import Campaign, MailTopic, MessageTemplate, SenderProfile
from segments.models import Segment

pytestmark = pytest.mark.django_db
NEW_TOPIC = {"key": "product-updates", "name": "製品アップデート", "name_en": "Product updates",
             "description": "新機能のお知らせ", "description_en": "New features.", "position": 50, "is_active": "on"}


@pytest.fixture
def parts(db):
    segment = Segment.objects.create(name="Lost deals", definition={
        "op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]})
    sender = SenderProfile.objects.create(name="Main", from_name="Rekindle 営業部", from_email="sales@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    template = MessageTemplate.objects.create(name="Check-in", subject="Hello", body_text="Hi")
    return segment, sender, template


def test_the_migration_seeds_the_default_topics():
    topics = list(MailTopic.objects.filter(key__in=["newsletter", "events", "content", "renewal"])
                  .values_list("key", "name", "name_en", "is_active"))
    assert topics == [
        ("newsletter", "ニュースレター", "Newsletter", True),
        ("events", "セミナー・ウェビナーのご案内", "Webinars and events", True),
        ("content", "導入事例・お役立ち情報", "Case studies and useful content", True),
        ("renewal", "契約更新のご案内", "Renewal reminders and offers", True),
    ]


@pytest.mark.parametrize("name", ["campaigns:topic_list", "campaigns:topic_new"])
def test_marketers_and_reps_are_kept_out(client, marketer, rep, name):
    for user in (marketer, rep):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 403
        assert client.post(reverse("campaigns:topic_new"), NEW_TOPIC).status_code == 403
    assert not MailTopic.objects.filter(key="product-updates").exists()


def test_admin_creates_a_topic_and_sees_it_listed(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("campaigns:topic_new"), NEW_TOPIC)
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:topic_list")
    topic = MailTopic.objects.get(key="product-updates")
    assert (topic.name, topic.name_en, topic.description_en, topic.position, topic.is_active) == (
        "製品アップデート", "Product updates", "New features.", 50, True)
    html = client.get(reverse("campaigns:topic_list")).content.decode()
    assert 'data-topic="product-updates"' in html and "Product updates" in html
    assert 'data-topic="renewal"' in html  # the seeded ones too


def test_a_key_must_be_a_new_slug(client, admin_user):
    client.force_login(admin_user)
    for key in ("renewal", "not a slug"):
        response = client.post(reverse("campaigns:topic_new"), {**NEW_TOPIC, "key": key})
        assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not MailTopic.objects.filter(name="製品アップデート").exists()


def test_admin_edits_and_deactivates_a_topic_but_cannot_change_its_key(client, admin_user):
    topic = MailTopic.objects.create(key="product-updates", name="製品アップデート")
    client.force_login(admin_user)
    response = client.post(reverse("campaigns:topic_edit", args=[topic.pk]),
                           {**NEW_TOPIC, "key": "changed", "name_en": "Release notes", "is_active": ""})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.key, topic.name_en, topic.is_active) == ("product-updates", "Release notes", False)
    html = client.get(reverse("campaigns:topic_list")).content.decode()
    assert "Inactive" in html


def test_broadcast_form_saves_the_topic_and_the_page_shows_it(client, marketer, parts):
    segment, sender, template = parts
    events = MailTopic.objects.get(key="events")
    client.force_login(marketer)
    response = client.post(reverse("campaigns:broadcast_new"), {
        "name": "Webinar invite", "segment": segment.pk, "sender": sender.pk, "topic": events.pk,
        "template": template.pk, "template_b": "", "variant_b_percent": 50, "holdout_percent": 0, "scheduled_at": ""})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.topic == events
    html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert '<span id="campaign-topic">Webinars and events</span>' in html


def test_a_campaign_without_a_topic_is_general_mail(client, marketer, parts):
    segment, sender, template = parts
    client.force_login(marketer)
    client.post(reverse("campaigns:broadcast_new"), {
        "name": "General", "segment": segment.pk, "sender": sender.pk, "topic": "", "template": template.pk,
        "template_b": "", "variant_b_percent": 50, "holdout_percent": 0, "scheduled_at": ""})
    campaign = Campaign.objects.get()
    assert campaign.topic is None
    html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert '<span id="campaign-topic">none (general marketing mail)</span>' in html


def test_forms_offer_active_topics_and_keep_a_retired_one_a_draft_already_has(client, marketer, parts):
    segment, sender, template = parts
    retired = MailTopic.objects.create(key="old", name="旧", name_en="Old topic", is_active=False)
    client.force_login(marketer)
    html = client.get(reverse("campaigns:broadcast_new")).content.decode()
    assert "Webinars and events" in html and "Old topic" not in html
    campaign = services.broadcast_save(name="Old", segment=segment, sender=sender, template=template,
                                       template_b=None, variant_b_percent=50, holdout_percent=0, scheduled_at=None,
                                       topic=retired)
    url = reverse("campaigns:broadcast_edit", args=[campaign.pk])
    assert f'<option value="{retired.pk}" selected>Old topic</option>' in client.get(url).content.decode()
    response = client.post(url, {"name": "Old, renamed", "segment": segment.pk, "sender": sender.pk,
                                 "topic": retired.pk, "template": template.pk, "template_b": "",
                                 "variant_b_percent": 50, "holdout_percent": 0, "scheduled_at": ""})
    campaign.refresh_from_db()
    assert response.status_code == 302 and (campaign.name, campaign.topic) == ("Old, renamed", retired)


def test_recurring_form_saves_the_topic(client, marketer, parts):
    segment, sender, template = parts
    news = MailTopic.objects.get(key="newsletter")
    client.force_login(marketer)
    response = client.post(reverse("campaigns:recurring_new"), {
        "name": "Monthly", "segment": segment.pk, "sender": sender.pk, "topic": news.pk, "template": template.pk,
        "template_b": "", "variant_b_percent": 50, "holdout_percent": 0, "preset": "0 10 1 * *", "schedule": ""})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.topic == news
    html = client.get(reverse("campaigns:recurring_detail", args=[campaign.pk])).content.decode()
    assert '<span id="campaign-topic">Newsletter</span>' in html


def test_sequence_form_saves_the_topic(client, marketer, parts):
    segment, sender, template = parts
    content = MailTopic.objects.get(key="content")
    client.force_login(marketer)
    data = {"name": "Nurture", "sender": sender.pk, "topic": content.pk, "trigger_type": "segment_enter",
            "segment": segment.pk, "touch_kind": "", "url_contains": "", "exit_on": ["reply"], "holdout_percent": 0,
            "variant_b_percent": 50, "steps-TOTAL_FORMS": 1, "steps-INITIAL_FORMS": 0, "steps-0-kind": "email",
            "steps-0-wait_days": 0, "steps-0-wait_hours": 0, "steps-0-template": template.pk}
    response = client.post(reverse("campaigns:sequence_new"), data)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.topic == content
    html = client.get(reverse("campaigns:flow_detail", args=[campaign.pk])).content.decode()
    assert '<span id="campaign-topic">Case studies and useful content</span>' in html


def test_a_new_playbook_starts_with_the_renewal_topic(client, marketer):
    renewal = MailTopic.objects.get(key="renewal")
    client.force_login(marketer)
    html = client.get(reverse("campaigns:playbook_new")).content.decode()
    assert f'<option value="{renewal.pk}" selected>Renewal reminders and offers</option>' in html
