"""The campaign report's stored answers: kept by the receivers as facts arrive, repaired by the reconcile, and
always equal to the live questions (reports.campaign_rules) they stand for.

The facts arrive the ways the product stores them: the tracking drain, a recorded touch, a bulk import, an
unsubscribe, a provider's bounce report, a rep's reactivation, send outcomes and enrolments. Times are relative
to the real clock: suppressions are stamped `now` by the database.
"""
import uuid
from datetime import timedelta

import pandas as pd
import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import Delivery, Enrollment
from campaigns.sending.public import addresses_suppress, provider_event_apply
from campaigns.signals import deliveries_recorded_notify, enrollments_entered_notify
from contacts.models import TouchEvent
from contacts.services import touch_event_record, touch_history_loaded_notify
from reports import campaign_rules
from reports.campaign_answers import (
    campaign_answers_recompute,
    open_answers_reconcile,
    stored_touches_answers_add,
)
from reports.forms_reports import DateRange
from reports.reports_campaign import JOINED, PER_ROW, STORED, TOUCH_BITS, campaign_funnel, campaign_holdout
from tracking.records import touch_record
from tracking.store import records_store

from . import report_data as data

H = timedelta(hours=1)
D = timedelta(days=1)
BIT = {name: 2 ** bit for bit, (name, _kind, _bot) in enumerate(TOUCH_BITS)}

pytestmark = pytest.mark.usefixtures("english")


def _live_forms():
    return [PER_ROW, JOINED] if connection.vendor == "postgresql" else [PER_ROW]


def _live_deliveries(campaign):
    models = campaign_rules.facts()
    rows = (Delivery.objects.filter(step__campaign=campaign)
            .annotate(touches=campaign_rules.touch_mask(models), listed=campaign_rules.suppression_reason(models),
                      came=campaign_rules.came_back(models, "scheduled_at")))
    return {row.contact.email: (row.touches or 0, row.listed or "", row.came) for row in rows.select_related("contact")}


def _stored_deliveries(campaign):
    return {email: (touches, listed, came) for email, touches, listed, came in Delivery.objects.filter(
        step__campaign=campaign).values_list("contact__email", "report_touches", "report_listed", "report_came_back")}


def _live_enrollments(campaign):
    models = campaign_rules.facts()
    rows = Enrollment.objects.filter(campaign=campaign).annotate(
        came=campaign_rules.came_back(models, "entered_at", strictly_after=True))
    return dict(rows.values_list("contact__email", "came"))


def _stored_enrollments(campaign):
    return dict(Enrollment.objects.filter(campaign=campaign).values_list("contact__email", "report_came_back"))


