"""Starting a broadcast: one delivery row per segment member, written by one INSERT … SELECT.

The rows come from the segment's stored snapshot (SegmentMembership, kept
current by beat every 10 minutes and refreshed here if it never ran), so the
preflight count and the rows written agree. The statement never passes a
contact through Python:

- the unique constraints plus ON CONFLICT DO NOTHING make a second start
  (a double click, a retried request) write nothing twice;
- each row gets a fresh opaque token from a cryptographic source
  (`gen_random_uuid()` on PostgreSQL, Python's `secrets` registered as an SQL
  function on SQLite);
- the holdout and the A/B variant are chosen by a hash of (campaign id,
  contact id) (campaigns.split, the same one sequences and playbooks use):
  md5, first six hex digits compared with the share as a threshold. Random
  across contacts, the same answer every time for the same pair, so the
  split is reproducible and recorded (holdout rows are `suppressed`, reason
  `holdout`).
"""
import secrets

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    DeliveryStatus,
    SendingSettings,
    SkipReason,
    StepKind,
)
from campaigns.policy import next_allowed_slot
from campaigns.split import HOLDOUT_SALT, VARIANT_SALT, bucket, bucket_sql, share_threshold

STARTABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
ANALYZE_AFTER = 10_000


class CampaignCannotStart(ValidationError):
    """The campaign lacks something it needs to send lawfully; `messages` says what (one per problem)."""


def new_token():
    """An opaque, unguessable id for a delivery's public links (not the primary key)."""
    return secrets.token_urlsafe(24)


def email_step(campaign):
    return campaign.steps.filter(kind=StepKind.EMAIL).order_by("position").select_related("template").first()


def campaign_start_problems(campaign):
    """Why `campaign` cannot start now (empty when it can): the sender's legal details first."""
    problems = []
    missing = campaign.sender.missing()
    if missing:
        problems.append(_("The sender profile lacks: %(fields)s.") % {"fields": ", ".join(missing)})
    if campaign.kind not in (CampaignKind.BROADCAST, CampaignKind.RECURRING):
        problems.append(_("Only broadcasts are started this way."))
    if campaign.segment_id is None:
        problems.append(_("Choose a segment to send to."))
    step = email_step(campaign)
    if step is None or step.template_id is None:
        problems.append(_("Add an email step with a template."))
    return problems


def campaign_start(campaign, *, now):
    """Start a broadcast: write its delivery rows (due at the send time, moved out of quiet hours).

    Returns the number of rows written (0 on a repeated start). Raises
    CampaignCannotStart while the sender profile lacks the legally required
    details or the campaign is incomplete. The rows are written and the
    status changed in one transaction; beat's dispatch sends them when due.
    """
    problems = campaign_start_problems(campaign)
    if campaign.kind == CampaignKind.RECURRING:
        problems.append(_("A recurring newsletter is started from its own page."))
    if campaign.status not in STARTABLE and campaign.status != CampaignStatus.RUNNING:
        problems.append(_("This campaign is %(status)s.") % {"status": campaign.get_status_display()})
    if problems:
        raise CampaignCannotStart(problems)
    segment = campaign.segment
    if segment.refreshed_at is None:
        from segments.services import segment_refresh

        segment_refresh(segment_id=segment.pk, run_at=now)
    step = email_step(campaign)
    due = next_allowed_slot(max(campaign.scheduled_at or now, now), SendingSettings.load())
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        created = _insert_deliveries(campaign=locked, step=step, due=due, now=now)
        Campaign.objects.filter(pk=locked.pk, status__in=STARTABLE).update(status=CampaignStatus.RUNNING,
                                                                          started_at=now, updated_at=now)
    campaign.refresh_from_db(fields=["status", "started_at"])
    return created


_INSERT = """
INSERT INTO campaigns_delivery (step_id, contact_id, contract_id, occurrence, status, reason, variant, scheduled_at,
                                lease_until, attempts, last_error, token, message_id, to_email, sent_at, created_at,
                                updated_at)
SELECT %(step)s, m.contact_id, NULL, %(occurrence)s,
       CASE WHEN {holdout} THEN %(suppressed)s ELSE %(queued)s END,
       CASE WHEN {holdout} THEN %(holdout_reason)s ELSE '' END,
       CASE WHEN {variant} THEN 'B' ELSE 'A' END,
       %(due)s, NULL, 0, '', {token}, '', '', NULL, %(now)s, %(now)s
FROM segments_segmentmembership m
WHERE m.segment_id = %(segment)s
ON CONFLICT DO NOTHING
"""


def _token_sql():
    if connection.vendor == "postgresql":
        return "replace(CAST(gen_random_uuid() AS TEXT), '-', '')"
    connection.ensure_connection()
    connection.connection.create_function("rk_token", 0, new_token)
    return "rk_token()"


def _insert_deliveries(*, campaign, step, due, now, occurrence=0):
    """`occurrence`: a recurring campaign's run number (campaigns.recurring); 0 for a broadcast."""
    holdout = campaign.holdout_percent
    variant_b = campaign.variant_b_percent if step.template_b_id else 0
    sql = _INSERT.format(
        holdout=f"{bucket_sql('holdout_key', 'm.contact_id')} < %(holdout_max)s" if holdout else "1 = 0",
        variant=f"{bucket_sql('variant_key', 'm.contact_id')} < %(variant_max)s" if variant_b else "1 = 0",
        token=_token_sql(),
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "step": step.pk, "occurrence": occurrence, "segment": campaign.segment_id, "due": adapt(due), "now": adapt(now),
        "suppressed": DeliveryStatus.SUPPRESSED, "queued": DeliveryStatus.QUEUED,
        "holdout_reason": SkipReason.HOLDOUT,
        "holdout_key": f"{HOLDOUT_SALT}:{campaign.pk}:", "holdout_max": share_threshold(holdout),
        "variant_key": f"{VARIANT_SALT}:{campaign.pk}:", "variant_max": share_threshold(variant_b),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        created = cursor.rowcount
        if created >= ANALYZE_AFTER and connection.vendor == "postgresql":
            # Fresh statistics before the first claims: with the old ones the planner may take a whole
            # queue of new rows for a handful and pick a scan over the primary key.
            cursor.execute("ANALYZE campaigns_delivery")
    return created


__all__ = ["HOLDOUT_SALT", "VARIANT_SALT", "CampaignCannotStart", "bucket", "campaign_start", "campaign_start_problems",
           "new_token", "share_threshold"]
