"""State changes on segments: save a validated definition, refresh a membership snapshot."""
import logging
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from contacts.membership import MemberTable, baseline_insert, compiled_members, difference_apply
from contacts.models import Contact
from dormancy.selectors import workspace_tz

from .models import Segment, SegmentChange, SegmentMembership
from .rules import depends_on_touches, segment_q, validate_definition

logger = logging.getLogger(__name__)


def segment_save(*, segment=None, name, description, definition, is_active=True, user=None):
    """Create or update a segment; the definition is validated again here (ValidationError if bad)."""
    cleaned = validate_definition(definition)
    segment = segment or Segment(created_by=user)
    segment.name, segment.description, segment.definition, segment.is_active = name, description, cleaned, is_active
    segment.save()
    return segment


@dataclass(frozen=True)
class RefreshResult:
    segment_id: int
    members: int
    entered: int
    left: int


def segment_refresh(*, segment_id, run_at):
    """Recompute a segment's stored members set-based, recording who entered and who left.

    Four statements in one transaction, each an INSERT … SELECT or DELETE
    over the compiled query (no contact passes through Python): record the
    entries, record the exits, delete the exits, insert the entries. The
    first run is a baseline: one INSERT of the members, no change rows (see
    `_segment_difference_apply`). The
    segment row is locked first, so two overlapping runs queue (SQLite
    serialises writers anyway); a second run with nothing changed records
    nothing. `run_at` is the moment the run stands for; "today" is its date
    in the workspace zone.
    """
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment_id)
        entered, left = _segment_difference_apply(segment, run_at=run_at)
        members = SegmentMembership.objects.filter(segment_id=segment.pk).count()
        Segment.objects.filter(pk=segment.pk).update(member_count=members, refreshed_at=run_at)
    return RefreshResult(segment_id=segment.pk, members=members, entered=entered, left=left)


def segment_memberships_apply(*, contact_ids, run_at, touches_only=False):
    """Move only `contact_ids` in or out of every active segment that has a snapshot.

    The incremental twin of segment_refresh, for contacts whose facts just
    changed (new touches, an import): the same statements restricted to
    those contacts, so the cost follows the batch, not the table. Entries
    and exits are recorded the same way, so campaigns see "entered segment"
    within seconds of the touch. A segment never refreshed is left to its
    first full refresh. With `touches_only` (the contacts only got new
    touches), segments whose rules cannot see a touch are skipped. Returns
    {segment_id: (entered, left)} for segments that changed.
    """
    ids = sorted(set(contact_ids))
    changed = {}
    if not ids:
        return changed
    for segment_id in segments_to_refresh():
        with transaction.atomic():
            segment = (Segment.objects.select_for_update().filter(pk=segment_id, is_active=True,
                                                                  refreshed_at__isnull=False).first())
            try:
                if segment is None or (touches_only and not depends_on_touches(segment.definition)):
                    continue
                entered, left = _segment_difference_apply(segment, run_at=run_at, contact_ids=ids)
            except ValidationError as error:
                # A definition stored around the validator (an admin edit, an old row) must not stop every
                # other segment from following the facts: it is skipped and reported.
                logger.warning("Segment %s skipped: its definition is invalid (%s)", segment_id, error)
                continue
            if entered or left:
                Segment.objects.filter(pk=segment.pk).update(member_count=F("member_count") + entered - left)
                changed[segment.pk] = (entered, left)
    return changed


MEMBERS = MemberTable(model=SegmentMembership, owner_column="segment_id", since_column="entered_at",
                      change_model=SegmentChange)


def _segment_difference_apply(segment, *, run_at, contact_ids=None):
    """The first run is a baseline: members only, no change rows.

    Everyone in the first snapshot was there before anyone watched, so no
    "entered" event is recorded for them: a campaign triggered on entry
    starts with the people who enter afterwards (one that wants the existing
    members reads the snapshot). It also halves the first run's writes.
    """
    tz = workspace_tz()
    today = run_at.astimezone(tz).date()
    definition = validate_definition(segment.definition)
    matching = Contact.objects.filter(segment_q(definition, today=today, tz=tz))
    if contact_ids is not None:
        matching = matching.filter(pk__in=contact_ids)
    match_sql, match_params = compiled_members(matching)
    if segment.refreshed_at is None and contact_ids is None:
        return baseline_insert(MEMBERS, owner_id=segment.pk, match_sql=match_sql, match_params=match_params,
                               run_at=run_at), 0
    return difference_apply(MEMBERS, owner_id=segment.pk, match_sql=match_sql, match_params=match_params,
                            run_at=run_at, run_id=uuid.uuid4(), contact_ids=contact_ids)


def segments_to_refresh():
    """Ids of the active segments, for the periodic fan-out."""
    return list(Segment.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
