"""Every URL × every role (and anonymous) returns the expected status."""
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.services import api_key_create
from campaigns import services
from campaigns.models import MessageTemplate, SenderProfile
from contacts.models import Contact, ImportJob, ImportKind
from dormancy.models import DormancyRule
from scoring.models import RuleKind, ScoringRule
from segments.models import Segment

ANON, REP, MARKETER, ADMIN = "anonymous", "rep", "marketer", "admin"

# url name -> expected GET status per persona. 302 for anonymous means "sent to login".
EXPECTED = {
    "healthz": {ANON: 200, REP: 200, MARKETER: 200, ADMIN: 200},
    "login": {ANON: 200, REP: 302, MARKETER: 302, ADMIN: 302},
    "logout": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # logout is POST only
    "set_language": {ANON: 302, REP: 302, MARKETER: 302, ADMIN: 302},  # GET just redirects back
    "home": {ANON: 302, REP: 302, MARKETER: 302, ADMIN: 302},
    "contacts:overview": {ANON: 302, REP: 302, MARKETER: 302, ADMIN: 302},  # moved: redirects to the dashboard
    "contacts:list": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},
    "contacts:detail": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},
    "contacts:import_list": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "contacts:import_new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "contacts:import_detail": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "dormancy:list": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "dormancy:detail": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "dormancy:create": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "dormancy:edit": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "dormancy:preview": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "dormancy:restore": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "segments:list": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "segments:new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "segments:edit": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "segments:members": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "segments:export": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "segments:expiring": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "segments:preview": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "segments:refresh": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "scoring:home": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "scoring:rule_new": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "scoring:rule_edit": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "scoring:rule_delete": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},  # GET confirms
    "scoring:settings": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "scoring:recompute": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "scoring:call_list": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},
    "accounts:api_keys": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "accounts:api_key_revoke": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    # The REST API answers in JSON: 401 without credentials (never a login redirect), 403 for a role that
    # may not, and the role check comes before the method check.
    "api:dormancy_rule_list": {ANON: 401, REP: 403, MARKETER: 200, ADMIN: 200},
    "api:dormancy_rule_detail": {ANON: 401, REP: 403, MARKETER: 200, ADMIN: 200},
    "api:segment_list": {ANON: 401, REP: 403, MARKETER: 200, ADMIN: 200},
    "api:segment_detail": {ANON: 401, REP: 403, MARKETER: 200, ADMIN: 200},
    "api:segment_count": {ANON: 401, REP: 403, MARKETER: 200, ADMIN: 200},
    "api:segment_members": {ANON: 401, REP: 403, MARKETER: 200, ADMIN: 200},
    "api:segment_preview": {ANON: 401, REP: 403, MARKETER: 405, ADMIN: 405},  # POST only
    "api:schema": {ANON: 401, REP: 200, MARKETER: 200, ADMIN: 200},  # describes the API, any role may read it
    "api:docs": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},  # a page for people: login redirect
    "admin:index": {ANON: 302, REP: 302, MARKETER: 302, ADMIN: 200},
    # Template library (marketers, admins), sender profiles and sending settings (admins), My profile (everyone).
    "campaigns:template_list": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:template_new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:template_edit": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:template_preview": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:template_copy": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:template_delete": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:template_test_send": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:sender_list": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "campaigns:sender_new": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "campaigns:sender_edit": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "campaigns:sending_settings": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "campaigns:topic_list": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "campaigns:topic_new": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "campaigns:topic_edit": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "accounts:profile": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},
    "campaigns:list": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:broadcast_new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:broadcast_edit": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:detail": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:start": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:pause": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:resume": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:cancel": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:sequence_new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:sequence_edit": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:playbook_new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:playbook_edit": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:flow_detail": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:flow_start": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:call_task_done": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:recurring_new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:recurring_edit": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:recurring_detail": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "campaigns:recurring_start": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "rescue:options": {ANON: 404, REP: 404, MARKETER: 404, ADMIN: 404},  # public; a made-up token finds nothing
    # Public links in sent mail: no login for anyone; a token that was never in a sent mail is 404.
    "mail:unsubscribe": {ANON: 404, REP: 404, MARKETER: 404, ADMIN: 404},
    "mail:one_click": {ANON: 404, REP: 404, MARKETER: 404, ADMIN: 404},
    "mail:open": {ANON: 404, REP: 404, MARKETER: 404, ADMIN: 404},
    "mail:click": {ANON: 404, REP: 404, MARKETER: 404, ADMIN: 404},
    "mail:open_signed": {ANON: 404, REP: 404, MARKETER: 404, ADMIN: 404},  # a MAC that does not verify
    "mail:click_signed": {ANON: 404, REP: 404, MARKETER: 404, ADMIN: 404},
    "mail:bounce_webhook": {ANON: 405, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only, signed
    # Website tracking: public snippet, beacon and form endpoint (POST only); the sites page is for admins.
    "track:script": {ANON: 200, REP: 200, MARKETER: 200, ADMIN: 200},
    "track:beacon": {ANON: 405, REP: 405, MARKETER: 405, ADMIN: 405},  # POST (and CORS preflight) only
    "track:form": {ANON: 405, REP: 405, MARKETER: 405, ADMIN: 405},  # POST (and CORS preflight) only
    "tracking:site_list": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "tracking:site_new": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "tracking:site_edit": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "tracking:buffer": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 200},
    "tracking:buffer_resolve": {ANON: 302, REP: 403, MARKETER: 403, ADMIN: 405},
    # Reports: campaign and rescue reports for marketers and admins; the dormancy report for everyone (a rep's is
    # scoped to the contacts they own); the index lists what the role may open.
    "reports:dashboard": {ANON: 302, REP: 302, MARKETER: 200, ADMIN: 200},  # a rep is sent to the alert inbox
    "reports:index": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},
    "reports:report_campaigns": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "reports:report_campaign": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "reports:report_rescues": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "reports:report_rescue": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "reports:report_dormancy": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},
    "api:event_ingest": {ANON: 401, REP: 403, MARKETER: 405, ADMIN: 405},  # POST only
    # Alerts: every role has an inbox (its own alerts); the team view, triggers and webhooks are for managers.
    "alerts:inbox": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},
    "alerts:feed": {ANON: 302, REP: 200, MARKETER: 200, ADMIN: 200},
    "alerts:duty": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "alerts:claim": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "alerts:outcome": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "alerts:snooze": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "alerts:team": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "alerts:notification_retry": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "alerts:trigger_list": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "alerts:trigger_new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "alerts:trigger_edit": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "alerts:webhook_new": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "alerts:webhook_edit": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},
    "alerts:webhook_delete": {ANON: 302, REP: 405, MARKETER: 405, ADMIN: 405},  # POST only
    "campaigns:sending_health": {ANON: 302, REP: 403, MARKETER: 200, ADMIN: 200},  # read-only
}
# API endpoints whose every answer, errors included, is JSON (the schema is YAML by default, the docs HTML).
JSON_API = {name for name in EXPECTED if name.startswith("api:")} - {"api:schema", "api:docs"}


