"""Actions, not only pages: what a role may POST, what a rep may do to another rep's contacts and alerts, and
whether the ids in public links can be guessed.

test_access.py walks every URL with GET; here every URL is POSTed to by the
roles that may not use it (refused, nothing written anywhere), a rep acts on
a colleague's alert and call task (refused, unchanged), and the links a real
send puts in a mail are tampered with (404, nothing written).
"""
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, AlertStatus, Trigger
from campaigns import rescue
from campaigns.models import CallTask, CallTaskStatus, CampaignStep, Enrollment, StepKind
from campaigns.sending import signed_links
from contacts.models import Contact, TouchEvent
from dormancy.models import DormancyRule
from tracking.tokens import contact_token_make, contact_token_read

from .sent_mail import broadcast_send, message_links, rescue_timeline
from .snapshots import db_fingerprint, posts_refused
from .test_access import ADMIN, EXPECTED, MARKETER, REP, url_args  # noqa: F401  (url_args: a fixture)

# POST-only URLs (405 on GET for every role, so the GET matrix says nothing about who may use them): the roles
# that may not, as in the README's role table.
POST_REFUSED = {
    "dormancy:preview": {REP, MARKETER},  # admins edit dormancy rules; marketers only view them
    "dormancy:restore": {REP, MARKETER},
    "segments:preview": {REP},
    "segments:refresh": {REP},
    "scoring:recompute": {REP, MARKETER},  # scoring rules and settings: admins
    "accounts:api_key_revoke": {REP, MARKETER},
    "campaigns:template_copy": {REP},
    "campaigns:template_delete": {REP},
    "campaigns:template_test_send": {REP},
    "campaigns:start": {REP},
    "campaigns:pause": {REP},
    "campaigns:resume": {REP},
    "campaigns:cancel": {REP},
    "campaigns:flow_start": {REP},
    "campaigns:recurring_start": {REP},
    "alerts:notification_retry": {REP},  # the team view's retry: managers
    "alerts:webhook_delete": {REP},
    "api:segment_preview": {REP},
    "api:event_ingest": {REP},
    "tracking:buffer_resolve": {REP, MARKETER},  # the event buffer: admins (its GET is refused too)
}
# POST-only URLs every role may use (their objects are checked inside: see the rep-versus-rep tests below).
POST_ANY_ROLE = {"logout", "alerts:duty", "alerts:claim", "alerts:outcome", "alerts:snooze",
                 "campaigns:call_task_done"}
# Pages a role may read but not change: a POST writes nothing (read-only views answer any method with the page).
READ_ONLY = {MARKETER: ["dormancy:list", "dormancy:detail", "scoring:home", "campaigns:sending_health"],
             REP: ["contacts:detail", "contacts:list", "reports:report_dormancy", "scoring:call_list"]}
FORM = {"name": "Hijack", "choice": "all", "outcome": "reached", "duration": "1h", "on_duty": "1",
        "definition": '{"op": "and", "items": []}', "reason": "x", "points": "99", "threshold_days": "1"}


PUBLIC_POST = {"mail:bounce_webhook", "track:beacon", "track:form"}  # no login: tests/security/test_csrf.py


def test_every_post_only_url_says_who_may_use_it():
    """A new POST-only URL (405 on GET for an admin) must be placed in one of the two tables."""
    post_only = {name for name, expected in EXPECTED.items() if expected[ADMIN] == 405} - PUBLIC_POST
    assert set(POST_REFUSED) | POST_ANY_ROLE == post_only


def _refused_for(persona):
    """URL names `persona` may not POST to: its GET is refused (403), or a POST-only action not for its role."""
    return sorted({name for name, expected in EXPECTED.items() if expected[persona] == 403}
                  | {name for name, roles in POST_REFUSED.items() if persona in roles})


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [REP, MARKETER])
def test_post_is_refused_wherever_the_role_may_not_act(client, persona, rep, marketer, url_args):  # noqa: F811
    client.force_login({REP: rep, MARKETER: marketer}[persona])
    failures = posts_refused(client, _refused_for(persona), url_args, FORM)
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [REP, MARKETER])
def test_pages_a_role_only_reads_change_nothing_on_post(client, persona, rep, marketer, url_args):  # noqa: F811
    client.force_login({REP: rep, MARKETER: marketer}[persona])
    for name in READ_ONLY[persona]:
        url = reverse(name, kwargs=url_args.get(name))
        client.get(url)  # a first read may create a singleton's defaults (ScoringSettings.load): not the POST's doing
        before = db_fingerprint()
        response = client.post(url, FORM)
        assert response.status_code in (200, 403, 405), (name, response.status_code)
        assert db_fingerprint() == before, name