def _range(moment):
    day = timezone.localtime(moment).date()
    return DateRange(day - timedelta(days=5), day + timedelta(days=5))


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """A broadcast due 10 days ago (sent an hour after it was due) and a sequence entered 10 days ago; every fact
    after the rows exist arrives through the product's own paths, with the receivers running on commit."""
    now = timezone.now().replace(microsecond=0)
    due = now - 10 * D
    broadcast = data.campaign(name="Answers", holdout=20)
    step = data.step(broadcast)
    people = {name: data.contact(f"{name}@example.jp") for name in
              ["open", "click", "scan", "visit", "talk", "late", "gone", "bounce", "quiet", "held", "heldbot",
               "mark", "moved"]}
    for name, person in people.items():
        status, reason = ("suppressed", "holdout") if name.startswith("held") or name == "mark" else ("queued", "")
        data.delivery(step, person, status=status, reason=reason, at=due)
    # Facts from before the rows could be reached: a touch the day before the due time, and one between the
    # due time and the send (a visit: comes back, but no revisit of a mail not yet sent).
    data.touch(people["quiet"], "email_open", due - D)
    data.touch(people["visit"], "page_view", due + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        sent = list(Delivery.objects.filter(step=step, status="queued").values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=sent).update(status="sent", sent_at=due + H)
        deliveries_recorded_notify(sent)
    with django_capture_on_commit_callbacks(execute=True):
        # The tracking drain: an open, a click, a scanner's open and click, a bot page view.
        records_store([
            touch_record(contact_id=people["open"].pk, kind="email_open", occurred_at=due + 2 * H),
            touch_record(contact_id=people["click"].pk, kind="email_click", occurred_at=due + 3 * H),
            touch_record(contact_id=people["scan"].pk, kind="email_open", occurred_at=due + H, bot=True),
            touch_record(contact_id=people["scan"].pk, kind="email_click", occurred_at=due + H, bot=True),
            touch_record(contact_id=people["heldbot"].pk, kind="page_view", occurred_at=due + 2 * D, bot=True),
            touch_record(contact_id=people["held"].pk, kind="download", occurred_at=due + 3 * D),
        ], now=now)
    with django_capture_on_commit_callbacks(execute=True):
        # Recorded one at a time (a rep's entry, an API call): a reply and a meeting, and facts outside the
        # windows: 31 days after the send (a future-dated entry) and an open the day before.
        touch_event_record(contact=people["talk"], kind="reply", occurred_at=due + 2 * D)
        touch_event_record(contact=people["talk"], kind="meeting", occurred_at=due + 5 * D)
        touch_event_record(contact=people["quiet"], kind="email_open", occurred_at=due + H + 31 * D)
        touch_event_record(contact=people["quiet"], kind="page_view", occurred_at=due - 2 * D)
    with django_capture_on_commit_callbacks(execute=True):
        # A CSV import of history, stored in bulk: a late (backdated) open of a sent mail.
        TouchEvent.objects.create(contact=people["late"], kind="email_open", occurred_at=due + 4 * D,
                                  fingerprint=uuid.uuid4().hex, source="import")
        touch_history_loaded_notify([people["late"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        addresses_suppress(["Gone@Example.jp"], reason="unsubscribed", detail="unsubscribe page")
        provider_event_apply(email="bounce@example.jp", kind="bounce", now=now)
    with django_capture_on_commit_callbacks(execute=True):
        data.reactivation(people["mark"], due + 6 * D)

    sequence = data.campaign("sequence", name="Drip answers", holdout=40)
    data.step(sequence, name="First mail")
    entered = {name: data.contact(f"seq-{name}@example.jp") for name in ["door", "back", "held", "marked",
                                                                         "latedoor"]}
    data.touch(entered["door"], "page_view", due)  # the touch that let it in: not a return
    data.touch(entered["back"], "form_submit", due + 3 * H)  # stored before the enrolment was written: a return
    with django_capture_on_commit_callbacks(execute=True):
        for name, person in entered.items():
            held = name in ("held", "marked")
            Enrollment.objects.create(campaign=sequence, contact=person,
                                      entered_at=due + H if name == "latedoor" else due,
                                      status="exited" if held else "active", exit_reason="holdout" if held else "")
        enrollments_entered_notify(sequence.pk, [person.pk for person in entered.values()])
    with django_capture_on_commit_callbacks(execute=True):
        touch_event_record(contact=entered["held"], kind="webinar", occurred_at=due + 8 * D)
        # Entered on a touch whose event is stored only after the enrolment: still not a return.
        touch_event_record(contact=entered["latedoor"], kind="page_view", occurred_at=due + H)
        data.reactivation(entered["marked"], due + 29 * D)
    return {"broadcast": broadcast, "sequence": sequence, "due": due, "now": now, "people": people}


def test_receivers_keep_each_delivery_answer_equal_to_the_live_question(world):
    stored, live = _stored_deliveries(world["broadcast"]), _live_deliveries(world["broadcast"])
    assert stored == live
    assert stored["open@example.jp"] == (BIT["opened"], "", False)
    assert stored["click@example.jp"] == (BIT["clicked"], "", False)
    assert stored["scan@example.jp"] == (BIT["any_open_bot"] | BIT["any_click_bot"], "", False)
    assert stored["visit@example.jp"] == (0, "", True)  # came back before the send: no revisit of the mail
    assert stored["talk@example.jp"] == (BIT["replied"] | BIT["met"], "", True)
    assert stored["late@example.jp"] == (BIT["opened"], "", False)
    assert stored["quiet@example.jp"] == (0, "", False)
    assert stored["gone@example.jp"] == (0, "unsubscribed", False)
    assert stored["bounce@example.jp"] == (0, "bounced", False)
    assert stored["held@example.jp"] == (0, "", True)
    assert stored["heldbot@example.jp"] == (0, "", False)
    assert stored["mark@example.jp"] == (0, "", True)


def test_receivers_keep_enrollments_came_back_strictly_after_entry(world):
    stored = _stored_enrollments(world["sequence"])
    assert stored == _live_enrollments(world["sequence"])
    assert stored == {"seq-door@example.jp": False, "seq-back@example.jp": True, "seq-held@example.jp": True,
                      "seq-marked@example.jp": True, "seq-latedoor@example.jp": False}


def test_stored_report_equals_every_live_form(world):
    date_range = _range(world["due"])
    for campaign in (world["broadcast"], world["sequence"]):
        funnel, suppressions = campaign_funnel(campaign, date_range, form=STORED)
        holdout = campaign_holdout(campaign, date_range, form=STORED)
        for form in _live_forms():
            live_funnel, live_suppressions = campaign_funnel(campaign, date_range, form=form)
            pd.testing.assert_frame_equal(funnel, live_funnel)
            pd.testing.assert_frame_equal(suppressions, live_suppressions)
            assert holdout == campaign_holdout(campaign, date_range, form=form)
    assert funnel.empty  # the sequence (the last one) has no deliveries
    broadcast_funnel, _s = campaign_funnel(world["broadcast"], date_range, form=STORED)
    figures = broadcast_funnel.iloc[0]
    assert (figures["Sent"], figures["Opened"], figures["Clicked"], figures["Opened by a bot only"],
            figures["Replied"], figures["Unsubscribed"], figures["Bounced"]) == (10, 3, 1, 1, 1, 1, 1)
    comparison = campaign_holdout(world["broadcast"], date_range)
    assert (comparison.mailed, comparison.mailed_reactivated, comparison.holdout, comparison.holdout_reactivated) == (
        10, 2, 3, 2)


def test_a_touch_outside_every_window_changes_nothing(world, django_capture_on_commit_callbacks):
    before = _stored_deliveries(world["broadcast"])
    quiet = world["people"]["quiet"]
    with django_capture_on_commit_callbacks(execute=True):
        touch_event_record(contact=quiet, kind="email_click", occurred_at=world["due"] + 40 * D)
        touch_event_record(contact=quiet, kind="call", occurred_at=world["due"] + 2 * D)  # no answer uses calls
    assert _stored_deliveries(world["broadcast"]) == before


def test_nightly_reconcile_repairs_what_a_race_hid(world):
    # A touch stored while the send was committing: no receiver saw the pair, the answers lack it.
    moved = world["people"]["moved"]
    data.touch(moved, "email_click", world["due"] + 2 * H)
    Delivery.objects.filter(contact=world["people"]["open"]).update(report_touches=0, report_came_back=True)
    Enrollment.objects.filter(contact__email="seq-back@example.jp").update(report_came_back=False)
    assert _stored_deliveries(world["broadcast"]) != _live_deliveries(world["broadcast"])
    changed = open_answers_reconcile(now=world["now"])
    assert changed == {world["broadcast"].pk: (2, 0), world["sequence"].pk: (0, 1)}
    assert _stored_deliveries(world["broadcast"]) == _live_deliveries(world["broadcast"])
    assert _stored_deliveries(world["broadcast"])["moved@example.jp"] == (BIT["clicked"], "", False)
    assert _stored_enrollments(world["sequence"]) == _live_enrollments(world["sequence"])
    assert open_answers_reconcile(now=world["now"]) == {}  # nothing left to repair: nothing written


def test_reconcile_leaves_closed_windows_alone(world):
    Delivery.objects.filter(contact=world["people"]["open"]).update(report_touches=0)
    assert open_answers_reconcile(now=world["now"] + 45 * D) == {}
    assert _stored_deliveries(world["broadcast"])["open@example.jp"][0] == 0


@pytest.mark.parametrize("joined", [True, False])
def test_recompute_forms_agree_with_the_live_questions(world, joined):
    if joined and connection.vendor != "postgresql":
        pytest.skip("the joined form is PostgreSQL's")
    expected_deliveries = _live_deliveries(world["broadcast"])
    expected_enrollments = _live_enrollments(world["sequence"])
    Delivery.objects.update(report_touches=127, report_listed="manual", report_came_back=True)
    Enrollment.objects.update(report_came_back=True)
    written = campaign_answers_recompute(joined=joined)
    assert written == (13, 2)  # every delivery changed; of the enrollments, the two doors did not come back
    assert _stored_deliveries(world["broadcast"]) == expected_deliveries
    assert _stored_enrollments(world["sequence"]) == expected_enrollments


def test_a_drain_batch_reaches_only_its_contacts_rows(world, django_assert_num_queries):
    """The receiver's cost follows the batch: one UPDATE per kind of answer it can change, whatever its size."""
    from contacts.signals import StoredTouch

    people, due = world["people"], world["due"]
    data.touch(people["quiet"], "email_open", due + H)
    data.touch(people["heldbot"], "page_view", due + H)
    events = [StoredTouch(event_id=0, contact_id=people["quiet"].pk, kind="email_open", occurred_at=due + H),
              StoredTouch(event_id=0, contact_id=people["heldbot"].pk, kind="page_view", occurred_at=due + H)]
    before = _stored_deliveries(world["broadcast"])
    with django_assert_num_queries(3):  # opens: touch bits; the visit: came back (deliveries, enrollments)
        reached = stored_touches_answers_add(events)
    assert reached == (2, 0)
    after = _stored_deliveries(world["broadcast"])
    assert after == {**before, "quiet@example.jp": (BIT["opened"], "", False), "heldbot@example.jp": (0, "", True)}
    assert after == _live_deliveries(world["broadcast"])
    with django_assert_num_queries(1):  # a scanner's open: bits only
        stored_touches_answers_add([StoredTouch(event_id=0, contact_id=people["quiet"].pk, kind="email_open",
                                                occurred_at=due + H, flagged_as_bot=True)])
    with django_assert_num_queries(0):  # a call: no answer uses it
        stored_touches_answers_add([StoredTouch(event_id=0, contact_id=people["quiet"].pk, kind="call",
                                                occurred_at=due + H)])
