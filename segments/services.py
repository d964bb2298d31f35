"""State changes on segments: save a validated definition, refresh a membership snapshot."""
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F

from contacts.models import Contact
from dormancy.selectors import workspace_tz

from .models import ChangeKind, Segment, SegmentChange, SegmentMembership
from .rules import segment_q, validate_definition


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


def segment_memberships_apply(*, contact_ids, run_at):
    """Move only `contact_ids` in or out of every active segment that has a snapshot.

    The incremental twin of segment_refresh, for contacts whose facts just
    changed (new touches, an import): the same statements restricted to
    those contacts, so the cost follows the batch, not the table. Entries
    and exits are recorded the same way, so campaigns see "entered segment"
    within seconds of the touch. A segment never refreshed is left to its
    first full refresh. Returns {segment_id: (entered, left)} for segments
    that changed.
    """
    ids = sorted(set(contact_ids))
    changed = {}
    if not ids:
        return changed
    for segment_id in segments_to_refresh():
        with transaction.atomic():
            segment = (Segment.objects.select_for_update().filter(pk=segment_id, is_active=True,
                                                                  refreshed_at__isnull=False).first())
            if segment is None:
                continue
            entered, left = _segment_difference_apply(segment, run_at=run_at, contact_ids=ids)
            if entered or left:
                Segment.objects.filter(pk=segment.pk).update(member_count=F("member_count") + entered - left)
                changed[segment.pk] = (entered, left)
    return changed


def _segment_difference_apply(segment, *, run_at, contact_ids=None):
    tz = workspace_tz()
    today = run_at.astimezone(tz).date()
    definition = validate_definition(segment.definition)
    matching = Contact.objects.filter(segment_q(definition, today=today, tz=tz))
    if contact_ids is not None:
        matching = matching.filter(pk__in=contact_ids)
    matching = matching.order_by().values(member_id=F("pk"))
    match_sql, match_params = matching.query.get_compiler(connection=connection).as_sql()
    return _apply_difference(segment.pk, match_sql, list(match_params), run_at, uuid.uuid4(), contact_ids)


def _apply_difference(segment_id, match_sql, match_params, run_at, run_id, contact_ids=None):
    ops, quote = connection.ops, connection.ops.quote_name
    membership = quote(SegmentMembership._meta.db_table)
    change = quote(SegmentChange._meta.db_table)
    at = ops.adapt_datetimefield_value(run_at)
    run = SegmentChange._meta.get_field("run_id").get_db_prep_value(run_id, connection)
    # Table names come from model metadata and `match_sql` from Django's own
    # compiler (its values are in `match_params`): every value is bound.
    enter_sql = (
        f"INSERT INTO {change} (segment_id, contact_id, kind, at, run_id) SELECT %s, m.member_id, %s, %s, %s "  # noqa: S608
        f"FROM ({match_sql}) m WHERE NOT EXISTS "
        f"(SELECT 1 FROM {membership} sm WHERE sm.segment_id = %s AND sm.contact_id = m.member_id)"
    )
    if contact_ids is not None and not contact_ids:
        return 0, 0
    # A partial run only lets the contacts it looked at leave.
    scope = list(contact_ids or ())
    scope_sql = f" AND sm.contact_id IN ({', '.join(['%s'] * len(scope))})" if scope else ""
    leave_sql = (
        f"INSERT INTO {change} (segment_id, contact_id, kind, at, run_id) SELECT %s, sm.contact_id, %s, %s, %s "  # noqa: S608
        f"FROM {membership} sm WHERE sm.segment_id = %s{scope_sql} "
        f"AND sm.contact_id NOT IN (SELECT m.member_id FROM ({match_sql}) m)"
    )
    delete_sql = (
        f"DELETE FROM {membership} WHERE segment_id = %s AND contact_id IN "  # noqa: S608
        f"(SELECT contact_id FROM {change} WHERE run_id = %s AND kind = %s)"
    )
    insert_sql = (
        f"INSERT INTO {membership} (segment_id, contact_id, entered_at) "  # noqa: S608
        f"SELECT segment_id, contact_id, at FROM {change} WHERE run_id = %s AND kind = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(enter_sql, [segment_id, ChangeKind.ENTER.value, at, run, *match_params, segment_id])
        entered = cursor.rowcount
        cursor.execute(leave_sql, [segment_id, ChangeKind.LEAVE.value, at, run, segment_id, *scope, *match_params])
        left = cursor.rowcount
        if left:
            cursor.execute(delete_sql, [segment_id, run, ChangeKind.LEAVE.value])
        if entered:
            cursor.execute(insert_sql, [run, ChangeKind.ENTER.value])
    return entered, left


def segments_to_refresh():
    """Ids of the active segments, for the periodic fan-out."""
    return list(Segment.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
