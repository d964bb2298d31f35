"""Template library pages: list, editor with line-numbered problems, starters read-only, preview, test send."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns import services_templates as services
from campaigns.models import Campaign, CampaignKind, CampaignStep, MessageTemplate, SenderProfile
from contacts.models import Contact

pytestmark = pytest.mark.django_db

CHECKIN = {"name": "Check-in", "style": "personal", "language": "ja", "subject": "{{ contact.last_name }}様",
           "body_text": "{{ contact.last_name }}様\n\n{{ owner.signature }}", "body_html": "<p>dropped</p>"}
NEWSLETTER = {"name": "Spring news", "style": "newsletter", "language": "en",
              "subject": "News for {{ contact.company }}", "body_text": "Hi {{ contact.first_name }}",
              "body_html": "<p>Hi {{ contact.first_name }}</p>"}


@pytest.fixture
def own_template(marketer):
    return MessageTemplate.objects.create(created_by=marketer, **{**NEWSLETTER, "name": "Mine"})


def _starter(key="lapse-notice-options", language="ja"):
    return MessageTemplate.objects.get(is_starter=True, starter_key=key, language=language)


@pytest.mark.parametrize(("persona", "status"), [("rep", 403), ("marketer", 200), ("admin_user", 200)])
def test_template_list_per_role(client, request, persona, status, starters):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("campaigns:template_list")).status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("campaigns:template_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_list_shows_own_templates_then_starters(client, marketer, own_template, starters):
    client.force_login(marketer)
    response = client.get(reverse("campaigns:template_list"))
    assert [t.name for t in response.context["own"]] == ["Mine"]
    assert len(response.context["starters"]) == 14
    html = response.content.decode()
    assert html.index("Mine") < html.index("満了通知と継続方法のご提案（30日前）")
    assert 'data-starter="lapse-notice-options-ja"' in html


def test_list_queries_do_not_grow_with_templates(client, marketer, starters, django_assert_max_num_queries):
    client.force_login(marketer)
    client.get(reverse("campaigns:template_list"))
    for i in range(20):
        MessageTemplate.objects.create(name=f"T{i}", subject="s", body_text="t", created_by=marketer)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("campaigns:template_list")).status_code == 200


def test_create_saves_and_goes_to_preview(client, marketer):
    client.force_login(marketer)
    response = client.post(reverse("campaigns:template_new"), NEWSLETTER)
    template = MessageTemplate.objects.get(name="Spring news")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:template_preview", args=[template.pk])
    assert (template.created_by, template.is_starter, template.body_html) == (marketer, False,
                                                                              "<p>Hi {{ contact.first_name }}</p>")


def test_personal_template_keeps_no_html(client, marketer):
    client.force_login(marketer)
    client.post(reverse("campaigns:template_new"), CHECKIN)
    assert MessageTemplate.objects.get(name="Check-in").body_html == ""


def test_unknown_field_is_shown_on_its_field_with_the_line_and_nothing_is_saved(client, marketer):
    client.force_login(marketer)
    before = MessageTemplate.objects.count()
    data = {**NEWSLETTER, "body_text": "Hi\n\n{{ contact.fist_name }}", "body_html": "<p>{% if x %}</p>"}
    response = client.post(reverse("campaigns:template_new"), data)
    assert response.status_code == 200
    assert MessageTemplate.objects.count() == before
    errors = response.context["form"].errors
    assert errors["body_text"] == [
        "Line 3 (“{{ contact.fist_name }}”): Unknown merge field “contact.fist_name”. "
        "Did you mean “contact.first_name”?"]
    assert errors["body_html"][0].startswith("Line 1 (“<p>{% if x %}</p>”): Template syntax error")
    html = response.content.decode()
    assert "Not saved." in html and "Line 3 (“{{ contact.fist_name }}”): Unknown merge field" in html


def test_edit_refuses_a_broken_template_and_keeps_the_old_text(client, marketer, own_template):
    client.force_login(marketer)
    response = client.post(reverse("campaigns:template_edit", args=[own_template.pk]),
                           {**NEWSLETTER, "subject": "{{ ''.__class__ }}"})
    assert response.status_code == 200 and "subject" in response.context["form"].errors
    own_template.refresh_from_db()
    assert own_template.subject == NEWSLETTER["subject"]


def test_starter_page_is_read_only_with_a_copy_button(client, marketer, starters):
    client.force_login(marketer)
    starter = _starter()
    response = client.get(reverse("campaigns:template_edit", args=[starter.pk]))
    assert response.templates[0].name == "campaigns/templates/template_starter.html"
    assert reverse("campaigns:template_copy", args=[starter.pk]) in response.content.decode()
    client.post(reverse("campaigns:template_edit", args=[starter.pk]), {**NEWSLETTER, "name": "Hijack"})
    starter.refresh_from_db()
    assert starter.name == "満了通知と継続方法のご提案（30日前）"


def test_service_refuses_to_change_or_delete_a_starter(marketer, starters):
    starter = _starter()
    with pytest.raises(ValidationError):
        services.message_template_save(fields=NEWSLETTER, user=marketer, template=starter)
    with pytest.raises(ValidationError):
        services.message_template_delete(template=starter)
    assert MessageTemplate.objects.filter(pk=starter.pk, subject=_starter().subject).exists()


def test_copy_makes_an_editable_template(client, marketer, starters):
    client.force_login(marketer)
    starter = _starter()
    response = client.post(reverse("campaigns:template_copy", args=[starter.pk]))
    copy = MessageTemplate.objects.get(is_starter=False)
    assert response["Location"] == reverse("campaigns:template_edit", args=[copy.pk])
    assert (copy.name, copy.starter_key, copy.created_by) == (
        "満了通知と継続方法のご提案（30日前） (copy)", "", marketer)
    assert (copy.subject, copy.body_text, copy.body_html, copy.style, copy.language) == (
        starter.subject, starter.body_text, starter.body_html, starter.style, starter.language)
    assert client.get(response["Location"]).templates[0].name == "campaigns/templates/template_form.html"


def test_delete_own_template_but_not_one_a_campaign_uses(client, marketer, own_template):
    client.force_login(marketer)
    used = MessageTemplate.objects.create(name="Used", subject="s", body_text="t")
    sender = SenderProfile.objects.create(name="S", from_name="S", from_email="s@example.com")
    campaign = Campaign.objects.create(name="C", kind=CampaignKind.BROADCAST, sender=sender)
    CampaignStep.objects.create(campaign=campaign, position=1, template=used)
    client.post(reverse("campaigns:template_delete", args=[own_template.pk]))
    response = client.post(reverse("campaigns:template_delete", args=[used.pk]), follow=True)
    assert not MessageTemplate.objects.filter(pk=own_template.pk).exists()
    assert MessageTemplate.objects.filter(pk=used.pk).exists()
    assert "used by a campaign" in response.content.decode()


def test_preview_with_sample_data_by_default(client, marketer, own_template):
    client.force_login(marketer)
    response = client.get(reverse("campaigns:template_preview", args=[own_template.pk]))
    preview = response.context["preview"]
    assert (preview.uses_sample, preview.subject, preview.text) == (True, "News for Northwind Trading Ltd.", "Hi Emily")


def test_preview_with_a_real_contact_escapes_html_into_a_sandboxed_frame(client, marketer, rich_contact):
    contact, _contract = rich_contact
    Contact.objects.filter(pk=contact.pk).update(first_name='<script>alert("x")</script>')
    template = MessageTemplate.objects.create(**NEWSLETTER)
    client.force_login(marketer)
    response = client.get(reverse("campaigns:template_preview", args=[template.pk]), {"contact": contact.pk})
    preview = response.context["preview"]
    assert preview.subject == "News for 株式会社テスト工業"
    assert preview.html == "<p>Hi &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>"
    html = response.content.decode()
    assert "<script>alert" not in html
    assert 'sandbox="" srcdoc="&lt;p&gt;Hi &amp;lt;script&amp;gt;' in html
    assert contact.email in html


def test_preview_uses_the_chosen_contract(client, marketer, rich_contact):
    contact, contract = rich_contact
    other = contact.contracts.create(external_id="C-200", plan="ライト",
                                     expires_at=contract.expires_at.replace(year=2027))
    template = MessageTemplate.objects.create(name="P", subject="{{ contract.plan }}", body_text="x")
    client.force_login(marketer)
    url = reverse("campaigns:template_preview", args=[template.pk])
    assert client.get(url, {"contact": contact.pk}).context["preview"].subject == "プロプラン"  # nearest lapse first
    assert client.get(url, {"contact": contact.pk, "contract": other.pk}).context["preview"].subject == "ライト"


def test_personal_preview_is_from_the_owner_rep(client, marketer, rich_contact):
    contact, _contract = rich_contact
    template = MessageTemplate.objects.create(**{**CHECKIN, "body_html": ""})
    client.force_login(marketer)
    response = client.get(reverse("campaigns:template_preview", args=[template.pk]), {"contact": contact.pk})
    preview = response.context["preview"]
    assert (preview.from_header, preview.reply_to) == ("Sato Taro <rep1@example.com>", "rep1@example.com")
    assert preview.text.endswith("佐藤 太郎\n営業部\nrep1@example.com")
    orphan = Contact.objects.create(email="orphan@example.com", last_name="孤")
    response = client.get(reverse("campaigns:template_preview", args=[template.pk]), {"contact": orphan.pk})
    assert response.context["preview"].warnings == ["no_owner"]
    assert 'id="no-owner"' in response.content.decode()


def test_newsletter_preview_is_from_the_default_sender_profile(client, marketer, own_template):
    SenderProfile.objects.create(name="Other", from_name="Other", from_email="other@example.com")
    SenderProfile.objects.create(name="Main", from_name="Rekindle 営業部", from_email="sales@example.co.jp",
                                 reply_to="reply@example.co.jp", is_default=True)
    client.force_login(marketer)
    preview = client.get(reverse("campaigns:template_preview", args=[own_template.pk])).context["preview"]
    assert (preview.from_header, preview.reply_to) == ("Rekindle 営業部 <sales@example.co.jp>", "reply@example.co.jp")


def test_contact_search_finds_by_name_and_email(client, marketer, own_template, rich_contact):
    contact, _contract = rich_contact
    Contact.objects.create(email="someone@else.example", last_name="別")
    client.force_login(marketer)
    url = reverse("campaigns:template_preview", args=[own_template.pk])
    assert [c.pk for c in client.get(url, {"q": "山本"}).context["matches"]] == [contact.pk]
    assert [c.pk for c in client.get(url, {"q": "test-kogyo"}).context["matches"]] == [contact.pk]
    assert client.get(url, {"q": "nobody-here"}).context["matches"] == []


def test_preview_of_an_unknown_contact_is_404(client, marketer, own_template):
    client.force_login(marketer)
    url = reverse("campaigns:template_preview", args=[own_template.pk])
    assert client.get(url, {"contact": 999999}).status_code == 404
    assert client.get(url, {"contact": "1 or 1=1"}).status_code == 404


def test_test_send_arrives_in_my_inbox(client, marketer, rich_contact, mailoutbox):
    contact, contract = rich_contact
    template = MessageTemplate.objects.create(**NEWSLETTER)
    client.force_login(marketer)
    response = client.post(reverse("campaigns:template_test_send", args=[template.pk]),
                           {"contact": contact.pk, "contract": contract.pk})
    assert response.status_code == 302
    assert response["Location"] == (reverse("campaigns:template_preview", args=[template.pk])
                                    + f"?contact={contact.pk}&contract={contract.pk}")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert (mail.to, mail.subject, mail.body) == (["marketer1@example.com"], "[TEST] News for 株式会社テスト工業",
                                                  "Hi 花子")
    assert mail.alternatives[0] == ("<p>Hi 花子</p>", "text/html")
    assert "A test was sent to marketer1@example.com." in client.get(response["Location"]).content.decode()


def test_personal_test_send_is_from_the_owner_rep(client, marketer, rich_contact, mailoutbox):
    contact, _contract = rich_contact
    template = MessageTemplate.objects.create(**{**CHECKIN, "body_html": ""})
    client.force_login(marketer)
    client.post(reverse("campaigns:template_test_send", args=[template.pk]), {"contact": contact.pk})
    mail = mailoutbox[0]
    assert (mail.from_email, mail.reply_to, mail.alternatives) == (
        "Sato Taro <rep1@example.com>", ["rep1@example.com"], [])
    assert mail.subject == "[TEST] 山本様"


def test_test_send_without_an_email_address_says_so_and_sends_nothing(client, marketer, own_template, mailoutbox):
    marketer.email = ""
    marketer.save(update_fields=["email"])
    client.force_login(marketer)
    response = client.post(reverse("campaigns:template_test_send", args=[own_template.pk]), follow=True)
    assert mailoutbox == []
    html = response.content.decode()
    assert "Your user account has no email address" in html and 'id="no-email"' in html


def test_rep_cannot_preview_or_send(client, rep, own_template, mailoutbox):
    client.force_login(rep)
    assert client.get(reverse("campaigns:template_preview", args=[own_template.pk])).status_code == 403
    assert client.post(reverse("campaigns:template_test_send", args=[own_template.pk])).status_code == 403
    assert client.post(reverse("campaigns:template_copy", args=[own_template.pk])).status_code == 403
    assert mailoutbox == [] and MessageTemplate.objects.count() == 1 + MessageTemplate.objects.filter(
        is_starter=True).count()