@pytest.mark.django_db
def test_a_marketer_cannot_write_dormancy_rules_through_the_api(client, marketer):
    client.force_login(marketer)
    rule = DormancyRule.objects.get(slug="default")
    url = reverse("api:dormancy_rule_detail", kwargs={"id": rule.pk})
    before = db_fingerprint()
    body = {"name": "Hijack", "threshold_days": 1}
    assert client.post(reverse("api:dormancy_rule_list"), body, content_type="application/json").status_code == 403
    assert client.put(url, body, content_type="application/json").status_code == 403
    assert client.patch(url, body, content_type="application/json").status_code == 403
    assert client.delete(url).status_code == 403
    assert db_fingerprint() == before


# -- a rep and a colleague's contacts, alerts and call tasks ------------------------------------------------------


def _alert(contact, assignee, status=AlertStatus.OPEN):
    trigger = Trigger.objects.first() or Trigger.objects.create(name="Walk", kind="reply_or_form")
    return Alert.objects.create(trigger=trigger, contact=contact, fired_at=timezone.now() - timedelta(minutes=5),
                                assignee=assignee, status=status,
                                claimed_at=timezone.now() if status == AlertStatus.CLAIMED else None)


def _state(alert):
    alert.refresh_from_db()
    return alert.status, alert.assignee_id, alert.outcome, alert.snoozed_until, alert.claimed_at


@pytest.mark.django_db
@pytest.mark.parametrize("status", [AlertStatus.OPEN, AlertStatus.CLAIMED, AlertStatus.SNOOZED])
@pytest.mark.parametrize(("action", "data"), [("alerts:claim", {}), ("alerts:outcome", {"outcome": "reached"}),
                                              ("alerts:snooze", {"duration": "1h"})])
def test_a_rep_cannot_act_on_a_colleagues_alert(client, rep, other_rep, status, action, data):
    contact = Contact.objects.create(email="theirs@example.com", owner=other_rep)
    alert = _alert(contact, other_rep, status)
    before, touches = _state(alert), TouchEvent.objects.count()
    client.force_login(rep)
    response = client.post(reverse(action, args=[alert.pk]), data)
    assert response.status_code == 404  # not in the rep's view at all: no hint that the id exists
    assert _state(alert) == before
    assert TouchEvent.objects.count() == touches  # no call logged on the colleague's contact


@pytest.mark.django_db
def test_a_rep_may_claim_an_unassigned_alert_but_then_the_colleague_may_not(client, rep, other_rep):
    alert = _alert(Contact.objects.create(email="nobody@example.com"), None)
    client.force_login(rep)
    assert client.post(reverse("alerts:claim", args=[alert.pk])).status_code == 302
    claimed = _state(alert)
    assert claimed[:2] == (AlertStatus.CLAIMED, rep.pk)
    colleague = Client()
    colleague.force_login(other_rep)
    for action, data in (("alerts:claim", {}), ("alerts:outcome", {"outcome": "reached"}),
                         ("alerts:snooze", {"duration": "1h"})):
        assert colleague.post(reverse(action, args=[alert.pk]), data).status_code == 404
    assert _state(alert) == claimed


@pytest.mark.django_db
def test_a_rep_cannot_close_a_colleagues_call_task(client, rep, other_rep, url_args):  # noqa: F811
    sequence = reverse("campaigns:sequence_edit", kwargs=url_args["campaigns:sequence_edit"])
    pk = int(re.search(r"/(\d+)/", sequence).group(1))
    step = CampaignStep.objects.create(campaign_id=pk, position=9, kind=StepKind.CALL_TASK)
    contact = Contact.objects.create(email="call@example.com", owner=other_rep)
    enrollment = Enrollment.objects.create(campaign_id=pk, contact=contact, entered_at=timezone.now())
    task = CallTask.objects.create(step=step, enrollment=enrollment, contact=contact, assigned_to=other_rep,
                                   due_at=timezone.now())
    client.force_login(rep)
    client.post(reverse("campaigns:call_task_done", args=[task.pk]), {"outcome": "done by someone else"})
    task.refresh_from_db()
    assert (task.status, task.outcome, task.done_at) == (CallTaskStatus.OPEN, "", None)
    mine = Client()
    mine.force_login(other_rep)
    mine.post(reverse("campaigns:call_task_done", args=[task.pk]), {"outcome": "reached"})
    task.refresh_from_db()
    assert (task.status, task.outcome) == (CallTaskStatus.DONE, "reached")


@pytest.mark.django_db
def test_a_rep_reads_a_colleagues_contact_by_design_but_changes_nothing(client, rep, other_rep):
    """Reps see every contact (their own first: README, Roles); the contact page has nothing a rep can change."""
    contact = Contact.objects.create(email="colleague@example.com", last_name="同僚", owner=other_rep)
    client.force_login(rep)
    before = db_fingerprint()
    assert client.get(reverse("contacts:detail", args=[contact.pk])).status_code == 200
    assert client.post(reverse("contacts:detail", args=[contact.pk]), {"owner": rep.pk}).status_code == 200
    assert Contact.objects.get(pk=contact.pk).owner == other_rep
    assert db_fingerprint() == before


