"""Daily aggregates for the dashboard, set-based: one INSERT … SELECT … GROUP BY per metric.

`day_snapshot_compute(day=…)` replaces everything stored for `day` in one
transaction (delete, then insert), so recomputing a day is idempotent and a
reader never sees half a day. Days are calendar days in the workspace time
zone; bot-flagged touch events never count.

- Dormancy, per active rule: members on the day and on the day before (the
  rule's set-based filter, `dormancy.rules`), hence newly dormant (in today,
  not yesterday) and reactivated (in yesterday, not today). Today reads the
  stored latest touches; a past day replays the events up to it for the
  contacts touched since, and reads the stored touches for everyone else.
  The same pass groups by owner and, for members, by lost reason, industry,
  company size band and length of silence: the workspace row (DormancyDay)
  is the sum of the owners' rows (DormancyOwnerDay) and the unowned
  contacts, so a rep's own report reads stored days as the workspace's
  does, and the members' breakdown (DormancyBreakdownDay) is what the
  dormancy report's tables add up.
  `dormancy_day_figures` runs the same query for one rule and day without
  storing it (the dormancy report fills a missing day with it).
- Campaign funnel, per campaign and send day, in messages: a message counts
  as opened, clicked, revisited or meeting booked when its contact did that
  within ATTRIBUTION_DAYS after it was sent (a click also proves an open);
  delivered is sent minus hard bounces reported after the send; renewed is a
  rescue option chosen in the campaign within the window, or the message's
  contract (playbooks) now renewed.
- Alert response, per rep and claim day: alerts claimed, summed wait from
  firing to claim, and how many were claimed within an hour.

Beat's hourly run also fills days of the last FILL_DAYS that have no
snapshot, newest first, within a time budget, so a fresh install, a restore
or a new rule needs no manual backfill for the reports' default range.
"""
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from alerts.models import Alert, Outcome
from campaigns.models import (
    CampaignStep,
    Delivery,
    DeliveryStatus,
    RescueChoice,
    Suppression,
    SuppressionReason,
)
from contacts.models import Contact, Contract, ContractStatus, TouchEvent, TouchKind
from contacts.rules import start_of_day, workspace_tz
from dormancy.models import DormancyRule
from dormancy.rules import dormant_as_of_q, dormant_q

from .models import (
    AlertResponseDay,
    CampaignFunnelDay,
    DormancyBreakdownDay,
    DormancyDay,
    DormancyOwnerDay,
)

ATTRIBUTION_DAYS = 7
FILL_DAYS = 91  # missing days beat fills in: the reports' default range (90 days) and the day before it
ONE_DAY = timedelta(days=1)
_LOCK_KEY = 0x5245504F  # "REPO": one day's recompute at a time (PostgreSQL advisory lock)


METRICS = ("dormancy", "funnel", "alerts")


def day_snapshot_compute(*, day, today, now=None, metrics=METRICS):
    """Replace the stored aggregates of `day` (≤ `today`); returns {metric: rows written}."""
    now = now or timezone.now()
    tz = workspace_tz()
    writers = {
        "dormancy": ((DormancyDay, DormancyOwnerDay, DormancyBreakdownDay),
                     lambda: _dormancy_insert(day=day, today=today, tz=tz, now=now)),
        "funnel": ((CampaignFunnelDay,), lambda: _funnel_insert(day=day, tz=tz, now=now)),
        "alerts": ((AlertResponseDay,), lambda: _alerts_insert(day=day, tz=tz, now=now)),
    }
    written = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        for metric in metrics:
            models, write = writers[metric]
            for model in models:
                model.objects.filter(day=day).delete()
            written[metric] = write()
    return written


def daily_snapshots_compute(*, today, now=None, fill_seconds=None):
    """What beat runs (hourly): yesterday and today in full, the funnel of the days before whose attribution
    window is still open (a message sent then can still be opened), then missing days (`missing_days`), newest
    first, for up to `fill_seconds` (REPORTS_SNAPSHOT_FILL_SECONDS)."""
    for offset in range(ATTRIBUTION_DAYS + 1, 1, -1):
        day_snapshot_compute(day=today - timedelta(days=offset), today=today, now=now, metrics=("funnel",))
    written = {day: day_snapshot_compute(day=day, today=today, now=now) for day in (today - ONE_DAY, today)}
    budget = settings.REPORTS_SNAPSHOT_FILL_SECONDS if fill_seconds is None else fill_seconds
    started = time.monotonic()
    for day in missing_days(today=today):
        if time.monotonic() - started >= budget:
            break
        written[day] = day_snapshot_compute(day=day, today=today, now=now)
    return written