def _named_urls(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace == "admin":
                continue  # Django admin is covered through admin:index
            yield from _named_urls(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


def test_every_named_url_has_expectations():
    assert set(_named_urls()) | {"admin:index"} == set(EXPECTED)


def _flow_args(sender, segment):
    """A draft sequence and playbook for the flow builder pages (campaigns.flows)."""
    from campaigns.flows import services as flows

    sequence = flows.sequence_save(name="Walk seq", sender=sender, segment=segment, trigger={"type": "segment_enter"},
                                   exit_on=[], allow_reentry=False, holdout_percent=0, variant_b_percent=50, steps=[])
    playbook = flows.playbook_save(name="Walk pb", sender=sender, segment=segment, all_active_contracts=False,
                                   lapse_text="", deadline_rule="before_lapse", deadline_days=1, holdout_percent=0,
                                   phases=[], options=[])
    return {"campaigns:sequence_edit": {"pk": sequence.pk}, "campaigns:playbook_edit": {"pk": playbook.pk},
            "campaigns:flow_detail": {"pk": sequence.pk}, "campaigns:flow_start": {"pk": sequence.pk},
            "campaigns:call_task_done": {"pk": 1}, "rescue:options": {"token": "not-a-real-token"},
            "reports:report_rescue": {"pk": playbook.pk}}


def _recurring_args(sender, segment, template):
    """A draft recurring newsletter (campaigns.recurring)."""
    from campaigns.recurring import recurring_save

    campaign = recurring_save(name="Walk rec", segment=segment, sender=sender, template=template, template_b=None,
                              variant_b_percent=50, holdout_percent=0, schedule="0 10 * * 1")
    return {name: {"pk": campaign.pk} for name in ("campaigns:recurring_edit", "campaigns:recurring_detail",
                                                     "campaigns:recurring_start")}


def _template_args():
    """A template and a sender profile for the template library and sender pages (campaigns.views_templates)."""
    from campaigns.models import MailTopic, MessageTemplate, SenderProfile

    template = MessageTemplate.objects.create(name="Walk tpl", subject="Hi", body_text="Hello {{ contact.first_name }}")
    sender = SenderProfile.objects.create(name="Walk sender", from_name="Walk", from_email="walk-sender@example.com")
    return {**{name: {"pk": template.pk} for name in ("campaigns:template_edit", "campaigns:template_preview",
                                                        "campaigns:template_copy", "campaigns:template_delete",
                                                        "campaigns:template_test_send")},
            "campaigns:sender_edit": {"pk": sender.pk},
            "campaigns:topic_edit": {"pk": MailTopic.objects.create(key="walk-topic", name="歩く").pk}}


def _alert_args():
    """A trigger (seeded), a webhook and a made-up alert id (POST-only actions answer 405 before any lookup)."""
    from alerts.models import Trigger, WebhookEndpoint

    hook = WebhookEndpoint.objects.create(name="Walk", url="https://hooks.example.com/walk")
    return {**{name: {"pk": 1} for name in ("alerts:claim", "alerts:outcome", "alerts:snooze",
                                             "alerts:notification_retry")},
            "alerts:trigger_edit": {"pk": Trigger.objects.create(name="Walk", kind="reply_or_form").pk},
            **{name: {"pk": hook.pk} for name in ("alerts:webhook_edit", "alerts:webhook_delete")}}


def _tracking_args():
    """A tracked site for its edit page (tracking.views)."""
    from tracking.models import TrackingSite

    return {"tracking:site_edit": {"pk": TrackingSite.objects.create(name="Walk site",
                                                                     allowed_origins=["https://walk.example"]).pk}}


@pytest.fixture
def url_args(marketer, tmp_path):
    contact = Contact.objects.create(email="walk@example.com", last_name="歩")
    job = ImportJob.objects.create(
        id=uuid.uuid4(), kind=ImportKind.CONTACTS, original_name="x.csv", stored_path=str(tmp_path / "x.csv"),
        created_by=marketer,
    )
    rule = DormancyRule.objects.get(slug="default")
    segment = Segment.objects.create(
        name="Walk", definition={"op": "and", "items": [{"type": "consent", "can_receive_marketing": True}]},
    )
    scoring_rule = ScoringRule.objects.create(name="Walk", kind=RuleKind.TOUCH, touch_kind="page_view", points=1)
    api_key, _token = api_key_create(name="Walk", user=marketer)
    sender = SenderProfile.objects.create(name="Walk", from_name="Walk", from_email="walk@example.com")
    campaign = services.broadcast_save(
        name="Walk", segment=segment, sender=sender, scheduled_at=None, holdout_percent=0, variant_b_percent=50,
        template=MessageTemplate.objects.create(name="Walk", subject="Hi", body_text="Hello"), template_b=None)
    return {
        **_flow_args(sender, segment),
        **{name: {"token": "0" * 32} for name in ("mail:unsubscribe", "mail:one_click", "mail:open")},
        "mail:click": {"token": "0" * 32, "position": "1"},
        "mail:open_signed": {"key": "1-1-1-" + "A" * 16},
        "mail:click_signed": {"key": "1-1-1-" + "A" * 16, "target": "aHR0cHM6Ly9leGFtcGxlLmNvbS8"},
        **{name: {"pk": campaign.pk} for name in ("campaigns:detail", "campaigns:broadcast_edit", "campaigns:start",
                                                    "campaigns:pause", "campaigns:resume", "campaigns:cancel",
                                                    "reports:report_campaign")},
        "scoring:rule_edit": {"pk": scoring_rule.pk}, "scoring:rule_delete": {"pk": scoring_rule.pk},
        "contacts:detail": {"pk": contact.pk}, "contacts:import_detail": {"pk": job.pk},
        "dormancy:detail": {"pk": rule.pk}, "dormancy:edit": {"pk": rule.pk},
        "dormancy:restore": {"pk": rule.pk, "number": 1},
        "accounts:api_key_revoke": {"pk": api_key.pk},
        **_alert_args(),
        **_template_args(),
        **_tracking_args(),
        **_recurring_args(sender, segment, MessageTemplate.objects.get(name="Walk")),
        "api:dormancy_rule_detail": {"id": rule.pk},
        **{name: {"id": segment.pk} for name in ("api:segment_detail", "api:segment_count", "api:segment_members")},
        **{name: {"pk": segment.pk} for name in ("segments:edit", "segments:members", "segments:export",
                                                   "segments:refresh")},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [ANON, REP, MARKETER, ADMIN])
def test_every_url_for_every_role(client, persona, rep, marketer, admin_user, url_args):
    users = {REP: rep, MARKETER: marketer, ADMIN: admin_user}
    if persona != ANON:
        client.force_login(users[persona])
    failures = []
    for name, expected in EXPECTED.items():
        url = reverse(name, kwargs=url_args.get(name))
        response = client.get(url)
        if response.status_code != expected[persona]:
            failures.append(f"{name} {url}: {response.status_code} != {expected[persona]}")
        elif name in JSON_API and response["Content-Type"] != "application/json":
            failures.append(f"{name} {url}: answered {response['Content-Type']}, not JSON")
        elif persona == ANON and expected[persona] == 302 and name != "set_language":
            login = "/admin/login/" if name.startswith("admin:") else reverse("login")
            assert response["Location"].startswith(login), (name, response["Location"])
    assert failures == []


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "target"), [(REP, "/alerts/"), (MARKETER, "/reports/"), (ADMIN, "/reports/")])
def test_home_page_depends_on_role(client, persona, target, rep, marketer, admin_user):
    client.force_login({REP: rep, MARKETER: marketer, ADMIN: admin_user}[persona])
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == target
