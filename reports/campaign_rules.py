"""The campaign report's per-row questions: the windows, the touch bits, and the questions as ORM expressions.

One definition serves three callers: the live per-row form of the report
(reports_campaign, the reference the tests compare against), and the
maintenance of the stored answers (reports.campaign_answers, which writes
these very expressions into Delivery/Enrollment rows), including the
migration that backfilled them. Hence every builder takes `facts`, the
models to read (the app registry's, or a migration's historical ones).
"""
from datetime import timedelta
from types import SimpleNamespace

from django.apps import apps as django_apps
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)

from contacts.models import TouchKind

ATTRIBUTION_DAYS = 30
REACTIVATION_DAYS = 30
REACTIVATION_KINDS = (TouchKind.PAGE_VIEW, TouchKind.FORM_SUBMIT, TouchKind.DOWNLOAD, TouchKind.WEBINAR,
                      TouchKind.REPLY, TouchKind.MEETING)

# What a sent delivery's recipient did in the window, as powers of two summed over DISTINCT codes (a bit mask
# that PostgreSQL and SQLite both compute): one index probe per delivery instead of one per kind.
TOUCH_BITS = (
    ("opened", TouchKind.EMAIL_OPEN, False), ("any_open_bot", TouchKind.EMAIL_OPEN, True),
    ("clicked", TouchKind.EMAIL_CLICK, False), ("any_click_bot", TouchKind.EMAIL_CLICK, True),
    ("revisited", TouchKind.PAGE_VIEW, False), ("replied", TouchKind.REPLY, False), ("met", TouchKind.MEETING, False),
)
TOUCH_KINDS = tuple(sorted({kind for _name, kind, _bot in TOUCH_BITS}))
TOUCH_BIT_OF = {(kind, bot): 2 ** bit for bit, (_name, kind, bot) in enumerate(TOUCH_BITS)}


def facts(apps=None):
    """The models the questions read and the answers live on; `apps`: a migration's registry (default: the app's)."""
    registry = apps or django_apps
    return SimpleNamespace(
        delivery=registry.get_model("campaigns", "Delivery"), enrollment=registry.get_model("campaigns", "Enrollment"),
        event=registry.get_model("contacts", "TouchEvent"), suppression=registry.get_model("campaigns", "Suppression"),
        reactivation=registry.get_model("alerts", "Reactivation"))


def window_end(field, days):
    return ExpressionWrapper(OuterRef(field) + timedelta(days=days), output_field=DateTimeField())


def touch_mask(models):
    """TOUCH_BITS of the recipient's touches in [sent_at, sent_at + ATTRIBUTION_DAYS), NULL when none."""
    whens = [When(kind=kind, flagged_as_bot=bot, then=Value(2 ** bit))
             for bit, (_name, kind, bot) in enumerate(TOUCH_BITS)]
    events = (models.event.objects.filter(
        contact_id=OuterRef("contact_id"), kind__in=TOUCH_KINDS,
        occurred_at__gte=OuterRef("sent_at"), occurred_at__lt=window_end("sent_at", ATTRIBUTION_DAYS))
        .order_by().values("contact_id")
        .annotate(mask=Sum(Case(*whens, default=Value(0), output_field=IntegerField()), distinct=True))
        .values("mask"))
    return Subquery(events, output_field=IntegerField())


def suppression_reason(models):
    """The reason the address went on the suppression list within the window (one row per address), or NULL."""
    return Subquery(models.suppression.objects.filter(
        email=OuterRef("to_email"),
        created_at__gte=OuterRef("sent_at"), created_at__lt=window_end("sent_at", ATTRIBUTION_DAYS),
    ).values("reason")[:1])


def came_back(models, since, *, strictly_after=False):
    """A REACTIVATION_KINDS touch (not a bot's) or a recorded Reactivation within REACTIVATION_DAYS of `since`.

    Strictly after, for enrollments: a sequence entered on a touch (a pricing view) is entered at that touch's
    moment, and the touch that let a contact in is not the contact coming back."""
    start = {"occurred_at__gt" if strictly_after else "occurred_at__gte": OuterRef(since)}
    touched = Exists(models.event.objects.filter(
        contact_id=OuterRef("contact_id"), kind__in=REACTIVATION_KINDS, flagged_as_bot=False,
        occurred_at__lt=window_end(since, REACTIVATION_DAYS), **start))
    marked = Exists(models.reactivation.objects.filter(
        contact_id=OuterRef("contact_id"), at__gte=OuterRef(since), at__lt=window_end(since, REACTIVATION_DAYS)))
    return ExpressionWrapper(touched | marked, output_field=BooleanField())