def missing_days(*, today, days=FILL_DAYS):
    """Days of the last `days` before yesterday, newest first, that an active rule has no complete dormancy
    snapshot for: a fresh install or restore, beat stopped for a while, a rule added, or days stored before
    per-owner snapshots. The reports' default range (90 days and the day before) then reads stored days only."""
    rules = DormancyRule.objects.filter(is_active=True).count()
    if not rules:
        return []
    first, last = today - timedelta(days=days - 1), today - 2 * ONE_DAY
    complete = {row["day"] for row in DormancyDay.objects.filter(
        day__range=(first, last), details_stored=True, rule__is_active=True).values("day").annotate(
        n=Count("rule_id")).order_by() if row["n"] >= rules}
    newest_first = (last - timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in newest_first if day not in complete]


def backfill_snapshots_compute(*, days, today, now=None):
    """The last `days` days up to today, oldest first, each day in its own transaction."""
    return {today - timedelta(days=offset): day_snapshot_compute(day=today - timedelta(days=offset), today=today,
                                                                 now=now)
            for offset in range(days - 1, -1, -1)}


# -- dormancy ---------------------------------------------------------------

def _members_q(rule, *, day, today, tz):
    """The rule's members on `day`, cheaply: replaying the events only for contacts touched since.

    A contact whose latest counted touch (Contact.last_touch_at, bots never
    count) is on or before `day` has nothing newer in its stored latest
    touches, so the stored-touch filter evaluated for `day` says what a
    replay would; only contacts touched after `day` (few, for recent days)
    need their events read.
    """
    if day >= today:
        return dormant_q(rule, today=day, tz=tz)
    settled = Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=start_of_day(day + ONE_DAY, tz))
    return (settled & dormant_q(rule, today=day, tz=tz)) | (~settled & dormant_as_of_q(rule, as_of=day, tz=tz))


def _dormancy_insert(*, day, today, tz, now):
    """One grouped pass per active rule (`_dormancy_cube`): the workspace's figures, each owner's, and the
    members' breakdown. Returns the workspace rows written."""
    written = 0
    for rule in DormancyRule.objects.filter(is_active=True).order_by("pk"):
        cube = _dormancy_cube(rule, day=day, today=today, tz=tz)
        by_owner = _moves_by_owner(cube)
        dormant, newly, back = _totals(by_owner)
        DormancyDay.objects.create(day=day, rule=rule, computed_at=now, dormant=dormant, newly_dormant=newly,
                                   reactivated=back, details_stored=True)
        DormancyOwnerDay.objects.bulk_create(
            DormancyOwnerDay(day=day, rule=rule, owner_id=owner_id, computed_at=now, dormant=dormant,
                             newly_dormant=newly, reactivated=back)
            for owner_id, (dormant, newly, back) in by_owner.items() if owner_id is not None)
        members = {}
        for owner_id, reason, industry, size, silence, member, _before, n in cube:
            if member:
                key = (owner_id, reason, industry, size, silence)
                members[key] = members.get(key, 0) + n
        DormancyBreakdownDay.objects.bulk_create(
            (DormancyBreakdownDay(day=day, rule=rule, owner_id=owner_id, lost_reason=reason, industry=industry,
                                  size=size, silence=silence, contacts=n)
             for (owner_id, reason, industry, size, silence), n in members.items()), batch_size=2000)
        written += 1
    return written


def dormancy_day_figures(rule, *, day, today, owner=None):
    """{"dormant", "newly_dormant", "reactivated"} of `rule` on `day` (among `owner`'s contacts), computed now
    and not stored.

    The very query the snapshot writer runs, for a reader that finds a day
    without a snapshot (the report's flow).
    """
    by_owner = _moves_by_owner(_dormancy_cube(rule, day=day, today=today, tz=workspace_tz(), owner=owner))
    dormant, newly, back = _totals(by_owner)
    return {"dormant": dormant, "newly_dormant": newly, "reactivated": back}


