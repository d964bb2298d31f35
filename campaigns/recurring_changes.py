"""Changing a recurring newsletter that has started (running or paused): from now on, never backwards.

What may change once it has started, and why the rest may not:

- the schedule: the next run becomes the new schedule's first time after
  now. Runs already made stay as they were (their rows keep their occurrence
  numbers and the next run takes the next number), and times the new
  schedule had before now are not made up, exactly as a late beat pass skips
  missed runs (campaigns.recurring). One more rule keeps an issue from going
  out twice: the new schedule's time nearest the last run counts as made by
  it, so moving a Monday 10:00 newsletter to 14:00 at 11:00 on a Monday it
  went out waits for the next Monday (`first_run_after_change`);
- the name, and the message (template, variant B and its share): each run
  renders the step's templates when it sends, so a change applies from the
  next run — but not while mails of a run are still waiting to go out, which
  would mix two messages in one issue;
- not the audience (segment, topic), the sender or the holdout: they define
  who gets the newsletter and whom it is measured against. A holdout that
  moves mid-way mixes the control group; another audience or sender is
  another newsletter.

The change is written under the campaign's row lock, the lock beat takes
(SKIP LOCKED) to claim a due run, so a run and a change never interleave. Who
changed what and when goes to Django's admin log (LogEntry), the one change
history the project has; the page shows the latest entry.
"""
import json

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.rules import workspace_tz

from . import schedule as cron
from .models import Campaign, CampaignStatus, CampaignStep, Delivery, DeliveryStatus

CHANGEABLE = (CampaignStatus.RUNNING, CampaignStatus.PAUSED)
# Fixed once started: the form field (and Campaign attribute) and how messages name it.
DRAFT_ONLY = {
    "segment": gettext_lazy("segment"),
    "topic": gettext_lazy("topic"),
    "sender": gettext_lazy("sender profile"),
    "holdout_percent": gettext_lazy("holdout"),
}


def _value(value):
    return getattr(value, "pk", value)


def _current(campaign, field):
    return getattr(campaign, f"{field}_id") if field != "holdout_percent" else campaign.holdout_percent


def fixed_field_problem(field):
    """Why a draft-only field was refused (for the service and the form alike)."""
    return _("The %(field)s cannot change once the newsletter has started. To send to another audience, from "
             "another sender or with another holdout, create a new newsletter.") % {"field": DRAFT_ONLY[field]}


def fixed_field_problems(campaign, **given):
    """A message for each draft-only field whose value in `given` differs from the started campaign's."""
    return [fixed_field_problem(field) for field, value in given.items()
            if field in DRAFT_ONLY and _value(value) != _current(campaign, field)]


def recurring_change(*, campaign, name, schedule, template, template_b, variant_b_percent, now, user=None,
                     **fixed):
    """Change a started newsletter's name, schedule or message from `now` on; `fixed` must match (see module doc).

    Returns the changed field names (empty when nothing changed). Raises
    ValidationError when the campaign is not running or paused, a fixed
    field differs, the schedule does not parse, or the message would change
    while a run's mails are still waiting.
    """
    schedule = cron.validate(schedule)
    variant_b_percent = variant_b_percent if template_b else 0
    problems = fixed_field_problems(campaign, **fixed)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in CHANGEABLE:
            raise ValidationError(_("Only a running or paused newsletter can be changed this way; this one is "
                                    "%(status)s.") % {"status": locked.get_status_display()})
        step = CampaignStep.objects.select_for_update().get(campaign=locked, position=1)
        changed = _changes(locked, step, name=name, schedule=schedule, template=template, template_b=template_b,
                           variant_b_percent=variant_b_percent)
        message = {"template", "template_b", "variant_b_percent"} & set(changed)
        waiting = Delivery.objects.filter(step=step, status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING))
        if message and waiting.exists():
            raise ValidationError(_("The message cannot change while mails of the last run are still waiting to go "
                                    "out (%(n)s). Change it once they have left, or change only the schedule now.")
                                  % {"n": waiting.count()})
        if not changed:
            return []
        update = {"name": name, "variant_b_percent": variant_b_percent, "updated_at": now}
        if "schedule" in changed:
            last_run = Delivery.objects.filter(step=step).aggregate(at=Max("created_at"))["at"]
            update.update(schedule=schedule, next_run_at=first_run_after_change(schedule, now=now, last_run=last_run))
        Campaign.objects.filter(pk=locked.pk).update(**update)
        CampaignStep.objects.filter(pk=step.pk).update(template=template, template_b=template_b)
        if user is not None:
            locked.name = name
            _log(user, locked, changed, now=now)
    campaign.refresh_from_db()
    return changed


def first_run_after_change(expression, *, now, last_run):
    """The first run of a changed schedule: its first time after `now`, unless that is the time nearest the last run.

    The new schedule's time nearest `last_run` (strictly nearer than its time
    before it) stands for the run already made, so it is skipped when it is
    still ahead; on a tie the run goes ahead (an hourly "0 * * * *" moved to
    "30 * * * *" goes on every hour).
    """
    tz = workspace_tz()
    first = cron.next_run(expression, now, tz)
    if first is None or last_run is None:
        return first
    before, after = cron.previous_run(expression, last_run, tz), cron.next_run(expression, last_run, tz)
    if after == first and (before is None or after - last_run < last_run - before):
        return cron.next_run(expression, first, tz)
    return first


def _changes(campaign, step, **values):
    current = {"name": campaign.name, "schedule": campaign.schedule, "template": step.template_id,
               "template_b": step.template_b_id, "variant_b_percent": campaign.variant_b_percent}
    return [field for field, value in values.items() if _value(value) != current[field]]


def _log(user, campaign, changed, *, now):
    """One admin-log entry, field names stored untranslated as the admin does (shown in the reader's language)."""
    with translation.override(None):
        names = [str((CampaignStep if field.startswith("template") else Campaign)._meta.get_field(field).verbose_name)
                 for field in changed]
    LogEntry.objects.create(user_id=user.pk, content_type=ContentType.objects.get_for_model(Campaign),
                            object_id=str(campaign.pk), object_repr=str(campaign)[:200], action_flag=CHANGE,
                            change_message=json.dumps([{"changed": {"fields": names}}]), action_time=now)


def last_change(campaign):
    """The latest LogEntry for `campaign` (who changed it, when, what), or None."""
    return (LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Campaign),
                                    object_id=str(campaign.pk))
            .select_related("user").order_by("-action_time", "-id").first())