# -- ids in public links --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_links_in_sent_mail_carry_no_guessable_id(client, settings):
    deliveries, messages = broadcast_send(settings)
    first, second = deliveries
    links = message_links(messages[0])
    kinds = {re.sub(r"/m/([a-z])/.*", r"\1", link.split(".co.jp", 1)[1]) for link in links}
    assert kinds == {"u", "p", "r"}  # the unsubscribe page and one-click, the open pixel, the click redirect
    for link in links:
        path = link.split(".co.jp", 1)[1]
        if path.startswith("/m/u/"):
            token = path.split("/")[3]
            # The unsubscribe token is random (not the primary key, not a sequence) and 404s when changed.
            assert token == first.token and len(token) >= 22 and not token.isdigit()
            assert token not in (str(first.pk), f"{first.pk:x}", str(first.contact_id))
            assert token[:6] != second.token[:6]  # the next delivery's is unrelated, not the next number
    before = db_fingerprint()
    for changed in (first.token[:-1] + ("A" if first.token[-1] != "A" else "B"), second.token[::-1]):
        assert client.get(reverse("mail:unsubscribe", args=[changed])).status_code == 404
        assert client.post(reverse("mail:one_click", args=[changed])).status_code == 404
    assert db_fingerprint() == before


@pytest.mark.django_db
def test_signed_tracking_links_hide_ids_and_any_change_to_them_is_404(client, settings):
    """The pixel and click paths carry the delivery and contact ids opaque (a keyed permutation) under a MAC:
    no id shows, and another delivery's key or another destination does not verify."""
    deliveries, messages = broadcast_send(settings)
    first, second = deliveries
    links = [link.split(".co.jp", 1)[1] for link in message_links(messages[0])]
    other = [link.split(".co.jp", 1)[1] for link in message_links(messages[1])]
    pixel = next(link for link in links if link.startswith("/m/p/"))
    click = next(link for link in links if link.startswith("/m/r/"))
    key = re.match(r"/m/p/(.+)\.gif", pixel).group(1)
    blob, mac = key[:-17], key[-16:]
    assert re.fullmatch(r"v[A-Za-z0-9_-]{22}", blob) and f"-{first.pk:x}-" not in f"-{key}-"
    found = signed_links.open_read(key)
    assert found is not None and found[:2] == (first.pk, first.contact_id)
    second_blob = re.match(r"/m/p/(.+)-.{16}\.gif", next(link for link in other if link.startswith("/m/p/"))).group(1)
    forged = [f"{second_blob}-{mac}",  # the next delivery's blob under this MAC
              f"{blob[:-1]}{'A' if blob[-1] != 'A' else 'Q'}-{mac}",
              f"{first.pk:x}-{first.contact_id:x}-{found[2]:x}-{mac}",  # the legacy hex form of the same ids
              f"{second.pk:x}-{second.contact_id:x}-{found[2]:x}-{mac}"]
    click_key, target = click.split("/")[3], click.split("/")[4]
    before = db_fingerprint()
    for key in forged:
        assert client.get(f"/m/p/{key}.gif").status_code == 404
        assert client.get(f"/m/r/{key}/{target}").status_code == 404
    other_target = signed_links.click_path(first.pk, first.contact_id, found[2], "https://evil.example/")
    assert client.get(f"/m/r/{click_key}/{other_target.rsplit('/', 1)[1]}").status_code == 404
    assert db_fingerprint() == before


@pytest.mark.django_db
def test_rescue_and_contact_tokens_are_signed_and_name_no_row(client):
    timeline = rescue_timeline()
    token = rescue.rescue_token(timeline)
    value, _mac = token.split(":", 1)
    # The stored random token (a digit of the pk may occur in it by chance; the pk itself is never the value).
    assert value == timeline.token and value != str(timeline.pk) and len(value) >= 22
    assert client.get(reverse("rescue:options", args=[token])).status_code == 200
    before = db_fingerprint()
    for changed in (f"{timeline.pk}:{_mac}", value, token[:-2] + "xx"):
        assert client.get(reverse("rescue:options", args=[changed])).status_code == 404
    # The rk token a click adds on the customer's site carries the contact id, signed: another id does not verify.
    rk = contact_token_make(timeline.enrollment.contact_id)
    assert contact_token_read(rk) == timeline.enrollment.contact_id
    payload, rest = rk.split(":", 1)
    assert contact_token_read(f"{payload[:-1]}{'1' if payload[-1] != '1' else '2'}:{rest}") is None
    assert db_fingerprint() == before
