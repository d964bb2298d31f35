"""Changed facts flow on: a recorded touch or an import rescores its contacts and moves them through segments.

The incremental path must agree with the full recompute and the full
segment refresh, touch only the contacts it was given, and record entries
and exits the way a refresh does.
"""
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.importing.services import import_file_run
from contacts.models import Contact, TouchKind
from contacts.services import touch_event_record
from scoring.models import ContactScore, ScoringSettings
from scoring.services import contact_facts_apply, scores_apply, scores_recompute
from segments.models import ChangeKind, Segment, SegmentChange, SegmentMembership
from segments.services import segment_memberships_apply, segment_refresh
from tests.contacts.test_import_helpers import write_csv

from .conftest import NOW, days_ago, make_contact, make_event, touch_rule

PRICING_7D = {"op": "and", "items": [{
    "type": "behaviour", "kind": "page_view", "url_contains": "pricing", "did": True, "min_count": 1,
    "within_days": 7}]}
LOST = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]}
HOT_SCORE = {"op": "and", "items": [{"type": "score", "op": "gte", "value": 20}]}


def _members(segment):
    return set(SegmentMembership.objects.filter(segment=segment).values_list("contact__email", flat=True))


def _snapshot(definition, name="S"):
    segment = Segment.objects.create(name=name, definition=definition)
    segment_refresh(segment_id=segment.pk, run_at=NOW)
    return segment


@pytest.mark.django_db
def test_partial_apply_moves_only_the_given_contacts():
    a, b, c = (make_contact(f"{n}@x.jp", status="lead") for n in "abc")
    segment = _snapshot(LOST)
    Contact.objects.filter(pk__in=[a.pk, b.pk]).update(status="lost")

    changed = segment_memberships_apply(contact_ids=[a.pk, c.pk], run_at=NOW + timedelta(minutes=1))

    assert changed == {segment.pk: (1, 0)}
    assert _members(segment) == {"a@x.jp"}  # b changed too, but was not in the batch
    segment.refresh_from_db()
    assert segment.member_count == 1 and segment.refreshed_at == NOW
    Contact.objects.filter(pk=a.pk).update(status="customer")
    assert segment_memberships_apply(contact_ids=[a.pk], run_at=NOW + timedelta(minutes=2)) == {segment.pk: (0, 1)}
    kinds = list(SegmentChange.objects.filter(contact=a).order_by("at").values_list("kind", flat=True))
    assert kinds == [ChangeKind.ENTER, ChangeKind.LEAVE]
    segment.refresh_from_db()
    assert segment.member_count == 0


@pytest.mark.django_db
def test_partial_apply_agrees_with_a_full_refresh():
    contacts = [make_contact(f"p{n}@x.jp", status="lost" if n % 3 else "lead") for n in range(12)]
    segment = _snapshot(LOST)
    for contact in contacts[::2]:
        Contact.objects.filter(pk=contact.pk).update(status="lead" if contact.status == "lost" else "lost")
    segment_memberships_apply(contact_ids=[c.pk for c in contacts], run_at=NOW + timedelta(minutes=1))
    partial = _members(segment)
    result = segment_refresh(segment_id=segment.pk, run_at=NOW + timedelta(minutes=2))
    assert (result.entered, result.left) == (0, 0)
    assert _members(segment) == partial
    segment.refresh_from_db()
    assert segment.member_count == len(partial)


@pytest.mark.django_db
def test_segments_without_a_snapshot_or_inactive_wait_for_their_full_refresh():
    contact = make_contact(status="lost")
    fresh = Segment.objects.create(name="never refreshed", definition=LOST)
    paused = _snapshot(LOST, name="paused")
    Segment.objects.filter(pk=paused.pk).update(is_active=False)
    Contact.objects.create(email="late@x.jp", status="lost")
    assert segment_memberships_apply(contact_ids=[contact.pk], run_at=NOW) == {}
    assert not SegmentMembership.objects.filter(segment=fresh).exists()


@pytest.mark.django_db
def test_scores_apply_touches_only_the_batch_and_equals_the_full_recompute():
    touch_rule("Pricing", 20, url_contains="pricing")
    a, b, bystander = make_contact(), make_contact(), make_contact()
    for contact in (a, b, bystander):
        make_event(contact, occurred_at=days_ago(3), url="/pricing")
    scores_recompute(now=NOW)
    make_event(a, occurred_at=days_ago(1), url="/pricing")
    make_event(bystander, occurred_at=days_ago(1), url="/pricing")
    before = ContactScore.objects.get(contact=bystander).score

    scores_apply(contact_ids=[a.pk, b.pk], now=NOW)

    assert ContactScore.objects.get(contact=bystander).score == before
    partial = dict(ContactScore.objects.filter(contact__in=[a, b]).values_list("contact_id", "score"))
    scores_recompute(now=NOW)
    full = dict(ContactScore.objects.filter(contact__in=[a, b]).values_list("contact_id", "score"))
    assert partial == pytest.approx(full)