def _totals(by_owner):
    """(dormant, newly dormant, reactivated) over every owner (and the unowned contacts)."""
    return tuple(sum(figures[i] for figures in by_owner.values()) for i in range(3))


def _moves_by_owner(cube):
    """{owner id or None: (dormant, newly dormant, reactivated)} from `_dormancy_cube` rows."""
    by_owner = {}
    for owner_id, *_described, member, before, n in cube:
        dormant, newly, back = by_owner.get(owner_id, (0, 0, 0))
        by_owner[owner_id] = (dormant + n * member, newly + n * (member and not before),
                              back + n * (before and not member))
    return by_owner


def _dormancy_cube(rule, *, day, today, tz, owner=None):
    """[(owner id, lost reason, industry, size band, silence band, member, member the day before, contacts)]:
    every contact (or `owner`'s) counted in one grouped pass.

    Each contact's two memberships are evaluated once, in the inner select;
    the describing columns are kept for members only (NULL otherwise), so
    non-members fold into a few rows per owner.
    """
    on_day = _members_q(rule, day=day, today=today, tz=tz)
    before = _members_q(rule, day=day - ONE_DAY, today=today, tz=tz)
    contacts = Contact.objects.order_by()
    if owner is not None:
        contacts = contacts.filter(owner=owner)
    inner, params = contacts.annotate(d=_flag(on_day), b=_flag(before), **breakdown_columns(day, tz)).values(
        "owner_id", "lost_reason", "industry", "size", "silence", "d", "b").query.sql_with_params()
    described = ", ".join(f"CASE WHEN f.d = 1 THEN f.{column} END"
                          for column in ("lost_reason", "industry", "size", "silence"))
    # OFFSET 0 keeps the planner from folding the inner select into the outer one, which would copy the
    # membership expression (and its event probes) into every CASE: 6.1 s against 2.7 s a day at 1M.
    fence = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT f.owner_id, {described}, f.d, f.b, COUNT(*) FROM ({inner} {fence}) f "  # noqa: S608
                       "GROUP BY 1, 2, 3, 4, 5, 6, 7", params)
        return [(*row[:5], bool(row[5]), bool(row[6]), int(row[7])) for row in cursor]


SIZE_BUCKETS = ((1000, "1000+"), (250, "250–999"), (50, "50–249"), (10, "10–49"), (0, "1–9"))
SILENCE_BUCKETS = ((730, "730+"), (365, "365–729"), (180, "180–364"), (90, "90–179"), (0, "0–89"))


def breakdown_columns(as_of, tz):
    """The annotations a breakdown groups members by, besides lost reason and owner: industry ("" when
    unknown), size band and silence band on `as_of`."""
    return {"industry": Coalesce("company__industry", Value(""), output_field=CharField()),
            "size": _size_bucket(), "silence": _silence_bucket(as_of, tz)}


def _size_bucket():
    """The contact's company size band (employees), in SQL; "" when unknown."""
    whens = [When(company__employee_count__gte=low, then=Value(label)) for low, label in SIZE_BUCKETS]
    return Case(*whens, default=Value(""), output_field=CharField())


def _silence_bucket(as_of, tz):
    """Days silent on `as_of`, bucketed in SQL; "after" when the contact's latest touch is after `as_of`,
    "never" without one."""
    after = start_of_day(as_of + ONE_DAY, tz)
    whens = [When(last_touch_at__gte=after, then=Value("after"))]
    whens += [When(last_touch_at__lt=start_of_day(as_of - timedelta(days=days - 1), tz), then=Value(label))
              for days, label in SILENCE_BUCKETS if days]
    whens += [When(last_touch_at__isnull=True, then=Value("never"))]
    return Case(*whens, default=Value("0–89"), output_field=CharField())


def _flag(q):
    return Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())


# -- campaign funnel --------------------------------------------------------

