"""Mail topics: the unsubscribe page's topic section, and the topic opt-out at claim time and in the preflight."""
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import (
    ContactMailPreference,
    ContactTopicOptOut,
    Delivery,
    DeliveryStatus,
    MailTopic,
    MessageTemplate,
    SendingSettings,
    SkipReason,
    Suppression,
)
from campaigns.sending.claim import deliveries_claim
from campaigns.sending.materialize import campaign_start
from campaigns.sending.preflight import campaign_preflight
from campaigns.sending.send import deliveries_send, message_renderer
from contacts.models import Contact
from segments.models import Segment

from .conftest import WORKDAY, make_broadcast, make_contacts, make_segment, now_fn

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def topics(db):
    """Two active topics and a retired one; the seeded defaults are switched off so the page shows only these."""
    MailTopic.objects.update(is_active=False)
    news = MailTopic.objects.create(key="monthly", name="ニュースレター", name_en="Newsletter", position=1,
                                    description="毎月のお知らせ", description_en="Monthly news.")
    events = MailTopic.objects.create(key="webinars", name="セミナーのご案内", name_en="Webinars and events",
                                      position=2)
    retired = MailTopic.objects.create(key="retired", name="旧トピック", name_en="Old topic", position=3,
                                       is_active=False)
    return news, events, retired


def quiet_hours_off():
    policy = SendingSettings.load()
    policy.quiet_weekends = policy.quiet_holidays = False
    policy.quiet_start = policy.quiet_end = policy.quiet_start.replace(hour=0)
    policy.save()


@pytest.fixture
def sent(sender, template, sending_settings, topics):
    """Two contacts got a mail of a broadcast on the "webinars" topic a minute ago; returns the deliveries."""
    sending_settings.EMAIL_BACKEND = LOCMEM
    contacts = make_contacts(2)
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(contacts), topic=topics[1])
    moment = timezone.now() - timedelta(minutes=1)
    campaign_start(campaign, now=moment)
    Delivery.objects.update(scheduled_at=moment)
    quiet_hours_off()
    deliveries_send(ids=list(Delivery.objects.values_list("id", flat=True)), clock=now_fn(moment))
    rows = list(Delivery.objects.select_related("contact").order_by("id"))
    assert [row.status for row in rows] == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    return rows


def opt_outs():
    return sorted(ContactTopicOptOut.objects.values_list("contact_id", "topic__key"))


def writes():
    return (opt_outs(), Suppression.objects.count(), ContactMailPreference.objects.count(),
            list(Contact.objects.order_by("id").values_list("consent", flat=True)))


def checkbox(page, key):
    """'checked', 'unchecked' or None (not on the page) for the topic checkbox of `key`."""
    match = re.search(rf'<input class="form-check-input" type="checkbox" name="topic" value="{key}" '
                      rf'id="topic-{key}"( checked)?>', page)
    return None if match is None else ("checked" if match.group(1) else "unchecked")


# -- the page ------------------------------------------------------------------------


def test_get_lists_the_active_topics_ticked_unless_opted_out_and_writes_nothing(client, sent, topics):
    news, _events, _retired = topics
    ContactTopicOptOut.objects.create(contact=sent[0].contact, topic=news)
    before = writes()
    response = client.get(f"/m/u/{sent[0].token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert (checkbox(page, "monthly"), checkbox(page, "webinars"), checkbox(page, "retired")) == (
        "unchecked", "checked", None)
    assert "Newsletter" in page and "Monthly news." in page and "Webinars and events" in page
    assert page.count("this email") == 1  # the badge on the events topic, the one this mail belongs to
    assert 'value="all"' in page and 'value="pause3"' in page and 'value="pause6"' in page
    assert writes() == before


def test_topic_names_follow_the_language_of_the_mail(client, sent):
    MessageTemplate.objects.filter(pk=sent[0].step.template_id).update(language="ja")
    page = client.get(f"/m/u/{sent[0].token}/").content.decode()
    assert "ニュースレター" in page and "毎月のお知らせ" in page and "Newsletter" not in page


def test_this_mails_topic_is_offered_even_after_it_was_retired(client, sent, topics):
    MailTopic.objects.filter(pk=topics[1].pk).update(is_active=False)
    page = client.get(f"/m/u/{sent[0].token}/").content.decode()
    assert (checkbox(page, "monthly"), checkbox(page, "webinars")) == ("checked", "checked")