@pytest.mark.django_db
def test_a_score_condition_sees_the_new_score_in_the_same_apply():
    ScoringSettings.load()
    touch_rule("Pricing", 15, url_contains="pricing")
    contact = make_contact()
    make_event(contact, occurred_at=NOW, url="/pricing")
    scores_recompute(now=NOW)
    segment = _snapshot(HOT_SCORE)
    assert _members(segment) == set()
    make_event(contact, occurred_at=NOW, url="/pricing/enterprise")

    contact_facts_apply(contact_ids=[contact.pk], now=NOW)

    assert _members(segment) == {contact.email}


@pytest.mark.django_db
def test_a_recorded_touch_rescores_and_enters_segments_once_committed(django_capture_on_commit_callbacks):
    touch_rule("Pricing", 20, url_contains="pricing")
    contact = make_contact("lead@x.jp")
    segment = _snapshot(PRICING_7D)
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=now, url="https://x.jp/pricing")
    assert not ContactScore.objects.filter(contact=contact).exists()  # nothing moves before the commit
    for callback in callbacks:  # the touches announced (alerts), then the facts (scores, segments)
        callback()

    assert ContactScore.objects.get(contact=contact).score == pytest.approx(20, abs=0.01)
    assert _members(segment) == {"lead@x.jp"}
    with django_capture_on_commit_callbacks(execute=True) as again:
        touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=now, url="https://x.jp/pricing")
    assert again == []  # the same fact twice changes nothing and notifies no one


@pytest.mark.django_db
def test_an_event_import_updates_scores_and_memberships_after_commit(tmp_path, django_capture_on_commit_callbacks):
    touch_rule("Pricing", 20, url_contains="pricing")
    Contact.objects.create(email="a@x.jp")
    Contact.objects.create(email="quiet@x.jp")
    segment = _snapshot(PRICING_7D)
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    path = write_csv(tmp_path / "events.csv", [["email", "kind", "occurred_at", "url"],
                                                ["a@x.jp", "page_view", when, "https://x.jp/pricing"]])

    with django_capture_on_commit_callbacks(execute=True):
        outcome = import_file_run(kind="events", path=path)

    assert outcome.imported
    assert set(ContactScore.objects.values_list("contact__email", flat=True)) == {"a@x.jp"}
    assert _members(segment) == {"a@x.jp"}
    entered = SegmentChange.objects.filter(segment=segment, kind=ChangeKind.ENTER)
    assert list(entered.values_list("contact__email", flat=True)) == ["a@x.jp"]


@pytest.mark.django_db
def test_a_contact_import_moves_changed_contacts_through_segments(tmp_path, django_capture_on_commit_callbacks):
    Contact.objects.create(email="a@x.jp", status="lead")
    Contact.objects.create(email="b@x.jp", status="lead")
    segment = _snapshot(LOST)
    path = write_csv(tmp_path / "contacts.csv", [["email", "status"], ["a@x.jp", "lost"], ["new@x.jp", "lost"]])

    with django_capture_on_commit_callbacks(execute=True):
        import_file_run(kind="contacts", path=path)

    assert _members(segment) == {"a@x.jp", "new@x.jp"}


@pytest.mark.django_db
def test_a_rejected_import_notifies_no_one(tmp_path, django_capture_on_commit_callbacks):
    Contact.objects.create(email="a@x.jp", status="lead")
    path = write_csv(tmp_path / "contacts.csv", [["email", "status"], ["a@x.jp", "lost"], ["not-an-email", "lost"]])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = import_file_run(kind="contacts", path=path)
    assert not outcome.imported and callbacks == []


@pytest.mark.django_db
def test_new_touches_skip_segments_that_cannot_see_them():
    contact = make_contact(status="lead")
    by_status, by_touch = _snapshot(LOST, name="status"), _snapshot(PRICING_7D, name="touch")
    Contact.objects.filter(pk=contact.pk).update(status="lost")
    make_event(contact, occurred_at=timezone.now(), url="/pricing")

    changed = segment_memberships_apply(contact_ids=[contact.pk], run_at=timezone.now(), touches_only=True)

    assert changed == {by_touch.pk: (1, 0)}  # the status segment waits for its refresh (or an import's notice)
    assert _members(by_status) == set()
    segment_memberships_apply(contact_ids=[contact.pk], run_at=timezone.now())
    assert _members(by_status) == {contact.email}


def test_which_rule_trees_depend_on_touches():
    from segments.rules import depends_on_touches

    assert depends_on_touches(PRICING_7D) and depends_on_touches(HOT_SCORE)
    assert not depends_on_touches(LOST)
    nested = {"op": "or", "items": [LOST, {"op": "and", "items": [
        {"type": "attribute", "field": "last_touch_at", "op": "within_last_days", "value": 7}]}]}
    assert depends_on_touches(nested)


@pytest.mark.django_db
def test_a_segment_with_an_invalid_stored_definition_does_not_stop_the_others(caplog):
    a = make_contact("a@x.jp", status="lead")
    good = _snapshot(LOST, name="good")
    broken = Segment.objects.create(name="broken", definition={"op": "and", "items": []}, refreshed_at=NOW)
    Contact.objects.filter(pk=a.pk).update(status="lost")

    changed = segment_memberships_apply(contact_ids=[a.pk], run_at=NOW + timedelta(minutes=1))

    assert changed == {good.pk: (1, 0)}
    assert f"Segment {broken.pk} skipped" in caplog.text