def _funnel_insert(*, day, tz, now):
    delivery, step, event = Delivery._meta.db_table, CampaignStep._meta.db_table, TouchEvent._meta.db_table
    window = _window_sql("d.sent_at", ATTRIBUTION_DAYS)

    def touched(*kinds):
        marks = ", ".join(["%s"] * len(kinds))
        sql = (f"EXISTS (SELECT 1 FROM {event} e WHERE e.contact_id = d.contact_id AND e.kind IN ({marks}) "  # noqa: S608
               f"AND e.flagged_as_bot = %s AND e.occurred_at >= d.sent_at AND e.occurred_at < {window})")
        return sql, [*kinds, False]

    opened, opened_p = touched(TouchKind.EMAIL_OPEN, TouchKind.EMAIL_CLICK)
    clicked, clicked_p = touched(TouchKind.EMAIL_CLICK)
    revisited, revisited_p = touched(TouchKind.PAGE_VIEW)
    met, met_p = touched(TouchKind.MEETING)
    booked = (f"EXISTS (SELECT 1 FROM {Alert._meta.db_table} a WHERE a.contact_id = d.contact_id "  # noqa: S608
              f"AND a.outcome = %s AND a.done_at >= d.sent_at AND a.done_at < {window})")
    chose = (f"EXISTS (SELECT 1 FROM {RescueChoice._meta.db_table} rc WHERE rc.campaign_id = s.campaign_id "  # noqa: S608
             f"AND rc.contact_id = d.contact_id AND rc.chosen_at >= d.sent_at AND rc.chosen_at < {window})")
    renewed = (f"EXISTS (SELECT 1 FROM {Contract._meta.db_table} k WHERE k.id = d.contract_id "  # noqa: S608
               f"AND k.status = %s)")
    bounced = (f"EXISTS (SELECT 1 FROM {Suppression._meta.db_table} x WHERE x.email = d.to_email "  # noqa: S608
               f"AND x.reason = %s AND x.created_at >= d.sent_at)")
    select = (
        f"SELECT %s, s.campaign_id, COUNT(*), "  # noqa: S608 - table names and SQL fragments are constants
        f"SUM(CASE WHEN {bounced} THEN 0 ELSE 1 END), "
        f"SUM(CASE WHEN {opened} THEN 1 ELSE 0 END), SUM(CASE WHEN {clicked} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {revisited} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {met} OR {booked} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {chose} OR {renewed} THEN 1 ELSE 0 END), %s "
        f"FROM {delivery} d JOIN {step} s ON s.id = d.step_id "
        f"WHERE d.status = %s AND d.sent_at >= %s AND d.sent_at < %s GROUP BY s.campaign_id"
    )
    params = [_date(day), SuppressionReason.BOUNCED, *opened_p, *clicked_p, *revisited_p, *met_p,
              Outcome.MEETING_BOOKED, ContractStatus.RENEWED, _moment(now), DeliveryStatus.SENT,
              *_day_bounds(day, tz)]
    return _insert(CampaignFunnelDay, ("day", "campaign_id", "sent", "delivered", "opened", "clicked", "revisited",
                                       "meetings", "renewals", "computed_at"), select, params)


# -- alert response ---------------------------------------------------------

def _alerts_insert(*, day, tz, now):
    wait = _seconds_between_sql("a.fired_at", "a.claimed_at")
    select = (
        f"SELECT %s, a.assignee_id, COUNT(*), COALESCE(SUM({wait}), 0), "  # noqa: S608
        f"SUM(CASE WHEN {wait} <= 3600 THEN 1 ELSE 0 END), %s "
        f"FROM {Alert._meta.db_table} a WHERE a.assignee_id IS NOT NULL "
        f"AND a.claimed_at >= %s AND a.claimed_at < %s GROUP BY a.assignee_id"
    )
    return _insert(AlertResponseDay, ("day", "rep_id", "claimed", "total_seconds", "within_hour", "computed_at"),
                   select, [_date(day), _moment(now), *_day_bounds(day, tz)])


# -- SQL helpers (PostgreSQL and SQLite) -------------------------------------

def _insert(model, columns, select_sql, params):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) {select_sql}", params)  # noqa: S608
        return cursor.rowcount


def _day_bounds(day, tz):
    return [_moment(start_of_day(day, tz)), _moment(start_of_day(day + ONE_DAY, tz))]


def _moment(value):
    return connection.ops.adapt_datetimefield_value(value)


def _date(value):
    return connection.ops.adapt_datefield_value(value)


def _window_sql(column, days):
    """`column` + `days` days, as SQL (a constant interval: no parameter)."""
    days = int(days)
    if connection.vendor == "postgresql":
        return f"({column} + INTERVAL '{days} days')"
    return f"datetime({column}, '+{days} days')"


def _seconds_between_sql(start, end):
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"