def test_both_forms_post_to_the_unsubscribe_url_also_from_the_one_click_link(client, sent):
    token = sent[0].token
    page = client.get(f"/m/u/{token}/one-click").content.decode()
    assert page.count(f'action="/m/u/{token}/"') == 2


def test_unticking_a_topic_stores_an_opt_out_and_leaves_consent_alone(client, sent):
    url = f"/m/u/{sent[0].token}/"
    response = client.post(url, {"choice": "topics", "shown": ["monthly", "webinars"], "topic": ["monthly"]})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="result"' in page
    assert re.search(r'<ul id="kept"><li>Newsletter</li></ul>', page)
    assert re.search(r'<ul id="dropped"><li>Webinars and events</li></ul>', page)
    assert opt_outs() == [(sent[0].contact_id, "webinars")]
    assert writes()[1:] == (0, 0, ["opt_in", "opt_in"])  # no suppression, no pause, consent as it was

    client.post(url, {"choice": "topics", "shown": ["monthly", "webinars"], "topic": ["monthly"]})
    assert opt_outs() == [(sent[0].contact_id, "webinars")]  # idempotent

    client.post(url, {"choice": "topics", "shown": ["monthly", "webinars"], "topic": ["monthly", "webinars"]})
    assert opt_outs() == []  # ticked again: the opt-out is gone


def test_unticking_everything_opts_out_of_every_shown_topic(client, sent):
    client.post(f"/m/u/{sent[1].token}/", {"choice": "topics", "shown": ["monthly", "webinars"]})
    assert opt_outs() == [(sent[1].contact_id, "monthly"), (sent[1].contact_id, "webinars")]


def test_only_topics_the_page_offers_are_changed(client, sent, topics):
    url = f"/m/u/{sent[0].token}/"
    before = writes()
    response = client.post(url, {"choice": "topics", "shown": ["retired", "nope", "<script>"], "topic": []})
    assert response.status_code == 400 and "<script>" not in response.content.decode()
    assert writes() == before
    # A topic that was not on the page when it was shown (here: news) is left as it was.
    client.post(url, {"choice": "topics", "shown": ["webinars"]})
    assert opt_outs() == [(sent[0].contact_id, "webinars")]


@pytest.mark.parametrize("path", ["/m/u/{bad}/", "/m/u/{bad}/one-click"])
@pytest.mark.parametrize("bad", ["0" * 32, "{token}x", "{short}", "{token}%00", "{other}"])
def test_a_tampered_token_gets_404_and_stores_no_topic_choice(client, sent, sender, template, path, bad):
    token = sent[0].token
    # "other": the token of a delivery that was never sent (queued for tomorrow).
    queued = make_broadcast(sender=sender, template=template, segment=make_segment([sent[0].contact], name="Q"),
                            name="Queued")
    campaign_start(queued, now=timezone.now() + timedelta(days=1))
    other = Delivery.objects.get(step__campaign=queued).token
    bad = bad.format(token=token, short=token[:12], other=other)
    before = writes()
    response = client.post(path.format(bad=bad), {"choice": "topics", "shown": ["monthly", "webinars"]})
    assert response.status_code == 404
    assert writes() == before


# -- sending -------------------------------------------------------------------------


def test_a_broadcast_on_a_topic_skips_who_opted_out_of_it_while_general_mail_still_goes(
        sender, template, sending_settings, topics):
    sending_settings.EMAIL_BACKEND = LOCMEM
    news, events, _retired = topics
    a, b = make_contacts(2)
    ContactTopicOptOut.objects.create(contact=a, topic=events)
    ContactTopicOptOut.objects.create(contact=b, topic=news)  # another topic: no effect on the events mail
    on_topic = make_broadcast(sender=sender, template=template, segment=make_segment([a, b], name="S1"),
                              name="Webinar", topic=events)
    general = make_broadcast(sender=sender, template=template, segment=make_segment([a, b], name="S2"),
                             name="General")
    campaign_start(on_topic, now=WORKDAY)
    campaign_start(general, now=WORKDAY)

    result = deliveries_send(ids=list(Delivery.objects.values_list("id", flat=True)), clock=now_fn(WORKDAY))

    outcomes = {(name, contact): (status, reason) for name, contact, status, reason in
                Delivery.objects.values_list("step__campaign__name", "contact_id", "status", "reason")}
    assert outcomes == {("Webinar", a.pk): (DeliveryStatus.SUPPRESSED, SkipReason.TOPIC_OPT_OUT),
                        ("Webinar", b.pk): (DeliveryStatus.SENT, ""),
                        ("General", a.pk): (DeliveryStatus.SENT, ""),
                        ("General", b.pk): (DeliveryStatus.SENT, "")}
    assert result.sent == 3
    assert SkipReason(SkipReason.TOPIC_OPT_OUT).label == "Opted out of this topic"


