"""Contact invariants: normalised unique emails, and the last-touch summary."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from contacts.models import Contact, ContactTouchSummary, TouchEvent, TouchKind
from contacts.services import event_fingerprint, touch_event_record, touch_summaries_advance, touch_summaries_refresh

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def at(day, hour=10):
    return datetime(2025, 3, day, hour, 0, tzinfo=TOKYO)


def summaries(*contacts):
    return set(ContactTouchSummary.objects.filter(contact__in=contacts).values_list("contact_id", "kind", "last_at"))


def raw_event(contact, kind, occurred_at, *, bot=False, url=""):
    """An event stored without touching the summary, as a bulk import leaves it."""
    return TouchEvent.objects.create(
        contact=contact, kind=kind, occurred_at=occurred_at, url=url, flagged_as_bot=bot,
        fingerprint=event_fingerprint(contact_id=contact.pk, kind=kind, occurred_at=occurred_at, url=url),
    )


# -- email --------------------------------------------------------------------

def test_full_width_email_with_ideographic_space_is_stored_folded_and_lowercased():
    contact = Contact.objects.create(email="\u3000ＴＡＲＯ．Ｓａｔｏ＠Example.CO.JP\u3000")

    contact.refresh_from_db()
    assert contact.email == "taro.sato@example.co.jp"


def test_email_differing_only_in_width_and_case_is_rejected_as_the_same_contact():
    Contact.objects.create(email="taro@example.co.jp")

    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(email="ＴＡＲＯ@EXAMPLE.co.jp")
    assert list(Contact.objects.values_list("email", flat=True)) == ["taro@example.co.jp"]


def test_case_insensitive_uniqueness_holds_even_when_save_is_bypassed():
    Contact.objects.create(email="hanako@example.co.jp")
    other = Contact.objects.create(email="other@example.co.jp")

    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.filter(pk=other.pk).update(email="Hanako@Example.co.jp")
    assert Contact.objects.get(pk=other.pk).email == "other@example.co.jp"


# -- touch_event_record -------------------------------------------------------

def test_new_event_moves_the_last_touch_and_its_kind_summary_forward():
    contact = Contact.objects.create(email="a@example.co.jp")
    touch_event_record(contact=contact, kind=TouchKind.EMAIL_OPEN, occurred_at=at(1))

    event, created = touch_event_record(contact=contact, kind=TouchKind.EMAIL_OPEN, occurred_at=at(5))

    contact.refresh_from_db()
    assert created is True
    assert (contact.last_touch_at, contact.last_touch_kind) == (at(5), TouchKind.EMAIL_OPEN)
    assert summaries(contact) == {(contact.pk, TouchKind.EMAIL_OPEN, at(5))}
    assert TouchEvent.objects.filter(contact=contact).count() == 2


def test_older_event_arriving_late_never_moves_the_last_touch_backwards():
    contact = Contact.objects.create(email="a@example.co.jp")
    touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=at(10))

    touch_event_record(contact=contact, kind=TouchKind.PAGE_VIEW, occurred_at=at(3))
    touch_event_record(contact=contact, kind=TouchKind.CALL, occurred_at=at(4))

    contact.refresh_from_db()
    assert (contact.last_touch_at, contact.last_touch_kind) == (at(10), TouchKind.PAGE_VIEW)
    # The call is the first of its kind, so its own summary row does start at day 4.
    assert summaries(contact) == {(contact.pk, TouchKind.PAGE_VIEW, at(10)), (contact.pk, TouchKind.CALL, at(4))}
    assert TouchEvent.objects.filter(contact=contact).count() == 3


def test_bot_flagged_event_is_stored_but_not_counted_as_a_touch():
    contact = Contact.objects.create(email="a@example.co.jp")
    touch_event_record(contact=contact, kind=TouchKind.EMAIL_OPEN, occurred_at=at(2))

    event, created = touch_event_record(contact=contact, kind=TouchKind.EMAIL_CLICK, occurred_at=at(9),
                                        url="https://example.co.jp/pricing", flagged_as_bot=True)

    contact.refresh_from_db()
    assert created is True and event.flagged_as_bot is True
    assert (contact.last_touch_at, contact.last_touch_kind) == (at(2), TouchKind.EMAIL_OPEN)
    assert summaries(contact) == {(contact.pk, TouchKind.EMAIL_OPEN, at(2))}


def test_recording_the_same_fact_twice_stores_one_event():
    contact = Contact.objects.create(email="a@example.co.jp")
    first, created_first = touch_event_record(contact=contact, kind=TouchKind.REPLY, occurred_at=at(7))

    again, created_again = touch_event_record(contact=contact, kind=TouchKind.REPLY, occurred_at=at(7))

    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert TouchEvent.objects.filter(contact=contact).count() == 1


# -- touch_summaries_refresh --------------------------------------------------

def test_refresh_recomputes_latest_counted_touch_per_kind_for_the_given_contacts_only():
    active = Contact.objects.create(email="active@example.co.jp")
    bots_only = Contact.objects.create(email="bots@example.co.jp")
    left_alone = Contact.objects.create(email="alone@example.co.jp")
    raw_event(active, TouchKind.EMAIL_OPEN, at(1))
    raw_event(active, TouchKind.PAGE_VIEW, at(3))
    raw_event(active, TouchKind.PAGE_VIEW, at(2), url="https://example.co.jp/pricing")
    raw_event(active, TouchKind.EMAIL_CLICK, at(20), bot=True)
    raw_event(bots_only, TouchKind.EMAIL_CLICK, at(4), bot=True)
    raw_event(left_alone, TouchKind.MEETING, at(5))

    touch_summaries_refresh(contact_ids=[active.pk, bots_only.pk], batch_size=1)

    assert summaries(active, bots_only, left_alone) == {
        (active.pk, TouchKind.EMAIL_OPEN, at(1)),
        (active.pk, TouchKind.PAGE_VIEW, at(3)),
    }
    rows = dict((c.pk, (c.last_touch_at, c.last_touch_kind)) for c in Contact.objects.all())
    assert rows == {
        active.pk: (at(3), TouchKind.PAGE_VIEW),
        bots_only.pk: (None, ""),
        left_alone.pk: (None, ""),
    }


def test_refresh_repairs_a_stale_summary_and_is_idempotent():
    contact = Contact.objects.create(email="a@example.co.jp")
    raw_event(contact, TouchKind.CALL, at(6))
    ContactTouchSummary.objects.create(contact=contact, kind=TouchKind.CALL, last_at=at(28))

    touch_summaries_refresh(contact_ids=[contact.pk])
    touch_summaries_refresh(contact_ids=[contact.pk, contact.pk])

    contact.refresh_from_db()
    assert summaries(contact) == {(contact.pk, TouchKind.CALL, at(6))}
    assert (contact.last_touch_at, contact.last_touch_kind) == (at(6), TouchKind.CALL)


# -- touch_summaries_advance --------------------------------------------------

def test_advancing_from_new_events_only_moves_forward_and_agrees_with_a_refresh():
    contact = Contact.objects.create(email="adv@example.com")
    touch_summaries_advance([raw_event(contact, TouchKind.CALL, at(10))])
    later = [raw_event(contact, TouchKind.CALL, at(2)), raw_event(contact, TouchKind.REPLY, at(2)),
             raw_event(contact, TouchKind.MEETING, at(20), bot=True)]

    assert touch_summaries_advance(later) == [contact.pk]

    advanced = summaries(contact)
    assert advanced == {(contact.pk, TouchKind.CALL, at(10)), (contact.pk, TouchKind.REPLY, at(2))}
    contact.refresh_from_db()
    assert (contact.last_touch_at, contact.last_touch_kind) == (at(10), TouchKind.CALL)
    touch_summaries_refresh(contact_ids=[contact.pk])
    assert summaries(contact) == advanced