def test_an_opt_out_made_after_the_start_is_honoured_at_claim_time(sender, template, topics):
    a, b = make_contacts(2)
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment([a, b]), topic=topics[1])
    campaign_start(campaign, now=WORKDAY)
    ContactTopicOptOut.objects.create(contact=b, topic=topics[1])

    claim = deliveries_claim(list(Delivery.objects.values_list("id", flat=True)), now=WORKDAY,
                             policy=SendingSettings.load(), render=message_renderer(now=WORKDAY))

    assert claim.skipped == Counter({SkipReason.TOPIC_OPT_OUT.value: 1})
    assert claim.ids == [Delivery.objects.get(contact=a).pk]


def test_preflight_counts_topic_opt_outs_once_and_the_claim_agrees(sender, template, topics):
    news, events, _retired = topics
    c = make_contacts(6)
    ContactTopicOptOut.objects.bulk_create([ContactTopicOptOut(contact=c[0], topic=events),
                                            ContactTopicOptOut(contact=c[1], topic=events),
                                            ContactTopicOptOut(contact=c[3], topic=news),
                                            ContactTopicOptOut(contact=c[4], topic=events)])
    ContactMailPreference.objects.create(contact=c[1], paused_until=WORKDAY + timedelta(days=90))  # also paused
    ContactMailPreference.objects.create(contact=c[2], paused_until=WORKDAY + timedelta(days=90))
    Contact.objects.filter(pk=c[4].pk).update(consent="opted_out")  # unsubscribed comes first
    segment = make_segment(c)
    on_topic = make_broadcast(sender=sender, template=template, segment=segment, topic=events, name="Webinar")
    general = make_broadcast(sender=sender, template=template, segment=segment, name="General")

    preflight = campaign_preflight(on_topic, now=WORKDAY)
    assert (preflight.members, preflight.reach) == (6, 2)  # c[3] (other topic) and c[5]
    assert preflight.by_reason == {"holdout": 0, "unsubscribed": 1, "bounced": 0, "complained": 0, "no_consent": 0,
                                   "topic_opt_out": 2, "paused": 1, "frequency_cap": 0}
    assert ("Opted out of this topic", 2) in preflight.excluded
    plain = campaign_preflight(general, now=WORKDAY)
    assert (plain.reach, plain.by_reason["topic_opt_out"], plain.by_reason["paused"]) == (3, 0, 2)

    campaign_start(on_topic, now=WORKDAY)
    claim = deliveries_claim(list(Delivery.objects.values_list("id", flat=True)), now=WORKDAY,
                             policy=SendingSettings.load(), render=message_renderer(now=WORKDAY))
    assert claim.skipped == Counter({reason: n for reason, n in preflight.by_reason.items() if n})
    assert len(claim.ids) == preflight.reach


def test_sequence_mail_on_a_topic_goes_through_the_same_claim(sender, template, topics):
    from tests.campaigns.flows.conftest import LOST, T0, email_step, enter, run, sequence

    events = topics[1]
    a, b = make_contacts(2, prefix="seq")
    segment = Segment.objects.create(name="Lost deals", definition=LOST)
    campaign = sequence(sender, segment, [email_step(template)], topic=events)
    ContactTopicOptOut.objects.create(contact=a, topic=events)
    enter(segment, [a, b], T0 + timedelta(minutes=5))
    run(now=T0 + timedelta(minutes=6))
    ids = list(Delivery.objects.filter(step__campaign=campaign).values_list("id", flat=True))
    assert len(ids) == 2  # the flow wrote both rows; the claim decides

    claim = deliveries_claim(ids, now=T0 + timedelta(minutes=6), policy=SendingSettings.load(),
                             render=message_renderer(now=T0 + timedelta(minutes=6)))

    assert claim.skipped == Counter({SkipReason.TOPIC_OPT_OUT.value: 1})
    assert dict(Delivery.objects.values_list("contact_id", "reason")) == {a.pk: SkipReason.TOPIC_OPT_OUT, b.pk: ""}
    assert claim.ids == [Delivery.objects.get(contact=b).pk]
